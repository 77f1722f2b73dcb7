"""Streaming writers: each turns rows (base, REF, public view) into chunks of bytes.

    for chunk in FORMATS["csv"].render(layout, rows, info, workdir):
        out.write(chunk)

Writers chosen for speed and bounded memory:
- CSV: the standard library's C ``csv`` writer into a small text buffer flushed every 256 KiB;
- JSON Lines: ``orjson`` (several times faster than ``json``), one object per line;
- XLSX: ``xlsxwriter`` in ``constant_memory`` mode (rows go to a temporary file as they come,
  inline strings, no shared-string table), see ``pop.exports.xlsx``;
- ODS: written by hand (``pop.exports.ods``), since no maintained Python library streams ODS.
Memory stays flat whatever the row count: nothing holds more than one batch of rows.
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


def render_csv(layout: Layout, rows: Iterable[Row], info: ExportInfo, workdir: Path | None = None, *,
               excel: bool = False) -> Iterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";" if excel else ",", lineterminator="\r\n")
    if excel:
        buf.write(BOM)
    for label, value in info.rows():
        writer.writerow([f"# {label} : {value}"])
    writer.writerow(layout.headers)
    text_cells = layout.text_cells
    writerow = writer.writerow
    n = 0
    for base, ref, view in rows:
        cells = text_cells(base, ref, view)
        if excel:
            cells = [("'" + c) if isinstance(c, str) and c.startswith(_FORMULA_START) else c for c in cells]
        writerow(cells)
        n += 1
        if buf.tell() > FLUSH:
            info.written = n
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    info.written = n
    yield buf.getvalue().encode("utf-8")


def render_csv_excel(layout, rows, info, workdir=None) -> Iterator[bytes]:
    return render_csv(layout, rows, info, workdir, excel=True)


def render_jsonl(layout: Layout, rows: Iterable[Row], info: ExportInfo, workdir: Path | None = None) -> Iterator[bytes]:
    parts = [orjson.dumps({"_export": info.as_dict(layout.describe())}) + b"\n"]
    size = 0
    n = 0
    record = layout.record
    dumps = orjson.dumps
    for base, ref, view in rows:
        line = dumps(record(base, ref, view)) + b"\n"
        parts.append(line)
        size += len(line)
        n += 1
        if size > FLUSH:
            info.written = n
            yield b"".join(parts)
            parts, size = [], 0
    info.written = n
    yield b"".join(parts)


def render_xlsx(layout, rows, info, workdir=None) -> Iterator[bytes]:
    from pop.exports.xlsx import render
    return render(layout, rows, info, workdir)


def render_ods(layout, rows, info, workdir=None) -> Iterator[bytes]:
    from pop.exports.ods import render
    return render(layout, rows, info, workdir)


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    extension: str
    content_type: str
    render: Callable[..., Iterator[bytes]]


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("csv", "CSV (UTF-8, virgule)", "csv", "text/csv; charset=utf-8", render_csv),
    Format("csv-excel", "CSV pour Excel (point-virgule, UTF-8 avec BOM)", "csv", "text/csv; charset=utf-8", render_csv_excel),
    Format("xlsx", "Classeur Excel (XLSX)", "xlsx",
           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", render_xlsx),
    Format("ods", "Classeur OpenDocument (ODS)", "ods", "application/vnd.oasis.opendocument.spreadsheet", render_ods),
    Format("jsonl", "JSON Lines", "jsonl", "application/x-ndjson; charset=utf-8", render_jsonl),
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
