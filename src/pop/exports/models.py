"""Export jobs: one row per export a visitor started (streamed or in the background).

A streamed download is tracked too (status ``running`` while it streams) so that the concurrency
limit holds across server processes; a background job also carries its progress, its file and
the date its download link expires.
"""
from __future__ import annotations

import uuid

from django.db import models


class ExportJob(models.Model):
    QUEUED, RUNNING, DONE, FAILED, CANCELLED, EXPIRED = "queued", "running", "done", "failed", "cancelled", "expired"
    STATUSES = [(QUEUED, "en attente"), (RUNNING, "en cours"), (DONE, "prêt"), (FAILED, "échec"),
                (CANCELLED, "annulé"), (EXPIRED, "expiré")]
    ACTIVE = (QUEUED, RUNNING)
    STREAM, BACKGROUND = "stream", "background"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    visitor = models.CharField(max_length=80, db_index=True)   # "s:<session key>" or "ip:<address>"
    mode = models.CharField(max_length=12, default=BACKGROUND)
    status = models.CharField(max_length=12, choices=STATUSES, default=QUEUED)
    format = models.CharField(max_length=12)
    spec = models.JSONField(default=dict)        # what to export (see pop.exports.source.Source.spec)
    fields = models.JSONField(default=list)      # "display", "all" or a list of codes
    description = models.TextField(blank=True, default="")
    total = models.BigIntegerField(default=0)
    progress = models.BigIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True, default="")
    size = models.BigIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    task_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "pop_export_job"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["visitor", "status"], name="pop_export_visitor_status")]

    @property
    def percent(self) -> int:
        if self.status == self.DONE:
            return 100
        return int(100 * self.progress / self.total) if self.total else 0

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE
