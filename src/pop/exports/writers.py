"""Streaming writers: each turns rows (base, REF, record data) into chunks of bytes.

    for chunk in FORMATS["csv"].render(layout, rows, info, workdir):
        out.write(chunk)

Writers chosen for speed and bounded memory (measured figures in docs/benchmarks.md):
- CSV: written column by column (``csv_encoder``): a run of rows is transposed, a column is quoted
  only when one of its cells holds the delimiter, a quote or a line break (then each such cell is
  quoted as the standard ``csv`` module quotes it, QUOTE_MINIMAL), and the rows are joined — the
  same bytes as ``csv.writer`` at a third of its cost. Info and header lines use ``csv.writer``;
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
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Iterator

import orjson

from pop.exports.columns import Layout
from pop.exports.errors import ExportError
from pop.exports.info import ExportInfo

BOM = "\ufeff"
# Cells an Excel user could have run as formulas when opening a CSV; the "for Excel" variant
# quotes them with a leading apostrophe (the usual defence against CSV formula injection).
_FORMULA_START = ("=", "+", "@", "\t", "\r")

Row = tuple[str, str, dict]


# Each format is two steps: ``prepare(layout)`` gives the function turning one (base, REF, data) into
# the format's row (cells, text cells or a JSON object: what needs the record), and ``write(layout,
# items, info, workdir)`` turns those rows into bytes. Formats whose rows are independent of each
# other (CSV, JSON Lines) split ``write`` into a ``head(layout, info)`` and an ``encode(layout)``
# turning any run of rows into bytes, so that two processes can each encode whole batches
# (``pop.exports.pipeline``); a download runs every step in one process. A format whose ``write``
# also takes rows already rendered (ODS: row XML, which carries no row number) gives
# ``render_rows(layout)``: prepared rows → rendered rows, which the reading process may run.

RUN = 1000   # rows encoded at once by ``encoded_write``


def _csv_prepare(layout: Layout):
    return layout.text_cells


def _csv_excel_prepare(layout: Layout):
    text_cells = layout.text_cells

    def prepare(base, ref, data):
        return [("'" + c) if c.startswith(_FORMULA_START) else c for c in text_cells(base, ref, data)]
    return prepare


def csv_encoder(delimiter: str = ",") -> Callable[[list[list[str]]], bytes]:
    """Function turning rows of text cells (equal lengths) into CSV bytes, lines ended by CRLF:
    byte for byte what ``csv.writer`` writes with QUOTE_MINIMAL (a cell holding the delimiter, a
    quote, CR or LF is quoted, its quotes doubled). The work runs per column, in C string
    operations: most columns of a run hold no such character and go through untouched."""
    def quote(cell: str) -> str:
        if delimiter in cell or '"' in cell or "\r" in cell or "\n" in cell:
            return '"' + cell.replace('"', '""') + '"'
        return cell

    def encode(rows: list[list[str]]) -> bytes:
        if not rows:
            return b""
        columns = list(zip(*rows))
        for i, column in enumerate(columns):
            joined = "".join(column)
            if delimiter in joined or '"' in joined or "\r" in joined or "\n" in joined:
                columns[i] = [quote(cell) for cell in column]
        return ("\r\n".join(map(delimiter.join, zip(*columns))) + "\r\n").encode("utf-8")
    return encode


def _csv_head(layout: Layout, info: ExportInfo, excel: bool = False) -> bytes:
    """The info lines (``# label : value``) and the header row."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";" if excel else ",", lineterminator="\r\n")
    if excel:
        buf.write(BOM)
    for label, value in info.rows():
        writer.writerow([f"# {label} : {value}"])
    writer.writerow(layout.headers)
    return buf.getvalue().encode("utf-8")


def _csv_excel_head(layout: Layout, info: ExportInfo) -> bytes:
    return _csv_head(layout, info, excel=True)


def _csv_encode(layout: Layout):
    return csv_encoder(",")


def _csv_excel_encode(layout: Layout):
    return csv_encoder(";")


def _jsonl_prepare(layout: Layout):
    return layout.record


def _jsonl_head(layout: Layout, info: ExportInfo) -> bytes:
    return orjson.dumps({"_export": info.as_dict(layout.describe())}) + b"\n"


def _jsonl_encode(layout: Layout):
    dumps = orjson.dumps

    def encode(records: list[dict]) -> bytes:
        return b"".join([dumps(record) + b"\n" for record in records])
    return encode


def _cells_prepare(layout: Layout):
    return layout.cells


def write_xlsx(layout, items, info, workdir=None) -> Iterator[bytes]:
    from pop.exports.xlsx import render_cells
    return render_cells(layout, items, info, workdir)


def write_ods(layout, items, info, workdir=None) -> Iterator[bytes]:
    from pop.exports.ods import render_cells
    return render_cells(layout, items, info, workdir)


def _ods_rows(layout: Layout):
    from pop.exports.ods import rows_xml
    return rows_xml


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    extension: str
    content_type: str
    prepare: Callable[[Layout], Callable[[str, str, dict], object]]
    write: Callable[..., Iterator[bytes]] | None = None
    head: Callable[[Layout, ExportInfo], bytes] | None = None            # formats of independent rows:
    encode: Callable[[Layout], Callable[[list], bytes]] | None = None    # head + encoded runs (no write)
    render_rows: Callable[[Layout], Callable[[list], list]] | None = None  # rows that ``write`` takes as they are

    def writer(self) -> Callable[..., Iterator[bytes]]:
        """``write(layout, items, info, workdir)``: the format's own, or its head and encoded runs."""
        return self.write or partial(encoded_write, self)

    def render(self, layout: Layout, rows: Iterable[Row], info: ExportInfo, workdir: Path | None = None) -> Iterator[bytes]:
        """Bytes of the export of ``rows`` (base, REF, record data or public view), in this process."""
        prepare = self.prepare(layout)
        return self.writer()(layout, (prepare(b, r, v) for b, r, v in rows), info, workdir)


def encoded_write(fmt: Format, layout: Layout, items: Iterable, info: ExportInfo,
                  workdir: Path | None = None) -> Iterator[bytes]:
    """The bytes of a format of independent rows: its head, then runs of ``RUN`` rows encoded."""
    yield fmt.head(layout, info)
    encode = fmt.encode(layout)
    n = 0
    run: list = []
    for item in items:
        run.append(item)
        if len(run) == RUN:
            n += RUN
            info.written = n
            yield encode(run)
            run = []
    info.written = n + len(run)
    yield encode(run)


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("csv", "CSV (UTF-8, virgule)", "csv", "text/csv; charset=utf-8", _csv_prepare,
           head=_csv_head, encode=_csv_encode),
    Format("csv-excel", "CSV pour Excel (point-virgule, UTF-8 avec BOM)", "csv", "text/csv; charset=utf-8",
           _csv_excel_prepare, head=_csv_excel_head, encode=_csv_excel_encode),
    Format("xlsx", "Classeur Excel (XLSX)", "xlsx",
           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _cells_prepare, write_xlsx),
    Format("ods", "Classeur OpenDocument (ODS)", "ods", "application/vnd.oasis.opendocument.spreadsheet",
           _cells_prepare, write_ods, render_rows=_ods_rows),
    Format("jsonl", "JSON Lines", "jsonl", "application/x-ndjson; charset=utf-8", _jsonl_prepare,
           head=_jsonl_head, encode=_jsonl_encode),
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
