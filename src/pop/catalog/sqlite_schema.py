"""In-place edits of SQLite table definitions, for schema changes that leave the on-disk format as
it is (SQLite's "Making Other Kinds Of Table Schema Changes": writable_schema, then schema_version
+ 1). Django's AlterField would copy the whole table instead (millions of rows).

    edit_definitions(schema_editor, ("pop_record",), lambda table, sql: sql.replace(a, b, 1))

Does nothing on other databases.
"""
from __future__ import annotations

from typing import Callable, Iterable


def edit_definitions(schema_editor, tables: Iterable[str], edit: Callable[[str, str], str]) -> list[str]:
    """Replaces the CREATE TABLE text of each table by ``edit(table, sql)``; returns the tables changed."""
    if schema_editor.connection.vendor != "sqlite":
        return []
    changed: list[str] = []
    with schema_editor.connection.cursor() as cur:
        for table in tables:
            cur.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
            row = cur.fetchone()
            if row is None:
                continue
            new = edit(table, row[0])
            if new != row[0]:
                if not changed:
                    cur.execute("PRAGMA writable_schema = ON")
                cur.execute("UPDATE sqlite_master SET sql = %s WHERE type = 'table' AND name = %s", [new, table])
                changed.append(table)
        if changed:
            cur.execute("PRAGMA schema_version")
            version = cur.fetchone()[0]
            cur.execute(f"PRAGMA schema_version = {int(version) + 1}")
            cur.execute("PRAGMA writable_schema = OFF")
    return changed
