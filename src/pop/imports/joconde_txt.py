"""Joconde "ajout piloté" text files (and the Joconde-specific finishing shared with the Joconde CSV).

Format: a field code alone on a line, its value on the next line(s); a line holding exactly ``//`` ends
the record. A value line ending in ``-`` continues on the next line (the ``-`` and the line break are
removed); any other following line that is not itself a Joconde field code is a new line of the same
value. No library reads this format (it is specific to the Joconde museums' software), hence this parser.

    parsed = parse(text, museo="M0017")   # -> ParsedFile with ("joconde", {...}) records

Finishing (``finish``), as POP's Joconde importer does:
- REF made only of digits and shorter than 11 is left-padded with zeros (Joconde REFs have 11 characters);
- MUSEO defaults to the museum chosen for the import;
- IMG is derived from REFIM: for each ``;`` entry, the first ``,`` token is the file name, shortened
  (path, museum-code prefix and ``_X`` size suffix removed), lower-cased and slugified, stored under
  ``joconde/{REF}/``.
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath

from django.utils.text import slugify

from pop.imports.common import ParsedFile
from pop.schema import registry

RECORD_END = "//"
_MUSEUM_PREFIX = re.compile(r"^M\d{3,}$", re.I)
_SIZE_SUFFIX = re.compile(r"^[A-Z]$", re.I)


def parse(text: str, *, museo: str | None = None, name: str = "joconde.txt") -> ParsedFile:
    base = registry.get("joconde")
    codes = set(base.by_code)
    out = ParsedFile(name=name)
    record: dict[str, str] = {}
    code: str | None = None
    lines: list[str] = []
    start_line = 0
    continued = False  # previous value line ended with " -"

    def close_field():
        nonlocal code, lines
        if code is not None:
            value = "".join(lines).strip()
            record[code] = f"{record[code]} ; {value}" if record.get(code) and value else (value or record.get(code, ""))
        code, lines = None, []

    def close_record():
        nonlocal record
        close_field()
        if record:
            out.records.append(("joconde", finish(record, museo=museo)))
            out.line_numbers.append(start_line)
        record = {}

    for number, raw_line in enumerate(text.split("\n"), start=1):
        line = raw_line.rstrip("\r")
        stripped = line.strip()
        if stripped == RECORD_END:
            close_record()
            continued = False
            continue
        if not continued and stripped in codes:
            close_field()
            if not record:
                start_line = number
            code = stripped
            continue
        if code is None:
            if stripped:  # text outside any field: keep it visible instead of dropping it silently
                if not record:
                    start_line = number
                record.setdefault("__orphan__", stripped)
            continue
        if stripped.endswith("-"):
            lines.append(("\n" if lines and not continued else "") + line.rstrip()[:-1])
            continued = True
        else:
            lines.append(("\n" if lines and not continued else "") + line)
            continued = False
    close_record()
    orphans = [i for i, (_b, rec) in enumerate(out.records) if "__orphan__" in rec]
    for i in orphans:
        text_ = out.records[i][1].pop("__orphan__")
        out.notices.append(f"Notice n° {i + 1} (ligne {out.line_numbers[i]}) : texte hors de tout champ ignoré (« {text_[:60]} »).")
    return out


def finish(record: dict, *, museo: str | None = None) -> dict:
    """Joconde rules applied to one parsed record (both the text and the CSV formats)."""
    ref = str(record.get("REF", "") or "").strip()
    if ref.isdigit() and len(ref) < 11:
        ref = ref.zfill(11)
    if "REF" in record:
        record["REF"] = ref
    if museo and not str(record.get("MUSEO", "") or "").strip():
        record["MUSEO"] = museo
    if "REFIM" in record and "IMG" not in record:
        record["IMG"] = image_keys(ref, str(record["REFIM"] or ""))
    return record


def image_file_name(entry: str) -> str:
    """'M016183_0016630_P.JPG,DS1,,0016630.JPG' -> '0016630.jpg'."""
    first = entry.split(",")[0].strip()
    name = PureWindowsPath(first).name if "\\" in first else PurePosixPath(first).name
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    parts = stem.split("_")
    if len(parts) > 1 and _MUSEUM_PREFIX.match(parts[0]):
        parts = parts[1:]
    if len(parts) > 1 and _SIZE_SUFFIX.match(parts[-1]):
        parts = parts[:-1]
    stem = slugify("_".join(parts))
    return f"{stem}.{ext.lower()}" if ext else stem


def image_keys(ref: str, refim: str) -> list[str]:
    names = [image_file_name(e) for e in refim.split(";") if e.strip()]
    return [f"joconde/{ref}/{n}" for n in dict.fromkeys(n for n in names if n)]
