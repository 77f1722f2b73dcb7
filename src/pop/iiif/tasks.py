"""Background tasks of the image pipeline (django-tasks, DB backend; run by `pop db_worker`).

    from pop.iiif.tasks import enqueue_build
    enqueue_build("joconde/000PE001028/photo.jpg")   # returns the TaskResult id

`pop serve` starts the worker (`db_worker --queue-name *`); alone: `pop db_worker --queue-name images`.
"""
from __future__ import annotations

import logging

from django_tasks import task

log = logging.getLogger(__name__)


@task(queue_name="images")
def build_derivative(key: str) -> bool:
    """Build (or rebuild) the pyramid and thumbnail of one stored original."""
    from pop.iiif import derivatives, safety
    try:
        derivatives.build(key)
    except (safety.UnsafeImage, FileNotFoundError) as exc:
        log.warning("dérivé IIIF non construit pour %s : %s", key, exc)
        return False
    return True


def enqueue_build(key: str) -> str:
    return build_derivative.enqueue(key).id
