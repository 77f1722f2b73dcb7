"""Runs a results page's search and shapes what the templates show: cards, facet panel,
active-filter tags, pagination (to the very last page), view and sort switches.

    page = run(state, request_path)   # state: SearchState or ExpertState
    page["total"], page["cards"], page["facets"], page["pages"], page["error"]
"""
from __future__ import annotations

import hashlib
import json
import logging
import math

from django.core.cache import cache

from pop.public import display, media
from pop.public.neighbours import record_link
from pop.public.searchparams import FACET_SIZE, FACET_SIZE_MORE, PAGE_SIZES, SORT_LABELS, VIEWS
from pop.schema import registry
from pop.schema.groups import FACETS
from pop.catalog.service import current_seq
from pop.search.interface import MAX_OFFSET, QueryError, search

log = logging.getLogger("pop.public")
REVERSIBLE_SORTS = ("title", "date", "ref", "modified")
DEEP = 2_000  # offsets beyond this may be read from the other end of the sort
NATURAL_ORDER = {"relevance": "desc", "title": "asc", "ref": "asc", "date": "asc", "modified": "desc"}


def _card(hit, search_path: str, rank: int) -> dict:
    base = registry.find(hit.base)
    doc = hit.doc or {}
    title = doc.get("title") or (display.title(base, doc) if base else hit.ref)
    image = doc.get("image") or ""
    return {
        "base": base, "ref": hit.ref, "title": title,
        "subtitle": display.subtitle(base, doc) if base else "",
        "authors": doc.get("authors") or [],
        "thumb": media.thumbnail(image, 400) if image else "",
        "url": record_link(base.public_slug if base else hit.base, hit.ref, search_path, rank),
        "item": f"{base.public_slug if base else hit.base}/{hit.ref}",
        "geo": doc.get("POP_COORDONNEES") if isinstance(doc.get("POP_COORDONNEES"), dict) else None,
    }


def _pages(current: int, last: int) -> list:
    """Page numbers around the current one, with the first and last: [1, "…", 7, 8, 9, "…", 412]."""
    wanted = {1, last, current - 2, current - 1, current, current + 1, current + 2}
    out: list = []
    prev = 0
    for p in sorted(x for x in wanted if 1 <= x <= last):
        if p - prev > 1:
            out.append("…")
        out.append(p)
        prev = p
    return out


def _hierarchy_first(shown: list[dict], selected: list[str]) -> list[dict]:
    """Place values: the selected paths and the places under them first (a commune chosen on a
    record page is seen at once, with its department's other communes), then the others."""
    def near(v):
        return any(v["value"] == s or v["value"].startswith(s + "/") for s in selected)
    chosen = sorted((v for v in shown if v["value"] in selected), key=lambda v: selected.index(v["value"]))
    return chosen + [v for v in shown if near(v) and v not in chosen] + [v for v in shown if not near(v)]


def _facet_panel(state, facets: dict, total: int | None = None) -> list[dict]:
    panel = []
    selected_all = {**state.filters, "base": list(state.bases)} if hasattr(state, "filters") else {}
    for f in FACETS:
        values = facets.get(f.name) or []
        selected = selected_all.get(f.name, [])
        if not values and not selected:
            continue
        shown = []
        seen = set()
        for value, count in values:
            value = str(value)
            label = value.replace("/", " › ") if f.kind == "hierarchy" else value
            if f.kind == "boolean":
                label = {"oui": "Oui", "non": "Non"}.get(value, value)
            if f.name == "base":
                b = registry.find(value) or registry.by_label(value)
                if b is None:
                    continue
                label, value = b.short_label, b.slug
            seen.add(value)
            shown.append({"value": value, "label": label, "count": count, "checked": value in selected})
        for value in selected:  # keep a selected value visible even when the engine gave no count for it
            if value not in seen:
                b = registry.find(value) if f.name == "base" else None
                label = b.short_label if b else value.replace("/", " › ") if f.kind == "hierarchy" else value
                # a lone selected place (the engine counts the level below it): its count is the total
                count = total if f.kind == "hierarchy" and len(selected) == 1 and total is not None else 0
                shown.append({"value": value, "label": label, "count": count, "checked": True})
        if f.kind == "hierarchy" and selected:
            shown = _hierarchy_first(shown, selected)
        limit = FACET_SIZE_MORE if f.name in state.more else FACET_SIZE
        panel.append({"name": f.name, "label": f.label, "values": shown, "selected": len(selected),
                      "more_url": state.url(plus=[*state.more, f.name]),
                      "can_more": f.name not in state.more and len(values) >= FACET_SIZE,
                      "limit": limit, "filter": state.facet_filter.get(f.name, ""),
                      "searchable": f.kind not in ("boolean", "base")
                      and (len(values) >= FACET_SIZE or f.name in state.facet_filter)})
    return panel


def _tags(state) -> list[dict]:
    tags = []
    if getattr(state, "text", ""):
        tags.append({"label": f"Texte : {state.text}", "url": state.without("q")})
    for slug in state.bases:
        b = registry.find(slug)
        tags.append({"label": f"Base : {b.short_label if b else slug}", "url": state.without("base", slug)})
    facets = {f.name: f for f in FACETS}
    for name, values in getattr(state, "filters", {}).items():
        facet = facets.get(name)
        for v in values:
            shown = v.replace("/", " › ") if facet and facet.kind == "hierarchy" else v
            tags.append({"label": f"{facet.label if facet else name} : {shown}", "url": state.without(name, v)})
    return tags


