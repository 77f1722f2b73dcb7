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
    seen_bases: list[str] = []
    known_somewhere: set[str] = set()
    ignored_values: dict[str, set[str]] = {}  # base -> columns with a value that base does not have
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        row = {code: cells[i] for i, code in enumerate(header) if code and i < len(cells)}
        if prepare is not None:
            row = prepare(row)
        slug = base_of(row)
        base = registry.get(slug)
        if slug not in seen_bases:
            seen_bases.append(slug)
        record = {}
        for code, value in row.items():
            if known_column(base, code):
                record[code] = value
                known_somewhere.add(code)
            elif str(value).strip():
                ignored_values.setdefault(slug, set()).add(code)
        if transform is not None:
            record = transform(slug, record)
        out.records.append((slug, record))
        out.line_numbers.append(line)
    columns = list(prepare(dict.fromkeys(header, "")) if prepare is not None else dict.fromkeys(header))
    unknown = [c for c in columns if c and not any(known_column(registry.get(b), c) for b in seen_bases)]
    if unknown:
        labels = ", ".join(registry.get(b).short_label for b in seen_bases)
        out.notices.append(ignored_columns_notice(labels, unknown))
    for slug in seen_bases:
        extra = sorted(ignored_values.get(slug, set()) - set(unknown))
        if extra:
            out.notices.append(f"Valeurs ignorées pour les notices {registry.get(slug).short_label}, qui n'ont pas ces "
                               f"champs : {', '.join(f'« {c} »' for c in extra)}.")
    return out
