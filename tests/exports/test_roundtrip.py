"""Exports read back with csv, openpyxl, odfpy and json give exactly the records of the search."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from pop.catalog.models import Record
from pop.catalog.reading import read_records
from pop.exports import source as export_source
from pop.exports.columns import Layout
from pop.exports.info import ExportInfo
from pop.exports.writers import get_format
from pop.exports.xlsx import write as xlsx_write
from pop.schema import registry
from pop.schema.types import V
from pop.search.interface import ExpertQuery, SimpleQuery, search

from .conftest import libreoffice_convert, read_csv, read_jsonl, read_ods, read_xlsx

FORMATS = ["csv", "csv-excel", "xlsx", "ods", "jsonl"]
SECRETS = ("12 rue Cachée", "Édifice masqué")


def search_keys(query) -> tuple[int, set]:
    query.size, query.with_facets = 2000, False
    result = search(query)
    return result.total, {(h.base, h.ref) for h in result.hits}


def public_views(keys) -> dict:
    recs = [Record.objects.get(base=b, ref=r) for b, r in keys]
    return {(r.base, r.ref): v for r, v in zip(recs, read_records(recs, level=V.PUBLIC))}


def export(client, fmt, **params):
    response = client.get("/api/search/export-simple", {"format": fmt, **params})
    assert response.status_code == 200, response.content[:500]
    assert response.streaming
    return response, b"".join(response.streaming_content)


def load(fmt, content, tmp_path):
    """(codes, rows, info) whatever the format; spreadsheets are read from a file like a user would."""
    if fmt in ("csv", "csv-excel"):
        return read_csv(content, excel=fmt == "csv-excel")
    if fmt == "jsonl":
        head, rows = read_jsonl(content)
        return [c["code"] for c in head["colonnes"]], rows, head
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(content)
    return (read_xlsx if fmt == "xlsx" else read_ods)(path)


def expected_text(view: dict, code: str) -> str:
    """What a text cell must hold: the value, multi-valued joined with " ; ", a position's part."""
    if "." in code:
        field, sub = code.split(".")
        value = view.get(field, {}).get(sub)
        return None if value is None else repr(value)
    value = view.get(code)
    if value is None:
        return None
    if isinstance(value, list):
        return " ; ".join(str(v) for v in value)
    return str(value)


def base_of(row: dict, bases) -> str:
    if "BASE" in row and row["BASE"]:
        return registry.by_label(row["BASE"]).slug
    assert len(bases) == 1
    return next(iter(bases))


@pytest.mark.parametrize("fmt", FORMATS)
def test_simple_search_export_round_trip(client, corpus, fmt, tmp_path, monkeypatch):
    monkeypatch.setattr(export_source, "BATCH", 7)   # several search_after pages
    response, content = export(client, fmt, text="église")
    total, keys = search_keys(SimpleQuery(text="église"))
    assert total == 19 and response["X-Export-Count"] == "19"
    codes, rows, info = load(fmt, content, tmp_path)
    assert len(rows) == total
    bases = {b for b, _ in keys}
    got = {(base_of(r, bases), r["REF"]) for r in rows}
    assert got == keys
    # several bases: their union, the base name first, the links last
    assert codes[0] == "BASE" and codes[1] == "REF" and codes[-2:] == ["LIEN_NOTICE", "MANIFESTE_IIIF"]
    views = public_views(keys)
    for row in rows:
        key = (base_of(row, bases), row["REF"])
        view = views[key]
        for code in codes[1:-2]:
            value = row.get(code)
            if fmt == "jsonl":
                assert value == view.get(code), (key, code)  # lists and positions intact
                continue
            want = expected_text(view, code)
            if want is None:
                assert value in (None, ""), (key, code, value)
            elif isinstance(value, float):
                assert value == pytest.approx(float(want)), (key, code)
            elif isinstance(value, (dt.date, dt.datetime)):
                assert value.strftime("%Y-%m-%d") == want, (key, code)
            else:
                assert str(value) == want, (key, code, value, want)
        slug = registry.get(key[0]).public_slug
        assert row["LIEN_NOTICE"] == f"https://pop.test/notice/{slug}/{key[1]}"
    sample = next(r for r in rows if r["REF"] == "PA00000003")
    assert "Saint-Étienne « 3 » à Nîmes" in str(sample["TICO"])
    if fmt == "jsonl":
        assert sample["DENO"] == ["église", "clocher"] and sample["SCLE"] == ["12e siècle", "19e siècle"]
        assert info["notices"] == 19 and "église" in info["requete"]
    else:
        assert sample["DENO"] == "église ; clocher"
        assert "Deuxième ligne" in sample["HIST"] and "\n" in sample["HIST"] and "œuvre d'Ève Lœb" in sample["HIST"]
    if fmt in ("xlsx", "ods"):
        assert info["Nombre de notices"] == "19" and "église" in info["Requête"]
        assert isinstance(sample["POP_COORDONNEES.lat"], float)
    if fmt in ("csv", "csv-excel"):
        assert "# Nombre de notices : 19" in info


