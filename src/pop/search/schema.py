"""The Tantivy schema, derived from the registry (no field list is written here).

Per public, queryable field code (``pop.schema.groups.expert_fields`` of every base):
  ``x_CODE``  keyword form (``kw``: lower case, accent folded)   ==  ^  !=  (and facet filters by field)
  ``s_CODE``  strict form (``raw``)                               === ===^ !== ===* !==*
  ``g.CODE``  trigrams of the keyword form (``tri``, one JSON field) *  !*   (not for ``CLOSED_CODES``)
  ``n_CODE``  number / date (YYYYMMDD) as f64, when values parse  >= <= > <
The ``s_`` form is also a fast field for codes that feed a facet (aggregations by field code).
Full text: one ``t_<weight>`` field per distinct weight of ``searchable_fields`` (boosted by it).
Cross-base core: ``key`` (base/REF), ``base``, ``ref``, facets ``f_<facet>`` (terms facets of
``FACETS``, plus ``f_lieu1..3`` for the region → department → commune hierarchy), ``has`` (codes
present, for ∃), ``year_lo``/``year_hi``, ``lat``/``lon`` and the map cell ``cell`` (Morton code), sort keys
``o_<sort>``, and ``h``, a digest of the whole document (stored, for ``pop index check``). The index
stores no record view: hits are read from the database by key (``store.read_sources``).
"""
from __future__ import annotations

from functools import lru_cache

import tantivy

from pop.schema import registry
from pop.schema.groups import FACETS, expert_fields, searchable_fields
from pop.schema.types import T

SORT_FIELDS = ("title", "ref", "date", "modified")
CELL_ZOOMS = tuple(range(0, 19))    # map zoom levels answered by the Morton cell code
CELL_BITS = max(CELL_ZOOMS) + 3     # grid level of the stored code (8 × 8 cells per tile at the deepest zoom)


@lru_cache(maxsize=1)
def field_codes() -> dict[str, set]:
    """code -> set of T types it has across bases (public, queryable fields only)."""
    out: dict[str, set] = {}
    for base in registry.bases():
        for f in expert_fields(base):
            out.setdefault(f.code, set()).add(f.type)
    return out


@lru_cache(maxsize=1)
def facet_field_codes() -> frozenset:
    return frozenset(f.code for _b, f in registry.all_fields() if f.facet and f.is_public)


@lru_cache(maxsize=1)
def weights() -> tuple[float, ...]:
    ws = {w for b in registry.bases() for _c, w in searchable_fields(b)}
    return tuple(sorted(ws, reverse=True))


def weight_field(w: float) -> str:
    return f"t_{int(w) if float(w).is_integer() else str(w).replace('.', '_')}"


def terms_facets() -> tuple[str, ...]:
    return tuple(f.name for f in FACETS if f.kind == "terms") + ("base", "producteur", "image", "geolocalisation")


def is_text_code(code: str) -> bool:
    return bool(field_codes()[code] - {T.NUMBER, T.GEOPOINT})


def has_numeric(code: str) -> bool:
    return True  # every code may hold numbers / dates (text values that parse are indexed too)


LAYOUT = 7   # bump when the document layout changes without the registry changing

# Computed codes whose values come from a closed, small set whatever the number of records (the base
# label, the producer table, oui/non flags, department names, platform dates: at most a few thousand
# distinct values). They get no trigrams: "contains" on them runs a regular expression over the
# keyword form's term dictionary, which holds only those few values. At 200,000 records they were
# 77 of about 520 trigrams per record. (The registry has no "closed vocabulary" attribute yet.)
CLOSED_CODES = frozenset({"BASE", "PRODUCTEUR", "CONTIENT_IMAGE", "POP_CONTIENT_GEOLOCALISATION",
                          "DPT_LETTRE", "DMAJ", "DMIS"})


