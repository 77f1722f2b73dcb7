"""Streams generated records into the write service, batch by batch (bounded memory).

    report = load(10_000, seed=1, images=20, batch=2000, workers=2)

With ``workers`` > 0, worker processes (forked) generate batches and type their input with
``service.clean_items`` (the pure first step of the write service) while this process runs the rest
of ``service.save_many`` (merge, compute, rules, links, one transaction per batch). At most
``2 × workers`` batches are in flight, so memory stays bounded whatever the number of records.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field as dc_field

from tqdm import tqdm

from pop.catalog import service
from pop.demo.generator import ImagePicker, Plan, World, generate_range, image_keys, quotas

ACTOR = "Données de démonstration"

_plan: Plan | None = None     # set before forking the workers
_world: World | None = None


@dataclass
class Report:
    stored: int = 0
    counts: dict[str, int] = dc_field(default_factory=dict)
    images_written: int = 0
    image_target: str = ""


# SQLite, during the load only: the WAL is copied back into the database every WAL_PAGES pages
# (40 MB) instead of every 1,000: pages rewritten by consecutive batches (index leaves, the
# counter) are copied once. The journal mode (WAL) and synchronous=NORMAL are left as they are:
# after a crash the database is consistent and holds every committed batch.
WAL_PAGES = 10_000
# and the page cache grows to 256 MiB (settings give 64 MiB): at millions of records the (base, REF)
# index, where Mémoire REFs land all over, no longer fits, and every batch would read its pages again.
CACHE_KIB = 262_144


@contextmanager
def _bulk_connection():
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("PRAGMA wal_autocheckpoint")
        before = cur.fetchone()[0]
        cur.execute("PRAGMA cache_size")
        cache_before = cur.fetchone()[0]
        cur.execute(f"PRAGMA wal_autocheckpoint={WAL_PAGES}")
        cur.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA wal_autocheckpoint={int(before)}")
            cur.execute(f"PRAGMA cache_size={int(cache_before)}")
            if not connection.in_atomic_block:
                cur.execute("PRAGMA wal_checkpoint(PASSIVE)")


def default_workers(records: int) -> int:
    return 0 if records < 20_000 else max(1, min(2, (os.cpu_count() or 1)))


TAIL_DIVISOR = 8


def batch_bounds(total: int, batch: int, workers: int) -> list[tuple[int, int]]:
    """(start, stop) of each batch. With workers, up to ``2 × workers`` finished batches wait for the
    writing process, which stores them alone once generation is over (one core idle); the records
    that end up waiting there go in batches ``TAIL_DIVISOR`` times smaller, so that this last stretch
    is short."""
    tail = min(total, 2 * workers * batch) if workers else 0
    small = max(1, batch // TAIL_DIVISOR)
    head = total - tail
    return ([(a, min(a + batch, head)) for a in range(0, head, batch)]
            + [(a, min(a + small, total)) for a in range(head, total, small)])


def _batch(bounds: tuple[int, int], packed: bool = True) -> tuple[list | bytes, dict[str, list[str]]]:
    """Generates records start..stop-1 and types them (as one message for the writing process,
    see ``service.pack_items``, unless ``packed`` is false); also returns the image keys of the
    batch (first key of each record, per base, at most each base's quota)."""
    start, stop = bounds
    items = list(generate_range(_plan, start, stop, _world))
    wanted = quotas(_plan.images) if _plan.images else {}
    keys: dict[str, list[str]] = {}
    for base, data in items:  # up to K per base: other bases may need them to make up K (ImagePicker)
        if base in wanted and len(keys.setdefault(base, [])) < _plan.images:
            found = image_keys(base, data)
            if found:
                keys[base].append(found[0])
    cleaned = service.clean_items(items, as_creations=True)
    return (service.pack_items(cleaned) if packed else cleaned), keys


def load(records: int, *, seed: int = 1, images: int = 0, batch: int = 5000, progress: bool = True, stream=None,
         workers: int | None = None) -> Report:
    global _plan, _world
    plan = Plan.for_records(records, seed=seed, images=images)
    _plan, _world = plan, World(plan)
    workers = default_workers(plan.total) if workers is None else max(0, workers)
    report = Report(counts=dict(plan.counts))
    picker = ImagePicker(images)
    bounds = batch_bounds(plan.total, batch, workers)
    bar = tqdm(total=plan.total, unit=" notices", disable=not progress, file=stream or sys.stderr,
               smoothing=0.05, mininterval=0.5, dynamic_ncols=True)

    def store(result) -> None:
        cleaned, keys = result
        if isinstance(cleaned, bytes):
            cleaned = service.unpack_items(cleaned)
        for base, found in keys.items():
            for key in found:
                picker.offer_key(base, key)
        results = service.save_many(cleaned, actor=ACTOR, channel="demo", mode="create")
        report.stored += sum(1 for r in results if r.status == service.CREATED)
        bar.update(len(cleaned))

    # Millions of short-lived dicts: a higher first-generation threshold keeps the cyclic GC from
    # rescanning the batches in flight over and over (restored afterwards).
    thresholds = gc.get_threshold()
    gc.set_threshold(200_000, 50, 100)
    try:
        if workers == 0:
            with _bulk_connection():
                for b in bounds:
                    store(_batch(b, packed=False))
        else:
            from django.db import connections

            connections.close_all()  # never share a database connection with forked children
            with multiprocessing.get_context("fork").Pool(workers) as pool, _bulk_connection():
                pending: deque = deque()
                todo = iter(bounds)
                while True:
                    while len(pending) < 2 * workers:
                        b = next(todo, None)
                        if b is None:
                            break
                        pending.append(pool.apply_async(_batch, (b,)))
                    if not pending:
                        break
                    store(pending.popleft().get())
    finally:
        gc.set_threshold(*thresholds)
        bar.close()
        _plan = _world = None
    plan.image_keys = picker.keys
    if images and picker.keys:
        from pop.demo.images import write_images

        report.images_written, report.image_target = write_images(picker.keys, seed=seed, progress=progress, stream=stream)
    return report
