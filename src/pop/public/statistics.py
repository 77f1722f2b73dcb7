"""Catalogue figures for the home and statistics pages, computed from the search facets (fast at
millions of records) with the database as fallback, cached until the next write (``caching.by_seq``).

    base_counts()  -> {"merimee": 312000, "palissy": ..., ...}   (every base, 0 when empty)
    overview()     -> {"total": n, "bases": [(label, n)], "producers": [(label, n)], "domains": [(label, n)],
                       "centuries": [(label, n)], "images": [(label, n)], "geo": [(label, n)]}
"""
from __future__ import annotations

import logging

from django.core.cache import cache
from django.db.models import Count

from pop.catalog.models import Record
from pop.public.caching import by_seq
from pop.schema import registry

log = logging.getLogger("pop.public")
CENTURIES = tuple(range(1, 22))   # 1st to 21st century


def _engine():
    try:
        from pop.search import interface
        return interface
    except ImportError:  # search app absent: figures come from the database
        return None


def _facets(size: int = 50, **kw) -> dict | None:
    engine = _engine()
    if engine is None:
        return None
    try:
        return engine.facets(engine.SimpleQuery(size=0, facet_size=size, **kw))
    except Exception as exc:  # noqa: BLE001 - an unavailable index must not break the page
        log.warning("facettes indisponibles, repli sur la base de données : %s", exc)
        return None


def _count(**kw) -> int | None:
    engine = _engine()
    if engine is None:
        return None
    try:
        return engine.search(engine.SimpleQuery(size=0, with_facets=False, **kw)).total
    except Exception as exc:  # noqa: BLE001
        log.warning("comptage indisponible : %s", exc)
        return None


def _base_slug(value: str) -> str | None:
    base = registry.find(value) or registry.by_label(value)
    return base.slug if base else None


def _db_base_counts() -> dict[str, int]:
    """Fallback when the index is unavailable: a full scan (seconds at millions of records), so
    its answer is kept an hour whatever the writes (approximate figures beat a slow home page)."""
    counts = cache.get("pop-public:db-base-counts")
    if counts is None:
        rows = Record.objects.filter(status=Record.PUBLISHED).values("base").annotate(n=Count("id"))
        counts = {r["base"]: r["n"] for r in rows}
        cache.set("pop-public:db-base-counts", counts, timeout=3600)
    return counts


def _compute_base_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    facets = _facets(size=20)
    if facets and facets.get("base"):
        for value, n in facets["base"]:
            slug = _base_slug(value)
            if slug:
                counts[slug] = counts.get(slug, 0) + n
    else:
        counts = _db_base_counts()
    return {b.slug: counts.get(b.slug, 0) for b in registry.bases()}


def base_counts() -> dict[str, int]:
    return by_seq("base-counts", _compute_base_counts, max_age=300)


def _label_base(pairs):
    out = []
    for value, n in pairs:
        base = registry.find(value) or registry.by_label(value)
        out.append((base.short_label if base else value, n))
    return out


def _yes_no(pairs, yes: str, no: str):
    d = {str(v).lower(): n for v, n in pairs}
    return [(yes, d.get("oui", 0)), (no, d.get("non", 0))]


def _century_label(c: int) -> str:
    return "Ier siècle" if c == 1 else f"{c}e siècle"


def _compute_overview() -> dict:
    counts = _compute_base_counts()
    total = sum(counts.values())
    out = {"total": total,
           "bases": [(b.short_label, counts[b.slug]) for b in registry.bases()],
           "producers": [], "domains": [], "centuries": [], "images": [], "geo": [], "source": "index"}
    facets = _facets(size=30)
    if facets is None:
        out["source"] = "base de données"
        producers = cache.get("pop-public:db-producers")
        if producers is None:
            rows = (Record.objects.filter(status=Record.PUBLISHED).values("producer").annotate(n=Count("id"))
                    .order_by("-n")[:30])
            producers = [(r["producer"] or "non renseigné", r["n"]) for r in rows]
            cache.set("pop-public:db-producers", producers, timeout=3600)
        out["producers"] = producers
        return out
    out["producers"] = list(facets.get("producteur", []))
    out["domains"] = list(facets.get("domaine", []))
    out["images"] = _yes_no(facets.get("image", []), "Avec image", "Sans image")
    out["geo"] = _yes_no(facets.get("geolocalisation", []), "Géolocalisées", "Non géolocalisées")
    for c in CENTURIES:
        start = (c - 1) * 100 + (1 if c > 0 else 0)
        n = _count(year_min=start, year_max=c * 100)
        if n:
            out["centuries"].append((_century_label(c), n))
    return out


def overview() -> dict:
    return by_seq("overview", _compute_overview, max_age=600)
