"""Simple search, facets, sorts and keyset pagination over the live index.

Queries are built from typed objects (``SimpleQuery`` / ``ExpertQuery``) into Tantivy query objects;
no client text ever reaches Tantivy's query parser (the only parsed strings are range bounds on sort
keys that this module produced itself and validates against a strict pattern).
"""
from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict

import tantivy

from pop.schema import registry
from pop.schema.groups import FACETS, FACETS_BY_NAME
from pop.search import schema as S
from pop.search import store
from pop.search.interface import (MAX_FACET_SIZE, MAX_OFFSET, MAX_SIZE, MAX_VALUE_LENGTH, SORTS, ExpertQuery, Hit,
                                  QueryError, SearchResult, SimpleQuery)
from pop.search.text import analyze_fr, fold, kw

Occur = tantivy.Occur
NATURAL_ORDER = {"relevance": "desc", "title": "asc", "ref": "asc", "date": "asc", "modified": "desc"}
# Relevance pages past MAX_OFFSET (reached with a ``search_after`` [score, rank] cursor) are served
# by offset: Tantivy keeps the best rank + size documents, a cost that grows with the rank (≈ 0.2 s at
# the last of 1.7 M results, ≈ 1 s at the last of 3.5 M on this machine). One such page at a time per
# process, so that concurrent deep requests cannot pile up CPU and memory.
_DEEP_RELEVANCE = threading.Lock()
MAX_RANK = 2**31 - 1
_SORT_KEY = {"title": re.compile(r"^[0-9a-f]{0,160}\.[0-9a-f]{12}$"), "ref": re.compile(r"^[0-9a-f]{0,160}\.[0-9a-f]{12}$"),
             "date": re.compile(r"^\d{5}\.[0-9a-f]{12}$"), "modified": re.compile(r"^\d{8}\.[0-9a-f]{12}$")}
_TOKEN = re.compile(r'([+-]?)"([^"]*)"|([+-]?)([^\s"]+)')
FACET_SCAN = 20_000   # values read when a facet is searched by substring


class IndexUnavailable(QueryError):
    def __init__(self, message: str = "L'index de recherche n'est pas encore construit (lancer « pop index sync »)."):
        super().__init__(message, "index_unavailable")


# ---- the live index, per process ------------------------------------------------------------
class Reader:
    """Opens the live generation, reopens it after a rebuild and reloads after each sync commit."""

    def __init__(self):
        self.lock = threading.Lock()
        self.gen = None
        self.index: tantivy.Index | None = None
        self.version: tuple = ()

    def get(self) -> tuple[tantivy.Index, tuple]:
        gen = store.current_gen()
        if gen is None:
            raise IndexUnavailable()
        if store.outdated(gen):
            raise IndexUnavailable("L'index de recherche est en cours de reconstruction (schéma modifié).")
        try:
            cp_mtime = (gen / "checkpoint.json").stat().st_mtime_ns
        except FileNotFoundError:
            cp_mtime = 0
        version = (gen.name, cp_mtime)
        if version != self.version:
            with self.lock:
                if gen != self.gen or self.index is None:
                    self.index = store.open_index(gen)
                    self.gen = gen
                self.index.reload()
                self.version = version
        return self.index, self.version


reader = Reader()
_cache: OrderedDict = OrderedDict()
_CACHE_MAX = 256


_cache_lock = threading.Lock()


def _cached(key, compute):
    """Results keyed by the index version (generation + checkpoint): a sync invalidates them."""
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    value = compute()
    with _cache_lock:
        _cache[key] = value
        while len(_cache) > _CACHE_MAX:
            _cache.popitem(last=False)
    return value


# ---- validation helpers ------------------------------------------------------------------------
def _int(value, name: str, lo: int, hi: int) -> int:
    try:
        if isinstance(value, bool):
            raise TypeError
        n = int(value)
        if isinstance(value, float) and n != value:
            raise ValueError
    except (TypeError, ValueError):
        raise QueryError(f"« {name} » doit être un nombre entier.", "invalid_parameter", name) from None
    if n < lo or n > hi:
        raise QueryError(f"« {name} » doit être compris entre {lo} et {hi} (reçu : {n}).", "out_of_range", name)
    return n


