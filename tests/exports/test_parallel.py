"""Large file exports run in two processes (this one reads, a forked child writes and decodes): the
files are the same as in one process, restricted fields stay out, and stopping half-way leaves
neither a file nor a process behind. The XLSX writer continues on a second sheet past its row cap."""
from __future__ import annotations

import multiprocessing
import zipfile

import openpyxl
import pytest
from django.urls import reverse

from pop.catalog import service
from pop.exports import ods, pipeline, run, xlsx
from pop.exports import source as export_source
from pop.exports.columns import Layout
from pop.exports.info import ExportInfo
from pop.exports.writers import FORMATS, Format, get_format
from pop.schema import registry
from pop.schema.types import V
from pop.search.interface import SimpleQuery

from .conftest import libreoffice_convert, read_csv, read_jsonl, read_ods, read_xlsx

SECRETS = ("12 rue Cachée", "Édifice masqué")


def read_back(fmt: str, path):
    if fmt in ("csv", "csv-excel"):
        codes, rows, _ = read_csv(path.read_bytes(), excel=fmt == "csv-excel")
        return codes, rows
    if fmt == "jsonl":
        head, rows = read_jsonl(path.read_bytes())
        return [c["code"] for c in head["colonnes"]], rows
    codes, rows, _ = (read_xlsx if fmt == "xlsx" else read_ods)(path)
    return codes, rows


def export_file(fmt, src, fields, dest, processes: int, settings, progress=None) -> int:
    settings.POP_EXPORT_PARALLEL_MIN = 1 if processes == 2 else 0
    layout = Layout.build(src.bases, fields)
    info = ExportInfo(src.description, src.spec(), src.total, get_format(fmt).label)
    return run.write_file(get_format(fmt), src, layout, info, dest, progress)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_two_processes_write_the_same_rows_as_one(corpus, data_dir, settings, monkeypatch, fmt):
    monkeypatch.setattr(export_source, "BATCH", 3)   # many batches: some go to the child raw, others prepared
    sources = [export_source.BaseSource("merimee"), export_source.SearchSource(SimpleQuery(text="église"))]
    for i, src in enumerate(sources):
        one, two = data_dir / f"one{i}.{fmt}", data_dir / f"two{i}.{fmt}"
        assert export_file(fmt, src, "all", one, 1, settings) == src.total
        assert export_file(fmt, src, "all", two, 2, settings) == src.total
        assert read_back(fmt, one) == read_back(fmt, two)
        codes, rows = read_back(fmt, two)
        assert len(rows) == src.total and "REF" in codes
    assert not pipeline_children()


def pipeline_children():
    return [p for p in multiprocessing.active_children() if p.name.startswith("export-writer-")]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods", "jsonl"])
def test_restricted_fields_stay_out_with_two_processes(corpus, data_dir, settings, monkeypatch, fmt):
    monkeypatch.setattr(export_source, "BATCH", 2)
    src = export_source.BaseSource("palissy")
    dest = data_dir / f"palissy.{fmt}"
    assert export_file(fmt, src, "all", dest, 2, settings) == 8
    codes, rows = read_back(fmt, dest)
    restricted = {f.code for f in registry.get("palissy").fields if f.visibility is not V.PUBLIC}
    assert restricted and not (set(codes) & restricted)
    text = str(rows)
    assert all(secret not in text for secret in SECRETS)
    if fmt == "csv":
        assert all(secret.encode() not in dest.read_bytes() for secret in SECRETS)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_cancelled_two_process_export_leaves_no_file_and_no_process(corpus, data_dir, settings, monkeypatch, fmt):
    monkeypatch.setattr(export_source, "BATCH", 3)
    src = export_source.BaseSource("merimee")
    calls = []

    def progress(n):
        calls.append(n)
        if len(calls) == 3:
            raise run.Cancelled()
    dest = data_dir / f"cancelled.{fmt}"
    with pytest.raises(run.Cancelled):
        export_file(fmt, src, "display", dest, 2, settings, progress)
    assert sorted(p.name for p in data_dir.iterdir() if p.is_file()) == []
    assert not pipeline_children()


