"""Retired field codes still found in POP dumps and old exports, per base.

Input carrying one of these keys is accepted: the key is dropped and the write reports a warning
(``LEGACY_FIELD``), because POP itself silently dropped them (Mongoose strict schemas) and old dumps are
full of them. Any other key that is not a field of the base is an error (``UNKNOWN_FIELD``): a typo must
never lose data silently. ``None`` as a reason means "no replacement".
"""
from __future__ import annotations

# Keys of every base: MongoDB internals and POP-wide fields that no longer exist.
COMMON: dict[str, str | None] = {
    "_id": "identifiant interne MongoDB",
    "__v": "version interne MongoDB",
    "POP_COMMENTAIRES": None,
    "POP_HAS_LOCATION": "remplacé par POP_CONTIENT_GEOLOCALISATION, calculé",
    "POP_COORDINATES_POINT": "remplacé par POP_COORDONNEES",
}

# Retired or renamed fields of one base.
BY_BASE: dict[str, dict[str, str | None]] = {
    "merimee": {"IDEO": None, "DOSURLP": "remplacé par DOSURLPDF"},
    "palissy": {"DOSURLP": "remplacé par DOSURLPDF"},
    "memoire": {"MEMOIRE": "les images liées se lisent sur les notices cibles (LBASE)"},
    "museo": {"MEL": "remplacé par CONTACT_MUSEO", "CONTACT": "remplacé par CONTACT_GENERIQUE"},
    "autor": {"LOCA": "remplacé par AUTORLOCA"},
    "enluminures": {"IMG": "remplacé par VIDEO"},
}


def legacy_reason(base: str, code: str) -> tuple[bool, str | None]:
    """(is a known legacy key, what replaced it) for ``code`` in ``base``."""
    table = BY_BASE.get(base, {})
    if code in table:
        return True, table[code]
    if code in COMMON:
        return True, COMMON[code]
    return False, None
