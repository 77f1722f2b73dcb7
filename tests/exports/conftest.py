"""Export fixtures: a small corpus with accents, multi-valued and restricted fields, indexed in the
test's own data directory; readers that load each format back the way a user's tool would."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from odf import teletype
from odf.namespaces import OFFICENS, TABLENS
from odf.opendocument import load as odf_load
from odf.table import Table, TableCell, TableRow
from odf.text import P

from pop.catalog import service
from pop.search import store

DENOS = ["église", "château", "chapelle"]


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.POP_SITE_URL = "https://pop.test"
    return tmp_path


@pytest.fixture
def corpus(db, data_dir):
    service.save_many([("museo", {"REF": "M5031", "NOMOFF": "Musée des Beaux-Arts de Lyon", "VILLE_M": "Lyon"})], actor="test")
    items = []
    for i in range(30):
        items.append(("merimee", {
            "REF": f"PA{i:08d}", "TICO": f"{DENOS[i % 3].capitalize()} Saint-Étienne « {i} » à Nîmes",
            "DENO": [DENOS[i % 3], "clocher"] if i % 2 else [DENOS[i % 3]], "DPT": ["30"], "COM": ["Nîmes"],
            "SCLE": ["12e siècle", "19e siècle"], "HIST": f"Première mention en {1100 + i} ; remanié, œuvre d'Ève Lœb\nDeuxième ligne",
            "COOR": "810000;6300000", "ZONE": "Lambert93",
        }))
    for i in range(8):
        items.append(("palissy", {"REF": f"PM{i:08d}", "TICO": f"Retable n°{i} de l'église", "DENO": ["retable"],
                                  "DPT": ["30"], "COM": ["Nîmes"], "ADRS2": "12 rue Cachée", "EDIF2": "Édifice masqué",
                                  "AUTR": ["Corot, Jean-Baptiste Camille"] if i % 2 else []}))
    items.append(("joconde", {"REF": "000PE000001", "INV": "Inv. 1", "MUSEO": "M5031", "STAT": ["propriété de l'État"], "TITR": "Portrait d'église — étude", "DOMN": ["peinture", "dessin"],
                              "AUTR": ["Ingres Jean-Auguste-Dominique"]}))
    service.save_many(items, actor="test")
    store.sync()
    return items


# --- readers --------------------------------------------------------------------------------------

def _code(header: str) -> str:
    m = re.search(r"\[([^\]]+)\]$", header)
    assert m, f"header without code: {header!r}"
    return m.group(1)


def read_csv(content: bytes, excel: bool = False) -> tuple[list[str], list[dict], list[str]]:
    """(codes, rows as {code: text}, info lines) of a CSV export."""
    text = content.decode("utf-8")
    if excel:
        assert text.startswith("\ufeff")
        text = text[1:]
    else:
        assert not text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";" if excel else ","))
    info = [r[0] for r in rows if r and r[0].startswith("# ")]
    body = [r for r in rows if not (r and r[0].startswith("# "))]
    codes = [_code(h) for h in body[0]]
    return codes, [dict(zip(codes, r)) for r in body[1:]], info


def read_jsonl(content: bytes) -> tuple[dict, list[dict]]:
    lines = content.decode("utf-8").splitlines()
    head = json.loads(lines[0])["_export"]
    return head, [json.loads(line) for line in lines[1:]]


def read_xlsx(path: Path) -> tuple[list[str], list[dict], dict]:
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames[0] == "Notices" and wb.sheetnames[-1] == "Informations"
    rows = list(wb["Notices"].iter_rows(values_only=True))
    codes = [_code(h) for h in rows[0]]
    info = {r[0]: r[1] for r in wb["Informations"].iter_rows(values_only=True) if r and r[0]}
    return codes, [dict(zip(codes, r)) for r in rows[1:]], info


def _ods_cell(cell):
    kind = cell.getAttrNS(OFFICENS, "value-type")
    if kind == "float":
        v = float(cell.getAttrNS(OFFICENS, "value"))
        return int(v) if v.is_integer() else v
    if kind == "date":
        return dt.date.fromisoformat(cell.getAttrNS(OFFICENS, "date-value")[:10])
    if kind == "string":
        return "\n".join(teletype.extractText(p) for p in cell.getElementsByType(P))
    return None


def read_ods(path: Path) -> tuple[list[str], list[dict], dict]:
    doc = odf_load(str(path))
    tables = {t.getAttrNS(TABLENS, "name"): t for t in doc.spreadsheet.getElementsByType(Table)}
    assert list(tables)[0] == "Notices" and list(tables)[-1] == "Informations"

    def rows_of(table):
        out = []
        for row in table.getElementsByType(TableRow):
            values = []
            for cell in row.getElementsByType(TableCell):
                repeat = int(cell.getAttrNS(TABLENS, "number-columns-repeated") or 1)
                values += [_ods_cell(cell)] * repeat
            out.append(values)
        return out

    rows = rows_of(tables["Notices"])
    codes = [_code(h) for h in rows[0]]
    info = {r[0]: (r[1] if len(r) > 1 else None) for r in rows_of(tables["Informations"]) if r and r[0]}
    return codes, [dict(zip(codes, r + [None] * (len(codes) - len(r)))) for r in rows[1:]], info


# --- LibreOffice --------------------------------------------------------------------------------------

def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        pytest.fail("LibreOffice est introuvable (soffice) : installez-le avec « make export-deps » "
                    "(paquet Debian libreoffice-calc-nogui) pour vérifier que les fichiers XLSX et ODS s'ouvrent.")
    return exe


def libreoffice_convert(path: Path, out_dir: Path, target: str) -> list[Path]:
    """Convert with LibreOffice headless; a file it cannot open yields no output (and a failed test)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = out_dir / "lo-profile"
    proc = subprocess.run([soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                           "--convert-to", target, "--outdir", str(out_dir), str(path)],
                          capture_output=True, text=True, timeout=180)
    produced = [p for p in out_dir.iterdir() if p.is_file() and p.stem.startswith(path.stem)]
    assert proc.returncode == 0 and produced, f"LibreOffice n'a pas pu ouvrir {path.name} : {proc.stdout}{proc.stderr}"
    return produced


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        return z.namelist()
