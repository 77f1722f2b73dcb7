"""MH / Inventaire ``|``-separated CSV: no quote character (quotes stay literal), one base per row.

The base of each row is chosen from its REF: the producers' REF prefixes (``pop.catalog.producers``,
longest first) among the bases of the import, then the bases' REF patterns. As in POP, one pair of
surrounding double quotes is stripped from DESC and HIST only.

    parsed = parse(text, bases=("merimee", "palissy", "memoire", "autor"))
"""
from __future__ import annotations

from pop.catalog.producers import SEED
from pop.imports import tables
from pop.imports.common import ImportFileError, ParsedFile
from pop.schema import registry

MH_BASES = ("merimee", "palissy", "memoire", "autor")
UNQUOTED = ("DESC", "HIST")


def base_for_ref(ref: str, bases: tuple[str, ...] = MH_BASES) -> str:
    ref = (ref or "").strip().upper()
    prefixes = sorted(((p, base) for _label, base, ps in SEED if base in bases for p in ps), key=lambda pb: -len(pb[0]))
    for prefix, base in prefixes:
        if ref.startswith(prefix):
            return base
    for base in bases:
        if registry.get(base).ref_regex.match(ref):
            return base
    return bases[0]


def _strip_quotes(slug: str, record: dict) -> dict:
    for code in UNQUOTED:
        value = record.get(code)
        if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
            record[code] = value[1:-1]
    return record


def parse(text: str, *, bases: tuple[str, ...] = MH_BASES, name: str = "import.csv") -> ParsedFile:
    bases = tuple(registry.get(b).slug for b in bases)
    lines = [(n, line.rstrip("\r")) for n, line in enumerate(text.split("\n"), start=1)]
    lines = [(n, line) for n, line in lines if line.strip()]
    if not lines:
        raise ImportFileError(f"{name} : le fichier est vide.")
    header = lines[0][1].split("|")
    body = [(n, line.split("|")) for n, line in lines[1:]]
    return tables.build(name, header, body, lambda row: base_for_ref(row.get("REF", ""), bases), transform=_strip_quotes)
