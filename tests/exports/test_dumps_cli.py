"""Open-data dumps (CSV, JSON Lines, Parquet + manifest) and the `pop export` command."""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json

import orjson
import pyarrow.parquet as pq
import pytest
import zstandard
from django.core.management import CommandError, call_command

from pop.catalog import service
from pop.catalog.models import Record
from pop.exports import dumps
from pop.schema import registry
from pop.schema.types import V

from .conftest import read_csv, read_ods, read_xlsx

def restricted(slug: str) -> set[str]:
    return {f.code for f in registry.get(slug).fields if f.visibility is not V.PUBLIC}


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_dumps_write_every_base_with_counts_checksums_and_licence(corpus, data_dir):
    manifest = dumps.build()
    root = data_dir / "dumps"
    assert json.loads((root / "manifest.json").read_text())["licence"].startswith("Licence Ouverte 2.0")
    for slug in ("merimee", "palissy", "joconde"):
        entry = manifest["bases"][slug]
        published = Record.objects.filter(base=slug, status="published").count()
        assert entry["records"] == published and entry["max_seq"] > 0
        files = {f["format"]: f for f in entry["files"]}
        assert set(files) == {"csv", "jsonl", "parquet"}
        for f in files.values():
            path = root / f["name"]
            assert path.stat().st_size == f["size"] and sha256(path) == f["sha256"]
        text = gzip.decompress((root / files["csv"]["name"]).read_bytes()).decode("utf-8")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        lines = gzip.decompress((root / files["jsonl"]["name"]).read_bytes()).decode().splitlines()
        table = pq.read_table(root / files["parquet"]["name"])
        assert len(rows) == len(lines) == table.num_rows == published
        assert not (set(rows[0]) | set(table.column_names)) & restricted(slug)
        for line in lines:
            assert not set(json.loads(line)) & restricted(slug)
    palissy = gzip.decompress((root / "pop-palissy.jsonl.gz").read_bytes()).decode()
    assert "12 rue Cachée" not in palissy and "Édifice masqué" not in palissy
    merimee = [json.loads(x) for x in gzip.decompress((root / "pop-merimee.jsonl.gz").read_bytes()).decode().splitlines()]
    first = next(r for r in merimee if r["REF"] == "PA00000003")
    assert first["DENO"] == ["église", "clocher"] and first["TICO"] == "Église Saint-Étienne « 3 » à Nîmes"
    table = pq.read_table(root / "pop-merimee.parquet").to_pylist()
    row = next(r for r in table if r["REF"] == "PA00000003")
    assert row["DENO"] == ["église", "clocher"] and isinstance(row["POP_COORDONNEES"]["lat"], float)


def test_rerunning_refreshes_only_the_bases_that_changed(corpus, data_dir):
    first = dumps.build()
    mtimes = {p.name: p.stat().st_mtime_ns for p in (data_dir / "dumps").glob("pop-*")}
    service.save("palissy", {"REF": "PM00000001", "TICO": "Retable restauré", "DENO": ["retable"]}, actor="test")
    second = dumps.build()
    assert second["bases"]["palissy"]["max_seq"] > first["bases"]["palissy"]["max_seq"]
    for name, mtime in mtimes.items():
        changed = (data_dir / "dumps" / name).stat().st_mtime_ns != mtime
        assert changed == name.startswith("pop-palissy"), name
    assert "Retable restauré" in gzip.decompress((data_dir / "dumps" / "pop-palissy.csv.gz").read_bytes()).decode()
    # a deletion moves the sequence too, and the dump loses the record
    service.delete("palissy", "PM00000002", actor="test")
    third = dumps.build(["palissy"])
    assert third["bases"]["palissy"]["records"] == first["bases"]["palissy"]["records"] - 1


def test_zstd_dumps_and_the_open_data_listing(client, corpus, data_dir):
    call_command("dumps", "--compression", "zstd", "--base", "merimee", stdout=io.StringIO())
    listing = dumps.list_dumps()
    assert {d["name"] for d in listing} == {"pop-merimee.csv.zst", "pop-merimee.jsonl.zst", "pop-merimee.parquet"}
    entry = next(d for d in listing if d["name"].endswith(".jsonl.zst"))
    assert entry["records"] == 30 and entry["base"] == registry.get("merimee").label and entry["size_human"]
    data = zstandard.ZstdDecompressor().stream_reader(io.BytesIO((data_dir / "dumps" / entry["name"]).read_bytes())).read()
    assert len(data.decode().splitlines()) == 30
    assert client.get("/exports/dumps.json").json()["bases"]["merimee"]["records"] == 30
    response = client.get(entry["url"])
    assert response.status_code == 200 and b"".join(response.streaming_content) == (data_dir / "dumps" / entry["name"]).read_bytes()
    assert client.get("/exports/dumps/..%2Fsecret_key").status_code == 404
    assert client.get("/exports/dumps/pop-inconnu.csv.gz").status_code == 404
    page = client.get("/opendata")
    assert page.status_code == 200 and "pop-merimee.parquet" in page.content.decode()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods", "jsonl"])
def test_pop_export_command(corpus, data_dir, fmt):
    out = data_dir / f"palissy.{fmt}"
    call_command("export", "--format", fmt, "--base", "palissy", "--fields", "all", "-o", str(out), stdout=io.StringIO())
    if fmt == "csv":
        codes, rows, _ = read_csv(out.read_bytes())
    elif fmt == "jsonl":
        lines = out.read_text().splitlines()
        codes, rows = list(orjson.loads(lines[1])), [orjson.loads(x) for x in lines[1:]]
    else:
        codes, rows, _ = (read_xlsx if fmt == "xlsx" else read_ods)(out)
    assert sorted(r["REF"] for r in rows) == [f"PM{i:08d}" for i in range(8)]
    assert not set(codes) & restricted("palissy")
    assert not list(data_dir.glob(".*.part"))


def test_pop_export_command_with_a_query_and_an_expert_file(corpus, data_dir):
    out = data_dir / "q.csv"
    call_command("export", "--query", "chapelle", "-o", str(out), stdout=io.StringIO())
    assert len(read_csv(out.read_bytes())[1]) == 10
    rules = data_dir / "rules.json"
    rules.write_text(json.dumps({"combinator": "AND", "rules": [{"field": "DENO", "operator": "==", "value": "retable"}]}))
    call_command("export", "--expert", str(rules), "--format", "jsonl", "-o", str(out), stdout=io.StringIO())
    assert len(out.read_text().splitlines()) == 1 + 8
    pop_body = data_dir / "pop.json"
    pop_body.write_text(json.dumps({"crits": [{"fields": "DENO", "operator": "==", "value": "retable"}]}))
    call_command("export", "--expert", str(pop_body), "--format", "jsonl", "-o", str(out), stdout=io.StringIO())
    assert len(out.read_text().splitlines()) == 1 + 8


@pytest.mark.parametrize("args, words", [
    (["--format", "pdf", "--base", "merimee"], "Format inconnu"),
    (["--base", "merimee", "--fields", "TICO,ADRS2"], "n'est pas public"),
    (["--base", "nulle"], "Base inconnue"),
    (["--query", "zzzzqqqq"], "aucune notice"),
    ([], "--query"),
])
def test_pop_export_command_bad_input(corpus, data_dir, args, words):
    out = data_dir / "x.csv"
    with pytest.raises(CommandError, match=words):
        call_command("export", *args, "-o", str(out), stdout=io.StringIO())
    assert not out.exists()