def resolve_bases(bases) -> list[str]:
    if isinstance(bases, str):
        bases = [bases]
    out = []
    for b in bases or ():
        if not isinstance(b, str):
            raise QueryError("Les bases doivent être des noms de base.", "invalid_parameter", "bases")
        base = registry.find(b) or registry.by_label(b)
        if base is None:
            raise QueryError(f"Base inconnue : « {b} ». Bases disponibles : {', '.join(registry.public_slugs())}.",
                             "unknown_base", "bases")
        out.append(base.slug)
    return list(dict.fromkeys(out))


def facet_key(name: str) -> str:
    """Canonical facet key: a facet name of FACETS, or a public field code (``DENO.keyword`` → ``DENO``)."""
    if not isinstance(name, str):
        raise QueryError("Nom de facette invalide.", "unknown_facet", "facets")
    key = name[:-8] if name.endswith(".keyword") else name
    if key in FACETS_BY_NAME or key in ("lieu",):
        return key
    if key == "BASE":
        return "base"
    if key == "PRODUCTEUR":
        return "producteur"
    if key in S.field_codes() and S.is_text_code(key):
        return key
    raise QueryError(f"Facette ou champ inconnu : « {name} ».", "unknown_facet", "facets")


def _term_set(field: str, values: list[str]) -> tantivy.Query:
    schema = S.build_schema()
    if len(values) == 1:
        return tantivy.Query.term_query(schema, field, values[0])
    return tantivy.Query.term_set_query(schema, field, values)


def facet_filter_query(key: str, values: list) -> tantivy.Query:
    vals = []
    for v in values if isinstance(values, (list, tuple)) else [values]:
        if isinstance(v, bool):
            v = "oui" if v else "non"
        if not isinstance(v, (str, int, float)):
            raise QueryError(f"Valeur de facette invalide pour « {key} ».", "invalid_parameter", key)
        v = str(v).strip()
        if len(v) > MAX_VALUE_LENGTH:
            raise QueryError(f"Valeur de facette trop longue pour « {key} ».", "value_too_long", key)
        if v:
            vals.append(v)
    if not vals:
        raise QueryError(f"Aucune valeur pour la facette « {key} ».", "invalid_parameter", key)
    if key == "base":
        return _term_set("base", resolve_bases(vals))
    if key == "lieu":
        by_level: dict[int, list] = {}
        for v in vals:
            by_level.setdefault(min(3, v.count("/") + 1), []).append(v)
        qs = [(Occur.Should, _term_set(f"f_lieu{lvl}", vs)) for lvl, vs in by_level.items()]
        return qs[0][1] if len(qs) == 1 else tantivy.Query.boolean_query(qs)
    if key in ("image", "geolocalisation"):
        vals = ["oui" if fold(v) in ("oui", "true", "1") else "non" for v in vals]
    if key in FACETS_BY_NAME:
        return _term_set(f"f_{key}", vals)
    return _term_set(f"s_{key}", [v[:256] for v in vals])


# ---- free text ---------------------------------------------------------------------------------
def text_query(text: str, fuzzy: bool = False) -> tuple[tantivy.Query | None, bool]:
    """(query, has_positive) for free text with "phrases", +required and -excluded words."""
    if not isinstance(text, str):
        raise QueryError("Le texte recherché doit être une chaîne.", "invalid_parameter", "text")
    if len(text) > MAX_VALUE_LENGTH:
        raise QueryError(f"Texte recherché trop long (au plus {MAX_VALUE_LENGTH} caractères).", "value_too_long", "text")
    if text.count('"') % 2:
        raise QueryError("Guillemets non fermés dans le texte recherché.", "syntax_error", "text")
    schema = S.build_schema()
    clauses = []
    positive = False
    for m in _TOKEN.finditer(text):
        sign = m.group(1) or m.group(3) or ""
        phrase, word = m.group(2), m.group(4)
        raw = phrase if phrase is not None else word
        terms = analyze_fr(raw)
        ors = []
        if phrase is None and len(raw) >= 3:
            ors.append(tantivy.Query.boost_query(tantivy.Query.term_query(schema, "x_REF", kw(raw)), 20.0))
        if not terms and not ors:
            continue
        for w in S.weights():
            field = S.weight_field(w)
            if len(terms) == 1:
                t = terms[0]
                q = (tantivy.Query.fuzzy_term_query(schema, field, t, distance=1, transposition_cost_one=True)
                     if fuzzy and len(t) >= 5 else tantivy.Query.term_query(schema, field, t))
            elif len(terms) > 1:
                q = tantivy.Query.phrase_query(schema, field, terms, slop=1)
            else:
                continue
            ors.append(tantivy.Query.boost_query(q, float(w)))
        q = ors[0] if len(ors) == 1 else tantivy.Query.boolean_query([(Occur.Should, x) for x in ors])
        if sign == "-":
            clauses.append((Occur.MustNot, q))
        else:
            clauses.append((Occur.Must, q))
            positive = True
    if not clauses:
        return None, False
    if not positive:
        clauses.append((Occur.Must, tantivy.Query.all_query()))
    return tantivy.Query.boolean_query(clauses), positive