def test_dates_and_numbers_are_typed_in_spreadsheets(client, corpus, tmp_path):
    fields = "REF,DMIS,POP_COORDONNEES,TITR"
    _, xlsx = export(client, "xlsx", text="église", fields=fields)
    _, ods = export(client, "ods", text="église", fields=fields)
    _, rx, _ = load("xlsx", xlsx, tmp_path)
    _, ro, _ = load("ods", ods, tmp_path)
    dmis = Record.objects.get(base="merimee", ref="PA00000003").data["DMIS"]   # set by the write service
    for rows, date_type in ((rx, dt.datetime), (ro, dt.date)):
        row = {r["REF"]: r for r in rows}["PA00000003"]
        assert isinstance(row["DMIS"], date_type) and row["DMIS"].strftime("%Y-%m-%d") == dmis
        assert isinstance(row["POP_COORDONNEES.lat"], float) and isinstance(row["POP_COORDONNEES.lon"], float)
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    ws = wb["Notices"]
    col = next(c.column for c in ws[1] if c.value.endswith("[DMIS]"))
    assert ws.cell(row=2, column=col).number_format == "yyyy-mm-dd"


def test_writers_type_years_numbers_and_old_dates(tmp_path):
    """Views straight into the writers: a year is a number, a date before 1900 stays text in XLSX only."""
    layout = Layout.build(["merimee"], "REF,DMIS,POP_DATE,TICO")
    rows = [("merimee", "PA00000001", {"REF": "PA00000001", "DMIS": "1850-06-01", "POP_DATE": [1400, 1500],
                                       "TICO": "  espaces\tet tabulation  "})]
    info = ExportInfo("essai", {}, 1, "test")
    xlsx_write(tmp_path / "t.xlsx", layout, rows, info)
    (tmp_path / "t.ods").write_bytes(b"".join(get_format("ods").render(layout, rows, info)))
    _, [rx], _ = read_xlsx(tmp_path / "t.xlsx")
    _, [ro], _ = read_ods(tmp_path / "t.ods")
    assert rx["DMIS"] == "1850-06-01" and ro["DMIS"] == dt.date(1850, 6, 1)
    assert rx["POP_DATE"] == ro["POP_DATE"] == "1400 ; 1500"
    assert ro["TICO"] == "  espaces\tet tabulation  " == rx["TICO"]


def test_chosen_fields_keep_their_order_and_one_base_has_no_base_column(client, corpus, tmp_path):
    _, content = export(client, "csv", text="église", fields="DENO,TICO", **{"bases[0]": "merimee"})
    codes, rows, _ = read_csv(content)
    assert codes == ["DENO", "TICO", "LIEN_NOTICE", "MANIFESTE_IIIF"]
    assert len(rows) == 10


@pytest.mark.parametrize("fmt", FORMATS)
def test_restricted_fields_never_come_out(client, corpus, fmt, tmp_path):
    _, content = export(client, fmt, text="retable", fields="all")
    codes, rows, _ = load(fmt, content, tmp_path)
    assert len(rows) == 8
    restricted = {f.code for b, f in registry.all_fields() if f.visibility is not V.PUBLIC}
    palissy_public = {f.code for f in registry.get("palissy").public_fields}
    assert not (set(codes) & restricted - palissy_public)
    raw = content
    if fmt in ("xlsx", "ods"):
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            raw = b"".join(z.read(n) for n in z.namelist())
    for secret in SECRETS:
        assert secret.encode() not in raw


