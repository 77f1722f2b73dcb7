"""Shapes shared by the import parsers."""
from __future__ import annotations

from dataclasses import dataclass, field


class ImportFileError(ValueError):
    """The file cannot be read at all (encoding, structure). The message is French and shown as is."""


@dataclass
class ParsedFile:
    """Result of parsing one import file.

    ``records``: ``(base slug, {field code: raw value})`` in file order; raw values are strings
    (multi-valued fields keep their ``;`` separators; the write service splits them).
    ``notices``: French messages about the file as a whole (ignored columns, remapped codes).
    ``line_numbers``: first line of each record in the file (1-based), for reports.
    """

    name: str
    records: list[tuple[str, dict]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    encoding: str = "utf-8"


def ignored_columns_notice(base_label: str, codes: list[str]) -> str:
    shown = ", ".join(f"« {c} »" for c in codes[:20])
    more = f" (et {len(codes) - 20} autres)" if len(codes) > 20 else ""
    kind = "des bases" if "," in base_label else "de la base"
    return f"Colonnes ignorées, inconnues {kind} {base_label} : {shown}{more}."
