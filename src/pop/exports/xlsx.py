"""XLSX through ``xlsxwriter`` in ``constant_memory`` mode.

``constant_memory`` writes each row to a temporary file as soon as the next one starts and keeps
strings inline (no shared-string table), so memory stays flat at any size. The workbook is zipped
when closed: the chunks come out once the file is complete (the temporary file is removed in every
case, including a download cancelled half-way).

Numbers, dates and text are written with the typed ``write_*`` calls: a value is never taken for a
formula or a hyperlink (Excel caps hyperlinks at 65,530 per sheet, and URLs stay plain text).
A sheet holds at most 1,048,576 rows: larger exports continue on « Notices (2) », « Notices (3) »…
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

import xlsxwriter

from pop.exports.columns import Layout
from pop.exports.info import ExportInfo

MAX_ROWS = 1_048_576
CHUNK = 1024 * 1024


def write(path: str | Path, layout: Layout, rows: Iterable, info: ExportInfo, workdir: Path | None = None) -> int:
    """Write the workbook at ``path``; returns the number of records written.

    xlsxwriter's row files live in a private directory removed in every case (an export stopped
    half-way never closes its workbook, whose temporary files would otherwise stay behind)."""
    tmpdir = tempfile.mkdtemp(prefix="xlsx-", dir=str(workdir) if workdir else None)
    try:
        return _write(path, layout, rows, info, tmpdir)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _write(path, layout: Layout, rows: Iterable, info: ExportInfo, tmpdir: str) -> int:
    wb = xlsxwriter.Workbook(str(path), {
        "constant_memory": True, "tmpdir": tmpdir,
        "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
        "use_zip64": info.total > 200_000,
    })
    wb.set_properties({"title": "Export POP", "subject": info.description[:250],
                       "author": "POP — plateforme ouverte du patrimoine", "comments": "Licence Ouverte 2.0"})
    bold = wb.add_format({"bold": True})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    headers = layout.headers
    widths = [min(60, max(10, len(c.label) + 2)) if c.kind != "url" else 50 for c in layout.columns]

    def new_sheet(n: int):
        ws = wb.add_worksheet("Notices" if n == 1 else f"Notices ({n})")
        for i, w in enumerate(widths):
            ws.set_column(i, i, w)
        ws.freeze_panes(1, 0)
        for i, h in enumerate(headers):
            ws.write_string(0, i, h, bold)
        return ws

    sheets = 1
    ws = new_sheet(sheets)
    write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime
    r = 0
    count = 0
    cells = layout.cells
    date_type, str_type = dt.date, str
    for base, ref, view in rows:
        r += 1
        if r >= MAX_ROWS:
            sheets += 1
            ws = new_sheet(sheets)
            write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime
            r = 1
        for c, v in enumerate(cells(base, ref, view)):
            if v is None:
                continue
            t = type(v)
            if t is str_type:
                if v:
                    write_string(r, c, v)
            elif t is date_type:
                if v.year >= 1900:  # Excel's calendar starts in 1900: earlier dates stay text
                    write_datetime(r, c, dt.datetime(v.year, v.month, v.day), date_fmt)
                else:
                    write_string(r, c, v.isoformat())
            else:
                write_number(r, c, v)
        count += 1
        if count % 2000 == 0:
            info.written = count
    info.written = count
    meta = wb.add_worksheet("Informations")
    meta.set_column(0, 0, 22)
    meta.set_column(1, 1, 120)
    for i, (label, value) in enumerate(info.rows(count)):
        meta.write_string(i, 0, label, bold)
        meta.write_string(i, 1, value)
    meta.write_string(len(info.rows()) + 1, 0, "Colonnes", bold)
    for i, col in enumerate(layout.columns):
        meta.write_string(len(info.rows()) + 2 + i, 0, col.key)
        meta.write_string(len(info.rows()) + 2 + i, 1, col.label)
    wb.close()
    return count


def render(layout: Layout, rows: Iterable, info: ExportInfo, workdir: Path | None = None) -> Iterator[bytes]:
    """Build the workbook in a temporary file, then hand it out in chunks; the file never outlives this."""
    fd, name = tempfile.mkstemp(suffix=".xlsx", dir=str(workdir) if workdir else None)
    os.close(fd)
    try:
        write(name, layout, rows, info, workdir)
        with open(name, "rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
    finally:
        try:
            os.unlink(name)
        except FileNotFoundError:
            pass
