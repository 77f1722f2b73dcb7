"""``;``-separated CSV with ``"`` quotes: MNR, Muséofile, Enluminures (and Joconde CSV).

Read with the standard ``csv`` module. Muséofile files may carry ``POP_COORDONNEES.lat`` and
``POP_COORDONNEES.lon`` columns (decimal comma accepted by the write service).

    parsed = parse(text, "mnr", name="mnr.csv")
"""
from __future__ import annotations

import csv
import io

from pop.imports import joconde_txt, tables
from pop.imports.common import ImportFileError, ParsedFile
from pop.schema import registry


def parse(text: str, base: str, *, name: str = "import.csv", museo: str | None = None) -> ParsedFile:
    slug = registry.get(base).slug
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"', doublequote=True, strict=False)
    try:
        rows = [(reader.line_num, cells) for cells in reader]
    except csv.Error as exc:
        raise ImportFileError(f"{name} : fichier CSV illisible ligne {reader.line_num} ({exc}).") from None
    if not rows:
        raise ImportFileError(f"{name} : le fichier est vide.")
    (_l, header), body = rows[0], rows[1:]
    transform = None
    if slug == "joconde":
        def transform(_slug, record):
            return joconde_txt.finish(record, museo=museo)
    return tables.build(name, header, body, lambda row: slug, transform=transform)
