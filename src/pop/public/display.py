"""How a record view is shown on the public site, driven by the schema registry.

    title(base, view)            -> "Château de Lunel"
    subtitle(base, view)         -> "château · Lunel · 16e siècle"
    sections(base, view)         -> [{"key": "identification", "label": "Identification",
                                      "rows": [{"code": "DENO", "label": "Dénomination…", "multi": True,
                                                "values": [{"text": "château", "url": "/recherche?type=château"}]}]}]
                                 (places link to the "lieu" facet: /recherche?lieu=Occitanie/Hérault/Lunel)
    ref_target(field, ref)       -> Base the REF value points to, or None

Field labels, types, sections and facets all come from the registry; no field list lives here.
"""
from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote, urlencode

from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.html import format_html

from pop.public import places
from pop.schema import Base, registry
from pop.schema.groups import CROSS_BASE_GROUPS, FACETS_BY_NAME
from pop.schema.types import SECTION_LABELS, Field, S, T

# Cross-base expert groups whose values are worth a search link when the field feeds no facet (or,
# for places, when the value cannot be placed in the region → department → commune facet): the
# link is then an expert search "<group> = value".
SEARCH_GROUPS = ("auteur", "domaine", "denomination", *places.PLACE_GROUPS)
_GROUP_OF = {code: g.key for g in CROSS_BASE_GROUPS if g.key in SEARCH_GROUPS for code in g.codes}


def _as_list(value) -> list:
    if value in (None, "", [], {}):
        return []
    return value if isinstance(value, list) else [value]


def _text(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value).strip()


def title(base: Base, view: dict) -> str:
    for code in base.title_fields:
        values = [_text(v) for v in _as_list(view.get(code)) if _text(v)]
        if values:
            return ", ".join(values)
    return view.get("REF", "")


def subtitle(base: Base, view: dict) -> str:
    shown = title(base, view)
    parts = []
    for code in base.subtitle_fields:
        text = ", ".join(_text(v) for v in _as_list(view.get(code)) if _text(v))
        if text and text != shown and text not in parts:
            parts.append(text)
    return " · ".join(parts)


def ref_target(field: Field, ref: str) -> Base | None:
    """The base a REF value of ``field`` points to: the only candidate, or the first whose REF
    pattern matches (for fields that may point to several bases, or to any base)."""
    candidates = registry.bases() if field.links_to == ("*",) else [registry.find(s) for s in field.links_to]
    candidates = [b for b in candidates if b is not None]
    if len(candidates) == 1:
        return candidates[0]
    for b in candidates:
        if b.ref_regex.match(ref or ""):
            return b
    return None


@lru_cache(maxsize=1)
def _paths() -> tuple[str, str, str]:
    """(record page prefix, results path, expert path), resolved once: pages build hundreds of such links."""
    return reverse("public:notice", args=["b", "r"])[:-3], reverse("public:results"), reverse("public:expert")


def notice_url(base: Base, ref: str) -> str:
    return f"{_paths()[0]}{base.public_slug}/{quote(ref, safe='')}"


def search_url(**params) -> str:
    return _paths()[1] + "?" + urlencode(params)


def group_search_url(group: str, value: str) -> str:
    """Expert search "<cross-base field group> = value" (e.g. every record whose commune is Lille)."""
    return _paths()[2] + "?" + urlencode({"c.0": "AND", "f.0.0": f"group:{group}", "o.0.0": "==", "v.0.0": value})


def value_link(base: Base, f: Field, value: str, lieu: dict | None = None) -> str:
    """URL worth attaching to one value: the record a REF points to, a facet search (author,
    domain, type…), the place facet (``lieu``: the record's ``places.lieu_paths``), or an expert
    search on the value's field group; "" when the value is plain text."""
    if f.is_link:
        target = ref_target(f, value)
        return notice_url(target, value) if target else ""
    if f.facet and f.facet in FACETS_BY_NAME:
        return search_url(**{f.facet: value})
    path = (lieu or {}).get((f.code, value))
    if path:
        return search_url(lieu=path)
    group = _GROUP_OF.get(f.code)
    return group_search_url(group, value) if group else ""


def shown_fields(base: Base) -> list[Field]:
    """Public fields shown in the sections: not deprecated, not structured (points, polygons,
    objects: shown as a map or elsewhere), not images (shown in the media area), and not the
    computed management flags (base name, producer, "contains an image"…), shown in the header."""
    out = []
    for f in base.public_fields:
        if f.deprecated or f.type in (T.GEOPOINT, T.POLYGON, T.OBJECT) or f.code in base.image_fields:
            continue
        if f.inverse_of is not None:  # derived back-links: shown as linked records
            continue
        if f.computed and f.section is S.MANAGEMENT and f.type is not T.DATE:
            continue
        out.append(f)
    return out


def _values(base: Base, f: Field, raw, lieu: dict | None = None) -> list[dict]:
    """Values of one field, each with its escaped HTML (rendered here: record pages show hundreds
    of values, and one template include per value would dominate the page's server time)."""
    out = []
    for v in _as_list(raw):
        text = _text(v)
        if not text:
            continue
        if f.type is T.URL and text.startswith(("http://", "https://")):
            html = format_html('<a href="{}" rel="noopener external" target="_blank" title="{} — nouvelle fenêtre">{}</a>',
                               text, text, text)
            out.append({"text": text, "url": text, "external": True, "html": html})
        elif f.type is T.EMAIL:
            out.append({"text": text, "url": "", "email": True, "html": format_html('<a href="mailto:{}">{}</a>', text, text)})
        else:
            url = value_link(base, f, text, lieu)
            html = (format_html('<a href="{}">{}</a>', url, text) if url
                    else format_html('<span class="pop-text">{}</span>', linebreaksbr(text, autoescape=True)))
            out.append({"text": text, "url": url, "html": html})
    return out


def sections(base: Base, view: dict) -> list[dict]:
    by_section: dict[S, list[dict]] = {}
    lieu = places.lieu_paths(base, view)
    for f in shown_fields(base):
        values = _values(base, f, view.get(f.code), lieu)
        if not values:
            continue
        by_section.setdefault(f.section, []).append(
            {"code": f.code, "label": f.label, "multi": len(values) > 1, "values": values})
    return [{"key": s.value, "label": SECTION_LABELS[s], "rows": by_section[s]} for s in S if s in by_section]


def rights(base: Base, view: dict) -> list[dict]:
    """Rights and credits: the base's rights fields that have a value, with their labels."""
    out = []
    for code in base.rights_fields:
        f = base.field(code)
        values = [_text(v) for v in _as_list(view.get(code)) if _text(v)]
        if f and f.is_public and values:
            out.append({"label": f.label, "values": values})
    return out


def facet_values(base: Base, view: dict, facet: str) -> list[str]:
    """Values of the record's fields that feed a cross-base facet (e.g. "auteur")."""
    out: list[str] = []
    for f in base.public_fields:
        if f.facet == facet:
            out += [_text(v) for v in _as_list(view.get(f.code)) if _text(v) and _text(v) not in out]
    return out


def first_text(base: Base, view: dict, section: S) -> str:
    """The longest plain-text value of a section (used as a short description)."""
    best = ""
    for f in base.public_fields:
        if f.section is section and f.type is T.TEXT and not f.multi and f.weight > 0:
            v = _text(view.get(f.code, "")) if view.get(f.code) else ""
            if len(v) > len(best):
                best = v
    return best
