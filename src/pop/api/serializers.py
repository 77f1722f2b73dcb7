"""Shapes of the API answers, built from the registry (labels, sections, types) and public views.

    notice_page(base, view)  -> {"notice": {...}, "sections": [...], "fields": [...]}
    advanced_fields()        -> [{"base", "fields", "label", "isDefault", "fieldType"}, ...]
    envelope(result)         -> {"took", "timed_out", "total", "hits": [hit(h)...], "aggregations"}
    map_answer(clusters)     -> {"took", "total", "zoom", "clusters", "records"}
"""
from __future__ import annotations

from functools import lru_cache

from pop.api.names import api_facet_key, facet_keys
from pop.catalog.reading import visible
from pop.schema import registry
from pop.schema.groups import CROSS_BASE_GROUPS, expert_fields, facet_fields
from pop.schema.types import SECTION_LABELS, Base, Field, S, T, V

# Expert-search input kinds (what a client renders for the value): registry types map onto them.
_FIELD_TYPES = {T.NUMBER: "number", T.DATE: "date", T.GEOPOINT: "geopoint", T.REF: "ref", T.URL: "url",
                T.EMAIL: "text", T.TEXT: "text", T.OBJECT: "object", T.POLYGON: "object"}


def field_descriptor(field: Field) -> dict:
    return {"code": field.code, "label": field.label, "section": field.section.value,
            "type": field.type.value, "multi": field.multi}


def notice_page(base: Base, view: dict) -> dict:
    """The record plus how its page groups and labels it: sections in display order, each listing
    the codes of the record's (public, non-empty) fields, and a descriptor for each of them."""
    by_section: dict[S, list[str]] = {}
    fields = []
    for field in base.public_fields:
        if field.code in view:
            by_section.setdefault(field.section, []).append(field.code)
            fields.append(field_descriptor(field))
    sections = [{"key": s.value, "label": SECTION_LABELS[s], "fields": by_section[s]} for s in S if s in by_section]
    return {"notice": view, "sections": sections, "fields": fields}


def _group_type(base: Base, codes: tuple[str, ...]) -> str:
    kinds = {_FIELD_TYPES[base[c].type] for c in codes}
    return kinds.pop() if len(kinds) == 1 else "text"


@lru_cache(maxsize=1)
def advanced_fields() -> tuple[dict, ...]:
    """Field groups offered by expert search, per base: first the cross-base groups the base has
    (``isDefault``: offered first by the builder), then each queryable public field of the base."""
    out = []
    for base in registry.bases():
        queryable = {f.code for f in expert_fields(base)}
        for group in CROSS_BASE_GROUPS:
            codes = tuple(c for c in group.codes_for(base) if c in queryable)
            if codes:
                out.append({"base": base.public_slug, "fields": ", ".join(codes), "label": group.label,
                            "isDefault": True, "fieldType": _group_type(base, codes)})
        for field in expert_fields(base):
            out.append({"base": base.public_slug, "fields": field.code, "label": field.label,
                        "isDefault": False, "fieldType": _FIELD_TYPES[field.type]})
    return tuple(out)


def authors(base: Base, view: dict) -> list[str]:
    """Normalised author strings of a record (the fields feeding the "auteur" facet)."""
    out: list[str] = []
    for code in facet_fields("auteur", base):
        value = view.get(code)
        for v in value if isinstance(value, list) else [value] if value else []:
            if isinstance(v, str) and v.strip() and v not in out:
                out.append(v)
    return out


# --- search answers -------------------------------------------------------------------------------

def hit(h) -> dict:
    """One engine hit -> ``{"_index", "_id", "_score", "_source", "sort"}``. ``_source`` is re-filtered
    through ``visible()`` so only public registry fields leave, whatever the index stored."""
    base = registry.get(h.base)
    doc = h.doc or {}
    src = visible(base, doc, V.PUBLIC)
    src["authors"] = list(doc.get("authors") or authors(base, src))
    point = doc.get("POP_COORDONNEES")
    if isinstance(point, dict) and point.get("lat") is not None and point.get("lon") is not None:
        src["POP_COORDONNEES"] = {"lat": float(point["lat"]), "lon": float(point["lon"])}
    return {"_index": base.slug, "_id": h.ref, "_score": h.score, "_source": src, "sort": list(h.sort or [])}


def _bucket_key(facet: str, value: str) -> str:
    if facet == "base":  # POP's BASE.keyword buckets carry the base label
        base = registry.find(value)
        return base.label if base else value
    return value


def aggregations(facets: dict) -> dict:
    """Engine facets -> ``{"FIELD.keyword": {"buckets": [{"key", "doc_count"}]}}`` in display order."""
    order = {name: i for i, name in enumerate(facet_keys())}
    names = sorted(facets or {}, key=lambda n: order.get(n, len(order)))
    return {api_facet_key(name): {"buckets": [{"key": _bucket_key(name, v), "doc_count": n} for v, n in facets[name]]}
            for name in names}


def envelope(result) -> dict:
    return {"took": int(round(result.took_ms or 0)), "timed_out": False, "total": int(result.total),
            "hits": [hit(h) for h in result.hits], "aggregations": aggregations(result.facets)}


def map_answer(answer: dict) -> dict:
    """Engine clusters -> API: cluster ``bbox`` as [west, south, east, north] like the request's."""
    clusters = []
    for c in answer.get("clusters", []):
        s, w, n, e = c["bbox"]
        clusters.append({"lat": c["lat"], "lon": c["lon"], "count": c["count"], "bbox": [w, s, e, n]})
    records = [{**r, "base": registry.get(r["base"]).slug} for r in answer.get("records", [])]
    return {"took": int(round(answer.get("took_ms", 0))), "total": int(answer.get("total", 0)),
            "zoom": answer.get("zoom"), "clusters": clusters, "records": records}
