"""Reading import files: UTF-8 or ISO-8859-1 (Windows-1252), with clear French errors.

POP reads import files as ISO-8859-1 unless the user picks UTF-8 (UTF-8 only for INV, MNR, Muséofile
and Enluminures). ``decode(raw, encoding=None)``:

- ``encoding=None`` (automatic): UTF-8 when the bytes are valid UTF-8, otherwise Windows-1252
  (the superset of ISO-8859-1 that spreadsheet exports actually use);
- ``encoding="utf-8"``: invalid bytes are an ``ImportFileError`` naming the line and the byte;
- ``encoding="iso-8859-1"`` / ``"windows-1252"``: decoded as such.

In every case the decoded text is checked for mojibake (UTF-8 text that was once read as Latin-1 and
saved again, e.g. ``Ã©`` for ``é``, or the replacement character ``�``): such a file is refused, as in
POP, because importing it would spread the damage into the catalogue.
"""
from __future__ import annotations

import codecs
import re

from pop.imports.common import ImportFileError

ENCODINGS = {
    "utf-8": "utf-8", "utf8": "utf-8",
    "iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252",
    "windows-1252": "cp1252", "cp1252": "cp1252",
}
ENCODING_LABELS = {"utf-8": "UTF-8", "cp1252": "ISO-8859-1 / Windows-1252"}

# "Ã" or "Â" followed by a Latin-1 continuation character is how UTF-8 accented letters look once
# decoded as Latin-1 ("Ã©" = é, "Ã¨" = è, "Â°" = °); "â€" starts the Windows-1252 view of ’ “ ” – —.
MOJIBAKE_RE = re.compile("Ã[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
                         "|Â[\u00a0-\u00bf]|â€|\ufffd")


def _line_col(raw: bytes, offset: int) -> tuple[int, int]:
    line = raw.count(b"\n", 0, offset) + 1
    col = offset - (raw.rfind(b"\n", 0, offset) + 1) + 1
    return line, col


def decode(raw: bytes, encoding: str | None = None, *, name: str = "le fichier") -> tuple[str, str]:
    """(text, codec used) for the bytes of an import file; raises ImportFileError."""
    if not isinstance(raw, (bytes, bytearray)):
        raise ImportFileError(f"{name} : contenu binaire attendu.")
    raw = bytes(raw)
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
        encoding = encoding or "utf-8"
    codec = None
    if encoding is not None:
        codec = ENCODINGS.get(encoding.strip().lower())
        if codec is None:
            raise ImportFileError(f"Encodage « {encoding} » non pris en charge (UTF-8 ou ISO-8859-1).")
    if codec in (None, "utf-8"):
        try:
            text = raw.decode("utf-8")
            codec = "utf-8"
        except UnicodeDecodeError as exc:
            if codec == "utf-8":
                line, col = _line_col(raw, exc.start)
                raise ImportFileError(
                    f"{name} n'est pas un fichier UTF-8 valide : octet 0x{raw[exc.start]:02X} invalide "
                    f"ligne {line}, colonne {col}. Enregistrez le fichier en UTF-8 ou choisissez l'encodage "
                    f"ISO-8859-1.") from None
            codec = "cp1252"
    if codec == "cp1252":
        # cp1252 leaves 5 bytes undefined; those are ISO-8859-1 C1 controls, caught by validation.
        text = raw.decode("cp1252", errors="strict") if _cp1252_ok(raw) else raw.decode("latin-1")
    check_mojibake(text, name=name, codec=codec)
    return text.replace("\r\n", "\n").replace("\r", "\n"), codec


def _cp1252_ok(raw: bytes) -> bool:
    try:
        raw.decode("cp1252")
        return True
    except UnicodeDecodeError:
        return False


def check_mojibake(text: str, *, name: str = "le fichier", codec: str = "utf-8") -> None:
    match = MOJIBAKE_RE.search(text)
    if match is None:
        return
    line = text.count("\n", 0, match.start()) + 1
    sample = text[max(0, match.start() - 15):match.end() + 15].replace("\n", " ").strip()
    raise ImportFileError(
        f"{name} contient des caractères mal encodés ligne {line} (« {sample} », lu en "
        f"{ENCODING_LABELS.get(codec, codec)}) : le fichier a probablement été enregistré avec un mauvais "
        f"encodage. Vérifiez l'encodage choisi ou corrigez le fichier avant de l'importer.")
