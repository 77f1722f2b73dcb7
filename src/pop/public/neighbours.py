"""Previous / next record within the search that led to a record page.

Result links carry ``?recherche=<results URL>&rang=<0-based position>``; the record page re-runs
that search for the two neighbours (no cookie, no session; works across pages).

    around("/recherche?q=château", "26")
    -> {"search_url": "/recherche?q=château&page=2", "position": 27, "total": 312,
        "prev": "/notice/merimee/PA…?recherche=…&rang=25", "next": "/notice/…&rang=27"}  or None
"""
from __future__ import annotations

import logging
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from django.http import QueryDict
from django.urls import reverse

from pop.search.interface import MAX_OFFSET, QueryError, search

log = logging.getLogger("pop.public")


def _state(path: str):
    from pop.public.expert import ExpertState
    from pop.public.searchparams import SearchState
    parts = urlsplit(path)
    qd = QueryDict(parts.query)
    if parts.path == reverse("public:expert"):
        return ExpertState.from_query(qd)
    return SearchState.from_query(qd)


def safe_search_path(value: str) -> str:
    parts = urlsplit(value or "")
    if parts.scheme or parts.netloc or parts.path not in (reverse("public:results"), reverse("public:expert")):
        return ""
    return parts.path + ("?" + parts.query if parts.query else "")


def record_link(base_public_slug: str, ref: str, search_path: str, rank: int) -> str:
    from pop.public.display import _paths
    url = f"{_paths()[0]}{base_public_slug}/{quote(ref, safe='')}"
    return url + "?" + urlencode({"recherche": search_path, "rang": rank})


def around(search_path: str, rank: str) -> dict | None:
    path = safe_search_path(search_path)
    if not path:
        return None
    try:
        pos = int(rank)
    except (TypeError, ValueError):
        return None
    if not 0 <= pos < MAX_OFFSET:
        return None
    state = _state(path)
    if state.is_empty and state.__class__.__name__ == "ExpertState":
        return None
    start = max(pos - 1, 0)
    try:
        result = search(state.query(offset=start, size=3 if pos else 2, with_facets=False, search_after=None))
    except QueryError:
        return None
    except Exception as exc:  # noqa: BLE001 - the record page renders without neighbours
        log.warning("voisins indisponibles : %s", exc)
        return None
    hits = result.hits
    prev_hit = hits[0] if pos and hits else None
    next_hit = hits[2] if pos and len(hits) > 2 else (hits[1] if not pos and len(hits) > 1 else None)
    from pop.schema import registry
    page = pos // state.size + 1
    search_url = path.split("?")[0] + "?" + urlencode(
        [(k, v) for k, vs in parse_qs(urlsplit(path).query).items() if k != "page" for v in vs] + ([("page", page)] if page > 1 else []))

    def link(hit, r):
        return record_link(registry.get(hit.base).public_slug, hit.ref, path, r) if hit else ""
    return {"search_url": search_url, "position": pos + 1, "total": result.total,
            "prev": link(prev_hit, pos - 1), "next": link(next_hit, pos + 1)}
