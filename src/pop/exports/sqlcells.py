"""CSV cells computed by the database: one SQL statement per batch returns each row's text cells.

    rows = SqlCells(layout)                       # None from SqlCells.make(layout) when not supported
    for batch in rows.base_batches("joconde"):    # lists of tuples, ready for csv.writer.writerows
        ...

The columns come from the layout's plan (``Layout.cell_sources``: public fields only, so a
restricted field is never selected). The database (SQLite 3.38+ or PostgreSQL, one dialect
class each) writes each cell the way ``Layout.text_cells`` does — a string as it is, a list of
strings joined with `` ; `` (``group_concat``), a position's latitude / longitude as numbers, the
record page link, the IIIF manifest link when the record has an image — and Python only hands the
tuples to the ``csv`` writer.

Exactness first: the statement also computes, per row, whether every value it read is of a shape
it reproduces exactly (text, null, lists of text; a REF that needs no URL escaping; no own
``MEMOIRE`` entries). A row that is not, or that has derived links (REFO, MEMOIRE… read from the
link table, merged by ``reading``), is built by the Python path (``source.views_from_raw`` +
``Layout.text_cells``) from its stored record: the row is the same either way (tests compare the
two paths byte for byte).

Off by default (``enabled``): measured slower than the Python path on both databases.
"""
from __future__ import annotations

import os
import re
from typing import Iterator

from django.db import connection

from pop.catalog.models import Record
from pop.exports import source as src
from pop.exports.columns import Layout
from pop.schema import registry

_CODE = re.compile(r"^[A-Za-z0-9_-]+$")   # codes written inside SQL literals and JSON paths


class SQLite:
    """SQLite 3.38+ (``json_type`` / ``json_extract`` / ``json_each`` / ``->``). The parsed record is
    cached between the JSON calls of one row; each ``json_each`` parses its argument again, so lists
    are read through ``->`` (the list's own JSON text, short) rather than from the whole record."""

    @staticmethod
    def path(code: str, sub: str | None = None) -> str:
        return f"'$.\"{code}\"" + (f".\"{sub}\"'" if sub else "'")

    def text(self, c):
        return f"json_extract(r.data, {self.path(c)})"

    def joined(self, c):   # a list's items (or a lone string) joined with " ; "
        return f"(SELECT group_concat(e.value, ' ; ') FROM json_each(r.data -> {self.path(c)}) e)"

    def number(self, c, sub):
        p = self.path(c, sub)
        return f"CASE WHEN json_type(r.data, {p}) IN ('integer', 'real') THEN json_extract(r.data, {p}) END"

    def has_item(self, c):  # a non-empty string, alone or in the list
        return f"EXISTS (SELECT 1 FROM json_each(r.data -> {self.path(c)}) e WHERE e.value != '')"

    def ok_text(self, c):
        return f"coalesce(json_type(r.data, {self.path(c)}), 'null') IN ('text', 'null')"

    def ok_list(self, c):
        return (f"coalesce(json_type(r.data, {self.path(c)}), 'null') IN ('text', 'null', 'array') AND NOT EXISTS "
                f"(SELECT 1 FROM json_each(r.data -> {self.path(c)}) k WHERE k.type NOT IN ('text', 'null'))")

    def ok_number(self, c, sub):   # SQLite's REAL is the double orjson reads: every number is exact
        return None

    def ok_ref(self):   # no character the link would escape
        return "r.ref NOT GLOB '*[^A-Za-z0-9_.~-]*'"

    def ok_absent(self, c):
        return f"coalesce(json_type(r.data, {self.path(c)}), 'null') = 'null'"