# ---- query assembly ------------------------------------------------------------------------------
def _year(value, name):
    if value is None or value == "":
        return None
    return _int(value, name, -5000, 2200)


def filter_clauses(q: SimpleQuery | None, bases, exclude: str | None = None, bbox=None) -> list[tantivy.Query]:
    """Filter queries of a query; ``exclude`` leaves out one facet's own selection (disjunctive counts)."""
    out = []
    schema = S.build_schema()
    selected: dict[str, list] = {}
    base_sel = list(bases or ())
    if q is not None:
        if not isinstance(q.facets, dict):
            raise QueryError("« facets » doit associer un nom de facette à une liste de valeurs.", "invalid_parameter", "facets")
        for name, values in q.facets.items():
            key = facet_key(name)
            if key == "base":
                base_sel += list(values if isinstance(values, (list, tuple)) else [values])
            else:
                selected.setdefault(key, []).extend(values if isinstance(values, (list, tuple)) else [values])
        if q.has_image is not None:
            selected.setdefault("image", []).append(bool(q.has_image))
        if q.geolocated is not None:
            selected.setdefault("geolocalisation", []).append(bool(q.geolocated))
        ymin, ymax = _year(q.year_min, "year_min"), _year(q.year_max, "year_max")
        if ymin is not None:
            out.append(tantivy.Query.range_query(schema, "year_hi", tantivy.FieldType.Integer, ymin, None))
        if ymax is not None:
            out.append(tantivy.Query.range_query(schema, "year_lo", tantivy.FieldType.Integer, None, ymax))
        bbox = bbox if bbox is not None else q.bbox
    if base_sel and exclude != "base":
        out.append(_term_set("base", resolve_bases(base_sel)))
    for key, values in selected.items():
        if key != exclude:
            out.append(facet_filter_query(key, values))
    if bbox is not None:
        out += bbox_clauses(bbox)
    return out


def bbox_clauses(bbox) -> list[tantivy.Query]:
    try:
        s, w, n, e = (float(x) for x in bbox)
    except (TypeError, ValueError):
        raise QueryError("« bbox » doit contenir 4 nombres : sud, ouest, nord, est.", "invalid_parameter", "bbox") from None
    if not (-90 <= s <= n <= 90 and -180 <= w <= 180 and -180 <= e <= 180):
        raise QueryError("« bbox » invalide : sud ≤ nord, latitudes entre -90 et 90, longitudes entre -180 et 180.",
                         "invalid_parameter", "bbox")
    schema = S.build_schema()
    lat = tantivy.Query.range_query(schema, "lat", tantivy.FieldType.Float, s, n)
    if w <= e:
        lon = tantivy.Query.range_query(schema, "lon", tantivy.FieldType.Float, w, e)
    else:  # crosses the antimeridian
        lon = tantivy.Query.boolean_query([
            (Occur.Should, tantivy.Query.range_query(schema, "lon", tantivy.FieldType.Float, w, 180.0)),
            (Occur.Should, tantivy.Query.range_query(schema, "lon", tantivy.FieldType.Float, -180.0, e))])
    return [lat, lon]


def main_query(query) -> tuple[tantivy.Query | None, bool]:
    """(scored query or None for 'everything', has_positive_text)."""
    if isinstance(query, ExpertQuery):
        from pop.search import expert
        return expert.compile_tree(query.tree, query.bases), True
    return text_query(query.text or "")


def combine(main: tantivy.Query | None, filters: list[tantivy.Query]) -> tantivy.Query:
    clauses = []
    if main is not None:
        clauses.append((Occur.Must, main))
    for f in filters:
        clauses.append((Occur.Must, tantivy.Query.const_score_query(f, 0.0)))
    if not clauses:
        return tantivy.Query.all_query()
    if len(clauses) == 1 and main is not None:
        return main
    return tantivy.Query.boolean_query(clauses)


