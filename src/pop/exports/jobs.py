"""Starting exports for visitors: limits, streamed downloads and background jobs.

    response = start(request, source, fmt, layout)   # a streamed download, or 202 + a background job

Settings (environment variables of the same name, see ``pop.settings``):
- ``POP_EXPORT_STREAM_LIMIT`` (50,000): up to this many records the file streams as the download;
  above, a background task writes it and the visitor gets a link on ``/exports/``;
- ``POP_EXPORT_ANON_MAX_ROWS`` (1,000,000): hard limit for visitors who are not signed in
  (whole bases are published as open-data dumps);
- ``POP_EXPORT_MAX_CONCURRENT`` (2): exports a visitor may have running or queued at once (429 above);
- ``POP_EXPORT_KEEP_HOURS`` (24): how long a finished file stays downloadable.

The background task runs in the task worker (``pop db_worker --queue-name exports``, started by
``pop serve`` with the other queues).
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from pop.exports import run
from pop.exports.columns import Layout
from pop.exports.errors import ExportError
from pop.exports.info import ExportInfo
from pop.exports.models import ExportJob
from pop.exports.source import Source
from pop.exports.writers import Format, get_format

log = logging.getLogger("pop.exports")
HEARTBEAT = 5.0   # seconds between progress writes of a running export


def stream_limit() -> int:
    return int(getattr(settings, "POP_EXPORT_STREAM_LIMIT", 50_000))


def anonymous_limit() -> int:
    return int(getattr(settings, "POP_EXPORT_ANON_MAX_ROWS", 1_000_000))


def max_concurrent() -> int:
    return int(getattr(settings, "POP_EXPORT_MAX_CONCURRENT", 2))


def keep_for() -> timedelta:
    return timedelta(hours=float(getattr(settings, "POP_EXPORT_KEEP_HOURS", 24)))


def stale_after() -> timedelta:
    """A running export whose progress has not moved for this long is taken as dead (crashed process)."""
    return timedelta(seconds=int(getattr(settings, "POP_EXPORT_STALE_SECONDS", 600)))


def export_dir() -> Path:
    path = Path(settings.DATA_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def work_dir() -> Path:
    """Temporary files of exports being written (XLSX sheets, workbooks being streamed)."""
    path = export_dir() / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_name(job: ExportJob, fmt: Format) -> str:
    stamp = timezone.localtime(job.created_at or timezone.now()).strftime("%Y-%m-%d_%H%M%S")
    return f"pop_export_{stamp}.{fmt.extension}"


# --- visitors and limits ----------------------------------------------------------------------------

def visitor_key(request, create: bool = True) -> str:
    """Signed-in user, else the session (created for browsers), else the client's address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u:{user.pk}"
    session = getattr(request, "session", None)
    if session is not None:
        if not session.session_key and create and "text/html" in request.headers.get("Accept", ""):
            session["pop_exports"] = True
            session.save()
        if session.session_key:
            return f"s:{session.session_key}"
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


def active_jobs(visitor: str):
    return ExportJob.objects.filter(visitor=visitor, status__in=ExportJob.ACTIVE,
                                    updated_at__gte=timezone.now() - stale_after())


def _n(number: int) -> str:
    """1234567 → « 1 234 567 » (French thousands separator, narrow no-break space)."""
    return f"{number:,}".replace(",", "\u202f")


def check_limits(request, visitor: str, total: int) -> None:
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    if not signed_in and total > anonymous_limit():
        raise ExportError(
            f"Cet export compte {_n(total)} notices ; au-delà de {_n(anonymous_limit())} notices, affinez votre "
            "recherche ou téléchargez les fichiers complets de chaque base sur la page « Données ouvertes ».",
            "export_too_large")
    limit = max_concurrent()
    if limit and active_jobs(visitor).count() >= limit:
        raise ExportError(f"Vous avez déjà {limit} export(s) en cours. Attendez qu'ils se terminent avant d'en lancer "
                          "un autre (voir la page « Mes exports »).", "too_many_exports", status=429)


# --- starting -----------------------------------------------------------------------------------------

def prepare(source: Source, fmt_name, fields) -> tuple[Format, Layout]:
    fmt = get_format(fmt_name)
    layout = Layout.build(source.bases, fields)
    if source.total == 0:
        raise ExportError("La recherche ne renvoie aucune notice : il n'y a rien à exporter.", "empty_export")
    return fmt, layout


def start(request, source: Source, fmt: Format, layout: Layout) -> HttpResponse | ExportJob:
    """Stream the export when small enough (a response), else queue it (the job); limits are checked first."""
    visitor = visitor_key(request)
    check_limits(request, visitor, source.total)
    purge_expired()
    mode = ExportJob.STREAM if source.total <= stream_limit() else ExportJob.BACKGROUND
    job = ExportJob.objects.create(
        visitor=visitor, mode=mode, format=fmt.name, spec=source.spec(), fields=layout.spec,
        description=source.description, total=source.total,
        status=ExportJob.RUNNING if mode == ExportJob.STREAM else ExportJob.QUEUED)
    if mode == ExportJob.STREAM:
        return _streaming_response(job, source, fmt, layout)
    from pop.exports.tasks import run_export
    job.task_id = str(run_export.enqueue(str(job.id)).id)
    job.save(update_fields=["task_id", "updated_at"])
    return job