class Postgres:
    """PostgreSQL (jsonb ``->`` / ``->>``, ``jsonb_array_elements_text``, ``string_agg``). The work
    runs in the database server's process, beside the one writing the file."""

    @staticmethod
    def v(c, sub=None):
        return f"(r.data -> '{c}')" + (f" -> '{sub}'" if sub else "")

    def text(self, c):
        return f"(r.data ->> '{c}')"

    def _items(self, c):
        v = self.v(c)
        return f"jsonb_array_elements_text(CASE jsonb_typeof({v}) WHEN 'array' THEN {v} ELSE jsonb_build_array({v}) END)"

    def joined(self, c):
        return (f"CASE jsonb_typeof({self.v(c)}) WHEN 'array' THEN (SELECT string_agg(e.x, ' ; ' ORDER BY e.n) "
                f"FROM {self._items(c)} WITH ORDINALITY e(x, n)) ELSE {self.text(c)} END")

    def number(self, c, sub):
        # jsonb keeps the number's digits: an integer as written, else the double's shortest text
        # (the same digits as Python's repr in the range ok_number lets through)
        v = self.v(c, sub)
        return (f"CASE WHEN jsonb_typeof({v}) = 'number' THEN CASE WHEN ({v})::text ~ '^-?[0-9]+$' "
                f"THEN ({v})::text ELSE (({v})::text::float8)::text END END")

    def has_item(self, c):
        return f"EXISTS (SELECT 1 FROM {self._items(c)} e WHERE e <> '')"

    def ok_text(self, c):
        return f"coalesce(jsonb_typeof({self.v(c)}), 'null') IN ('string', 'null')"

    def ok_list(self, c):
        v = self.v(c)
        return (f"coalesce(jsonb_typeof({v}), 'null') IN ('string', 'null', 'array') AND NOT EXISTS "
                f"(SELECT 1 FROM jsonb_array_elements(CASE jsonb_typeof({v}) WHEN 'array' THEN {v} ELSE '[]'::jsonb END) k "
                f"WHERE jsonb_typeof(k) NOT IN ('string', 'null'))")

    def ok_number(self, c, sub):
        # integers of up to 15 digits; other numbers between 1e-4 and 1e15 whose double is not a whole
        # number (Python writes 4.0 where PostgreSQL writes 4, and they switch to exponents elsewhere)
        v = self.v(c, sub)
        return (f"coalesce(jsonb_typeof({v}) <> 'number', true) OR ({v})::text ~ '^-?[0-9]{{1,15}}$' OR "
                f"(abs(({v})::text::float8) BETWEEN 1e-4 AND 1e15 AND ({v})::text::float8 <> trunc(({v})::text::float8))")

    def ok_ref(self):
        return "r.ref ~ '^[A-Za-z0-9_.~-]+$'"

    def ok_absent(self, c):
        return f"coalesce(jsonb_typeof({self.v(c)}), 'null') = 'null'"


def enabled() -> bool:
    """Whether CSV exports use this path: ``POP_EXPORT_SQL_CELLS`` (setting or environment variable)
    and a database that supports it. Off by default: measured, it costs more CPU per row than the
    Python path on SQLite 3.40 and adds more to the PostgreSQL server than it saves here (docs/benchmarks.md,
    « CSV cells computed by the database »)."""
    from django.conf import settings
    value = getattr(settings, "POP_EXPORT_SQL_CELLS", None)
    if value is None:
        value = os.environ.get("POP_EXPORT_SQL_CELLS", "") not in ("", "0")
    return bool(value) and dialect() is not None


def dialect():
    """The SQL dialect of this database, or None when it cannot compute the cells."""
    if connection.vendor == "postgresql":
        return Postgres()
    if connection.vendor == "sqlite":
        import sqlite3
        return SQLite() if sqlite3.sqlite_version_info >= (3, 38, 0) else None
    return None