@pytest.mark.parametrize("code", ["ADRS2", "POP_FLAGS", "HISTORIQUE", "EDIF2"])
def test_asking_for_a_restricted_field_is_refused(client, corpus, code):
    response = client.get("/api/search/export-simple", {"text": "retable", "format": "csv", "fields": f"TICO,{code}"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "restricted_field" and code in error["message"] and "public" in error["message"]


def test_expert_search_export_round_trip(client, corpus, tmp_path):
    body = {"crits": [{"fields": "DENO", "operator": "==", "value": "chapelle"},
                      {"fields": "SCLE", "operator": "*", "value": "siècle", "combinator": "AND"}],
            "format": "ods", "fields": "REF,DENO"}
    response = client.post("/api/search/export-advanced", body, content_type="application/json")
    assert response.status_code == 200, response.content[:300]
    codes, rows, info = load("ods", b"".join(response.streaming_content), tmp_path)
    total, keys = search_keys(ExpertQuery(tree={"combinator": "AND", "rules": [
        {"field": "DENO", "operator": "==", "value": "chapelle"}, {"field": "SCLE", "operator": "*", "value": "siècle"}]}))
    assert total == 10 and {("merimee", r["REF"]) for r in rows} == keys
    assert "Recherche experte" in info["Requête"]


def test_basket_export_keeps_the_basket_order(client, corpus, tmp_path):
    items = ["merimee/PA00000005", "palissy/PM00000001", "joconde/000PE000001", "merimee/PA99999999"]
    response = client.post("/api/search/export-basket", {"items": items, "format": "xlsx"}, content_type="application/json")
    assert response.status_code == 200
    codes, rows, info = load("xlsx", b"".join(response.streaming_content), tmp_path)
    assert [r["REF"] for r in rows] == ["PA00000005", "PM00000001", "000PE000001"]   # the unknown one is left out
    assert info["Nombre de notices"] == "3"
    # the basket page's form
    response = client.post("/exports/panier", {"n": items[:2], "format": "jsonl"})
    assert response.status_code == 200
    _, rows = read_jsonl(b"".join(response.streaming_content))
    assert [r["REF"] for r in rows] == ["PA00000005", "PM00000001"]


def test_libreoffice_opens_xlsx_and_ods_without_repair(client, corpus, tmp_path):
    files = []
    for fmt in ("xlsx", "ods"):
        _, content = export(client, fmt, text="église", fields="all")
        path = tmp_path / f"lo-check-{fmt}.{fmt}"
        path.write_bytes(content)
        files.append(path)
    for path in files:
        pdf = libreoffice_convert(path, tmp_path / f"pdf-{path.suffix[1:]}", "pdf")[0]
        assert pdf.stat().st_size > 1000 and pdf.read_bytes().startswith(b"%PDF")
    # LibreOffice reads the same cells: its own XLSX of our ODS has the 19 records and the accents
    again = libreoffice_convert(files[1], tmp_path / "lo-xlsx", "xlsx")[0]
    wb = openpyxl.load_workbook(again, read_only=True)
    rows = list(wb["Notices"].iter_rows(values_only=True))
    assert len(rows) == 20 and any("Saint-Étienne « 3 » à Nîmes" in str(c) for r in rows for c in r)


def test_rows_of_a_layout_with_only_links_and_empty_values(client, corpus, tmp_path):
    """Asking only for the record link gives rows of that link (and the manifest column); empty
    lists and strings in a view come out as empty cells, never as « [] »."""
    _, content = export(client, "csv", text="église", fields="LIEN_NOTICE", **{"bases[0]": "merimee"})
    codes, rows, _ = read_csv(content)
    assert codes == ["LIEN_NOTICE", "MANIFESTE_IIIF"] and len(rows) == 10
    assert all(r["LIEN_NOTICE"].startswith("https://pop.test/") for r in rows)
    layout = Layout.build(["merimee"], "REF,DENO,TICO")
    assert layout.cells("merimee", "PA1", {"REF": "PA1", "DENO": [], "TICO": ""})[:3] == ["PA1", None, ""]
