"""Background task of large exports (queue « exports »).

The worker is django-tasks-db's: ``pop db_worker --queue-name exports`` (``pop serve`` starts one
for every queue). Enqueued by ``pop.exports.jobs.start``.
"""
from __future__ import annotations

from django_tasks import task


@task(queue_name="exports")
def run_export(job_id: str) -> None:
    from pop.exports.jobs import run_job
    run_job(job_id)
