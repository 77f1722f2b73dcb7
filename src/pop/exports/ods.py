"""ODS (OpenDocument spreadsheet) written by hand, streamed.

Why by hand: the maintained Python ODS libraries (odfpy, pyexcel-ods3, ezodf, pandas' odf engine)
all build the whole document tree in memory before saving it, which for a million rows means
gigabytes. An ODS file is a zip holding an uncompressed ``mimetype`` entry first, a manifest, and
``content.xml``; the cells are plain XML. So rows are turned into XML text as they come and the
zip is streamed by ``stream-zip`` (local headers with data descriptors, nothing to seek back to),
which lets a download start at the first row and keeps memory flat.

Cells are typed: ``float`` for numbers, ``date`` (ISO ``office:date-value``) for dates, ``string``
otherwise; line breaks, tabs and runs of spaces are encoded as ``text:line-break``, ``text:tab``
and ``text:s`` so that text reads back exactly. A table holds at most 1,048,576 rows (LibreOffice's
limit): larger exports continue on « Notices (2) »… The « Informations » table comes last.
"""
from __future__ import annotations

import datetime as dt
import re
import zlib
from pathlib import Path
from xml.sax.saxutils import escape
from typing import Iterable, Iterator

from stream_zip import NO_COMPRESSION_32, ZIP_32, ZipOverflowError, stream_zip

from pop.exports.columns import Layout
from pop.exports.errors import ExportError
from pop.exports.info import ExportInfo

MAX_ROWS = 1_048_576
FLUSH = 256 * 1024
MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
      'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
      'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
      'xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"')

# Characters XML 1.0 forbids (dropped) and whitespace ODF would collapse (encoded).
_SPECIAL = re.compile(r"^ +| +\Z| {2,}|\n|\t|\r|[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _special(m: re.Match) -> str:
    s = m.group()
    if s == "\n":
        return "<text:line-break/>"
    if s == "\t":
        return "<text:tab/>"
    if s[0] == " ":
        if m.start() == 0 or m.end() == len(m.string):
            return f'<text:s text:c="{len(s)}"/>'
        return f' <text:s text:c="{len(s) - 1}"/>'
    return ""  # \r (a \r\n pair keeps its \n) and characters XML cannot carry


def text(value: str) -> str:
    """Escaped paragraph content of a string cell."""
    value = escape(value)
    if _SPECIAL.search(value):
        value = _SPECIAL.sub(_special, value)
    return value


def _attr(value: str) -> str:
    return text(value).replace('"', "&quot;")


def _cell_xml(v) -> str:
    t = type(v)
    if t is str:
        return f'<table:table-cell office:value-type="string"><text:p>{text(v)}</text:p></table:table-cell>'
    if t is int or t is float:
        shown = repr(v) if t is float else str(v)
        return f'<table:table-cell office:value-type="float" office:value="{shown}"><text:p>{shown}</text:p></table:table-cell>'
    if t is dt.date:
        iso = v.isoformat()
        return (f'<table:table-cell table:style-name="ceD" office:value-type="date" office:date-value="{iso}">'
                f'<text:p>{iso}</text:p></table:table-cell>')
    return _cell_xml(str(v))


def _row_xml(cells) -> str:
    parts = ["<table:table-row>"]
    empty = 0
    for v in cells:
        if v is None or v == "":
            empty += 1
            continue
        if empty:
            parts.append(f'<table:table-cell table:number-columns-repeated="{empty}"/>' if empty > 1 else "<table:table-cell/>")
            empty = 0
        parts.append(_cell_xml(v))
    parts.append("</table:table-row>")
    return "".join(parts)


def _table_start(name: str, layout: Layout) -> str:
    head = "".join(f'<table:table-cell table:style-name="ceH" office:value-type="string"><text:p>{text(h)}</text:p></table:table-cell>'
                   for h in layout.headers)
    return (f'<table:table table:name="{_attr(name)}">'
            f'<table:table-column table:style-name="co1" table:number-columns-repeated="{len(layout.columns)}"/>'
            f"<table:table-header-rows><table:table-row>{head}</table:table-row></table:table-header-rows>")


def _content(layout: Layout, items: Iterable, info: ExportInfo) -> Iterator[bytes]:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>'
             f"<office:document-content {NS}>"
             "<office:automatic-styles>"
             '<number:date-style style:name="N1"><number:year number:style="long"/><number:text>-</number:text>'
             '<number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/></number:date-style>'
             '<style:style style:name="co1" style:family="table-column"><style:table-column-properties style:column-width="4cm"/></style:style>'
             '<style:style style:name="ceH" style:family="table-cell"><style:text-properties fo:font-weight="bold"/></style:style>'
             '<style:style style:name="ceD" style:family="table-cell" style:data-style-name="N1"/>'
             "</office:automatic-styles><office:body><office:spreadsheet>",
             _table_start("Notices", layout)]
    size = 0
    r = 0
    sheets = 1
    count = 0
    row_xml = _row_xml
    for cells in items:
        r += 1
        if r >= MAX_ROWS:
            sheets += 1
            parts.append("</table:table>" + _table_start(f"Notices ({sheets})", layout))
            r = 1
        xml = cells if cells.__class__ is str else row_xml(cells)   # a row already rendered (``rows_xml``)
        parts.append(xml)
        size += len(xml)
        count += 1
        if size > FLUSH:
            info.written = count
            yield "".join(parts).encode("utf-8")
            parts, size = [], 0
    info.written = count
    parts.append("</table:table>")
    meta_rows = [(label, value) for label, value in info.rows(count)]
    meta_rows += [("", ""), ("Colonnes", "")] + [(c.key, c.label) for c in layout.columns]
    parts.append('<table:table table:name="Informations"><table:table-column table:number-columns-repeated="2"/>')
    for label, value in meta_rows:
        parts.append(_row_xml([label or None, value or None]))
    parts.append("</table:table></office:spreadsheet></office:body></office:document-content>")
    yield "".join(parts).encode("utf-8")