def _bases_and_filters(query):
    if isinstance(query, ExpertQuery):
        return query.bases, query.filters
    return query.bases, query


def check_common(query) -> None:
    if not isinstance(query, (SimpleQuery, ExpertQuery)):
        raise QueryError("Requête invalide.", "invalid_query")
    query.size = _int(query.size, "size", 0, MAX_SIZE)
    query.offset = _int(query.offset, "from", 0, MAX_OFFSET)
    if query.sort not in SORTS:
        raise QueryError(f"Tri inconnu : « {query.sort} ». Tris possibles : {', '.join(SORTS)}.", "unknown_sort", "sort")
    if query.order not in (None, "asc", "desc"):
        raise QueryError("Le sens du tri doit être « asc » ou « desc ».", "invalid_parameter", "sort")
    query.facet_size = _int(query.facet_size, "facet_size", 1, MAX_FACET_SIZE)


# ---- search ----------------------------------------------------------------------------------------
def search(query) -> SearchResult:
    t0 = time.perf_counter()
    check_common(query)
    bases, fq = _bases_and_filters(query)
    bases = resolve_bases(bases)
    main, positive = main_query(query)
    filters = filter_clauses(fq, bases, bbox=getattr(query, "bbox", None))
    index, version = reader.get()
    searcher = index.searcher()
    q = combine(main, filters)
    sort = query.sort
    if sort == "relevance" and not positive:
        sort = "ref"  # every score is equal: a stable order instead
    order = query.order or NATURAL_ORDER[sort]
    everything = main is None and not filters

    def collect(q, everything: bool = False) -> tuple[list, list[str], int]:
        hits_raw, total = _collect(index, searcher, q, query, sort, order, everything)
        return [key for key, _addr in hits_raw], [searcher.doc(addr)["key"][0] for _key, addr in hits_raw], total

    if everything and not query.search_after:
        # No text, no filter (the home page and the first pages of "everything"): the same keys for
        # every request until the next sync, while finding them visits every document (≈ 40 ms at 4.8 M).
        sort_keys, keys, total = _cached(("everything", version, sort, order, query.offset, query.size),
                                         lambda: collect(q, True))
    else:
        sort_keys, keys, total = collect(q, everything)
    if total == 0 and isinstance(query, SimpleQuery) and query.text and positive:
        fuzzy, _ = text_query(query.text, fuzzy=True)
        if fuzzy is not None:
            sort_keys, keys, total = collect(combine(fuzzy, filters))
    hits = []
    sources = store.read_sources(keys)   # the index stores no view: the database is read by key
    for i, (key, k) in enumerate(zip(sort_keys, keys)):
        base, ref = k.split("/", 1)
        src = sources[k]
        if sort == "relevance":
            sk = [key, query.offset + i if not query.search_after else _rank(query.search_after) + 1 + i]
            score = float(key)
        else:
            sk = [key]
            score = 1.0
        hits.append(Hit(base=base, ref=ref, score=score, sort=sk, doc=src))
    facets = {}
    if query.with_facets:
        facets = compute_facets(query, searcher=searcher, index=index, version=version, main=main, bases=bases)
    return SearchResult(total=total, hits=hits, facets=facets, took_ms=round((time.perf_counter() - t0) * 1000, 2),
                        next_search_after=hits[-1].sort if hits and len(hits) == query.size else None)


def _rank(search_after) -> int:
    try:
        rank = int(search_after[1])
        float(search_after[0])
    except (TypeError, ValueError, IndexError, OverflowError):
        raise QueryError("« search_after » invalide pour un tri par pertinence : [score, rang] attendu.",
                         "invalid_search_after", "search_after") from None
    if not 0 <= rank <= MAX_RANK:
        raise QueryError("« search_after » invalide pour un tri par pertinence : le rang doit être un entier positif.",
                         "invalid_search_after", "search_after")
    return rank


def _count(searcher, q, everything: bool = False) -> int:
    if everything:  # no text, no filter: the number of documents, without visiting them
        return searcher.num_docs
    return searcher.search(q, 1, count=True).count


