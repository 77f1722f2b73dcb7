"""Header-row tables (the CSV and pipe formats): header cells are field codes, one record per row.

Rules shared by every tabular format (POP §6): columns unknown to the base are ignored and reported
once for the file; a cell present in the file (even empty) is sent, an empty cell clears the field on
update; a column absent from the file leaves the field untouched; empty lines are skipped; a short
row leaves its missing cells absent; extra cells beyond the header are ignored.
"""
from __future__ import annotations

from typing import Callable, Iterable

from pop.imports.common import ImportFileError, ParsedFile, ignored_columns_notice
from pop.schema import Base, registry


def known_column(base: Base, code: str) -> bool:
    if code in base:
        return True
    parent, dot, _sub = code.partition(".")
    return bool(dot) and parent in base and bool(base[parent].subfields)


def build(name: str, header: list[str], rows: Iterable[tuple[int, list[str]]], base_of: Callable[[dict], str],
          *, transform: Callable[[str, dict], dict] | None = None,
          prepare: Callable[[dict], dict] | None = None) -> ParsedFile:
    """ParsedFile from a header and (line number, cells) rows; ``base_of(row)`` names each row's base.

    ``prepare(row)`` may rename columns before unknown ones are set aside; ``transform(base, record)``
    finishes a record made of known columns only.
    """
    header = [h.strip().lstrip("\ufeff") for h in header]
    if not header or "REF" not in header:
        raise ImportFileError(f"{name} : la première ligne doit contenir les codes des champs, dont « REF ».")
    duplicates = sorted({h for h in header if h and header.count(h) > 1})
    if duplicates:
        raise ImportFileError(f"{name} : colonnes en double dans l'en-tête : {', '.join(duplicates)}.")
    out = ParsedFile(name=name)
    ignored: dict[str, set[str]] = {}
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        row = {code: cells[i] for i, code in enumerate(header) if code and i < len(cells)}
        if prepare is not None:
            row = prepare(row)
        slug = base_of(row)
        base = registry.get(slug)
        record = {}
        for code, value in row.items():
            if known_column(base, code):
                record[code] = value
            else:
                ignored.setdefault(slug, set()).add(code)
        if transform is not None:
            record = transform(slug, record)
        out.records.append((slug, record))
        out.line_numbers.append(line)
    for slug, codes in ignored.items():
        out.notices.append(ignored_columns_notice(registry.get(slug).short_label, sorted(codes)))
    return out
