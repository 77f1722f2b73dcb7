"""A bounded on-disk cache of produced images (tiles, thumbnails), shared by all server processes.

    data = tilecache.get(token)            # bytes or None
    tilecache.size(token)                  # its size in bytes (HEAD requests), or None
    tilecache.put(token, data)

``token`` is a hex digest of (image key, derivative version, canonical request). Files live under
``DATA_DIR/iiif/cache/ab/cd…``; reads refresh the file's mtime, and once the cache grows past
``POP_IIIF_CACHE_MAX_MB`` (default 1024) the least recently used files are removed down to 80 %.
"""
from __future__ import annotations

import fcntl
import os
import tempfile
import threading
from pathlib import Path

from django.conf import settings

_lock = threading.Lock()
_written_since_check = 0
MAX_ITEM_BYTES = 8 * 1024 * 1024


def root() -> Path:
    return Path(settings.DATA_DIR) / "iiif" / "cache"


def max_bytes() -> int:
    return int(getattr(settings, "POP_IIIF_CACHE_MAX_MB", 1024)) * 1024 * 1024


def _path(token: str) -> Path:
    return root() / token[:2] / token[2:]


def get(token: str) -> bytes | None:
    p = _path(token)
    try:
        with open(p, "rb") as f:
            data = f.read()
    except OSError:
        return None
    try:
        os.utime(p)
    except OSError:
        pass
    return data


def size(token: str) -> int | None:
    """Size in bytes of a cached image, or None when it is not cached (nothing is read)."""
    try:
        return _path(token).stat().st_size
    except OSError:
        return None


def put(token: str, data: bytes) -> None:
    global _written_since_check
    if len(data) > MAX_ITEM_BYTES:
        return
    p = _path(token)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".t-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, p)
    except OSError:
        return  # a full or read-only disk must not break serving
    with _lock:
        _written_since_check += len(data)
        due = _written_since_check >= max(max_bytes() // 20, 1)
        if due:
            _written_since_check = 0
    if due:
        evict()


def usage() -> tuple[int, list[tuple[float, int, Path]]]:
    total, files = 0, []
    base = root()
    if not base.exists():
        return 0, []
    for sub in os.scandir(base):
        if not sub.is_dir() or sub.name.startswith("."):
            continue
        for entry in os.scandir(sub.path):
            try:
                st = entry.stat()
            except OSError:
                continue
            total += st.st_size
            files.append((st.st_mtime, st.st_size, Path(entry.path)))
    return total, files


def evict() -> int:
    """Trim the cache to 80 % of its budget (oldest first); one process at a time. Returns bytes freed."""
    base = root()
    base.mkdir(parents=True, exist_ok=True)
    with open(base / ".evict.lock", "w") as lockf:
        try:
            fcntl.flock(lockf, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return 0
        total, files = usage()
        budget = max_bytes()
        if total <= budget:
            return 0
        freed = 0
        target = total - int(budget * 0.8)
        for _mtime, size, path in sorted(files):
            if freed >= target:
                break
            try:
                path.unlink()
                freed += size
            except OSError:
                pass
        return freed
