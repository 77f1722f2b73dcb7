"""Map: bounding-box filter and server-side clustering for any simple or expert query.

Every geolocated record carries the Morton (Z-order) code of its Web-Mercator grid cell at the
deepest level in the fast field ``cell`` (see ``documents.cell``). The cell at zoom z (8 × 8 cells
per 256-pixel tile, about 32 pixels per cell) is the code's top bits, so clustering at any zoom is
one Tantivy histogram aggregation on ``cell`` with interval 4**(18 − z) and ``stats``
sub-aggregations on ``lat``/``lon``: cluster centre = mean position of its records, bbox = their
extent. Empty cells are never materialised (``min_doc_count`` 1).
"""
from __future__ import annotations

import time

import tantivy

from pop.search import engine
from pop.search import schema as S
from pop.search import store
from pop.search.interface import ExpertQuery, QueryError, SimpleQuery

RECORDS_MAX = 300      # below this many records in the box, the records themselves are returned


def map_clusters(query: SimpleQuery | ExpertQuery, bbox=None, zoom: int = 5) -> dict:
    t0 = time.perf_counter()
    if not isinstance(query, (SimpleQuery, ExpertQuery)):
        raise QueryError("Requête invalide.", "invalid_query")
    zoom = engine._int(zoom, "zoom", 0, max(S.CELL_ZOOMS))
    bases, fq = engine._bases_and_filters(query)
    bases = engine.resolve_bases(bases)
    main, _ = engine.main_query(query)
    if bbox is None:
        bbox = getattr(query, "bbox", None)
    filters = engine.filter_clauses(fq, bases, bbox=bbox)
    filters.append(tantivy.Query.term_query(S.build_schema(), "f_geolocalisation", "oui"))
    q = engine.combine(main, filters)
    index, _version = engine.reader.get()
    searcher = index.searcher()
    interval = float(4 ** (max(S.CELL_ZOOMS) - zoom))
    try:
        res = searcher.aggregate(q, {"cells": {"histogram": {"field": "cell", "interval": interval, "min_doc_count": 1},
                                               "aggs": {"lat": {"stats": {"field": "lat"}},
                                                        "lon": {"stats": {"field": "lon"}}}}})
    except ValueError as exc:
        raise QueryError("Trop de groupes à afficher à ce niveau de zoom : restreindre la zone (bbox).",
                         "too_many_clusters", "bbox") from exc
    clusters, total = [], 0
    for b in res["cells"]["buckets"]:
        la, lo = b["lat"], b["lon"]
        total += b["doc_count"]
        clusters.append({"lat": la["avg"], "lon": lo["avg"], "count": b["doc_count"],
                         "bbox": (la["min"], lo["min"], la["max"], lo["max"])})
    clusters.sort(key=lambda c: -c["count"])
    records = []
    if total <= RECORDS_MAX:
        keys = [searcher.doc(addr)["key"][0] for _score, addr in searcher.search(q, RECORDS_MAX, count=False).hits]
        sources = store.read_sources(keys)
        for k in keys:
            base, ref = k.split("/", 1)
            src = sources[k]
            pt = src.get("POP_COORDONNEES") or {}
            records.append({"base": base, "ref": ref, "title": src.get("title", ref),
                            "lat": pt.get("lat"), "lon": pt.get("lon"), "image": src.get("image", "")})
    return {"total": total, "zoom": zoom, "clusters": clusters, "records": records,
            "took_ms": round((time.perf_counter() - t0) * 1000, 2)}
