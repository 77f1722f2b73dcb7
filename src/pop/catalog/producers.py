"""Producer of a record from its REF: longest matching prefix of the base, Mémoire's special rules,
then the base's default producer, then the registry's fallback.

The table is small and read-mostly: it is loaded once per process (``reload()`` after edits).
"""
from __future__ import annotations

import threading

from pop.schema import registry

# Seed data (POP's producteurs): (label, base, prefixes); an empty tuple marks the base's default.
SEED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("MUSEE", "joconde", ()),
    ("MNR", "mnr", ()),
    ("Inventaire", "autor", ("OR",)), ("Inventaire", "merimee", ("IA",)), ("Inventaire", "palissy", ("IM",)),
    ("Monuments Historiques", "merimee", ("PA",)), ("Monuments Historiques", "palissy", ("PM",)),
    ("État", "merimee", ("EA",)), ("État", "palissy", ("EM",)),
    ("INV", "memoire", ("IVN", "IVR", "IVD", "IVC")),
    ("CRMH", "memoire", ("MH",)), ("CAOA", "memoire", ("OA",)), ("ARCH", "memoire", ("AR",)),
    ("UDAP", "memoire", ("AP",)),
    ("MAP", "autor", ("AW", "AA", "AC", "AB")),
    ("AUTRE", "memoire", ()), ("AUTRE", "palissy", ()), ("AUTRE", "merimee", ()), ("AUTRE", "autor", ()),
    ("Jeu de Paume", "palissy", ("JDP",)), ("Jeu de Paume", "merimee", ("SJDP",)), ("Jeu de Paume", "memoire", ("AJDP",)),
    ("Corpus Vitrearum", "autor", ("MV",)),
    ("Enluminures", "enluminures", ()),
    ("Muséofile", "museo", ()),
)

# The record fields producer_for reads besides the REF (callers may pass only these).
INPUT_FIELDS = ("IDPROD", "EMET")

_lock = threading.Lock()
_table: dict[str, tuple[list[tuple[str, str]], str | None]] | None = None
# producer_for's answers by (base, REF's first _prefix_len characters, Mémoire's two IDPROD/EMET
# tests): nothing else is read, so the memo gives what the rules give (emptied by reload()).
_memo: dict[tuple, str] = {}
_prefix_len = 0
# Bumped by reload(): an answer given under the same generation is still the answer (see generation()).
_generation = 0


def _load() -> dict[str, tuple[list[tuple[str, str]], str | None]]:
    from pop.catalog.models import Producer

    table: dict[str, tuple[list[tuple[str, str]], str | None]] = {}
    rows = list(Producer.objects.values_list("label", "base", "prefix"))
    if not rows:
        rows = [(label, base, p) for label, base, prefixes in SEED for p in (prefixes or ("",))]
    for label, base, prefix in rows:
        prefixes, default = table.get(base, ([], None))
        if prefix:
            prefixes.append((prefix, label))
        else:
            default = label
        table[base] = (prefixes, default)
    for base in table:
        table[base][0].sort(key=lambda pl: -len(pl[0]))
    return table


def reload() -> None:
    global _table, _generation
    with _lock:
        _table = None
        _memo.clear()
        _generation += 1


def generation() -> int:
    """Changes whenever the table is reloaded: ``producer_for`` gives the same answer for the same
    record as long as it does not."""
    return _generation


def producer_for(base: str, ref: str, data: dict | None = None) -> str:
    global _table, _prefix_len
    if _table is None:
        with _lock:
            if _table is None:
                _memo.clear()
                _table = _load()
                _prefix_len = max((len(p) for prefixes, _d in _table.values() for p, _l in prefixes), default=0)
    data = data or {}
    if base == "memoire":
        idprod = str(data.get("IDPROD") or "")
        emet = str(data.get("EMET") or "")
        key = (base, ref[:_prefix_len], ref.startswith("AP") and idprod.startswith("Service départemental"),
               idprod.startswith("SAP") or emet.startswith("SAP"))
    else:
        key = (base, ref[:_prefix_len])
    label = _memo.get(key)
    if label is None:
        label = _memo[key] = _rules(base, ref, key)
    return label


def _rules(base: str, ref: str, key: tuple) -> str:
    if base == "memoire":
        if key[2]:
            return "UDAP"
        if key[3]:
            return "MPP"
    prefixes, default = _table.get(base, ([], None))
    for prefix, label in prefixes:  # longest first
        if ref.startswith(prefix):
            if base == "memoire" and prefix == "AP":
                return "AUTRE"
            return label
    return default if default is not None else registry.get(base).producer_fallback
