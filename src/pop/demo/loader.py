"""Streams generated records into the write service, batch by batch (bounded memory).

    report = load(10_000, seed=1, images=20, batch=2000, workers=2)

With ``workers`` > 0, worker processes (forked) each generate a batch, type it and compute it as
creations (``service.clean_items``, the pure first steps of the write service), then store it
themselves with ``service.save_many`` (merge, checks, links, one transaction per batch). They
store in batch order, one at a time (``_Turns``): a batch's links then always find the records of
the batches before it, and the change numbers follow the generated order as with one writer.
While one worker stores, the other computes its next batch; nothing but counts crosses between
processes. At most ``2 × workers`` batches are in flight, so memory stays bounded whatever the
number of records.
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
# With worker processes storing in turn, each transaction starts after another connection's commit,
# and SQLite then empties the connection's page cache: pages are read again, from the file mapped in
# memory (up to the 2 GB this SQLite build maps) rather than copied by a system call each.
MMAP_BYTES = 2 << 30
# With workers, the parent checkpoints every CHECKPOINT_EVERY batches, outside the workers' turns.
# A batch of 5,000 records adds a median 614 pages to the WAL in a 300,000-record load (up to
# 4,879), so that is a checkpoint every few thousand pages, as with WAL_PAGES: the pages that
# consecutive batches rewrite are copied once per checkpoint. Checkpointing after every batch gave
# 50 % more system time at 4.8 M records.
CHECKPOINT_EVERY = 8


_BULK_PRAGMAS = ("wal_autocheckpoint", "cache_size", "mmap_size")


def _bulk_pragmas(autocheckpoint: int = WAL_PAGES) -> tuple[int, int, int] | None:
    """Sets the bulk-load pragmas on this process's connection (SQLite only); returns their
    previous values (``_BULK_PRAGMAS``)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cur:
        before = []
        for name in _BULK_PRAGMAS:
            cur.execute(f"PRAGMA {name}")
            before.append(int(cur.fetchone()[0]))
        cur.execute(f"PRAGMA wal_autocheckpoint={autocheckpoint}")
        cur.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        cur.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    return tuple(before)


@contextmanager
def _bulk_connection():
    from django.db import connection

    previous = _bulk_pragmas()
    try:
        yield
    finally:
        if previous is not None:
            with connection.cursor() as cur:
                for name, value in zip(_BULK_PRAGMAS, previous):
                    cur.execute(f"PRAGMA {name}={value}")
            if not connection.in_atomic_block:
                _checkpoint()


class _Turns:
    """Worker processes store their batches one at a time, in batch order: batch ``i`` is stored
    once batch ``i - 1`` is committed. A worker that fails marks the load failed, so that the
    others stop waiting for a turn that will never come. Created before the workers are forked."""

    def __init__(self, ctx):
        self._cond = ctx.Condition()
        self._next = ctx.RawValue("q", 0)
        self._failed = ctx.RawValue("b", 0)

    @contextmanager
    def of(self, i: int):
        with self._cond:
            while self._next.value != i and not self._failed.value:
                self._cond.wait()
            if self._failed.value:
                raise RuntimeError("chargement interrompu : un autre processus a échoué")
        done = False
        try:
            yield
            done = True
        finally:
            with self._cond:
                if done:
                    self._next.value = i + 1
                else:
                    self._failed.value = 1
                self._cond.notify_all()


_turns: _Turns | None = None   # set before forking the workers


def _start_worker() -> None:
    """Pool initializer: default signal handlers (the pool's terminate must stop a worker waiting
    for its turn, whatever handlers the parent installed), and the bulk-load pragmas on the
    worker's own database connection (it lives as long as the worker; the parent's connection was
    closed before forking). The parent checkpoints the WAL every few batches, outside the turns
    (``_checkpoint``): a worker's commit then only checkpoints if the parent falls far behind."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _bulk_pragmas(autocheckpoint=4 * WAL_PAGES)


def _checkpoint() -> None:
    """Parent, SQLite: copies the WAL's committed pages back into the database without waiting for
    anyone (PASSIVE), while the workers go on; the WAL then restarts from its beginning."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _store_batch(i: int, bounds: tuple[int, int]) -> tuple[int, int, dict[str, list[str]]]:
    """Worker process: computes batch ``i``, waits for its turn, stores it. Returns (records in the
    batch, records created, image keys)."""
    cleaned, keys = _batch(bounds)
    with _turns.of(i):
        created = _store(cleaned)
    n = len(cleaned)
    del cleaned
    _collect(i)
    return n, created, keys


