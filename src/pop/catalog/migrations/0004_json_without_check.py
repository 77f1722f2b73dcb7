"""Record.data and Revision.changes lose SQLite's CHECK (JSON_VALID(...)) (see ServiceJSONField).

SQLite cannot drop a CHECK constraint with ALTER TABLE, and letting AlterField run would copy both
tables (millions of rows). Removing a CHECK constraint does not change the on-disk format, so the
table definitions are edited in place, as SQLite's documentation describes for this case
("Making Other Kinds Of Table Schema Changes": writable_schema, then schema_version + 1).
PostgreSQL's jsonb columns have no such check: nothing to do there.
"""
from django.db import migrations

import pop.catalog.models
from pop.catalog.sqlite_schema import edit_definitions

COLUMNS = (("pop_record", "data"), ("pop_revision", "changes"))


def _check(column: str) -> str:
    return f' CHECK ((JSON_VALID("{column}") OR "{column}" IS NULL))'


def _edit_definitions(schema_editor, edit) -> None:
    columns = dict(COLUMNS)
    edit_definitions(schema_editor, columns, lambda table, sql: edit(sql, columns[table]))


def drop_checks(apps, schema_editor):
    _edit_definitions(schema_editor, lambda sql, column: sql.replace(_check(column), "", 1))


def restore_checks(apps, schema_editor):
    def edit(sql: str, column: str) -> str:
        if _check(column) in sql:
            return sql
        definition = f'"{column}" text NOT NULL' if f'"{column}" text NOT NULL' in sql else f'"{column}" text NULL'
        return sql.replace(definition, definition + _check(column), 1)

    _edit_definitions(schema_editor, edit)


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0003_revision_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="record",
                    name="data",
                    field=pop.catalog.models.ServiceJSONField(default=dict),
                ),
                migrations.AlterField(
                    model_name="revision",
                    name="changes",
                    field=pop.catalog.models.ServiceJSONField(blank=True, null=True),
                ),
            ],
            database_operations=[migrations.RunPython(drop_checks, restore_checks)],
        ),
    ]
