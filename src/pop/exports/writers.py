"""Streaming writers: each turns rows (base, REF, public view) into chunks of bytes.

    for chunk in FORMATS["csv"].render(layout, rows, info, workdir):
        out.write(chunk)

Writers chosen for speed and bounded memory (measured figures in docs/benchmarks.md):
- CSV: the standard library's C ``csv`` writer, ``writerows`` on runs of 500 rows, into a text
  buffer flushed every 256 KiB;
- JSON Lines: ``orjson`` (several times faster than ``json``), one object per line;
- XLSX: written by hand (``pop.exports.xlsx``): ``xlsxwriter`` costs ≈ 5.7 µs per cell, and the
  faster libraries either hold the workbook in memory or mistype mixed columns;
- ODS: written by hand (``pop.exports.ods``), since no maintained Python library streams ODS.
Memory stays flat whatever the row count: nothing holds more than a few batches of rows.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import orjson

from pop.exports.columns import Layout
from pop.exports.errors import ExportError
from pop.exports.info import ExportInfo

FLUSH = 256 * 1024
BOM = "\ufeff"
# Cells an Excel user could have run as formulas when opening a CSV; the "for Excel" variant
# quotes them with a leading apostrophe (the usual defence against CSV formula injection).
_FORMULA_START = ("=", "+", "@", "\t", "\r")

Row = tuple[str, str, dict]


# Each format is two steps: ``prepare(layout)`` gives the function turning one (base, REF, view) into
# the format's row (cells, text cells or a JSON object: what needs the view), and ``write(layout,
# items, info, workdir)`` turns those rows into bytes. Large file exports run the two steps in two
# processes (``pop.exports.pipeline``); a download runs both in one.

def _csv_prepare(layout: Layout):
    return layout.text_cells


def _csv_excel_prepare(layout: Layout):
    text_cells = layout.text_cells

    def prepare(base, ref, view):
        return [("'" + c) if type(c) is str and c.startswith(_FORMULA_START) else c
                for c in text_cells(base, ref, view)]
    return prepare


def write_csv(layout: Layout, items: Iterable[list], info: ExportInfo, workdir: Path | None = None, *,
              excel: bool = False) -> Iterator[bytes]:
    """CSV from text cells: the C ``csv`` writer, ``writerows`` on runs of rows (few Python calls per row)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";" if excel else ",", lineterminator="\r\n")
    if excel:
        buf.write(BOM)
    for label, value in info.rows():
        writer.writerow([f"# {label} : {value}"])
    writer.writerow(layout.headers)
    writerows = writer.writerows
    n = 0
    run: list = []
    for cells in items:
        run.append(cells)
        if len(run) == 500:
            writerows(run)
            n += 500
            run = []
            if buf.tell() > FLUSH:
                info.written = n
                yield buf.getvalue().encode("utf-8")
                buf.seek(0)
                buf.truncate()
    writerows(run)
    n += len(run)
    info.written = n
    yield buf.getvalue().encode("utf-8")


def write_csv_excel(layout, items, info, workdir=None) -> Iterator[bytes]:
    return write_csv(layout, items, info, workdir, excel=True)


def _jsonl_prepare(layout: Layout):
    return layout.record


def write_jsonl(layout: Layout, items: Iterable[dict], info: ExportInfo, workdir: Path | None = None) -> Iterator[bytes]:
    parts = [orjson.dumps({"_export": info.as_dict(layout.describe())}) + b"\n"]
    size = 0
    n = 0
    dumps = orjson.dumps
    for record in items:
        line = dumps(record) + b"\n"
        parts.append(line)
        size += len(line)
        n += 1
        if size > FLUSH:
            info.written = n
            yield b"".join(parts)
            parts, size = [], 0
    info.written = n
    yield b"".join(parts)


def _cells_prepare(layout: Layout):
    return layout.cells


def write_xlsx(layout, items, info, workdir=None) -> Iterator[bytes]:
    from pop.exports.xlsx import render_cells
    return render_cells(layout, items, info, workdir)


def write_ods(layout, items, info, workdir=None) -> Iterator[bytes]:
    from pop.exports.ods import render_cells
    return render_cells(layout, items, info, workdir)


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    extension: str
    content_type: str
    prepare: Callable[[Layout], Callable[[str, str, dict], object]]
    write: Callable[..., Iterator[bytes]]

    def render(self, layout: Layout, rows: Iterable[Row], info: ExportInfo, workdir: Path | None = None) -> Iterator[bytes]:
        """Bytes of the export of ``rows`` (base, REF, public view), in this process."""
        prepare = self.prepare(layout)
        return self.write(layout, (prepare(b, r, v) for b, r, v in rows), info, workdir)


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("csv", "CSV (UTF-8, virgule)", "csv", "text/csv; charset=utf-8", _csv_prepare, write_csv),
    Format("csv-excel", "CSV pour Excel (point-virgule, UTF-8 avec BOM)", "csv", "text/csv; charset=utf-8",
           _csv_excel_prepare, write_csv_excel),
    Format("xlsx", "Classeur Excel (XLSX)", "xlsx",
           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _cells_prepare, write_xlsx),
    Format("ods", "Classeur OpenDocument (ODS)", "ods", "application/vnd.oasis.opendocument.spreadsheet",
           _cells_prepare, write_ods),
    Format("jsonl", "JSON Lines", "jsonl", "application/x-ndjson; charset=utf-8", _jsonl_prepare, write_jsonl),
)}
ALIASES = {"excel": "csv-excel", "csv_excel": "csv-excel", "csvexcel": "csv-excel", "ndjson": "jsonl",
           "json-lines": "jsonl", "jsonlines": "jsonl"}


def get_format(name) -> Format:
    key = (name or "csv") if isinstance(name, str) else None
    key = key.strip().lower() if key else None
    key = ALIASES.get(key, key)
    if key not in FORMATS:
        shown = "".join(ch if ch.isprintable() else "?" for ch in str(name)[:40])
        raise ExportError(f"Format inconnu : « {shown} ». Formats disponibles : {', '.join(FORMATS)}.",
                          "unknown_format", field="format")
    return FORMATS[key]
