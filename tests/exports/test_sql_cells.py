"""CSV cells computed by the database (``pop.exports.sqlcells``) are byte for byte the Python path's.

Every base of a generated demo corpus (derived links included) plus records stored with unusual
shapes (numbers, lists holding numbers, objects, empty values, a REF needing URL escaping, own
MEMOIRE entries, odd positions) are exported through both paths and the files compared.
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Max

from pop.catalog.models import Record
from pop.demo.loader import load as load_demo
from pop.exports import run, source as export_source, sqlcells
from pop.exports.columns import Layout
from pop.exports.info import ExportInfo
from pop.exports.source import BaseSource, BasketSource, SearchSource
from pop.exports.writers import get_format
from pop.schema import registry
from pop.search import store
from pop.search.interface import SimpleQuery

NOON = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.timezone.utc)   # the export date written in both files
ODD = {   # base → {REF: fields overwritten in the stored record, bypassing the write service's cleaning}
    "joconde": {
        "J-ODD-1": {"TITR": 12, "DOMN": ["peinture", 3, None], "AUTR": "Un auteur seul", "IMG": ["", "a/b.jpg"],
                    "POP_COORDONNEES": {"lat": 43.8367, "lon": 4}, "INV": "", "DENO": []},
        "J ODD é/2": {"TITR": 1.5, "DOMN": {"a": "b"}, "IMG": "", "POP_COORDONNEES": {"lat": True, "lon": "4.3"},
                      "REPR": ["=SOMME(A1)", "guillemets \" et ; point-virgule", "ligne\nsuivante"]},
        "J-ODD-3": {"TITR": None, "DOMN": [None], "IMG": [""], "POP_COORDONNEES": [43.0, 4.0], "AUTR": [1.0, "x"],
                    "LOCA": "Nîmes, musée « Carré d'Art »"},
        "J-ODD-4": {"TITR": True, "IMG": 7, "POP_COORDONNEES": {}, "DOMN": [["a"]], "STAT": {}},
    },
    "merimee": {
        "PA-ODD-1": {"MEMOIRE": [{"ref": "AP0001", "url": "x.jpg", "marq": "1"}], "DENO": ["église", "clocher"]},
        "PA-ODD-2": {"MEMOIRE": [], "DENO": "chapelle", "TICO": ""},
    },
}


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.POP_SITE_URL = "https://pop.test"
    load_demo(1200, seed=7, progress=False, workers=0)
    seq = Record.objects.aggregate(top=Max("seq"))["top"]
    for slug, records in ODD.items():
        model = Record.objects.filter(base=slug, status=Record.PUBLISHED).order_by("ref").first()
        for i, (ref, fields) in enumerate(records.items()):
            seq += 1
            Record.objects.create(base=slug, ref=ref, status=Record.PUBLISHED, data={**model.data, "REF": ref, **fields},
                                  producer=model.producer, created_at=model.created_at, updated_at=model.updated_at, seq=seq)
    store.sync()
    return tmp_path


def _csv(fmt, layout, rows) -> bytes:
    info = ExportInfo("essai", {}, 0, fmt.label, generated_at=NOON)
    return b"".join(fmt.write(layout, rows, info))


def _python_rows(layout, slug):
    return [layout.text_cells(b, r, v) for batch in export_source.base_batches(slug, codes=layout.codes) for b, r, v in batch]


@pytest.mark.parametrize("spec", ["display", "all"])
def test_every_base_same_bytes_through_sql_and_python(demo, spec, settings):
    settings.POP_EXPORT_SQL_CELLS = True
    fmt = get_format("csv")
    checked = 0
    for base in registry.bases():
        if not Record.objects.filter(base=base.slug, status=Record.PUBLISHED).exists():
            continue
        layout = Layout.build([base.slug], spec)
        cells = sqlcells.SqlCells.make(layout)
        sql_rows = [row for batch in cells.base_batches(base.slug) for row in batch]
        python_rows = _python_rows(layout, base.slug)
        assert len(sql_rows) == len(python_rows) > 0
        assert _csv(fmt, layout, sql_rows) == _csv(fmt, layout, python_rows), base.slug
        checked += 1
        assert cells.python_rows < cells.sql_rows + cells.python_rows
    assert checked >= 6


def test_odd_values_fall_back_to_python_rows(demo, settings):
    settings.POP_EXPORT_SQL_CELLS = True
    layout = Layout.build(["joconde"], "REF,TITR,DOMN,AUTR,IMG,POP_COORDONNEES,REPR,LOCA,INV,DENO,STAT")
    cells = sqlcells.SqlCells.make(layout)
    rows = {r[0]: r for batch in cells.base_batches("joconde") for r in batch}
    assert cells.python_rows >= 4          # every ODD record (and possibly others) rebuilt by Python
    assert {"J-ODD-1", "J ODD é/2", "J-ODD-3", "J-ODD-4"} <= set(rows)
    assert rows["J-ODD-1"][1] == "12" and rows["J-ODD-1"][2] == "peinture ; 3"
    assert rows["J ODD é/2"][-2] == "https://pop.test/notice/joconde/J%20ODD%20%C3%A9%2F2"
    assert rows["J-ODD-1"][-1].startswith("https://pop.test/") and "J-ODD-1" in rows["J-ODD-1"][-1]
    assert rows["J-ODD-3"][-1] == "" and rows["J-ODD-4"][1:3] == ["True", "['a']"]
    assert _csv(get_format("csv"), layout, list(rows.values())) == _csv(get_format("csv"), layout, [
        r for r in _python_rows(layout, "joconde")])


def test_whole_exports_same_file_both_ways(demo, settings, tmp_path, monkeypatch):
    """A whole base, a search over several bases and a basket, through ``run.write_file``."""
    made = []

    class Spy(sqlcells.SqlCells):
        def __init__(self, layout):
            super().__init__(layout)
            made.append(self)
    monkeypatch.setattr(run, "SqlCells", Spy)
    fmt = get_format("csv")
    some = list(Record.objects.filter(status=Record.PUBLISHED).order_by("-ref").values_list("base", "ref")[:300])
    sources = [lambda: BaseSource("merimee"), lambda: SearchSource(SimpleQuery(text="")),
               lambda: BasketSource([f"{b}/{r}" for b, r in some] + ["joconde/J ODD é/2"])]
    for i, make in enumerate(sources):
        files = []
        for on in (False, True):
            settings.POP_EXPORT_SQL_CELLS = on
            src = make()
            layout = Layout.build(src.bases, "display")
            info = ExportInfo(src.description, src.spec(), src.total, fmt.label)
            info.generated_at = NOON
            out = tmp_path / f"{i}-{on}.csv"
            n = run.write_file(fmt, src, layout, info, out)
            assert n == src.total > 0
            files.append(out.read_bytes())
        assert files[0] == files[1], i
        assert files[0].count(b"\r\n") > n
        # the second run went through the database's cells
        assert made and made[-1].sql_rows > 0 and made[-1].sql_rows + made[-1].python_rows == n
        made.clear()
