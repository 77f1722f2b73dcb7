"""Choosing the parser for an import file from its name and first line.

    parsed = parse_file("GERTRUDE_xmlToMERIMEE_lexicovide.txt", raw_bytes)
    parsed = parse_file("mnr.csv", raw_bytes, base="mnr")
    parsed = parse_file("notices.txt", raw_bytes, museo="M0017")     # Joconde "ajout piloté"
"""
from __future__ import annotations

from pathlib import PurePath

from pop.imports import csv_semicolon, encoding, gertrude, joconde_txt, pipe_csv
from pop.imports.common import ImportFileError, ParsedFile
from pop.schema import registry

UTF8_ONLY = ("mnr", "museo", "enluminures")  # POP reads these imports as UTF-8 only


def parse_file(name: str, raw: bytes, *, base: str | None = None, enc: str | None = None,
               museo: str | None = None) -> ParsedFile:
    filename = PurePath(name).name
    slug = registry.get(base).slug if base else None
    if gertrude.base_from_name(filename):
        text, codec = encoding.decode(raw, enc or "utf-8", name=filename)
        parsed = gertrude.parse(text, name=filename)
    elif filename.lower().endswith(".txt"):
        if slug not in (None, "joconde"):
            raise ImportFileError(f"{filename} : les fichiers .txt sont des notices Joconde (« ajout piloté »).")
        text, codec = encoding.decode(raw, enc, name=filename)
        parsed = joconde_txt.parse(text, museo=museo, name=filename)
    elif filename.lower().endswith(".csv"):
        text, codec = encoding.decode(raw, enc or ("utf-8" if slug in UTF8_ONLY else None), name=filename)
        first = text.split("\n", 1)[0]
        if first.count("|") > first.count(";"):
            bases = (slug,) if slug else pipe_csv.MH_BASES
            parsed = pipe_csv.parse(text, bases=bases, name=filename)
        else:
            if slug is None:
                raise ImportFileError(f"{filename} : précisez la base de ce fichier CSV séparé par « ; ».")
            parsed = csv_semicolon.parse(text, slug, name=filename, museo=museo)
    else:
        raise ImportFileError(f"{filename} : format non reconnu (fichiers .txt, .csv ou exports GERTRUDE attendus).")
    parsed.encoding = codec
    return parsed
