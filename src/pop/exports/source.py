"""Where an export's records come from: a search, a whole base or a basket.

    src = Source.from_spec({"kind": "simple", "query": {"text": "château", "bases": ["merimee"]}})
    src.total, src.bases, src.description
    for batch in src.batches():          # lists of (base slug, REF, public view), up to BATCH each
        ...
    for batch in src.record_batches(layout.codes):   # (base slug, REF, decoded stored data): Layout rows
        ...

A search is walked page by page with ``search_after`` (keyset pagination: no offset cap, the same
cost at any depth); each page's records are then read from the database in one batch per base. A
whole base is read straight from the database in REF order (keyset on the (base, ref) index). A
spec is plain JSON so that a background task can re-run it.

Reading is lean because exports read millions of records: one SQL statement per batch returning
plain tuples (no model instances), orjson, derived links from ``reading.derived_links`` only for
bases whose exported fields need them, and views holding only the fields the export shows. Field
visibility comes from the registry through ``reading.public_codes`` (the set ``read_records(...,
V.PUBLIC)`` applies): a restricted or internal field never enters a view, whatever is asked. Row
formats skip the view: their ``Layout`` reads the public fields it shows straight from the decoded
record (``records_from_raw``).
"""
from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from typing import Iterator, NamedTuple

import orjson
from django.db import connection

from pop.catalog.models import Record
from pop.catalog.reading import derived_links, public_codes
from pop.exports.errors import ExportError
from pop.schema import registry
from pop.search import interface as engine

BATCH = 2000          # records per search page / database batch
IN_CHUNK = 1000       # values per ``ref IN (...)``
MAX_BASKET = 100_000  # items in one basket export

Row = tuple[str, str, dict]   # (base slug, REF, public view)


# --- reading records --------------------------------------------------------------------------

class _Key(NamedTuple):
    """What ``reading.derived_links`` reads of a record (no model instance needed)."""
    id: int
    base: str
    ref: str


_EMPTY = (None, "", [], {})

Codes = dict[str, tuple[str, ...]] | None   # base slug → field codes an export needs (None: every public field)


Raw = tuple[int, str, str, object, dict | None]   # (id, base, REF, JSON bytes / text or dict, derived links or None)


def _fetch(where: str, params: list, suffix: str = "") -> list[tuple[int, str, str, object]]:
    """Published records as plain (id, base, REF, JSON text) tuples, one SQL statement, no model
    instance (the ORM's per-row ``from_db`` and ``json.loads`` cost several times more on the
    millions of rows of a large export); the JSON is decoded later by orjson (``records_from_raw``).
    SQLite hands the JSON over as UTF-8 bytes (``CAST(data AS BLOB)``: its stored text, not decoded
    into a str only to be re-encoded when a batch is sent to the writing process and for orjson)."""
    pg = connection.vendor == "postgresql"
    sql = (f"SELECT id, base, ref, {'data::text' if pg else 'CAST(data AS BLOB)'} FROM {Record._meta.db_table} "
           f"WHERE status = %s AND {where}{suffix}")
    with connection.cursor() as cur:
        cur.execute(sql, [Record.PUBLISHED, *params])
        return cur.fetchall()


@functools.lru_cache(maxsize=256)
def _plan(slug: str, wanted: tuple[str, ...] | None) -> tuple[tuple[str, ...], frozenset[str]]:
    """(codes to output, derived link codes among them) for a base: the wanted codes that are public
    in the registry (all public codes when ``wanted`` is None). Restricted and internal fields are
    left out here, whatever was asked."""
    base = registry.get(slug)
    public = public_codes(slug)
    codes = tuple(f.code for f in base.fields if f.code in public and (wanted is None or f.code in wanted))
    derived = frozenset(f.code for f in base.derived_link_fields if f.code in codes)
    return codes, derived


def _plans(slugs, codes: Codes) -> dict:
    return {slug: _plan(slug, None if codes is None else tuple(codes.get(slug, ()))) for slug in slugs}


def with_links(rows: list[tuple[int, str, str, object]], codes: Codes = None) -> list[Raw]:
    """Fetched rows with their derived links (REFO, MEMOIRE…) attached, read from the link table
    only for bases whose exported fields include one, and only those fields (the part of reading that
    needs the database)."""
    plans = _plans({b for _, b, _, _ in rows}, codes)
    need = [_Key(i, b, r) for i, b, r, _ in rows if plans[b][1]]
    derived = derived_links(need, only={b: plan[1] for b, plan in plans.items()}) if need else {}
    return [(i, b, r, d, derived.get(i)) for i, b, r, d in rows]