def _manifest() -> bytes:
    entries = "".join(f'<manifest:file-entry manifest:full-path="{p}" manifest:media-type="{t}"/>' for p, t in (
        ("/", MIMETYPE.decode()), ("content.xml", "text/xml"), ("styles.xml", "text/xml"), ("meta.xml", "text/xml")))
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
            f"{entries}</manifest:manifest>").encode()


def _styles() -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f"<office:document-styles {NS}><office:styles/></office:document-styles>").encode()


def _meta(info: ExportInfo) -> bytes:
    when = info.generated_at.replace(microsecond=0, tzinfo=None).isoformat()
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f"<office:document-meta {NS}><office:meta>"
            "<meta:generator>POP — plateforme ouverte du patrimoine</meta:generator>"
            f"<dc:title>Export POP</dc:title><dc:description>{text(info.description)}</dc:description>"
            f"<meta:creation-date>{when}</meta:creation-date><dc:date>{when}</dc:date>"
            "</office:meta></office:document-meta>").encode()


def render(layout: Layout, rows: Iterable, info: ExportInfo, workdir: Path | None = None) -> Iterator[bytes]:
    """Bytes of the spreadsheet of ``rows`` (base, REF, public view)."""
    cells = layout.cells
    return render_cells(layout, (cells(b, r, v) for b, r, v in rows), info, workdir)


def rows_xml(rows: list) -> list[str]:
    """The ``<table:table-row>`` of each row of cells: a row carries no number, so another process
    may render some of the rows that ``render_cells`` writes (it takes them as they are)."""
    return [_row_xml(cells) for cells in rows]


def render_cells(layout: Layout, items: Iterable, info: ExportInfo, workdir: Path | None = None) -> Iterator[bytes]:
    """Bytes of the spreadsheet whose data rows are ``items`` (lists of cells, ``Layout.cells``, or
    rows already rendered by ``rows_xml``)."""
    now = dt.datetime.now()
    # content.xml is deflated at level 1: several times faster than the default 9 for a file only
    # ~15 % larger. Plain (32-bit) zip entries: LibreOffice 7.4 cannot open an ODS whose entries use
    # Zip64, so content.xml is capped at 4 GiB (about a million rows of 30 columns); past that the
    # export stops with a clear message (CSV and JSON Lines have no such cap).
    files = [
        ("mimetype", now, 0o644, NO_COMPRESSION_32, (MIMETYPE,)),
        ("META-INF/manifest.xml", now, 0o644, ZIP_32, (_manifest(),)),
        ("styles.xml", now, 0o644, ZIP_32, (_styles(),)),
        ("meta.xml", now, 0o644, ZIP_32, (_meta(info),)),
        ("content.xml", now, 0o644, ZIP_32, _content(layout, items, info)),
    ]
    try:
        yield from stream_zip(files, chunk_size=FLUSH, extended_timestamps=False,
                              get_compressobj=lambda: zlib.compressobj(level=1, wbits=-zlib.MAX_WBITS))
    except ZipOverflowError:
        raise ExportError("Export trop volumineux pour le format ODS (plus de 4 Gio de données) : choisissez "
                          "moins de colonnes, ou le format CSV ou JSON Lines.", "export_too_large") from None
