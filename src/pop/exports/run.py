"""Running an export: rows from a source, bytes from a writer, to a stream or to a file.

    chunks = stream(fmt, source, layout, info)                     # iterator of bytes (downloads)
    n = write_file(fmt, source, layout, info, Path("out.ods"))     # atomic: out.ods appears complete or not at all

A file is written under a temporary name next to its destination and renamed when complete; any
failure or cancellation removes it, so no partial export is ever left behind.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterator

from pop.exports import xlsx
from pop.exports.columns import Layout
from pop.exports.info import ExportInfo
from pop.exports.source import Source
from pop.exports.writers import Format


class Cancelled(Exception):
    """Raised by a progress callback to stop an export (the partial file is removed)."""


def rows(source: Source, progress: Callable[[int], None] | None = None) -> Iterator[tuple[str, str, dict]]:
    """Flattened rows of a source; ``progress(n)`` after each batch (it may raise ``Cancelled``)."""
    n = 0
    for batch in source.batches():
        yield from batch
        n += len(batch)
        if progress is not None:
            progress(n)


def stream(fmt: Format, source: Source, layout: Layout, info: ExportInfo, workdir: Path | None = None,
           progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
    return fmt.render(layout, rows(source, progress), info, workdir)


def write_file(fmt: Format, source: Source, layout: Layout, info: ExportInfo, dest: Path,
               progress: Callable[[int], None] | None = None, workdir: Path | None = None) -> int:
    """Write the export at ``dest`` atomically; returns the number of records written."""
    dest = Path(dest)
    part = dest.with_name(f".{dest.name}.part")
    try:
        if fmt.name == "xlsx":  # xlsxwriter writes its own file: no copy through a temporary one
            xlsx.write(part, layout, rows(source, progress), info, workdir or dest.parent)
        else:
            with open(part, "wb") as fh:
                for chunk in stream(fmt, source, layout, info, workdir or dest.parent, progress):
                    fh.write(chunk)
        os.replace(part, dest)
    except BaseException:
        try:
            part.unlink()
        except FileNotFoundError:
            pass
        raise
    return info.written
