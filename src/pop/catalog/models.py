"""Records, links, revisions, producers and the change counter.

Shapes:
- Record.data: {"REF": "PA00078014", "TICO": "Château", "DENO": ["château"], "POP_COORDONNEES": {"lat": .., "lon": ..}, ...}
  typed by the registry (multi-valued fields are lists of strings); derived link fields
  (REFO, MEMOIRE, REFMUS…) are not stored, they are read from Link.
- Revision.changes: {"TICO": [old, new], ...} for updates; null for a create (a create's state is
  recovered by undoing the later revisions); a delete or restore carries the status change only.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models


class ServiceJSONField(models.JSONField):
    """A JSON column written only by the write service (orjson), so without the database-side
    check: on SQLite, Django's ``CHECK (JSON_VALID(...))`` parses every record's JSON once more
    on each insert and update (about a quarter of the time SQLite spends storing a record).
    PostgreSQL's jsonb column is unchanged (it has no such check)."""

    def db_check(self, connection):
        return None


class RowIdField(models.BigAutoField):
    """Primary key of the tables every write appends to (records, links, revisions). On SQLite it
    has no AUTOINCREMENT: a new row gets max(id) + 1 from the table itself, instead of SQLite also
    reading and rewriting its ``sqlite_sequence`` table for every row inserted (a sixth of the cost
    of inserting a record, its revision and its links: ``bench/sqlite_inserts.py``). The only
    difference, reusing the id of a removed last row, cannot matter here: records and revisions are
    never removed (a deleted record is a tombstone) and nothing refers to a link's id. PostgreSQL:
    a bigint identity column, as before."""

    def db_type_suffix(self, connection):
        return None if connection.vendor == "sqlite" else super().db_type_suffix(connection)


class ChangeCounter(models.Model):
    """A single row holding the last change sequence number handed out.

    Writers increment it with UPDATE … RETURNING inside their transaction: the row lock is held
    until commit, so sequence numbers become visible in commit order (no gaps seen by followers,
    no reordering), on SQLite (one writer at a time) and PostgreSQL alike.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.BigIntegerField(default=0)

    class Meta:
        db_table = "pop_change_counter"


class Record(models.Model):
    id = RowIdField(primary_key=True)
    PUBLISHED = "published"
    DELETED = "deleted"
    STATUSES = [(PUBLISHED, "publiée"), (DELETED, "supprimée")]

    base = models.CharField(max_length=16)
    ref = models.CharField(max_length=64)
    data = ServiceJSONField(default=dict)
    producer = models.CharField(max_length=100, blank=True, default="")
    status = models.CharField(max_length=12, choices=STATUSES, default=PUBLISHED)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    seq = models.BigIntegerField(unique=True)

    class Meta:
        db_table = "pop_record"
        constraints = [models.UniqueConstraint(fields=["base", "ref"], name="pop_record_base_ref")]
        indexes = [models.Index(fields=["base", "seq"], name="pop_record_base_seq")]

    def __str__(self) -> str:
        return f"{self.base}/{self.ref}"

    @property
    def is_deleted(self) -> bool:
        return self.status == self.DELETED


class Link(models.Model):
    """One reference from a record's link field to a record of another (or the same) base.

    Stored once, from the side that holds the field (Palissy REFA, Mémoire LBASE, Joconde REFMEM…);
    the other side (Mérimée REFO, MEMOIRE, REFJOC…) is derived by reading links by destination.
    """
    id = RowIdField(primary_key=True)

    src = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="links_out")
    field = models.CharField(max_length=32)
    position = models.PositiveIntegerField(default=0)
    dst_base = models.CharField(max_length=16)
    dst_ref = models.CharField(max_length=64)

    class Meta:
        db_table = "pop_link"
        indexes = [models.Index(fields=["dst_base", "dst_ref"], name="pop_link_dst")]


class Revision(models.Model):
    id = RowIdField(primary_key=True)
    CREATE, UPDATE, DELETE, RESTORE = "create", "update", "delete", "restore"
    ACTIONS = [(CREATE, "création"), (UPDATE, "modification"), (DELETE, "suppression"), (RESTORE, "restauration")]
    CHANNELS = [("manual", "saisie manuelle"), ("import", "import"), ("bulk", "modification en masse"),
                ("harvest", "moissonnage"), ("api", "API"), ("demo", "données de démonstration"),
                ("system", "système"), ("restore", "restauration")]

    # Indexes: (record, seq) serves every read by record (history, restore, cascade); a separate
    # record_id index would only cost one more B-tree insert per revision. Users are indexed only
    # where set (imports, demo data and harvests write millions of revisions without a user).
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="revisions", db_index=False)
    seq = models.BigIntegerField()
    action = models.CharField(max_length=10, choices=ACTIONS)
    at = models.DateTimeField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, db_index=False)
    actor = models.CharField(max_length=200, blank=True, default="")
    channel = models.CharField(max_length=10, choices=CHANNELS, default="manual")
    channel_ref = models.CharField(max_length=64, blank=True, default="")
    changes = ServiceJSONField(null=True, blank=True)

    class Meta:
        db_table = "pop_revision"
        indexes = [models.Index(fields=["record", "seq"], name="pop_revision_record_seq"),
                   models.Index(fields=["user"], name="pop_revision_user", condition=models.Q(user__isnull=False))]
        ordering = ["seq"]


class Producer(models.Model):
    """REF prefix → producer label, per base. An empty prefix marks the base's default producer."""

    label = models.CharField(max_length=100)
    base = models.CharField(max_length=16)
    prefix = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        db_table = "pop_producer"
        constraints = [models.UniqueConstraint(fields=["base", "prefix", "label"], name="pop_producer_unique")]

    def __str__(self) -> str:
        return f"{self.label} ({self.base}:{self.prefix or '*'})"