class SqlCells:
    """Per base, the SELECT list turning a stored record into the layout's CSV row."""

    def __init__(self, layout: Layout):
        self.layout = layout
        self.sql = dialect()
        self._sql: dict[str, tuple[str, list] | None] = {}
        self.sql_rows = self.python_rows = 0   # rows written by the database / rebuilt by Python

    @classmethod
    def make(cls, layout: Layout) -> "SqlCells | None":
        return cls(layout) if enabled() else None

    def _select(self, slug: str) -> tuple[str, list] | None:
        """(SELECT list, its parameters) for a base, or None when a code cannot be a JSON path."""
        if slug in self._sql:
            return self._sql[slug]
        base, d = registry.get(slug), self.sql
        exprs, params, ok = [], [], [d.ok_ref()]
        single: list[str] = []     # codes whose stored value must be text or null
        lists: list[str] = []      # codes whose stored value must be text, null or a list of texts
        for kind, value, sub in self.layout.cell_sources(slug):
            if kind == "const":
                exprs.append("CAST(%s AS TEXT)")
                params.append(value)
            elif kind == "none":
                exprs.append("NULL")
            elif not _CODE.match(value) or (sub is not None and not _CODE.match(sub)):
                self._sql[slug] = None
                return None
            elif kind == "text":
                f = base.field(value)
                if f is not None and f.multi:    # a list (or a lone string): its items joined
                    exprs.append(d.joined(value))
                    lists.append(value)
                else:
                    exprs.append(d.text(value))
                    single.append(value)
            else:   # "number": a position's sub-field, a number or nothing
                exprs.append(d.number(value, sub))
                check = d.ok_number(value, sub)
                if check:
                    ok.append(check)
        image = [c for c in base.image_fields if c in src.public_codes(slug)]
        if any(not _CODE.match(c) for c in image):
            self._sql[slug] = None
            return None
        plain_images = [c for c in image if c != "MEMOIRE"]
        lists += plain_images
        page, manifest = self.layout.link_parts(slug)
        exprs.append("CAST(%s AS TEXT) || r.ref || CAST(%s AS TEXT)")
        params += list(page)
        if image:
            has = " OR ".join(d.has_item(c) for c in plain_images) or "1 = 0"
            exprs.append(f"CASE WHEN {has} THEN CAST(%s AS TEXT) || r.ref || CAST(%s AS TEXT) ELSE '' END")
            params += list(manifest)
        else:
            exprs.append("''")
        ok += [d.ok_text(c) for c in sorted(set(single))]
        ok += [d.ok_list(c) for c in sorted(set(lists))]
        if "MEMOIRE" in image:   # own entries are objects: the Python path reads their URLs
            ok.append(d.ok_absent("MEMOIRE"))
        sql = f"r.id, r.ref, ({' AND '.join(f'({c})' for c in ok)}), " + ", ".join(exprs)
        self._sql[slug] = (sql, params)
        return self._sql[slug]

    def _run(self, slug: str, where: str, params: list, suffix: str = "") -> list[tuple] | None:
        """(id, ref, row) tuples of a base's published records matching ``where``; None if unsupported."""
        select = self._select(slug)
        if select is None:
            return None
        sql, sparams = select
        query = (f"SELECT {sql} FROM {Record._meta.db_table} r WHERE r.status = %s AND r.base = %s AND {where}{suffix}")
        with connection.cursor() as cur:
            cur.execute(query, [*sparams, Record.PUBLISHED, slug, *params])
            rows = cur.fetchall()
        return self._finish(slug, rows)

    def _finish(self, slug: str, rows: list[tuple]) -> list[tuple]:
        """Rows as (id, ref, cells): the Python path for rows the SQL cannot write exactly."""
        codes = self.layout.codes
        again = [i for i, row in enumerate(rows) if not row[2]]
        if src._plan(slug, tuple(codes.get(slug, ())))[1]:   # derived link fields in the export
            linked = src.derived_links([src._Key(row[0], slug, row[1]) for row in rows])
            if linked:
                again = sorted(set(again) | {i for i, row in enumerate(rows) if row[0] in linked})
        out = [(row[0], row[1], row[3:]) for row in rows]
        self.python_rows += len(again)
        self.sql_rows += len(rows) - len(again)
        if again:
            ids = [rows[i][0] for i in again]
            by_id = {}
            for k in range(0, len(ids), src.IN_CHUNK):
                part = ids[k:k + src.IN_CHUNK]
                fetched = src._fetch(f"id IN ({', '.join(['%s'] * len(part))})", part)
                for b, r, view in src.views_from_raw(src.with_links(fetched, codes), codes):
                    by_id[(b, r)] = self.layout.text_cells(b, r, view)
            for i in again:
                row_id, ref, _ = out[i]
                out[i] = (row_id, ref, by_id[(slug, ref)])
        return out

    def base_batches(self, slug: str, after_ref: str = "", limit: int | None = None) -> Iterator[list]:
        """A base's rows in REF order (keyset on the (base, ref) index), batches of ``source.BATCH``."""
        if self._select(slug) is None:   # this base on the Python path
            text_cells = self.layout.text_cells
            for batch in src.base_batches(slug, after_ref, self.layout.codes):
                yield [text_cells(b, r, view) for b, r, view in batch]
            return
        last = after_ref
        while True:
            rows = self._run(slug, "r.ref > %s", [last], f" ORDER BY r.ref LIMIT {src.BATCH}")
            if not rows:
                return
            last = rows[-1][1]
            yield [cells for _, _, cells in rows]
            if len(rows) < src.BATCH:
                return

    def load(self, pairs: list[tuple[str, str]]) -> list:
        """Rows of (base, REF) pairs in the given order; unknown or deleted records are left out."""
        by_base: dict[str, list[str]] = {}
        for slug, ref in pairs:
            by_base.setdefault(slug, []).append(ref)
        found: dict[tuple[str, str], object] = {}
        for slug, refs in by_base.items():
            for i in range(0, len(refs), src.IN_CHUNK):
                part = refs[i:i + src.IN_CHUNK]
                rows = self._run(slug, f"r.ref IN ({', '.join(['%s'] * len(part))})", part)
                if rows is None:   # this base on the Python path
                    for b, r, view in src.load_views([(slug, ref) for ref in part], self.layout.codes):
                        found[(b, r)] = self.layout.text_cells(b, r, view)
                    continue
                for _, ref, cells in rows:
                    found[(slug, ref)] = cells
        return [found[p] for p in pairs if p in found]
