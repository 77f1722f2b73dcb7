"""Reading records for every channel: derived link fields and field visibility, in one place.

    views = read_records([rec1, rec2], level=V.PUBLIC)   # -> [{"REF": ..., "REFO": [...], "MEMOIRE": [...]}, ...]
    view = public_record("merimee", "PA00078014")          # -> dict or None (unknown or deleted)

Every public channel (pages, API, exports, OAI, IIIF, dumps, search index) goes through
``visible(base, data, level)``: fields whose visibility is above ``level`` never come out.
"""
from __future__ import annotations

import functools
from collections import defaultdict

from django.db.models.fields.json import KeyTextTransform

from pop.catalog.models import Link, Record
from pop.schema import Base, V, registry

_ORDER = {V.PUBLIC: 0, V.RESTRICTED: 1, V.INTERNAL: 2}
_MEMOIRE_KEYS = ("m_IMG", "m_COPY", "m_LEG", "m_TICO", "m_EDIF", "m_MARQ")   # keys of a Mémoire record in MEMOIRE entries


@functools.lru_cache(maxsize=64)
def _visible_codes(slug: str, level: V) -> tuple[str, ...]:
    """Codes of the fields of a base that ``level`` may see, in registry order (computed once)."""
    return tuple(f.code for f in registry.get(slug).fields if _ORDER[f.visibility] <= _ORDER[level])


@functools.lru_cache(maxsize=64)
def public_codes(slug: str) -> frozenset[str]:
    """Codes of the public fields of a base: all a public channel may output (computed once)."""
    return frozenset(_visible_codes(slug, V.PUBLIC))


def visible(base: Base, data: dict, level: V = V.PUBLIC) -> dict:
    """Copy of ``data`` restricted to the fields ``level`` may see, in registry order."""
    out = {}
    for code in _visible_codes(base.slug, level):
        if code in data:
            value = data[code]
            if value not in (None, "", [], {}):
                out[code] = value
    return out


def derived_links(records: list[Record], only: dict[str, frozenset[str]] | None = None) -> dict[int, dict[str, list]]:
    """record id -> {derived field code: values} for inverse link fields (REFO, REFJOC, REFMUS,
    REFDE, MEMOIRE…), read from the link table by destination. ``only`` (base slug → codes) reads
    just those derived fields (an export showing MEMOIRE's images needs none of the others)."""
    out: dict[int, dict[str, list]] = defaultdict(dict)
    wanted: dict[tuple[str, str], list[tuple[Record, object]]] = defaultdict(list)
    for rec in records:
        base = registry.get(rec.base)
        keep = None if only is None else only.get(rec.base, frozenset())
        for f in base.derived_link_fields:
            if keep is None or f.code in keep:
                wanted[f.inverse_of].append((rec, f))
    for (src_base, src_field), pairs in wanted.items():
        refs_by_base: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for rec, f in pairs:
            refs_by_base[rec.base][rec.ref].append((rec, f))
        for dst_base, by_ref in refs_by_base.items():
            refs = list(by_ref)
            # Only MEMOIRE entries need values of the linking record, and only six text keys of it:
            # they are extracted by the database (no decoding of whole records, the bulk of the cost).
            memoire = any(f.code == "MEMOIRE" for by in by_ref.values() for _, f in by)
            columns = ["dst_ref", "src__ref", *(_MEMOIRE_KEYS if memoire else ())]
            for i in range(0, len(refs), 500):
                rows = (Link.objects.filter(field=src_field, src__base=src_base, src__status=Record.PUBLISHED,
                                            dst_base=dst_base, dst_ref__in=refs[i:i + 500])
                        .annotate(**{k: KeyTextTransform(k[2:], "src__data") for k in _MEMOIRE_KEYS} if memoire else {})
                        .order_by("src__ref").values_list(*columns))
                for dst_ref, src_ref, *vals in rows:
                    for rec, f in by_ref[dst_ref]:
                        if f.code == "MEMOIRE":
                            img, copy, leg, tico, edif, marq = vals
                            entry = {"ref": src_ref, "url": img or "", "copy": copy or "",
                                     "name": leg or tico or edif or "", "marq": marq or ""}
                            out[rec.id].setdefault("MEMOIRE", []).append(entry)
                        else:
                            out[rec.id].setdefault(f.code, []).append(src_ref)
    for rec_id, fields in out.items():
        if "MEMOIRE" in fields:  # cover first ("marq" 1), then by REF
            fields["MEMOIRE"].sort(key=lambda e: (e["marq"] != "1", e["ref"]))
    return out


def read_records(records: list[Record], level: V = V.PUBLIC) -> list[dict]:
    """Full views (own data + derived links) of records, filtered by visibility."""
    derived = derived_links(records)
    views = []
    for rec in records:
        base = registry.get(rec.base)
        data = dict(rec.data)
        for code, values in derived.get(rec.id, {}).items():
            own = data.get(code)
            if isinstance(own, list) and own and code != "MEMOIRE":
                values = list(dict.fromkeys([*own, *values]))
            data[code] = values
        views.append(visible(base, data, level))
    return views


def get_record(base: str, ref: str) -> Record | None:
    b = registry.get(base)
    return Record.objects.filter(base=b.slug, ref=ref, status=Record.PUBLISHED).first()


def public_record(base: str, ref: str) -> dict | None:
    rec = get_record(base, ref)
    return read_records([rec])[0] if rec else None


def image_paths(base: Base, view: dict) -> list[str]:
    """Image keys of a record view, in display order (Mémoire images for Mérimée/Palissy/Autor)."""
    out: list[str] = []
    for code in base.image_fields:
        value = view.get(code)
        if code == "MEMOIRE":
            out += [e["url"] for e in value or [] if e.get("url")]
        elif isinstance(value, list):
            out += [v for v in value if v]
        elif value:
            out.append(value)
    return out