def test_a_failing_writer_process_is_reported_and_leaves_nothing(corpus, data_dir, settings, monkeypatch):
    def broken_write(layout, items, info, workdir=None):
        for i, _ in enumerate(items):
            if i == 4:
                raise OSError("disque plein")
            yield b"x"
    fmt = Format("csv", "CSV", "csv", "text/csv", FORMATS["csv"].prepare, broken_write)
    monkeypatch.setattr(export_source, "BATCH", 3)
    src = export_source.BaseSource("merimee")
    settings.POP_EXPORT_PARALLEL_MIN = 1
    layout = Layout.build(src.bases, "display")
    dest = data_dir / "broken.csv"
    with pytest.raises(pipeline.WriterFailed, match="disque plein"):
        run.write_file(fmt, src, layout, ExportInfo("x", {}, src.total, "CSV"), dest)
    assert sorted(p.name for p in data_dir.iterdir() if p.is_file()) == []
    assert not pipeline_children()


def test_xlsx_continues_on_a_second_sheet_that_openpyxl_and_libreoffice_read(corpus, data_dir, settings, monkeypatch, tmp_path):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 12)   # 11 records per sheet: 30 Mérimée records make 3 sheets
    src = export_source.BaseSource("merimee")
    dest = data_dir / "sheets.xlsx"
    assert export_file("xlsx", src, "display", dest, 2, settings) == 30
    wb = openpyxl.load_workbook(dest, read_only=True)
    assert wb.sheetnames == ["Notices", "Notices (2)", "Notices (3)", "Informations"]
    refs = [r[0] for name in wb.sheetnames[:3] for r in list(wb[name].iter_rows(values_only=True))[1:]]
    assert refs == [f"PA{i:08d}" for i in range(30)]
    width = len(next(wb["Notices"].iter_rows(values_only=True)))
    assert all(len(r) == width for r in wb["Notices (3)"].iter_rows(values_only=True))
    converted = libreoffice_convert(dest, tmp_path / "lo", "pdf")[0]
    assert converted.read_bytes().startswith(b"%PDF")


def test_the_manifest_column_follows_the_memoire_photos_of_each_record(corpus, data_dir, settings, monkeypatch):
    """A Mérimée record's IIIF column comes from the Mémoire photos that illustrate it (derived links
    merged into the stored record when its row is built): filled for the record whose photo has an
    image, empty for the record whose photo has none and for the others — in one process and in two.
    The MEMOIRE column itself lists the linked photos' REF."""
    service.save_many([("memoire", {"REF": "AP00000001", "IMG": "memoire/AP00000001/vue.jpg",
                                    "LBASE": ["PA00000001"], "LEG": "Vue générale"}),
                       ("memoire", {"REF": "AP00000002", "LBASE": ["PA00000002"], "LEG": "Sans image"})], actor="test")
    monkeypatch.setattr(export_source, "BATCH", 3)
    src = export_source.BaseSource("merimee")
    manifest = "https://pop.test" + reverse("iiif-manifest", args=["merimee", "PA00000001"])
    for processes in (1, 2):
        for fmt in ("csv", "xlsx", "jsonl"):
            dest = data_dir / f"manifests{processes}.{fmt}"
            assert export_file(fmt, src, "REF,TICO,MEMOIRE", dest, processes, settings) == 30
            _, rows = read_back(fmt, dest)
            filled = {r["REF"]: r.get("MANIFESTE_IIIF") for r in rows if r.get("MANIFESTE_IIIF")}
            assert filled == {"PA00000001": manifest}, (fmt, processes)
            photos = {r["REF"]: r["MEMOIRE"] for r in rows if r.get("MEMOIRE")}
            if fmt == "jsonl":
                photos = {ref: " ; ".join(e["ref"] for e in entries) for ref, entries in photos.items()}
            assert photos == {"PA00000001": "AP00000001", "PA00000002": "AP00000002"}, (fmt, processes)


def test_ods_rows_rendered_by_the_reading_process_give_the_same_sheet(corpus, data_dir):
    """The reading process may render some ODS rows itself (``rows_xml``): a file mixing rendered
    rows and rows of cells holds the same sheet as one written from cells only."""
    src = export_source.BaseSource("merimee")
    layout = Layout.build(src.bases, "all")
    info = ExportInfo(src.description, src.spec(), src.total, "ODS")
    cells = [layout.cells(b, r, d) for batch in src.record_batches(layout.codes) for b, r, d in batch]
    mixed = [*ods.rows_xml(cells[:10]), *cells[10:20], *ods.rows_xml(cells[20:])]
    files = {}
    for name, items in (("cells", cells), ("mixed", mixed)):
        path = data_dir / f"{name}.ods"
        path.write_bytes(b"".join(ods.render_cells(layout, items, info)))
        files[name] = zipfile.ZipFile(path).read("content.xml")
        assert len(read_ods(path)[1]) == 30
    assert files["cells"] == files["mixed"]
