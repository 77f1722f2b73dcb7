"""Records, links and revisions lose SQLite's AUTOINCREMENT on their id (see RowIdField).

AUTOINCREMENT only decides how SQLite picks a new rowid (through the sqlite_sequence table); the
table's on-disk format is the same without it, so the definitions are edited in place
(``sqlite_schema.edit_definitions``) instead of letting AlterField copy millions of rows, and the
tables' sqlite_sequence entries, no longer used, are removed. PostgreSQL: nothing changes.
"""
from django.db import migrations

import pop.catalog.models
from pop.catalog.sqlite_schema import edit_definitions

TABLES = ("pop_record", "pop_link", "pop_revision")
WITH = '"id" integer NOT NULL PRIMARY KEY AUTOINCREMENT'
WITHOUT = '"id" integer NOT NULL PRIMARY KEY'


def drop_autoincrement(apps, schema_editor):
    changed = edit_definitions(schema_editor, TABLES, lambda table, sql: sql.replace(WITH, WITHOUT, 1))
    if changed:
        with schema_editor.connection.cursor() as cur:
            cur.execute(f"DELETE FROM sqlite_sequence WHERE name IN ({', '.join(['%s'] * len(changed))})", changed)


def restore_autoincrement(apps, schema_editor):
    def edit(table: str, sql: str) -> str:
        return sql if WITH in sql else sql.replace(WITHOUT, WITH, 1)

    changed = edit_definitions(schema_editor, TABLES, edit)
    if changed:
        with schema_editor.connection.cursor() as cur:
            for table in changed:  # the next id follows the largest one, as AUTOINCREMENT would give
                cur.execute(f'INSERT INTO sqlite_sequence (name, seq) SELECT %s, COALESCE(MAX(id), 0) FROM "{table}"', [table])


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0004_json_without_check"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name=model, name="id",
                                      field=pop.catalog.models.RowIdField(primary_key=True, serialize=False))
                for model in ("link", "record", "revision")
            ],
            database_operations=[migrations.RunPython(drop_autoincrement, restore_autoincrement)],
        ),
    ]
