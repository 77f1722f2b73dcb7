"""POP's field-keyed names (``DOMN.keyword``, ``sort[0][TICO.keyword]``) ↔ the engine's names.

POP's API keys aggregations and sorts by index field (``BASE.keyword``, ``AUTR.keyword``…), while
our engine has cross-base facets (``pop.schema.groups.FACETS``: "domaine" gathers DOMN, DOM,
CATE… of every base) and named sorts (``interface.SORTS``). Each facet is shown under the field
code that feeds it in most bases (read from the registry), and that same key is accepted back in
``facets[KEY][i]``, so a client that re-sends a bucket key filters on the whole facet.
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache

from pop.api.http import ApiError
from pop.schema import registry
from pop.schema.groups import FACETS, FACETS_BY_NAME, GROUPS_BY_KEY
from pop.schema.types import V

# Facets the search core computes rather than reads from a declared field: the computed field
# POP's index exposes them under. "lieu" (region/department/commune paths) has no POP equivalent.
_CORE_FACET_KEYS = {"base": "BASE", "producteur": "PRODUCTEUR", "image": "CONTIENT_IMAGE",
                    "geolocalisation": "POP_CONTIENT_GEOLOCALISATION", "lieu": "LIEU"}


@lru_cache(maxsize=1)
def facet_keys() -> dict[str, str]:
    """engine facet name -> API key (without ``.keyword``)."""
    out = {}
    for facet in FACETS:
        if facet.name in _CORE_FACET_KEYS:
            out[facet.name] = _CORE_FACET_KEYS[facet.name]
            continue
        codes = Counter(f.code for _, f in registry.all_fields() if f.facet == facet.name and f.visibility is V.PUBLIC)
        out[facet.name] = codes.most_common(1)[0][0] if codes else facet.name.upper()
    return out


@lru_cache(maxsize=1)
def _facet_by_key() -> dict[str, str]:
    return {key: name for name, key in facet_keys().items()}


@lru_cache(maxsize=1)
def public_codes() -> frozenset[str]:
    return frozenset(f.code for _, f in registry.all_fields() if f.visibility is V.PUBLIC)


def engine_facet(key: str) -> str:
    """API facet key (``DOMN``, ``domaine``, ``DENO``…) -> engine facet name or public field code."""
    if key in _facet_by_key():
        return _facet_by_key()[key]
    if key in FACETS_BY_NAME:
        return key
    if key in public_codes():
        return key
    raise ApiError(f"Champ de facette inconnu : « {key} ».", "unknown_field")


def api_facet_key(name: str) -> str:
    """engine facet name or field code -> aggregation key ``FIELD.keyword``."""
    return f"{facet_keys().get(name, name)}.keyword"


# --- sorts ----------------------------------------------------------------------------------------

# POP sorts by index field; each engine sort answers for the fields it orders by: the title field of
# each base (the engine's "title" is the record's display title), the fields of the "periode" group
# (the engine's "date" is the record's year range), REF, and DMAJ (last modification).
@lru_cache(maxsize=1)
def sort_names() -> dict[str, str]:
    out = {"_score": "relevance", "_id": "ref", "REF": "ref", "DMAJ": "modified", "POP_DATE": "date"}
    for base in registry.bases():
        if base.title_fields:
            out.setdefault(base.title_fields[0], "title")
    for code in GROUPS_BY_KEY["periode"].codes:
        out.setdefault(code, "date")
    from pop.search.interface import SORTS
    for name in SORTS:  # the engine's own names are accepted as they are
        out.setdefault(name, name)
    return out


def _shown() -> str:
    return ", ".join(["_score", *sorted(f"{k}.keyword" for k in sort_names() if k.isupper())])


def engine_sort(criteria: list[tuple[str, str]]) -> tuple[str, str | None]:
    """[("TICO", "asc")] -> ("title", "asc"). The engine sorts on one key (plus its own REF
    tie-breaker), so further criteria are accepted only when they are that tie-breaker."""
    if not criteria:
        return "relevance", None
    names = sort_names()
    resolved = []
    for field, order in criteria:
        if field not in names:
            raise ApiError(f"Tri impossible sur « {field} ». Tris possibles : {_shown()}.", "invalid_sort")
        resolved.append((names[field], order))
    first, *rest = resolved
    if any(name not in ("ref", "relevance") or name == first[0] for name, _ in rest):
        raise ApiError("Un seul critère de tri est pris en charge (suivi éventuellement de REF.keyword).", "invalid_sort")
    return first
