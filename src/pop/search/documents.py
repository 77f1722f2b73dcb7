"""Record views → Tantivy documents (what the index holds for one record).

The view comes from ``pop.catalog.reading.read_records(records, V.PUBLIC)``: restricted and internal
fields are absent before anything is indexed, so they can neither be searched nor returned (hits
read their view from the database with the same function, see ``source``).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from pop.catalog.reading import image_paths
from pop.referentials.geography import commune_path, department_of, department_path
from pop.schema import registry
from pop.schema.groups import GROUPS_BY_KEY, expert_fields, searchable_fields
from pop.schema.types import Base, T
from pop.search import schema as S
from pop.search.text import KW_MAX, date_bounds, fold, number, trigram_texts, years

YEAR_NONE = 99999
_NON_DIGITS = re.compile(r"\D+")


@dataclass(frozen=True)
class BasePlan:
    base: Base
    info: dict                    # code -> (type, is_text, trigrams?, t_ field or None, facet or None, x_, s_, n_ names)
    weight_of: dict               # code -> t_ field name
    facet_of: dict                # code -> facet name (terms facets)
    regions: tuple
    departments: tuple
    communes: tuple
    authors: tuple
    periods: tuple


@lru_cache(maxsize=None)
def plan(slug: str) -> BasePlan:
    base = registry.get(slug)
    weight_of = {c: S.weight_field(w) for c, w in searchable_fields(base)}
    facet_of = {f.code: f.facet for f in base.public_fields if f.facet}
    info = {f.code: (f.type, S.is_text_code(f.code), S.has_trigrams(f.code), weight_of.get(f.code), facet_of.get(f.code),
                     f"x_{f.code}", f"s_{f.code}", f"n_{f.code}") for f in expert_fields(base)}
    return BasePlan(
        base=base, info=info,
        weight_of=weight_of,
        facet_of=facet_of,
        regions=GROUPS_BY_KEY["region"].codes_for(base),
        departments=GROUPS_BY_KEY["departement"].codes_for(base),
        communes=GROUPS_BY_KEY["commune"].codes_for(base),
        authors=GROUPS_BY_KEY["auteur"].codes_for(base),
        periods=GROUPS_BY_KEY["periode"].codes_for(base),
    )


def _values(v) -> list:
    if v is None or v == "":
        return []
    if isinstance(v, list):
        return [x for x in v if x not in (None, "")]
    return [v]


_NUMBER = (int, float)


def _str_values(v) -> list[str]:
    """Non-empty stripped strings of a value or list (numbers as text; booleans, objects skipped)."""
    cls = v.__class__
    if cls is str:
        v = v.strip()
        return [v] if v else []
    if cls is list:
        out = []
        for x in v:
            c = x.__class__
            if c is str:
                x = x.strip()
                if x:
                    out.append(x)
            elif c in _NUMBER:
                out.append(str(x))
        return out
    if cls in _NUMBER:
        return [str(v)]
    return []


def key_hex(text: str) -> str:
    """Hex of the folded prefix of ``text``: the ordered part of a sort key (see ``hexkey``)."""
    return fold(text)[:40].encode("utf-8")[:80].hex()


def hexkey(text: str, rid: int) -> str:
    """Sort key usable in order_by and in range queries: hex of the folded prefix + '.' + record id."""
    return key_hex(text) + "." + f"{rid:012x}"


def cell(lat: float, lon: float) -> int:
    """Morton (Z-order) code of the Web-Mercator grid cell holding the point at the deepest level:
    the cell at zoom z is the code's top 2·(z+3) bits, so one fast field serves every zoom
    (clusters = a histogram of the code with interval 4**(18 - z))."""
    level = S.CELL_BITS
    n = 1 << level
    x = min(n - 1, max(0, int((lon + 180.0) / 360.0 * n)))
    lat = max(-85.05, min(85.05, lat))
    r = math.radians(lat)
    y = min(n - 1, max(0, int((1.0 - math.log(math.tan(r) + 1.0 / math.cos(r)) / math.pi) / 2.0 * n)))
    code = 0
    for bit in range(level - 1, -1, -1):
        code = (code << 2) | (((x >> bit) & 1) << 1) | ((y >> bit) & 1)
    return code


def geopoint(view: dict) -> tuple[float, float] | None:
    p = view.get("POP_COORDONNEES")
    if isinstance(p, dict):
        try:
            lat, lon = float(p.get("lat") or 0), float(p.get("lon") or 0)
        except (TypeError, ValueError):
            return None
        if (lat or lon) and -90 <= lat <= 90 and -180 <= lon <= 180:
            return lat, lon
    return None


def title_of(base: Base, view: dict) -> str:
    for code in base.title_fields:
        vals = _str_values(view.get(code))
        if vals:
            return vals[0]
    return view.get("REF", "")


def core(slug: str, view: dict) -> dict:
    """Cross-base fields added to every stored view (returned with hits)."""
    p = plan(slug)
    authors = []
    for code in p.authors:
        authors += _str_values(view.get(code))
    try:
        imgs = image_paths(p.base, view)
    except Exception:  # noqa: BLE001 - a malformed image field must not block indexing
        imgs = []
    return {"title": title_of(p.base, view), "authors": list(dict.fromkeys(authors)),
            "base_label": p.base.label, "image": imgs[0] if imgs else ""}


def build(slug: str, rid: int, view: dict, updated_at=None) -> dict:
    """Index document (field name -> value or list) for one public record view.

    This runs once per record on every rebuild: the loop below is written for speed (one dict
    lookup per code, the common single-string value handled without helper calls)."""
    p = plan(slug)
    base = p.base
    ref = view.get("REF", "")
    doc: dict = {"key": f"{slug}/{ref}", "base": slug}
    has = []
    tri_codes: list[str] = []
    tri_values: list[list[str]] = []
    text: dict[str, list] = {}
    facets: dict[str, list] = {}
    info = p.info
    for code, raw in view.items():
        fi = info.get(code)
        if fi is None:
            continue
        typ, is_text, tri, wf, fc, xname, sname, nname = fi
        if typ is T.GEOPOINT:
            if geopoint(view):
                has.append(code)
            continue
        if raw.__class__ is str:
            v = raw.strip()
            if not v:
                continue
            vals = [v]
        else:
            vals = _str_values(raw)
            if not vals:
                continue
        has.append(code)
        if is_text:
            short = vals if len(vals) == 1 and len(vals[0]) <= KW_MAX else [v[:KW_MAX] for v in vals]
            doc[xname] = short
            doc[sname] = short
            if tri:
                tri_codes.append(code)
                tri_values.append(vals)
        nums = None
        for v in vals:
            c0 = v[0]
            if not (c0.isdigit() or c0 == "-"):
                continue
            if typ is T.DATE:
                b = date_bounds(v)
                n = float(b[0]) if b else None
            else:
                n = number(v)
                if n is None and len(v) >= 8:
                    b = date_bounds(v)
                    if b:
                        n = float(b[0])
            if n is not None:
                if nums is None:
                    nums = doc[nname] = []
                nums.append(n)
        if wf:
            if wf in text:
                text[wf] += vals
            else:
                text[wf] = list(vals)
        if fc:
            if fc in facets:
                facets[fc] += vals
            else:
                facets[fc] = list(vals)
    doc["has"] = has
    if tri_codes:
        doc["g"] = dict(zip(tri_codes, trigram_texts(tri_values)))
    for wf, vals in text.items():
        doc[wf] = vals
    for fc, vals in facets.items():
        doc[f"f_{fc}"] = list(dict.fromkeys(v[:KW_MAX] for v in vals))
    doc["f_base"] = [base.label]
    producer = _str_values(view.get("PRODUCTEUR"))
    if producer:
        doc["f_producteur"] = producer[:1]
    doc["f_image"] = ["oui" if view.get("CONTIENT_IMAGE") == "oui" else "non"]
    pt = geopoint(view)
    doc["f_geolocalisation"] = ["oui" if pt else "non"]
    if pt:
        doc["lat"], doc["lon"] = pt
        doc["cell"] = cell(pt[0], pt[1])
    # place hierarchy region → department → commune
    depts = [d for d in (department_of(v) for c in p.departments for v in _str_values(view.get(c))) if d]
    lieu1 = {v for c in p.regions for v in _str_values(view.get(c))}
    lieu1.update(reg for _name, reg in depts)
    lieu2 = {department_path(d) for d in depts}
    lieu3 = {commune_path(depts[0], v) for c in p.communes for v in _str_values(view.get(c))} if depts else set()
    if lieu1:
        doc["f_lieu1"] = sorted(lieu1)
    if lieu2:
        doc["f_lieu2"] = sorted(lieu2)
    if lieu3:
        doc["f_lieu3"] = sorted(lieu3)
    # years
    ys = years([v for c in p.periods for v in _values(view.get(c))] + _values(view.get("POP_DATE")))
    ys = [y for y in ys if -5000 < y < 2200]
    if ys:
        doc["year_lo"], doc["year_hi"] = min(ys), max(ys)
    # sorts
    doc["o_title"] = hexkey(title_of(base, view), rid)
    doc["o_ref"] = hexkey(ref, rid)
    doc["o_date"] = f"{(min(ys) + 5000) if ys else YEAR_NONE:05d}" + "." + f"{rid:012x}"
    dmaj = str(view.get("DMAJ") or "")[:10]
    if not dmaj and updated_at is not None:   # a datetime, or its text as read by raw SQL
        dmaj = updated_at.date().isoformat() if hasattr(updated_at, "date") else str(updated_at)[:10]
    doc["o_modified"] = _NON_DIGITS.sub("", dmaj).ljust(8, "0")[:8] + "." + f"{rid:012x}"
    return doc


def source(slug: str, view: dict) -> dict:
    """What a hit returns for one public record view: the view, the cross-base core, and the geopoint
    normalised to floats. Read from the database when hits are served (the index stores no view)."""
    out = dict(view)
    out.update(core(slug, view))
    pt = geopoint(view)
    if pt:
        out["POP_COORDONNEES"] = {"lat": pt[0], "lon": pt[1]}
    return out
