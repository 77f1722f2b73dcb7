"""Place values of a record as values of the hierarchical "lieu" facet (région → département →
commune), so that a place on a record page links to the results filtered by that place.

    paths = lieu_paths(base, view)
    paths[("DPT", "59")]        -> "Hauts-de-France/Nord"
    paths[("COM", "Roubaix")]   -> "Hauts-de-France/Nord/Roubaix"
    paths[("REG", "Occitanie")] -> "Occitanie"

Which fields hold regions, departments and communes comes from the cross-base field groups of
``pop.schema.groups`` ("region", "departement", "commune"); department codes and names are resolved
with ``pop.referentials.geography``. The paths follow the facet's contract documented in
``pop.search.interface.SimpleQuery`` (a commune is placed under the record's first department, a
department under its region: ``geography.department_path`` / ``commune_path``, the rule the index
uses too). A value that cannot be placed (a commune of a record without a
department, an unknown department) gets no path: the caller falls back to a field search.
"""
from __future__ import annotations

from functools import lru_cache

from pop.referentials.geography import commune_path, department_of, department_path
from pop.schema import registry
from pop.schema.groups import GROUPS_BY_KEY
from pop.schema.types import Base

PLACE_GROUPS = ("region", "departement", "commune")


def place_fields(base: Base) -> dict[str, str]:
    """{field code: place group key} of the public place fields of ``base``."""
    return _place_fields(base.slug)


@lru_cache(maxsize=None)
def _place_fields(slug: str) -> dict[str, str]:
    base = registry.get(slug)
    return {code: key for key in PLACE_GROUPS for code in GROUPS_BY_KEY[key].codes_for(base)}


def _strings(raw) -> list[str]:
    values = raw if isinstance(raw, list) else [raw]
    out = []
    for v in values:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = str(v)
        if isinstance(v, str) and v.strip():
            out.append(v.strip())
    return out


def lieu_paths(base: Base, view: dict) -> dict[tuple[str, str], str]:
    """{(field code, value): lieu facet path} for every place value of the record that can be placed."""
    fields = place_fields(base)
    by_group: dict[str, list[tuple[str, str]]] = {key: [] for key in PLACE_GROUPS}
    for code, key in fields.items():
        by_group[key] += [(code, v) for v in _strings(view.get(code))]
    out: dict[tuple[str, str], str] = {}
    for code, value in by_group["region"]:
        out[(code, value)] = value
    first = None
    for code, value in by_group["departement"]:
        found = department_of(value)
        if found:
            out[(code, value)] = department_path(found)
            first = first or found
    if first:
        for code, value in by_group["commune"]:
            out[(code, value)] = commune_path(first, value)
    return out