COLLECT_EVERY = 50


def _collect(i: int) -> None:
    """After batch ``i``: collects any reference cycles the last batches left (the cyclic GC is off
    during the load, see ``load``); only the objects made since the set-up are scanned."""
    if i % COLLECT_EVERY == COLLECT_EVERY - 1:
        gc.collect()


def _store(cleaned: list) -> int:
    """Stores one computed batch through the write service; returns the number of records created."""
    results = service.save_many(cleaned, actor=ACTOR, channel="demo", mode="create")
    return sum(1 for r in results if r.status == service.CREATED)


def default_workers(records: int) -> int:
    return 0 if records < 20_000 else max(1, min(2, (os.cpu_count() or 1)))


TAIL_DIVISOR = 8


def batch_bounds(total: int, batch: int, workers: int) -> list[tuple[int, int]]:
    """(start, stop) of each batch. With workers, the last batches are ``TAIL_DIVISOR`` times
    smaller: once generation is over, the workers store their last batches one after the other
    with a core idle, and that last stretch stays short."""
    tail = min(total, workers * batch) if workers else 0
    small = max(1, batch // TAIL_DIVISOR)
    head = total - tail
    return ([(a, min(a + batch, head)) for a in range(0, head, batch)]
            + [(a, min(a + small, total)) for a in range(head, total, small)])


def _batch(bounds: tuple[int, int]) -> tuple[list, dict[str, list[str]]]:
    """Generates records start..stop-1, types and computes them as creations
    (``service.clean_items``); also returns the image keys of the batch (first key of each record,
    per base, at most each base's quota)."""
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
    return cleaned, keys


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

    def offer(keys: dict[str, list[str]]) -> None:
        for base, found in keys.items():
            for key in found:
                picker.offer_key(base, key)

    # Millions of short-lived dicts and lists, freed by reference counting: the load makes no
    # reference cycles (a 100,000-record load leaves none for the collector), so the cyclic GC is
    # off while it runs instead of rescanning the batches in flight (3 µs per record), and the
    # objects of the set-up (Django, vocabularies, the World) are frozen out of its scans (they
    # are shared with the forked workers too). As a safety net, whatever cycles a batch could
    # leave are collected every COLLECT_EVERY batches (``_collect``). Restored afterwards.
    was_enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        if workers == 0:
            with _bulk_connection():
                for n, b in enumerate(bounds):
                    cleaned, keys = _batch(b)
                    offer(keys)
                    report.stored += _store(cleaned)
                    bar.update(len(cleaned))
                    _collect(n)
        else:
            _store_with_workers(bounds, workers, report, offer, bar)
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()
        bar.close()
        _plan = _world = None
    plan.image_keys = picker.keys
    if images and picker.keys:
        from pop.demo.images import write_images

        report.images_written, report.image_target = write_images(picker.keys, seed=seed, progress=progress, stream=stream)
    return report


def _store_with_workers(bounds, workers: int, report: Report, offer, bar) -> None:
    global _turns
    from django.db import connections

    connections.close_all()  # never share a database connection with forked children
    ctx = multiprocessing.get_context("fork")
    _turns = _Turns(ctx)
    try:
        with ctx.Pool(workers, initializer=_start_worker) as pool:
            pending: deque = deque()
            todo = enumerate(bounds)
            done = 0
            while True:
                while len(pending) < 2 * workers:
                    nxt = next(todo, None)
                    if nxt is None:
                        break
                    pending.append(pool.apply_async(_store_batch, nxt))
                if not pending:
                    break
                n, created, keys = pending.popleft().get()
                done += 1
                if done % CHECKPOINT_EVERY == 0:
                    _checkpoint()
                offer(keys)
                report.stored += created
                bar.update(n)
    finally:
        _turns = None
    _checkpoint()