def _collect(index, searcher, q, query, sort, order, everything: bool = False):
    if query.size == 0:
        return [], _count(searcher, q, everything)
    tord = tantivy.Order.Asc if order == "asc" else tantivy.Order.Desc
    if sort == "relevance":
        offset = query.offset
        if query.search_after:
            offset = _rank(query.search_after) + 1
        if offset <= MAX_OFFSET:
            res = searcher.search(q, query.size, count=not everything, offset=offset)
            return res.hits, searcher.num_docs if everything else res.count
        total = _count(searcher, q, everything)
        if offset >= total:
            return [], total
        with _DEEP_RELEVANCE:
            res = searcher.search(q, query.size, count=False, offset=offset)
        return res.hits, total
    field = f"o_{sort}"
    offset = query.offset
    if query.search_after:
        sa = query.search_after
        if not isinstance(sa, (list, tuple)) or len(sa) != 1 or not isinstance(sa[0], str) or not _SORT_KEY[sort].match(sa[0]):
            raise QueryError("« search_after » invalide : renvoyer tel quel le « sort » du dernier résultat de la page précédente.",
                             "invalid_search_after", "search_after")
        total = _count(searcher, q, everything)
        after = index.parse_query(f"{field}:{'>' if order == 'asc' else '<'}{sa[0]}")
        q = tantivy.Query.boolean_query([(Occur.Must, q), (Occur.Must, after)])
        res = searcher.search(q, query.size, count=False, order_by_field=field, order=tord, offset=offset)
        return res.hits, total
    res = searcher.search(q, query.size, count=not everything, order_by_field=field, order=tord, offset=offset)
    return res.hits, searcher.num_docs if everything else res.count


# ---- facets -------------------------------------------------------------------------------------------
def facet_names(query) -> list[str]:
    names = list(getattr(query, "facet_names", ()) or ())
    if not names:
        names = [f.name for f in FACETS]
        fq = query.filters if isinstance(query, ExpertQuery) else query
        if fq is not None:  # selected field codes are counted too when they can be (fast fields)
            names += [k for k in map(facet_key, fq.facets) if k not in names and k in S.facet_field_codes()]
    out = []
    for n in names:
        k = facet_key(n)
        if k not in FACETS_BY_NAME and k not in S.facet_field_codes():
            raise QueryError(f"Le champ « {n} » ne peut pas servir de facette.", "unknown_facet", "facets")
        out.append(k)
    return list(dict.fromkeys(out))


def _agg_field(key: str) -> str:
    if key == "lieu":
        return "f_lieu1"
    return f"f_{key}" if key in FACETS_BY_NAME else f"s_{key}"


def facets(query) -> dict:
    check_common(query)
    bases, _ = _bases_and_filters(query)
    main, _ = main_query(query)
    return compute_facets(query, main=main, bases=resolve_bases(bases))


def compute_facets(query, *, searcher=None, index=None, version=None, main=None, bases=()) -> dict:
    if index is None:
        index, version = reader.get()
        searcher = index.searcher()
    fq = query.filters if isinstance(query, ExpertQuery) else query
    names = facet_names(query)
    ffilter = {facet_key(k): fold(str(v)) for k, v in ((fq.facet_filter or {}).items() if fq else ()) if v}
    key = (version, repr(query.tree if isinstance(query, ExpertQuery) else query.text), repr(bases),
           repr(sorted((fq.facets or {}).items())) if fq else "", repr((fq.has_image, fq.geolocated, fq.year_min, fq.year_max, fq.bbox)) if fq else "",
           tuple(names), repr(sorted(ffilter.items())), query.facet_size, repr(getattr(query, "bbox", None)))

    def compute():
        selected = _selected_keys(fq, bases)
        groups: dict[str | None, list[str]] = {}
        for name in names:
            groups.setdefault(name if name in selected else None, []).append(name)
        out: dict[str, list] = {}
        for excl, members in groups.items():
            q = combine(main, filter_clauses(fq, bases, exclude=excl, bbox=getattr(query, "bbox", None)))
            spec = {}
            for name in members:
                size = FACET_SCAN if name in ffilter else query.facet_size
                spec[name] = {"terms": {"field": _agg_field(name), "size": size}}
            res = searcher.aggregate(q, spec)
            for name in members:
                buckets = [(b["key"], b["doc_count"]) for b in res.get(name, {}).get("buckets", [])]
                if name == "base":
                    buckets = [(registry.get(k).label if registry.find(k) else k, n) for k, n in buckets]
                if name in ffilter:
                    buckets = [(k, n) for k, n in buckets if ffilter[name] in fold(k)][:query.facet_size]
                out[name] = buckets
        if "lieu" in out:
            out["lieu"] += _lieu_children(searcher, main, fq, bases, query)
        return out
    everything = main is None and not bases and not ffilter and not _selected_keys(fq, bases) and not (
        fq is not None and (fq.year_min is not None or fq.year_max is not None or fq.bbox is not None)) \
        and getattr(query, "bbox", None) is None
    if everything and searcher.num_docs >= STALE_FACETS_FROM:
        value = _home_facets(key, version, compute)
    else:
        value = _cached(key, compute)
    return {k: list(v) for k, v in value.items()}  # callers may modify their copy