def records_from_raw(rows: list[Raw]) -> list[Row]:
    """Decoded records of raw rows, derived links merged in: (base, REF, data) where ``data`` holds
    every stored field, restricted ones included — for readers that pick public fields themselves
    (``columns.Layout``'s rows, whose plans hold public codes only). Needs no database."""
    loads = orjson.loads
    out = []
    append = out.append
    for i, b, r, data, extra in rows:
        if data.__class__ is dict:
            if extra:
                data = dict(data)     # not the caller's dict: derived links are merged into it
        else:
            data = loads(data)
        if extra:
            for code, values in extra.items():
                own = data.get(code)
                if isinstance(own, list) and own and code != "MEMOIRE":
                    values = list(dict.fromkeys([*own, *values]))
                data[code] = values
        append((b, r, data))
    return out


def views_from_raw(rows: list[Raw], codes: Codes = None) -> list[Row]:
    """Public views of raw rows: own data plus derived links, only public fields, only the ``codes``
    asked for each base (every public field when None), empty values left out — the same views as
    ``reading.read_records(..., V.PUBLIC)`` restricted to those codes. Needs no database."""
    plans = _plans({b for _, b, _, _, _ in rows}, codes)
    return [(b, r, {c: v for c in plans[b][0] if c in data and (v := data[c]) not in _EMPTY})
            for b, r, data in records_from_raw(rows)]


def load_raw(pairs: list[tuple[str, str]], codes: Codes = None) -> list[Raw]:
    """Raw rows of (base, REF) pairs, in the given order; unknown or deleted records are left out."""
    by_base: dict[str, list[str]] = defaultdict(list)
    for slug, ref in pairs:
        by_base[slug].append(ref)
    found: dict[tuple[str, str], tuple] = {}
    for slug, refs in by_base.items():
        for i in range(0, len(refs), IN_CHUNK):
            part = refs[i:i + IN_CHUNK]
            for row in _fetch(f"base = %s AND ref IN ({', '.join(['%s'] * len(part))})", [slug, *part]):
                found[(slug, row[2])] = row
    return with_links([found[p] for p in pairs if p in found], codes)


def load_views(pairs: list[tuple[str, str]], codes: Codes = None) -> list[Row]:
    """Public views of (base, REF) pairs, in the given order; unknown or deleted records are left out."""
    return views_from_raw(load_raw(pairs, codes), codes)


def base_raw_batches(slug: str, after_ref: str = "", codes: Codes = None) -> Iterator[list[Raw]]:
    """Every published record of a base, in REF order (keyset on the (base, ref) index), as raw batches."""
    last = after_ref
    while True:
        rows = _fetch("base = %s AND ref > %s", [slug, last], f" ORDER BY ref LIMIT {BATCH}")
        if not rows:
            return
        last = rows[-1][2]
        yield with_links(rows, codes)
        if len(rows) < BATCH:
            return


def base_batches(slug: str, after_ref: str = "", codes: Codes = None) -> Iterator[list[Row]]:
    """Every published record of a base, in REF order, as batches of public views."""
    for raw in base_raw_batches(slug, after_ref, codes):
        yield views_from_raw(raw, codes)


# --- query specs ----------------------------------------------------------------------------------

def _query_to_dict(q) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(q).items()}


def _simple_from(d: dict) -> engine.SimpleQuery:
    names = {f.name for f in dataclasses.fields(engine.SimpleQuery)}
    d = {k: v for k, v in (d or {}).items() if k in names}
    for k in ("bases", "facet_names"):
        if k in d:
            d[k] = tuple(d[k] or ())
    if d.get("bbox"):
        d["bbox"] = tuple(d["bbox"])
    return engine.SimpleQuery(**d)


def _expert_from(d: dict) -> engine.ExpertQuery:
    names = {f.name for f in dataclasses.fields(engine.ExpertQuery)}
    d = {k: v for k, v in (d or {}).items() if k in names}
    d["bases"] = tuple(d.get("bases") or ())
    if d.get("filters"):
        d["filters"] = _simple_from(d["filters"])
    if d.get("bbox"):
        d["bbox"] = tuple(d["bbox"])
    return engine.ExpertQuery(**d)


