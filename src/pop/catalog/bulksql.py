"""Raw batch SQL for the write service's hot path (SQLite and PostgreSQL).

The ORM's bulk_create/bulk_update build one model instance per row, serialise JSON with the
standard library and (bulk_update) generate CASE WHEN statements; on millions of rows that is most
of the write time. These helpers send plain tuples: ``executemany`` on SQLite (one prepared
statement), ``COPY … FROM STDIN`` on PostgreSQL; JSON is encoded with orjson. Only the write
service (``pop.catalog.service``) calls them.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import orjson
from django.db import connection

READ_CHUNK = 2000      # values per IN (...) list


_SQLITE: bool | None = None   # whether the default connection is SQLite (read once: see dumps)


def dumps(value) -> str | bytes | None:
    """The JSON of a value for a JSON column of ``insert``/``update`` (None stays SQL NULL): on
    SQLite, orjson's UTF-8 bytes as they are, which those store as text (``CAST(? AS TEXT)``), so
    that the text is neither decoded into a Python string nor encoded back when it is bound; on
    PostgreSQL, a string."""
    global _SQLITE
    if value is None:
        return None
    if _SQLITE is None:
        _SQLITE = connection.vendor == "sqlite"
    return orjson.dumps(value) if _SQLITE else orjson.dumps(value).decode()


def loads(value):
    """A JSON column value as read by a raw cursor (text on SQLite; text or already decoded on PostgreSQL)."""
    if value is None or isinstance(value, (dict, list)):
        return value
    return orjson.loads(value)


def db_datetime(dt):
    return connection.ops.adapt_datetimefield_value(dt)


def _json_placeholder() -> str:
    return "%s::jsonb" if connection.vendor == "postgresql" else "CAST(%s AS TEXT)"


def _placeholders(columns: Sequence[str], json_columns: set[str]) -> str:
    json = _json_placeholder()
    return "(" + ", ".join(json if c in json_columns else "%s" for c in columns) + ")"


def insert(table: str, columns: Sequence[str], rows: list[tuple], json_columns: Iterable[str] = ()) -> None:
    """INSERT many rows (JSON columns must already be text, see ``dumps``)."""
    if not rows:
        return
    json_columns = set(json_columns)
    cols = ", ".join(columns)
    one = _placeholders(columns, json_columns)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # COPY: rows are streamed and escaped by psycopg (C), no SQL text to build per row;
            # its errors are raised as Django's (IntegrityError…), as the cursor's own would be
            with connection.wrap_database_errors, cur.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES {one}", rows)


def insert_select(table: str, columns: Sequence[str], select: str, params: list) -> None:
    """INSERT INTO table (columns) SELECT …: rows the database derives from rows it holds."""
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {table} ({', '.join(columns)}) {select}", params)


def update(table: str, columns: Sequence[str], rows: list[tuple], json_columns: Iterable[str] = ()) -> None:
    """UPDATE table SET columns… WHERE id = last value of each row."""
    if not rows:
        return
    json_columns = set(json_columns)
    json = _json_placeholder()
    sets = ", ".join(f"{c} = {json}" if c in json_columns else f"{c} = %s" for c in columns)
    with connection.cursor() as cur:
        cur.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", rows)


def ids_by_seq(first: int, last: int) -> dict[int, int]:
    """seq -> record id for the records holding seq numbers first..last."""
    with connection.cursor() as cur:
        cur.execute("SELECT seq, id FROM pop_record WHERE seq BETWEEN %s AND %s", [first, last])
        return dict(cur.fetchall())


def select_in(sql: str, params: list, values: list, suffix: str = "") -> list[tuple]:
    """Run ``sql`` + ``IN (values…)`` + suffix in chunks; returns all rows."""
    out: list[tuple] = []
    with connection.cursor() as cur:
        for i in range(0, len(values), READ_CHUNK):
            part = values[i:i + READ_CHUNK]
            cur.execute(f"{sql} IN ({', '.join(['%s'] * len(part))}){suffix}", [*params, *part])
            out += cur.fetchall()
    return out