def _progress_writer(job: ExportJob, check_cancel: bool):
    last = [time.monotonic()]

    def progress(n: int) -> None:
        now = time.monotonic()
        if now - last[0] < HEARTBEAT:
            return
        last[0] = now
        ExportJob.objects.filter(pk=job.pk).update(progress=n, updated_at=timezone.now())
        if check_cancel and ExportJob.objects.filter(pk=job.pk, status=ExportJob.CANCELLED).exists():
            raise run.Cancelled()
    return progress


class _TrackedStream:
    """The chunks of a streamed export, closing its job whatever happens: done at the end, failed on an
    error (re-raised: the server then cuts the connection, so the visitor never gets a silently
    truncated file), cancelled when the server closes the response early (visitor gone) — even
    before the first chunk, when a generator's own ``finally`` would never run."""

    def __init__(self, job: ExportJob, chunks, info: ExportInfo):
        self.job, self.chunks, self.info = job, chunks, info
        self.closed = False

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        try:
            return next(self.chunks)
        except StopIteration:
            self._finish(ExportJob.DONE)
            raise
        except Exception:
            log.exception("streamed export %s failed", self.job.pk)
            self._finish(ExportJob.FAILED, "L'export s'est interrompu à cause d'une erreur interne.")
            raise

    def close(self) -> None:
        if not self.closed:
            self.chunks.close()   # runs the writers' cleanup (temporary files)
            self._finish(ExportJob.CANCELLED)

    def _finish(self, status: str, error: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        now = timezone.now()
        ExportJob.objects.filter(pk=self.job.pk).update(status=status, progress=self.info.written, error=error,
                                                        finished_at=now, updated_at=now)


def _streaming_response(job: ExportJob, source: Source, fmt: Format, layout: Layout) -> StreamingHttpResponse:
    info = ExportInfo(source.description, source.spec(), source.total, fmt.label)
    chunks = iter(run.stream(fmt, source, layout, info, work_dir(), _progress_writer(job, False)))
    response = StreamingHttpResponse(_TrackedStream(job, chunks, info), content_type=fmt.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name(job, fmt)}"'
    response["X-Export-Count"] = str(source.total)
    response["Cache-Control"] = "no-store"
    return response


def run_job(job_id: str) -> None:
    """Body of the background task: write the file, keep the progress, honour cancellation."""
    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None or job.status != ExportJob.QUEUED:
        return
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.RUNNING, updated_at=timezone.now())
    fmt = get_format(job.format)
    dest = export_dir() / f"{job.pk}.{fmt.extension}"
    try:
        source = Source.from_spec(job.spec)
        layout = Layout.build(source.bases, job.fields)
        ExportJob.objects.filter(pk=job.pk).update(total=source.total)
        info = ExportInfo(job.description or source.description, job.spec, source.total, fmt.label)
        count = run.write_file(fmt, source, layout, info, dest, _progress_writer(job, True), work_dir())
    except run.Cancelled:
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.CANCELLED, finished_at=timezone.now())
        return
    except ExportError as exc:
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.FAILED, error=exc.message, finished_at=timezone.now())
        return
    except Exception:  # noqa: BLE001 - recorded on the job, shown to the visitor
        log.exception("background export %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.FAILED, error="L'export a échoué à cause d'une erreur interne ; réessayez plus tard.",
            finished_at=timezone.now())
        return
    now = timezone.now()
    updated = ExportJob.objects.filter(pk=job.pk, status=ExportJob.RUNNING).update(
        status=ExportJob.DONE, progress=count, size=dest.stat().st_size, file_name=dest.name,
        finished_at=now, expires_at=now + keep_for(), updated_at=now)
    if not updated:  # cancelled during the very last batch
        dest.unlink(missing_ok=True)


def cancel(job: ExportJob) -> bool:
    if job.status not in ExportJob.ACTIVE:
        return False
    return bool(ExportJob.objects.filter(pk=job.pk, status__in=ExportJob.ACTIVE).update(
        status=ExportJob.CANCELLED, finished_at=timezone.now()))


def purge_expired() -> int:
    """Remove the files of expired exports and stale temporary files; returns the number of jobs expired."""
    now = timezone.now()
    n = 0
    for job in ExportJob.objects.filter(status=ExportJob.DONE, expires_at__lt=now):
        if job.file_name:
            (export_dir() / job.file_name).unlink(missing_ok=True)
        n += ExportJob.objects.filter(pk=job.pk, status=ExportJob.DONE).update(status=ExportJob.EXPIRED)
    ExportJob.objects.filter(status=ExportJob.RUNNING, updated_at__lt=now - stale_after() * 6).update(
        status=ExportJob.FAILED, error="L'export a été interrompu (arrêt du serveur).", finished_at=now)
    cutoff = time.time() - stale_after().total_seconds() * 6
    for path in [*export_dir().glob(".*.part"), *work_dir().glob("*")]:
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            pass
    return n


def job_dict(job: ExportJob) -> dict:
    fmt = get_format(job.format)
    out = {"id": str(job.pk), "status": job.status, "status_label": job.get_status_display(), "format": job.format,
           "description": job.description, "total": job.total, "progress": job.progress, "percent": job.percent,
           "created_at": job.created_at.isoformat() if job.created_at else None,
           "status_url": reverse("exports:job", args=[job.pk]), "page_url": reverse("exports:list"),
           "file_name": file_name(job, fmt)}
    if job.status == ExportJob.DONE:
        out["download_url"] = reverse("exports:download", args=[job.pk])
        out["size"] = job.size
        out["expires_at"] = job.expires_at.isoformat() if job.expires_at else None
    if job.error:
        out["error"] = job.error
    return out
