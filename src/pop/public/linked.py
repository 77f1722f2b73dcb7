"""Linked records of a record page: every REF value of its link fields (own and derived, e.g. the
Palissy objects of a Mérimée building, the museum of a Joconde object, the Mémoire photos of a
monument), loaded in one query per base and turned into small cards.

    groups = linked_groups(base, view)
    # -> [{"code": "REFO", "label": "Objets mobiliers…", "total": 40,
    #      "cards": [{"base": <Base>, "ref": "PM34000001", "title": "...", "subtitle": "...",
    #                 "url": "/notice/palissy/PM34000001", "thumb": "/iiif/...", "missing": False}]}]
"""
from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from pop.catalog.models import Record
from pop.catalog.reading import image_paths, read_records, visible
from pop.public import display, media
from pop.schema import Base, registry
from pop.schema.types import T, V

PER_FIELD = 24  # cards shown per link field; the rest is reached through a search


def _refs(value) -> list[str]:
    out = []
    for v in value if isinstance(value, list) else [value]:
        if isinstance(v, dict):  # MEMOIRE entries {ref, url, name, copy, marq}
            v = v.get("ref", "")
        if isinstance(v, str) and v.strip():
            out.append(v.strip())
    return list(dict.fromkeys(out))


def link_fields(base: Base):
    return [f for f in base.public_fields if f.type is T.REF and f.links_to and f.links_to != ("import",)]


@lru_cache(maxsize=None)
def _card_shows_derived(slug: str) -> bool:
    """Whether a card of this base shows a derived link field (e.g. a Palissy object's thumbnail,
    taken from the Mémoire photos that point to it)."""
    b = registry.get(slug)
    shown = {*b.title_fields, *b.subtitle_fields, *b.image_fields}
    return any(f.code in shown for f in b.derived_link_fields)


def card_views(records: list[Record]) -> dict[tuple[str, str], dict]:
    """Public views of linked records, as much as their cards need: the link table is read only for
    the bases whose cards show a derived field (one query per such field and base saved otherwise)."""
    full = [r for r in records if _card_shows_derived(r.base)]
    views = dict(zip([(r.base, r.ref) for r in full], read_records(full, level=V.PUBLIC)))
    for r in records:
        if not _card_shows_derived(r.base):
            views[(r.base, r.ref)] = visible(registry.get(r.base), r.data, V.PUBLIC)
    return views


def linked_groups(base: Base, view: dict) -> list[dict]:
    wanted: list[tuple] = []   # (field, [(target base, ref)], total)
    by_base: dict[str, set[str]] = defaultdict(set)
    for f in link_fields(base):
        refs = _refs(view.get(f.code))
        if not refs:
            continue
        pairs = []
        for ref in refs[:PER_FIELD]:
            target = display.ref_target(f, ref)
            if target is not None:
                pairs.append((target, ref))
                by_base[target.slug].add(ref)
        wanted.append((f, pairs, len(refs)))
    if not wanted:
        return []
    found: dict[tuple[str, str], Record] = {}
    for slug, refs in by_base.items():
        for rec in Record.objects.filter(base=slug, ref__in=sorted(refs), status=Record.PUBLISHED):
            found[(slug, rec.ref)] = rec
    views = card_views(list(found.values()))
    groups = []
    for f, pairs, total in wanted:
        cards = []
        for target, ref in pairs:
            v = views.get((target.slug, ref))
            if v is None:
                cards.append({"base": target, "ref": ref, "title": ref, "subtitle": "", "url": "", "thumb": "",
                              "missing": True})
                continue
            images = image_paths(target, v)
            cards.append({"base": target, "ref": ref, "title": display.title(target, v),
                          "subtitle": display.subtitle(target, v), "url": display.notice_url(target, ref),
                          "thumb": media.thumbnail(images[0]) if images else "", "missing": False})
        groups.append({"code": f.code, "label": f.label, "total": total, "cards": cards})
    return groups
