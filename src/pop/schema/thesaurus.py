"""Controlled vocabularies (thesaurus) known to the platform, for warnings on free values.

POP checks values against OpenTheso thesauri; the platform keeps a local list per thesaurus id,
filled from the vocabularies it ships (``pop/referentials/data/vocabularies.json``). A value outside a
known list is a warning, never an error; thesauri with no local list are not checked.
"""
from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

VOCAB_FILE = Path(__file__).resolve().parents[1] / "referentials" / "data" / "vocabularies.json"

# thesaurus id -> vocabulary keys of vocabularies.json
THESAURUS_VOCABULARIES = {
    "th294": ("joconde_domains",),
    "th290": ("joconde_denominations",),
    "th366": ("merimee_denominations",),
    "th361": ("palissy_denominations",),
    "th369": ("protections",),
}


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn").strip()


@lru_cache(maxsize=None)
def terms(thesaurus: str) -> dict[str, str] | None:
    keys = THESAURUS_VOCABULARIES.get(_thesaurus_id(thesaurus))
    if not keys or not VOCAB_FILE.exists():
        return None
    vocab = json.loads(VOCAB_FILE.read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for key in keys:
        for term in vocab.get(key, []):
            out[fold(term)] = term
    return out or None


def _thesaurus_id(thesaurus: str) -> str:
    """'opentheso:th294 | ark:/67717/T51 | …' -> 'th294' (ark-only thesauri have no local list)."""
    match = re.search(r"opentheso:(th\d+)", thesaurus or "")
    return match.group(1) if match else ""


_PREFERRED: dict[str, tuple[dict, frozenset[str]]] = {}


def _preferred(thesaurus: str, known: dict[str, str]) -> frozenset[str]:
    """The preferred forms of the terms ``known`` of a thesaurus (a value among them needs no
    warning), kept as long as ``terms`` gives the same list."""
    entry = _PREFERRED.get(thesaurus)
    if entry is None or entry[0] is not known:
        entry = _PREFERRED[thesaurus] = (known, frozenset(known.values()))
    return entry[1]


def checked(thesaurus: str) -> bool:
    """Whether values of a field bound to ``thesaurus`` are checked (the platform has its list)."""
    return terms(thesaurus) is not None


def thesaurus_warning(thesaurus: str, value: str) -> str | None:
    known = terms(thesaurus)
    if not known or value in _preferred(thesaurus, known):
        return None
    folded = fold(value)
    if folded in known:
        return f"« {value} » : la forme à préférer est « {known[folded]} »"
    suggestions = sorted(t for f, t in known.items() if f.startswith(folded[:3]))[:3]
    hint = f" (suggestions : {', '.join(suggestions)})" if suggestions else ""
    return f"« {value[:60]} » ne fait pas partie du thésaurus{hint}"
