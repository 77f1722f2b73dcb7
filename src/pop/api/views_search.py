"""Search routes shaped like POP's public API: simple, facets, advanced, advanced-fields, map.

The views only translate: POP parameters (``pop.api.params``) -> the engine's queries
(``pop.search.interface``) -> POP's response envelope (``pop.api.serializers``).
"""
from __future__ import annotations

from django.core.exceptions import RequestDataTooBig

from pop.api import params as P
from pop.api.http import api_view, json_response
from pop.api.names import engine_facet, engine_sort
from pop.api.serializers import advanced_fields, aggregations, envelope, map_answer
from pop.search import interface as engine
from pop.search.schema import CELL_ZOOMS


def _engine_facets(facets: dict[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, values in facets.items():
        name = engine_facet(key)
        out.setdefault(name, [])
        out[name] += [v for v in values if v not in out[name]]
    return out


def _facet_options(raw: dict) -> tuple[int, dict[str, str]]:
    size = P.as_int("facet_size", raw.get("facet_size"), 10, 1, engine.MAX_FACET_SIZE)
    searches = raw.get("facet_search") or {}
    if not isinstance(searches, dict):
        raise P.bad("« facet_search » doit être de la forme facet_search[CHAMP]=texte.")
    return size, {engine_facet(P.strip_keyword(k)): P.as_text(f"facet_search[{k}]", v, 100) for k, v in searches.items()}


def simple_query(p: P.SimpleParams, raw: dict, *, with_facets: bool, bbox=None) -> engine.SimpleQuery:
    """The engine query of validated simple-search parameters (``raw`` carries facet_size/facet_search)."""
    sort, order = engine_sort(p.sort)
    facet_size, facet_filter = _facet_options(raw)
    return engine.SimpleQuery(
        text=p.text, bases=tuple(p.bases), facets=_engine_facets(p.facets),
        has_image=p.filters.get("hasImage"), geolocated=p.filters.get("hasCoordinates"),
        sort=sort, order=order, size=p.size, offset=p.offset, search_after=p.search_after or None,
        facet_size=facet_size, facet_filter=facet_filter, with_facets=with_facets, bbox=bbox)


def expert_query(p: P.AdvancedParams, body: dict, bbox=None) -> engine.ExpertQuery:
    """The engine query of a validated expert body; the engine checks fields and values (QueryError)."""
    sort, order = engine_sort(p.sort)
    facet_size, facet_filter = _facet_options(body)
    filters = engine.SimpleQuery(facets=_engine_facets(p.facets), has_image=p.filters.get("hasImage"),
                                 geolocated=p.filters.get("hasCoordinates"), facet_size=facet_size,
                                 facet_filter=facet_filter)
    query = engine.validate_expert(_tree(p.tree), tuple(p.bases))
    query.sort, query.order, query.size, query.offset = sort, order, p.size, p.offset
    query.search_after = p.search_after or None
    query.filters, query.with_facets, query.facet_size, query.bbox = filters, p.aggregations, facet_size, bbox
    return query


# Used by the exports under their former private names.
_simple_query, _expert_query = simple_query, expert_query


def _tree(node) -> dict:
    if isinstance(node, P.Group):
        return {"combinator": node.combinator, "rules": [_tree(c) for c in node.children]}
    rule = {"field": ",".join(node.fields), "operator": node.operator}
    if node.base:
        rule["base"] = node.base
    if node.operator not in ("∃", "!∃"):
        rule["value"] = node.value
    return rule


def _search(query):
    """Run a query; ``size=0`` (count and aggregations only) asks the engine for one hit and drops it,
    since Tantivy's sorted collectors refuse a zero limit."""
    if query.size:
        return engine.search(query)
    query.size = 1
    result = engine.search(query)
    result.hits = []
    return result


def _body(request) -> dict:
    try:
        raw = request.body
    except RequestDataTooBig:  # beyond Django's DATA_UPLOAD_MAX_MEMORY_SIZE: same answer as ours
        raise P.body_too_large() from None
    return P.json_body(raw)


def _query_dict(request) -> dict:
    return P.decode_query(request.META.get("QUERY_STRING", ""))


@api_view("GET")
def simple(request):
    raw = _query_dict(request)
    result = _search(simple_query(P.simple_params(raw), raw, with_facets=True))
    return json_response(envelope(result))


@api_view("GET")
def facets(request):
    raw = _query_dict(request)
    p = P.simple_params(raw)
    p.size, p.offset, p.search_after = 0, 0, []
    result = _search(simple_query(p, raw, with_facets=True))
    return json_response({"total": result.total, "aggregations": aggregations(result.facets)})


@api_view("POST")
def advanced(request):
    body = _body(request)
    result = _search(expert_query(P.advanced_params(body), body))
    return json_response(envelope(result))


@api_view("GET")
def fields(request):
    return json_response(list(advanced_fields()))


def _map_options(raw: dict):
    bbox = P.parse_bbox(raw.get("bbox"))
    # Map clients zoom up to 22; the grid stops at the engine's finest level, so deeper zooms clamp.
    zoom = min(P.as_int("zoom", raw.get("zoom"), 5, 0, 22), max(CELL_ZOOMS))
    # API order is west,south,east,north (GeoJSON); the engine takes (south, west, north, east).
    return (None if bbox is None else (bbox[1], bbox[0], bbox[3], bbox[2])), zoom


@api_view("GET", "POST")
def map_view(request):
    """Clusters of the geolocated records matching a simple (GET) or expert (POST) query."""
    if request.method == "POST":
        body = _body(request)
        bbox, zoom = _map_options(body)
        query = expert_query(P.advanced_params(body), body)
    else:
        raw = _query_dict(request)
        bbox, zoom = _map_options(raw)
        query = simple_query(P.simple_params(raw), raw, with_facets=False)
    query.with_facets = False
    return json_response(map_answer(engine.map_clusters(query, bbox=bbox, zoom=zoom)))