def query_spec(query) -> dict:
    """JSON spec of a SimpleQuery / ExpertQuery (the background task re-runs it)."""
    kind = "expert" if isinstance(query, engine.ExpertQuery) else "simple"
    return {"kind": kind, "query": _query_to_dict(query)}


# --- descriptions (French, for the export's information sheet) -----------------------------------

def _base_names(slugs) -> str:
    return ", ".join(registry.get(s).short_label for s in slugs if registry.find(s))


def _filters_text(q: engine.SimpleQuery) -> list[str]:
    parts = []
    if q.bases:
        parts.append(f"bases : {_base_names(q.bases)}")
    for key, values in (q.facets or {}).items():
        parts.append(f"{key} : {' ou '.join(values)}")
    if q.has_image is not None:
        parts.append("avec image" if q.has_image else "sans image")
    if q.geolocated is not None:
        parts.append("géolocalisées" if q.geolocated else "non géolocalisées")
    if q.year_min is not None or q.year_max is not None:
        parts.append(f"années : {q.year_min if q.year_min is not None else '…'}–{q.year_max if q.year_max is not None else '…'}")
    if q.bbox:
        parts.append("zone de carte : " + ", ".join(f"{v:.4f}" for v in q.bbox))
    return parts


def _tree_text(node) -> str:
    if "rules" in node:
        inner = f" {'ET' if node.get('combinator', 'AND') == 'AND' else 'OU'} ".join(_tree_text(r) for r in node["rules"])
        return f"{'NON ' if node.get('not') else ''}({inner})"
    base = f"{node['base']}." if node.get("base") else ""
    value = f" « {node['value']} »" if "value" in node else ""
    return f"{base}{node.get('field')} {node.get('operator')}{value}"


def describe(query) -> str:
    if isinstance(query, engine.ExpertQuery):
        parts = [f"Recherche experte : {_tree_text(query.tree)}"]
        if query.bases:
            parts.append(f"bases : {_base_names(query.bases)}")
        if query.filters:
            parts += _filters_text(query.filters)
        return " ; ".join(parts)
    parts = [f"Recherche simple : « {query.text} »" if query.text else "Recherche simple : toutes les notices"]
    return " ; ".join(parts + _filters_text(query))


# --- sources --------------------------------------------------------------------------------------

class Source:
    """Rows of one export. ``total`` is known before the first row (it sizes the export)."""

    kind: str
    total: int
    bases: list[str]
    description: str

    def spec(self) -> dict:
        raise NotImplementedError

    def raw_batches(self, codes: Codes = None) -> Iterator[list[Raw]]:
        """Batches of raw rows (see ``views_from_raw``), the part of reading that needs the database."""
        raise NotImplementedError

    def batches(self, codes: Codes = None) -> Iterator[list[Row]]:
        """Batches of public views; ``codes`` (base → field codes, e.g. ``Layout.codes``) limits each
        view to the fields the export shows."""
        for raw in self.raw_batches(codes):
            yield views_from_raw(raw, codes)

    def record_batches(self, codes: Codes = None) -> Iterator[list[Row]]:
        """Batches of decoded records (``records_from_raw``: whole stored data, for ``Layout`` rows,
        which read public fields only); derived links are read for the bases whose ``codes`` need them."""
        for raw in self.raw_batches(codes):
            yield records_from_raw(raw)

    @staticmethod
    def from_spec(spec: dict) -> "Source":
        kind = spec.get("kind")
        if kind == "simple":
            return SearchSource(_simple_from(spec.get("query") or {}))
        if kind == "expert":
            return SearchSource(_expert_from(spec.get("query") or {}))
        if kind == "base":
            return BaseSource(spec.get("base", ""))
        if kind == "basket":
            return BasketSource(spec.get("items") or [])
        raise ExportError("Type d'export inconnu.", "invalid_export")