EXPORT_FORMATS = (("csv", "CSV"), ("csv-excel", "CSV pour Excel"), ("xlsx", "Classeur Excel (XLSX)"),
                  ("ods", "Classeur OpenDocument (ODS)"), ("jsonl", "JSON Lines"))


def cached(kind: str, query, compute, *extra):
    """``compute()``, with the answers of criteria-less browsing cached until the next write (at
    most 30 s, the index may still be catching up): without free text every hit has the same
    score, so the engine sorts (or clusters) every matching document — tens of milliseconds at
    millions of records for the most visited pages (/recherche, the map as it opens, the mosaic,
    base filters). Text queries and expert trees are cheap and too varied to cache."""
    if getattr(query, "text", None) or not hasattr(query, "text"):
        return compute()
    key = f"pop-public:{kind}:" + hashlib.sha1(f"{current_seq()}|{query!r}|{extra!r}".encode()).hexdigest()
    result = cache.get(key)
    if result is None:
        result = compute()
        cache.set(key, result, timeout=30)
    return result


def _search(query):
    return cached("results", query, lambda: search(query))


def run(state, search_path: str, *, facets: bool = True) -> dict:
    out: dict = {"error": "", "total": 0, "cards": [], "facets": [], "tags": _tags(state), "pages": [],
                 "last_page": 1, "next_url": "", "prev_url": "", "took_ms": 0, "deep_limit": False}
    size = state.size
    overrides: dict = {"with_facets": facets}
    if state.view == "map":
        overrides["geolocated"] = True
    offset = (state.page - 1) * size
    reverse = False
    if state.after:
        overrides.update(offset=0, search_after=state.after)
    elif offset > DEEP:
        # Far pages: read them from the other end of the sort when that end is nearer (the last
        # pages of millions of results cost what the first ones cost).
        try:
            total = search(state.query(**{**overrides, "offset": 0, "size": 0, "with_facets": False})).total
        except QueryError as exc:
            out["error"] = exc.message
            return out
        from_end = total - offset - size
        # With no free text, "relevance" is the REF order (every score is equal).
        sort = "ref" if state.sort == "relevance" and not state.text and not hasattr(state, "tree") else state.sort
        if sort in REVERSIBLE_SORTS and -size < from_end < offset and from_end <= MAX_OFFSET:
            reverse = True
            current = state.order or NATURAL_ORDER[sort]
            overrides.update(sort=sort, order="desc" if current == "asc" else "asc", offset=max(from_end, 0),
                             size=size + min(from_end, 0))
        elif sort == "relevance" and offset > MAX_OFFSET:
            # relevance cannot be read from the other end: the engine pages by rank (a cursor)
            overrides.update(offset=0, search_after=[0.0, offset - 1])
        elif offset > MAX_OFFSET:
            out["deep_limit"] = True
            overrides.update(offset=MAX_OFFSET - MAX_OFFSET % size)
        else:
            overrides["offset"] = offset
    else:
        overrides["offset"] = offset
    try:
        result = _search(state.query(**overrides))
    except QueryError as exc:
        out["error"] = exc.message
        return out
    except Exception as exc:  # noqa: BLE001 - an unavailable index gives a French message, never a 500
        log.exception("recherche indisponible")
        out["error"] = "Le moteur de recherche est momentanément indisponible. Veuillez réessayer dans quelques instants."
        return out
    hits = list(reversed(result.hits)) if reverse else result.hits
    out["total"] = result.total
    out["took_ms"] = result.took_ms
    last = max(1, math.ceil(result.total / size))
    out["last_page"] = last
    page = state.page
    if result.total and page > last and not state.after:
        out["page_beyond"] = True
        return out
    first_rank = (page - 1) * size
    out["cards"] = [_card(h, search_path, first_rank + i) for i, h in enumerate(hits)]
    out["pages"] = [{"number": p, "url": state.url(page=p), "current": p == page} if p != "…" else {"gap": True}
                    for p in _pages(page, last)]
    if page > 1:
        out["prev_url"] = state.url(page=page - 1)
        out["first_url"] = state.url(page=1)
    if page < last:
        out["next_url"] = state.url(page=page + 1)
        out["last_url"] = state.url(page=last)
        if (page * size) > MAX_OFFSET and hits and hits[-1].sort and not reverse:
            out["next_url"] = state.url(page=page + 1, apres=json.dumps(hits[-1].sort))
    if facets:
        out["facets"] = _facet_panel(state, result.facets, result.total)
    out["views"] = [{"key": k, "label": v, "url": state.url(view=k), "current": k == state.view} for k, v in VIEWS.items()]
    out["sorts"] = [{"key": k, "label": v, "selected": k == state.sort} for k, v in SORT_LABELS.items()]
    out["sizes"] = PAGE_SIZES
    if hasattr(state, "filters") and "image" not in state.filters:
        out["image_only_url"] = state.url(image=["oui"])
    out["sort_hidden"] = [(k, v) for k, v in state.params() if k not in ("sort", "size", "order", "page", "apres")]
    return out
