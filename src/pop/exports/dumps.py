"""Open-data dumps: per base, every published record's public fields as CSV, JSON Lines and Parquet.

    manifest = build()                 # `pop dumps`: refreshes the bases whose records changed
    list_dumps()                       # files for the open-data page (name, url, base, format, size, date…)

Files live in ``settings.DATA_DIR / "dumps"``: ``pop-<base>.csv.gz`` (or ``.zst``), ``pop-<base>.jsonl.gz``
(or ``.zst``), ``pop-<base>.parquet`` (zstd inside), with ``manifest.json`` giving for each base the
record count, the highest change sequence seen (``max_seq``), the date, the columns, and for each
file its size and SHA-256; the licence is Licence Ouverte 2.0. A base is rewritten only when its
highest ``Record.seq`` moved since the last dump (any create, update or deletion moves it).

The three files of a base are written in one pass over the database (REF order), each under a
temporary name, and renamed together once complete; the manifest is replaced atomically.
Views come from ``read_records(..., V.PUBLIC)`` like every public channel: only public fields.
"""
from __future__ import annotations

import csv
import fcntl
import gzip
import hashlib
import io
import os
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Callable

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from pop.catalog.models import Record
from pop.exports.columns import IIIF_KEY, LINK_KEY, Layout, _item_text
from pop.exports.info import LICENCE, LICENCE_URL
from pop.exports.source import base_batches
from pop.schema import Base, registry
from pop.schema.types import T

MANIFEST = "manifest.json"
COMPRESSIONS = {"gzip": ".gz", "zstd": ".zst"}
PARQUET_ROWS = 50_000
FLUSH = 1024 * 1024
CONTENT_TYPES = {".gz": "application/gzip", ".zst": "application/zstd", ".parquet": "application/vnd.apache.parquet",
                 ".json": "application/json"}
FORMAT_LABELS = {"csv": "CSV", "jsonl": "JSON Lines", "parquet": "Parquet"}


def dumps_dir() -> Path:
    path = Path(settings.DATA_DIR) / "dumps"
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_manifest() -> dict:
    path = dumps_dir() / MANIFEST
    if path.is_file():
        return orjson.loads(path.read_bytes())
    return {"generated_at": None, "licence": LICENCE, "licence_url": LICENCE_URL, "bases": {}}


def _write_manifest(manifest: dict) -> None:
    path = dumps_dir() / MANIFEST
    tmp = path.with_name(f".{MANIFEST}.part")
    tmp.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    os.replace(tmp, path)


