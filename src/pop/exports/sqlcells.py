"""CSV cells computed by the database: one SQL statement per batch returns each row's text cells.

    rows = SqlCells(layout)                       # None from SqlCells.make(layout) when not supported
    for batch in rows.base_batches("joconde"):    # lists of tuples, ready for csv.writer.writerows
        ...

The columns come from the layout's plan (``Layout.cell_sources``: public fields only, so a
restricted field is never selected). SQLite (3.38+: ``json_type`` / ``json_extract`` /
``json_each``) writes each cell the way ``Layout.text_cells`` does — a string as it is, a list of
strings joined with `` ; `` (``group_concat``), a position's latitude / longitude as numbers, the
record page link, the IIIF manifest link when the record has an image — and Python only hands the
tuples to the ``csv`` writer.

Exactness first: the statement also computes, per row, whether every value it read is of a shape
it reproduces exactly (text, null, lists of text; a REF that needs no URL escaping; no own
``MEMOIRE`` entries). A row that is not, or that has derived links (REFO, MEMOIRE… read from the
link table, merged by ``reading``), is built by the Python path (``source.views_from_raw`` +
``Layout.text_cells``) from its stored record: the row is the same either way (tests compare the
two paths byte for byte). PostgreSQL stays on the Python path.
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
_UNSAFE_REF = "*[^A-Za-z0-9_.~-]*"   # GLOB: a REF holding any character the link would escape


def enabled() -> bool:
    """Whether CSV exports use this path: ``POP_EXPORT_SQL_CELLS`` (setting or environment variable,
    off by default: on SQLite 3.40 it costs more CPU per row than the Python path, see
    docs/benchmarks.md) and a database that supports it."""
    from django.conf import settings
    value = getattr(settings, "POP_EXPORT_SQL_CELLS", None)
    if value is None:
        value = os.environ.get("POP_EXPORT_SQL_CELLS", "") not in ("", "0")
    return bool(value) and supported()


def supported() -> bool:
    """Whether this database runs the SQL path (SQLite with JSON functions)."""
    if connection.vendor != "sqlite":
        return False
    import sqlite3
    return sqlite3.sqlite_version_info >= (3, 38, 0)


def _path(code: str, sub: str | None = None) -> str:
    return f"'$.\"{code}\"" + (f".\"{sub}\"'" if sub else "'")


class SqlCells:
    """Per base, the SELECT list turning a stored record into the layout's CSV row."""

    def __init__(self, layout: Layout):
        self.layout = layout
        self._sql: dict[str, tuple[str, list] | None] = {}
        self.sql_rows = self.python_rows = 0   # rows written by the database / rebuilt by Python

    @classmethod
    def make(cls, layout: Layout) -> "SqlCells | None":
        return cls(layout) if enabled() else None

    def _select(self, slug: str) -> tuple[str, list] | None:
        """(SELECT list, its parameters) for a base, or None when a code cannot be a JSON path."""
        if slug in self._sql:
            return self._sql[slug]
        base = registry.get(slug)
        exprs, params = [], []
        single: list[str] = []     # codes whose stored value must be text or null
        lists: list[str] = []      # codes whose stored value must be text, null or a list of texts
        for kind, value, sub in self.layout.cell_sources(slug):
            if kind == "const":
                exprs.append("%s")
                params.append(value)
            elif kind == "none":
                exprs.append("NULL")
            elif not _CODE.match(value) or (sub is not None and not _CODE.match(sub)):
                self._sql[slug] = None
                return None
            elif kind == "text":
                p = _path(value)
                f = base.field(value)
                if f is not None and f.multi:    # a list (or a lone string): its items joined
                    exprs.append(f"(SELECT group_concat(e.value, ' ; ') FROM json_each(r.data -> {p}) e)")
                    lists.append(value)
                else:
                    exprs.append(f"json_extract(r.data, {p})")
                    single.append(value)
            else:   # "number": a position's sub-field, a number or nothing
                p = _path(value, sub)
                exprs.append(f"CASE WHEN json_type(r.data, {p}) IN ('integer', 'real') "
                             f"THEN json_extract(r.data, {p}) END")
        public = src.public_codes(slug)
        image = [c for c in base.image_fields if c in public]
        if any(not _CODE.match(c) for c in image):
            self._sql[slug] = None
            return None
        plain_images = [c for c in image if c != "MEMOIRE"]
        lists += plain_images
        page, manifest = self.layout.link_parts(slug)
        exprs.append("%s || r.ref || %s")
        params += list(page)
        if image:
            has = " OR ".join(f"EXISTS (SELECT 1 FROM json_each(r.data -> {_path(c)}) e WHERE e.value != '')"
                              for c in plain_images) or "0"
            exprs.append(f"CASE WHEN {has} THEN %s || r.ref || %s ELSE '' END")
            params += list(manifest)
        else:
            exprs.append("''")
        ok = [f"r.ref NOT GLOB '{_UNSAFE_REF}'"]
        single, lists = sorted(set(single)), sorted(set(lists))
        # one look-up per code (SQLite caches the parsed record between the calls of a row; one
        # json_each over the whole record costs more)
        ok += [f"coalesce(json_type(r.data, {_path(c)}), 'null') IN ('text', 'null')" for c in single]
        ok += [f"coalesce(json_type(r.data, {_path(c)}), 'null') IN ('text', 'null', 'array') AND NOT EXISTS "
               f"(SELECT 1 FROM json_each(r.data -> {_path(c)}) k WHERE k.type NOT IN ('text', 'null'))" for c in lists]
        if "MEMOIRE" in image:
            ok.append(f"coalesce(json_type(r.data, {_path('MEMOIRE')}), 'null') = 'null'")
        sql = f"r.id, r.ref, ({' AND '.join(ok)}), " + ", ".join(exprs)
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
