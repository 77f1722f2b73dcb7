"""The search engine's Python interface: request/result dataclasses and the functions the API,
the public site and the exports call. These names and shapes are stable.

    from pop.search.interface import SimpleQuery, ExpertQuery, search, facets, map_clusters, suggest
    r = search(SimpleQuery(text="château", facets={"base": ["merimee"], "DENO": ["église"]}, size=20))
    r.total, [h.ref for h in r.hits], r.facets["auteur"], r.next_search_after
    r = search(ExpertQuery(tree={"combinator": "AND", "rules": [
            {"field": "group:titre", "operator": "*", "value": "usine"},
            {"combinator": "OR", "rules": [{"field": "DPT", "base": "merimee", "operator": "==", "value": "34"}, ...]}]}))
    m = map_clusters(SimpleQuery(text="église"), bbox=(south, west, north, east), zoom=6)

Every bad input raises ``QueryError`` (French ``message``, machine ``code``, optional ``field``),
never a raw engine error: callers turn it into an HTTP 400.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pop.web.errors import ClientError

# Public constants (also used for validation by callers that want to pre-check).
SORTS = ("relevance", "date", "title", "ref", "modified")
OPERATORS = ("*", "==", "^", "!*", "!=", "===*", "===", "===^", "!==*", "!==", ">=", "<=", ">", "<", "∃", "!∃")
MAX_SIZE = 2000              # page size cap
MAX_OFFSET = 100_000         # beyond this, page with search_after
MAX_DEPTH = 8                # expert tree depth (groups inside groups)
MAX_RULES = 64               # rules in one expert tree
MAX_VALUE_LENGTH = 500       # characters of a rule value / free text
MAX_FACET_SIZE = 500


class QueryError(ClientError, ValueError):
    """A query the engine refuses. ``message`` is French and names the problem."""

    def __init__(self, message: str, code: str = "invalid_query", field: str | None = None):
        super().__init__(message, code, 400, field)


@dataclass
class SimpleQuery:
    """Free-text search with filters and facets.

    ``text``: free text; quoted phrases, ``+word`` (required) and ``-word`` (excluded) are understood.
    ``bases``: base slugs / public slugs / aliases (empty = all bases).
    ``facets``: {facet name (see ``pop.schema.groups.FACETS``) or field code (e.g. "DENO"): [values]};
    values are OR-ed within one key and AND-ed across keys. The "lieu" facet takes paths
    "Région", "Région/Département", "Région/Département/Commune".
    ``sort``: one of SORTS; ``order``: "asc" | "desc" | None (the sort's natural direction).
    ``search_after``: the ``sort`` list of the last hit of the previous page (keyset pagination).
    ``facet_filter``: {facet: substring} restricts the returned values of that facet (accent-insensitive).
    ``with_facets``: False to skip facet computation (pages, exports).
    ``facet_names``: facet names or field codes to count (empty = every facet of ``FACETS``).
    """

    text: str = ""
    bases: tuple[str, ...] | list[str] = ()
    facets: dict[str, list[str]] = field(default_factory=dict)
    has_image: bool | None = None
    geolocated: bool | None = None
    year_min: int | None = None
    year_max: int | None = None
    bbox: tuple[float, float, float, float] | None = None   # (south, west, north, east) in WGS84 degrees
    sort: str = "relevance"
    order: str | None = None
    size: int = 20
    offset: int = 0
    search_after: list | None = None
    facet_size: int = 10
    facet_filter: dict[str, str] = field(default_factory=dict)
    with_facets: bool = True
    facet_names: tuple[str, ...] | list[str] = ()   # facets to compute (empty = all of FACETS + selected field codes)


@dataclass
class ExpertQuery:
    """A rule tree: ``{"combinator": "AND"|"OR", "rules": [rule | group, ...]}``.

    rule = ``{"field": "TICO" | "TICO,TITR" | "group:titre", "base": "merimee" (optional),
              "operator": one of OPERATORS, "value": str | number}`` (no value for ∃ / !∃).
    A group may also carry ``"not": true``. Facet filters, bases, has_image… of SimpleQuery
    can be combined through ``filters`` (a SimpleQuery whose text is ignored).
    """

    tree: dict = field(default_factory=lambda: {"combinator": "AND", "rules": []})
    bases: tuple[str, ...] | list[str] = ()
    sort: str = "relevance"
    order: str | None = None
    size: int = 20
    offset: int = 0
    search_after: list | None = None
    bbox: tuple[float, float, float, float] | None = None
    filters: SimpleQuery | None = None
    with_facets: bool = False
    facet_size: int = 10


@dataclass
class Hit:
    base: str            # base slug
    ref: str
    score: float
    sort: list           # pass the last hit's ``sort`` back as ``search_after``
    doc: dict            # public fields of the record + cross-base core: "title", "authors",
                         # "POP_COORDONNEES", "base_label", "image" (first image key or "")


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    took_ms: float
    next_search_after: list | None = None


def search(query: SimpleQuery | ExpertQuery) -> SearchResult:
    """Run a simple or expert query. Raises QueryError on bad input."""
    from pop.search import engine
    return engine.search(query)


def facets(query: SimpleQuery | ExpertQuery) -> dict[str, list[tuple[str, int]]]:
    """Facet counts only (disjunctive: each facet's counts ignore its own selection)."""
    from pop.search import engine
    return engine.facets(query)


def map_clusters(query: SimpleQuery | ExpertQuery, bbox: tuple[float, float, float, float] | None = None,
                 zoom: int = 5) -> dict[str, Any]:
    """Server-side clusters of the geolocated matching records inside ``bbox`` (south, west, north, east).

    Returns ``{"total": n, "clusters": [{"lat", "lon", "count", "bbox": (s, w, n, e)}],
    "records": [{"base", "ref", "title", "lat", "lon"}]}``; ``records`` is filled when few enough
    records fall in the box (zoomed in), else empty.
    """
    from pop.search import geo
    return geo.map_clusters(query, bbox, zoom)


def validate_expert(tree: dict, bases=()) -> ExpertQuery:
    """Check an expert tree against the registry; returns an ExpertQuery or raises QueryError."""
    from pop.search import expert
    expert.validate(tree, bases)
    return ExpertQuery(tree=tree, bases=tuple(bases))


def suggest(field_or_facet: str, prefix: str, bases=(), size: int = 10) -> list[str]:
    """Values of a facet or field starting with / containing ``prefix`` (accent-insensitive), most frequent first."""
    from pop.search import engine
    return engine.suggest(field_or_facet, prefix, bases, size)