@contextmanager
def _lock():
    """One `pop dumps` at a time (a second one waits for the first)."""
    with open(dumps_dir() / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class _Hashing(io.RawIOBase):
    """A write-only file that hashes and counts what goes through it."""

    def __init__(self, fh):
        self.fh = fh
        self.sha = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.fh.write(b)
        self.sha.update(b)
        self.size += len(b)
        return len(b)


def _compressed(raw: _Hashing, compression: str):
    if compression == "zstd":
        import zstandard
        return zstandard.ZstdCompressor(level=6, threads=0).stream_writer(raw, closefd=False)
    return gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(FLUSH):
            h.update(chunk)
    return h.hexdigest()


# --- Parquet -----------------------------------------------------------------------------------------

def _arrow_type(base: Base, code: str) -> pa.DataType:
    f = base.field(code)
    if f is None:
        return pa.string()
    if f.type is T.GEOPOINT:
        return pa.struct([("lat", pa.float64()), ("lon", pa.float64())])
    if f.multi and f.type is T.NUMBER:
        return pa.list_(pa.float64())
    if f.multi and f.type not in (T.POLYGON, T.OBJECT):
        return pa.list_(pa.string())
    return pa.string()


def _arrow_value(kind: pa.DataType, value):
    if value is None:
        return None
    if pa.types.is_struct(kind):
        if not isinstance(value, dict):
            return None
        return {k: (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None)
                for k, v in ((n, value.get(n)) for n in ("lat", "lon"))}
    if pa.types.is_list(kind):
        items = value if isinstance(value, list) else [value]
        if pa.types.is_floating(kind.value_type):
            out = []
            for v in items:
                try:
                    out.append(float(v))
                except (TypeError, ValueError):
                    continue
            return out
        return [_item_text(v) for v in items if v not in (None, "")]
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return _item_text(value)


# --- one base ----------------------------------------------------------------------------------------

def _dump_base(base: Base, compression: str, progress: Callable[[str], None]) -> dict:
    out_dir = dumps_dir()
    layout = Layout([base], "all")
    ext = COMPRESSIONS[compression]
    names = {"csv": f"pop-{base.slug}.csv{ext}", "jsonl": f"pop-{base.slug}.jsonl{ext}",
             "parquet": f"pop-{base.slug}.parquet"}
    parts = {k: out_dir / f".{v}.part" for k, v in names.items()}
    codes = list(layout.json_codes)
    schema = pa.schema([(c, _arrow_type(base, c)) for c in codes] + [(LINK_KEY, pa.string()), (IIIF_KEY, pa.string())])
    kinds = [schema.field(c).type for c in codes]
    count = 0
    try:
        with open(parts["csv"], "wb") as csv_fh, open(parts["jsonl"], "wb") as jsonl_fh:
            csv_raw, jsonl_raw = _Hashing(csv_fh), _Hashing(jsonl_fh)
            csv_z, jsonl_z = _compressed(csv_raw, compression), _compressed(jsonl_raw, compression)
            text = io.TextIOWrapper(csv_z, encoding="utf-8", newline="", write_through=False)
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow([c.key for c in layout.columns])
            pw = pq.ParquetWriter(str(parts["parquet"]), schema, compression="zstd")
            columns: list[list] = [[] for _ in range(len(codes) + 2)]
            try:
                for batch in base_batches(base.slug):
                    lines = []
                    for slug, ref, view in batch:
                        writer.writerow(layout.text_cells(slug, ref, view))
                        rec = layout.record(slug, ref, view)
                        lines.append(orjson.dumps(rec))
                        for i, (code, kind) in enumerate(zip(codes, kinds)):
                            columns[i].append(_arrow_value(kind, view.get(code)))
                        columns[-2].append(rec[LINK_KEY])
                        columns[-1].append(rec.get(IIIF_KEY))
                    jsonl_z.write(b"\n".join(lines) + b"\n")
                    count += len(batch)
                    if len(columns[0]) >= PARQUET_ROWS:
                        pw.write_table(pa.Table.from_arrays([pa.array(col, type=schema.field(i).type)
                                                             for i, col in enumerate(columns)], schema=schema))
                        columns = [[] for _ in range(len(codes) + 2)]
                    if count % 100_000 < len(batch):
                        progress(f"  {base.slug} : {count} notices…")
                if columns[0]:
                    pw.write_table(pa.Table.from_arrays([pa.array(col, type=schema.field(i).type)
                                                         for i, col in enumerate(columns)], schema=schema))
            finally:
                pw.close()
            text.flush()
            text.detach()
            csv_z.close()
            jsonl_z.close()
        files = []
        for fmt, raw in (("csv", csv_raw), ("jsonl", jsonl_raw), ("parquet", None)):
            path = parts[fmt]
            files.append({"name": names[fmt], "format": fmt,
                          "compression": "zstd" if fmt == "parquet" else compression,
                          "size": raw.size if raw else path.stat().st_size,
                          "sha256": raw.sha.hexdigest() if raw else _sha256(path)})
        for fmt in names:
            os.replace(parts[fmt], out_dir / names[fmt])
    except BaseException:
        for p in parts.values():
            p.unlink(missing_ok=True)
        raise
    return {"records": count, "files": files, "columns": layout.describe()}


def base_state(slug: str) -> tuple[int, int]:
    """(highest change sequence of the base's records, tombstones included; published record count)."""
    max_seq = Record.objects.filter(base=slug).aggregate(m=Max("seq"))["m"] or 0
    return max_seq, Record.objects.filter(base=slug, status=Record.PUBLISHED).count()


def build(bases=None, force: bool = False, compression: str = "gzip",
          progress: Callable[[str], None] = lambda s: None) -> dict:
    """Refresh the dumps of ``bases`` (default all) whose records changed; returns the manifest."""
    if compression not in COMPRESSIONS:
        raise ValueError(f"Compression inconnue : « {compression} » (gzip ou zstd).")
    wanted = [registry.get(b) for b in bases] if bases else list(registry.bases())
    with _lock():
        manifest = read_manifest()
        for base in wanted:
            max_seq, _ = base_state(base.slug)
            previous = manifest["bases"].get(base.slug)
            present = previous and all((dumps_dir() / f["name"]).is_file() for f in previous.get("files", []))
            if (not force and previous and present and previous.get("max_seq") == max_seq
                    and previous.get("compression", "gzip") == compression):
                progress(f"{base.slug} : inchangée depuis le dernier export ({previous['records']} notices).")
                continue
            progress(f"{base.slug} : export en cours…")
            started = timezone.now()
            entry = _dump_base(base, compression, progress)
            entry.update({"label": base.label, "short_label": base.short_label, "max_seq": max_seq,
                          "compression": compression, "generated_at": started.isoformat()})
            old = {f["name"] for f in (previous or {}).get("files", [])} - {f["name"] for f in entry["files"]}
            for name in old:
                (dumps_dir() / name).unlink(missing_ok=True)
            manifest["bases"][base.slug] = entry
            manifest["generated_at"] = timezone.now().isoformat()
            manifest["licence"], manifest["licence_url"] = LICENCE, LICENCE_URL
            _write_manifest(manifest)
            progress(f"{base.slug} : {entry['records']} notices écrites.")
        if manifest.get("generated_at") is None:
            manifest["generated_at"] = timezone.now().isoformat()
            _write_manifest(manifest)
        return manifest


# --- reading ------------------------------------------------------------------------------------------

def size_human(n: int) -> str:
    value = float(n)
    for unit in ("octets", "Ko", "Mo", "Go"):
        if value < 1024 or unit == "Go":
            text = f"{value:.0f}" if unit == "octets" else f"{value:.1f}".replace(".", ",")
            return f"{text} {unit}"
        value /= 1024
    return f"{n} octets"


def list_dumps() -> list[dict]:
    """Files for the open-data page, in registry order: name, url, base, format, records, size, date, sha256."""
    manifest = read_manifest()
    out = []
    for slug in registry.slugs():
        entry = manifest["bases"].get(slug)
        if not entry:
            continue
        when = timezone.localtime(datetime.fromisoformat(entry["generated_at"]))
        for f in entry["files"]:
            if not (dumps_dir() / f["name"]).is_file():
                continue
            label = FORMAT_LABELS.get(f["format"], f["format"])
            if f["format"] != "parquet":
                label += f" ({f['compression']})"
            out.append({"name": f["name"], "url": reverse("exports:dump_file", args=[f["name"]]),
                        "base": entry["label"], "base_slug": slug, "format": label, "records": entry["records"],
                        "size": f["size"], "size_human": size_human(f["size"]), "sha256": f["sha256"],
                        "generated_at": when.strftime("%d/%m/%Y %H:%M"), "licence": manifest.get("licence", LICENCE)})
    return out


def file_path(name: str) -> Path | None:
    """Path of a dump file listed in the manifest (anything else → None)."""
    for entry in read_manifest()["bases"].values():
        for f in entry.get("files", []):
            if f["name"] == name:
                path = dumps_dir() / f["name"]
                return path if path.is_file() else None
    if name == MANIFEST and (dumps_dir() / MANIFEST).is_file():
        return dumps_dir() / MANIFEST
    return None


def content_type(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")