STALE_FACETS_FROM = 200_000   # documents: from this size, unfiltered facets are refreshed in the background
_home: dict = {}              # facet request (without the index version) -> (version, facets)
_home_refreshing: set = set()


def _home_facets(key, version, compute):
    """Unfiltered facets (the home page) of a large index: a full pass over every document (≈ 0.35 s
    at 4.8 M). After a sync commit the previous counts keep being served while one background thread
    computes those of the new version; they replace the old ones as soon as they are ready (the
    counts lag a write by the computation time, never more)."""
    slot = key[1:]
    with _cache_lock:
        entry = _home.get(slot)
        if entry is not None and entry[0] == version:
            return entry[1]
        stale = entry is not None and slot not in _home_refreshing
        if stale:
            _home_refreshing.add(slot)
    if entry is None:
        value = compute()
        with _cache_lock:
            _home[slot] = (version, value)
        return value
    if stale:
        def refresh():
            try:
                value = compute()
                with _cache_lock:
                    _home[slot] = (version, value)
            finally:
                with _cache_lock:
                    _home_refreshing.discard(slot)
        threading.Thread(target=refresh, name="pop-facets-refresh", daemon=True).start()
    return entry[1]


def _selected_keys(fq, bases) -> set[str]:
    keys = set()
    if bases:
        keys.add("base")
    if fq is not None:
        keys |= {facet_key(k) for k in fq.facets}
        if fq.has_image is not None:
            keys.add("image")
        if fq.geolocated is not None:
            keys.add("geolocalisation")
    return keys


def _lieu_children(searcher, main, fq, bases, query) -> list[tuple[str, int]]:
    """Departments of a selected region, communes of a selected department."""
    if fq is None or not fq.facets:
        return []
    sel = [v for k, vs in fq.facets.items() if facet_key(k) == "lieu" for v in vs]
    out = []
    for path in dict.fromkeys(sel):
        level = min(3, path.count("/") + 1)
        if level >= 3:
            continue
        q = combine(main, filter_clauses(fq, bases, exclude="lieu", bbox=getattr(query, "bbox", None))
                    + [tantivy.Query.term_query(S.build_schema(), f"f_lieu{level}", path)])
        res = searcher.aggregate(q, {"c": {"terms": {"field": f"f_lieu{level + 1}", "size": max(query.facet_size, 200)}}})
        out += [(b["key"], b["doc_count"]) for b in res["c"]["buckets"] if b["key"].startswith(path + "/")]
    return out


def suggest(field_or_facet: str, prefix: str, bases=(), size: int = 10) -> list[str]:
    if not isinstance(prefix, str) or len(prefix) > MAX_VALUE_LENGTH:
        raise QueryError("Préfixe invalide.", "invalid_parameter", "prefix")
    size = _int(size, "size", 1, 100)
    key = facet_key(field_or_facet)
    bases = resolve_bases(bases)
    index, version = reader.get()
    searcher = index.searcher()
    q = combine(None, [_term_set("base", bases)] if bases else [])
    needle = fold(prefix.strip())
    if key in FACETS_BY_NAME or key in S.facet_field_codes():
        def compute():
            res = searcher.aggregate(q, {"v": {"terms": {"field": _agg_field(key), "size": FACET_SCAN}}})
            return [(b["key"], b["doc_count"]) for b in res["v"]["buckets"]]
        values = _cached((version, "suggest", key, tuple(bases)), compute)
        starts = [v for v, _n in values if fold(v).startswith(needle)]
        inside = [v for v, _n in values if needle in fold(v) and not fold(v).startswith(needle)]
        return (starts + inside)[:size]
    terms = searcher.terms_with_prefix(f"x_{key}", kw(prefix) if prefix.strip() else "", q if bases else None, size)
    return [t for t, _n in terms]
