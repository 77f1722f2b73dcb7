"""Running an export: rows from a source, bytes from a writer, to a stream or to a file.

    chunks = stream(fmt, source, layout, info)                     # iterator of bytes (downloads)
    n = write_file(fmt, source, layout, info, Path("out.ods"))     # atomic: out.ods appears complete or not at all

A file is written under a temporary name next to its destination and renamed when complete; any
failure or cancellation removes it, so no partial export is ever left behind. Files of at least
``POP_EXPORT_PARALLEL_MIN`` records (20,000 by default; 0 = never) are written by two processes
(``pop.exports.pipeline``): this one reads, a forked child writes the file, both decode and encode records.
"""
from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from django.conf import settings

from pop.exports.columns import Layout
from pop.exports.info import ExportInfo
from pop.exports.source import Codes, Source
from pop.exports.writers import Format


class Cancelled(Exception):
    """Raised by a progress callback to stop an export (the partial file is removed)."""


@contextmanager
def quiet_gc():
    """A large export allocates millions of short-lived dicts and lists; each few hundred allocations
    the cyclic collector would rescan the process's long-lived objects (Django, the registry, the
    plans), which cost more than decoding the records. For the export's duration those objects are
    frozen (``gc.freeze``: left out of collections) and the first generation's threshold is raised;
    both are restored afterwards (rows hold no reference cycles: refcounting frees them)."""
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def parallel_min() -> int:
    """Records from which a file export uses two processes (``POP_EXPORT_PARALLEL_MIN``; 0 = never)."""
    return settings.POP_EXPORT_PARALLEL_MIN


def batches(source: Source, progress: Callable[[int], None] | None = None,
            codes: Codes = None) -> Iterator[list[tuple[str, str, dict]]]:
    """Batches of (base, REF, record data) of a source (``Source.record_batches``: the formats'
    rows read the public fields they show); ``progress(n)`` after each batch (it may raise ``Cancelled``)."""
    n = 0
    for batch in source.record_batches(codes):
        yield batch
        n += len(batch)
        if progress is not None:
            progress(n)


def rows(source: Source, progress: Callable[[int], None] | None = None,
         codes: Codes = None) -> Iterator[tuple[str, str, dict]]:
    """Flattened rows of a source (see ``batches``)."""
    for batch in batches(source, progress, codes):
        yield from batch


def stream(fmt: Format, source: Source, layout: Layout, info: ExportInfo, workdir: Path | None = None,
           progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
    return fmt.render(layout, rows(source, progress, layout.codes), info, workdir)


def _raw_batches(source: Source, layout: Layout, progress) -> Iterator[list]:
    n = 0
    for raw in source.raw_batches(layout.codes):
        yield raw
        n += len(raw)
        if progress is not None:
            progress(n)


def write_file(fmt: Format, source: Source, layout: Layout, info: ExportInfo, dest: Path,
               progress: Callable[[int], None] | None = None, workdir: Path | None = None) -> int:
    """Write the export at ``dest`` atomically; returns the number of records written."""
    from pop.exports.pipeline import write_in_child
    dest = Path(dest)
    part = dest.with_name(f".{dest.name}.part")
    workdir = workdir or dest.parent
    try:
        limit = parallel_min()
        with quiet_gc():
            if limit and source.total >= limit:
                write_in_child(fmt, layout, info, _raw_batches(source, layout, progress), part, workdir)
            else:
                with open(part, "wb") as fh:
                    for chunk in stream(fmt, source, layout, info, workdir, progress):
                        fh.write(chunk)
        os.replace(part, dest)
    except BaseException:
        try:
            part.unlink()
        except FileNotFoundError:
            pass
        raise
    return info.written