def has_trigrams(code: str) -> bool:
    return is_text_code(code) and code not in CLOSED_CODES


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """Identifies the schema and document layout: an index with another fingerprint is rebuilt."""
    import hashlib
    spec = repr((LAYOUT, sorted(CLOSED_CODES), sorted((c, sorted(t.value for t in ts)) for c, ts in field_codes().items()), weights(),
                 sorted(facet_field_codes()), sorted(multi_valued_codes()), terms_facets(), CELL_ZOOMS,
                 sorted((b.slug, f.code, f.weight, f.facet, f.visibility.value) for b, f in registry.all_fields())))
    return hashlib.sha256(spec.encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def multi_valued_codes() -> frozenset:
    """Codes that may hold several values in one record (``multi`` in at least one base; validation
    keeps every other field to a single value)."""
    return frozenset(f.code for b in registry.bases() for f in expert_fields(b) if f.multi)


def keeps_fieldnorms(name: str) -> bool:
    """Whether a text field records its length per document (one byte per document and field,
    Tantivy's "fieldnorm"). BM25 uses it only to score a match in a long field below one in a short
    field; without it, a field's length counts as 1 token for every document. Kept where lengths vary
    and a score depends on them:
    - ``t_*`` (simple search, full text);
    - ``g`` (expert « contient »: the trigram phrase is scored; one field, one byte);
    - ``has`` (expert ∃, scored; one field);
    - ``x_CODE`` / ``s_CODE`` of multi-valued codes (expert == / ===: one token per value).
    Dropped elsewhere: ``x_``/``s_`` of single-valued codes hold one token in every document that has
    them (and a document without the field never matches), so the scores are the same bit for bit;
    ``key``, ``base``, ``f_*``, ``o_*`` are single-valued or only filter, sort and count (constant
    scores). At 200,000 records fieldnorms were 178 MB of a 371 MB index, rewritten at every merge."""
    if name.startswith("t_") or name in ("g", "has"):
        return True
    if name[:2] in ("x_", "s_"):
        return name[2:] in multi_valued_codes()
    return False


def _without_fieldnorms(schema: tantivy.Schema) -> tantivy.Schema:
    """The same schema (same fields, same order, so the same field ids) with fieldnorms only where
    ``keeps_fieldnorms`` says. tantivy-py has no builder option for them: the schema is rebuilt from its
    serialized form (what pickling it uses), the only place the option is exposed."""
    rebuild, (state,) = schema.__reduce__()
    for entry in state["inner"]:
        indexing = entry["options"].get("indexing") if entry["type"] in ("text", "json_object") else None
        if indexing and not keeps_fieldnorms(entry["name"]):
            indexing["fieldnorms"] = False
    return rebuild(state)


@lru_cache(maxsize=1)
def build_schema() -> tantivy.Schema:
    return _without_fieldnorms(_full_schema())


def _full_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("key", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("base", stored=False, fast=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("has", tokenizer_name="raw", index_option="basic")
    sb.add_unsigned_field("h", stored=True)
    # trigrams of every text code in one JSON field ("g.TICO"): one field entry per document
    # instead of one per code makes indexing about 1.5 times faster.
    sb.add_json_field("g", tokenizer_name="tri", index_option="position")
    for w in weights():
        sb.add_text_field(weight_field(w), tokenizer_name="fr", index_option="position")
    for code in sorted(field_codes()):
        fast = code in facet_field_codes()
        if is_text_code(code):
            sb.add_text_field(f"x_{code}", tokenizer_name="kw", index_option="basic")
            sb.add_text_field(f"s_{code}", tokenizer_name="raw", index_option="basic", fast=fast)
        sb.add_float_field(f"n_{code}", indexed=True)
    for name in terms_facets():
        sb.add_text_field(f"f_{name}", tokenizer_name="raw", index_option="basic", fast=True)
    for level in (1, 2, 3):
        sb.add_text_field(f"f_lieu{level}", tokenizer_name="raw", index_option="basic", fast=True)
    sb.add_integer_field("year_lo", indexed=True, fast=True)
    sb.add_integer_field("year_hi", indexed=True, fast=True)
    sb.add_float_field("lat", indexed=True, fast=True)
    sb.add_float_field("lon", indexed=True, fast=True)
    sb.add_unsigned_field("cell", fast=True)
    for s in SORT_FIELDS:
        sb.add_text_field(f"o_{s}", tokenizer_name="raw", index_option="basic", fast=True)
    return sb.build()
