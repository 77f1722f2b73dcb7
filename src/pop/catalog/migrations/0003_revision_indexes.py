"""Revision indexes: the single-column record_id index goes ((record, seq) serves every read by
record), the user index becomes partial (only revisions that have a user).

The database side drops the two indexes found by introspection instead of letting AlterField run:
on SQLite, AlterField would copy the whole revision table (millions of rows) for an index change.
"""
from django.conf import settings
import django.db.models.deletion
from django.db import migrations, models

COLUMNS = ("record_id", "user_id")


def drop_single_column_indexes(apps, schema_editor):
    Revision = apps.get_model("catalog", "Revision")
    for column in COLUMNS:
        for name in schema_editor._constraint_names(Revision, [column], index=True, unique=False, primary_key=False):
            schema_editor.execute(schema_editor._delete_index_sql(Revision, name))


def create_single_column_indexes(apps, schema_editor):
    Revision = apps.get_model("catalog", "Revision")
    for column in COLUMNS:
        field = next(f for f in Revision._meta.fields if f.column == column)
        schema_editor.execute(schema_editor._create_index_sql(Revision, fields=[field]))


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0002_seed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="revision",
                    name="record",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="revisions", to="catalog.record"),
                ),
                migrations.AlterField(
                    model_name="revision",
                    name="user",
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL),
                ),
            ],
            database_operations=[migrations.RunPython(drop_single_column_indexes, create_single_column_indexes)],
        ),
        migrations.AddIndex(
            model_name="revision",
            index=models.Index(condition=models.Q(("user__isnull", False)), fields=["user"], name="pop_revision_user"),
        ),
    ]