class SearchSource(Source):
    kind = "search"

    def __init__(self, query):
        self.query = dataclasses.replace(query)
        self.query.offset = 0
        self.query.search_after = None
        probe = dataclasses.replace(self.query, size=1, with_facets=True)
        probe.facet_names = ("base",)   # only the base counts (the engine reads it on both query kinds)
        result = engine.search(probe)
        self.total = result.total
        # the base facet is disjunctive (its counts ignore the base selection): intersect with it
        wanted = [registry.get(b).slug for b in (self.query.bases or ())]
        bases = []
        for label, count in result.facets.get("base", []):
            b = registry.by_label(label) or registry.find(label)
            if b is not None and count and (not wanted or b.slug in wanted):
                bases.append(b.slug)
        if not bases:
            bases = wanted or list(registry.slugs())
        self.bases = bases
        self.description = describe(self.query)
        if self.query.sort == "relevance" and self.total > engine.MAX_OFFSET:
            # relevance pages stop at the engine's depth cap; a stable REF order has none
            self.query.sort, self.query.order = "ref", None
            self.description += " (triée par référence)"

    def spec(self) -> dict:
        return query_spec(self.query)

    def raw_batches(self, codes: Codes = None) -> Iterator[list[Raw]]:
        q = dataclasses.replace(self.query, size=min(BATCH, engine.MAX_SIZE), with_facets=False,
                                offset=0, search_after=None)
        while True:
            result = engine.search(q)
            if result.hits:
                yield load_raw([(h.base, h.ref) for h in result.hits], codes)
            if not result.next_search_after:
                return
            q.search_after = result.next_search_after


class BaseSource(Source):
    kind = "base"

    def __init__(self, name: str):
        base = registry.find(name)
        if base is None:
            raise ExportError(f"Base inconnue : « {str(name)[:40]} ». Bases disponibles : "
                              f"{', '.join(registry.public_slugs())}.", "unknown_base")
        self.slug = base.slug
        self.bases = [base.slug]
        self.total = Record.objects.filter(base=base.slug, status=Record.PUBLISHED).count()
        self.description = f"Base complète : {base.label}"

    def spec(self) -> dict:
        return {"kind": "base", "base": self.slug}

    def raw_batches(self, codes: Codes = None) -> Iterator[list[Raw]]:
        return base_raw_batches(self.slug, codes=codes)


def parse_items(values) -> list[tuple[str, str]]:
    """["merimee/PA00078014", ...] → [("merimee", "PA00078014"), ...]; refuses malformed items."""
    if not isinstance(values, (list, tuple)):
        raise ExportError("Le panier doit être une liste d'éléments « base/REF ».", "invalid_basket")
    if len(values) > MAX_BASKET:
        raise ExportError(f"Panier trop grand ({MAX_BASKET} notices au plus par export).", "limit_exceeded")
    out, seen = [], set()
    for raw in values:
        if isinstance(raw, (list, tuple)) and len(raw) == 2:
            name, ref = raw
        elif isinstance(raw, str):
            name, _, ref = raw.strip().partition("/")
        else:
            raise ExportError("Le panier doit être une liste d'éléments « base/REF ».", "invalid_basket")
        base = registry.find(str(name))
        ref = str(ref).strip()
        if base is None or not ref or len(ref) > 64:
            shown = "".join(ch if ch.isprintable() else "?" for ch in str(raw)[:80])
            raise ExportError(f"Élément de panier invalide : « {shown} » (attendu « base/REF »).", "invalid_basket")
        if (base.slug, ref) not in seen:
            seen.add((base.slug, ref))
            out.append((base.slug, ref))
    return out


class BasketSource(Source):
    kind = "basket"

    def __init__(self, items):
        pairs = parse_items(items)
        present = set()
        by_base: dict[str, list[str]] = defaultdict(list)
        for slug, ref in pairs:
            by_base[slug].append(ref)
        for slug, refs in by_base.items():
            for i in range(0, len(refs), IN_CHUNK):
                present.update((slug, r) for r in Record.objects.filter(
                    base=slug, ref__in=refs[i:i + IN_CHUNK], status=Record.PUBLISHED).values_list("ref", flat=True))
        self.pairs = [p for p in pairs if p in present]
        self.total = len(self.pairs)
        self.bases = list(dict.fromkeys(s for s, _ in self.pairs)) or list(dict.fromkeys(s for s, _ in pairs))
        self.description = f"Panier : {len(pairs)} notice(s) demandée(s), {self.total} disponible(s)"

    def spec(self) -> dict:
        return {"kind": "basket", "items": [f"{s}/{r}" for s, r in self.pairs]}

    def raw_batches(self, codes: Codes = None) -> Iterator[list[Raw]]:
        for i in range(0, len(self.pairs), BATCH):
            yield load_raw(self.pairs[i:i + BATCH], codes)
