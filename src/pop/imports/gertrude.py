"""Inventaire GERTRUDE exports: ``GERTRUDE_xmlTo{MERIMEE,PALISSY,MEMOIRE}_lexicovide.txt``.

``|``-separated tables with a header row, UTF-8; cells holding ``;`` are wrapped in double quotes
(read with the standard ``csv`` module). The header row ends with spreadsheet leftovers after the last
real column (empty names, then cells building DOSURL from a URL prefix, the REF and ``.locale=fr``): the
header is cut at its first empty cell and the cells of every row beyond it are ignored.

Mémoire files use GERTRUDE's own codes for a few fields, renamed as POP does:
AUT→AUTP, EMET→IDPROD, AUTR→AUTOEU, DOC→PRECOR, LIEU + ADRS→ADRESSE.
"""
from __future__ import annotations

import csv
import io
import re

from pop.imports import tables
from pop.imports.common import ImportFileError, ParsedFile
from pop.schema import registry

FILE_RE = re.compile(r"GERTRUDE_xmlTo(MERIMEE|PALISSY|MEMOIRE)_lexicovide", re.I)
MEMOIRE_RENAMES = {"AUT": "AUTP", "EMET": "IDPROD", "AUTR": "AUTOEU", "DOC": "PRECOR"}


def base_from_name(name: str) -> str | None:
    match = FILE_RE.search(name or "")
    return match.group(1).lower() if match else None


def _memoire(record: dict) -> dict:
    out = {}
    for code, value in record.items():
        out[MEMOIRE_RENAMES.get(code, code)] = value
    if "LIEU" in record or "ADRS" in record:
        parts = [str(record.get(c, "") or "").strip() for c in ("LIEU", "ADRS")]
        out.pop("LIEU", None)
        out.pop("ADRS", None)
        out["ADRESSE"] = " ; ".join(p for p in parts if p)
    return out


def parse(text: str, base: str | None = None, *, name: str = "GERTRUDE_xmlToMERIMEE_lexicovide.txt") -> ParsedFile:
    slug = registry.get(base).slug if base else base_from_name(name)
    if slug is None:
        raise ImportFileError(f"{name} : nom de fichier GERTRUDE attendu (GERTRUDE_xmlToMERIMEE_lexicovide.txt, "
                              f"GERTRUDE_xmlToPALISSY_lexicovide.txt ou GERTRUDE_xmlToMEMOIRE_lexicovide.txt).")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="|", quotechar='"', strict=False)
    try:
        rows = [(reader.line_num, cells) for cells in reader]
    except csv.Error as exc:
        raise ImportFileError(f"{name} : ligne {reader.line_num} illisible ({exc}).") from None
    if not rows:
        raise ImportFileError(f"{name} : le fichier est vide.")
    header = rows[0][1]
    cut = header.index("") if "" in header else len(header)
    header = header[:cut]
    parsed = tables.build(name, header, [(n, cells[:cut]) for n, cells in rows[1:]], lambda row: slug,
                          prepare=_memoire if slug == "memoire" else None)
    if slug == "memoire" and any(c in MEMOIRE_RENAMES or c == "ADRS" for c in header):
        parsed.notices.append("Colonnes GERTRUDE renommées pour Mémoire : AUT→AUTP, EMET→IDPROD, AUTR→AUTOEU, "
                              "DOC→PRECOR, LIEU + ADRS→ADRESSE.")
    return parsed
