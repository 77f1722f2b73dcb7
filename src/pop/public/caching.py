"""Values cached until the catalogue changes: the cache key carries the current change sequence,
so any committed write (which bumps ``seq``) invalidates them at once, on every node.

    counts = by_seq("home-counts", compute_counts)          # recomputed after the next write
    counts = by_seq("stats", compute, max_age=600)          # also at most every 10 minutes
"""
from __future__ import annotations

import time

from django.core.cache import cache

from pop.catalog.service import current_seq

_MISSING = object()


def by_seq(name: str, compute, max_age: int | None = None):
    seq = current_seq()
    key = f"pop-public:{name}:{seq}"
    if max_age:
        key += f":{int(time.time() // max_age)}"
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, timeout=max_age or 3600)
    return value
