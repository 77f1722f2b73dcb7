"""Computed fields, in one place, on every write.

``compute(base, data, ctx)`` fills, in ``data``: BASE, PRODUCTEUR, DMIS/DMAJ, CONTIENT_IMAGE,
POP_COORDONNEES / POP_COORDINATES_POLYGON / POP_CONTIENT_GEOLOCALISATION, DPT_LETTRE, NOMPRENOM,
the museum fields copied into Joconde, and POP_FLAGS (the warning codes). It returns the
coordinate errors (COOR/COORM that cannot be projected), which block the write.

``ctx`` answers the questions that need other records (see ``ComputeContext``): the write service
prefetches them per batch so that computing stays in memory.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field

from pop.catalog import geo
from pop.catalog.producers import producer_for
from pop.catalog.validation import Issue, coordinate_issue
from pop.referentials.geography import department_name, normalize_dpt
from pop.schema import Base

# Museum fields copied into every Joconde record of that museum (Muséofile code → Joconde code).
MUSEUM_COPY = {"REGION": "REGION", "DPT": "DPT", "VILLE_M": "VILLE_M", "NOMOFF": "NOMOFF", "CONTACT_GENERIQUE": "CONTACT"}


@dataclass
class ComputeContext:
    today: str                                             # "YYYY-MM-DD"
    museums: dict[str, dict] = dc_field(default_factory=dict)        # museo REF -> museum data
    memoire_images: dict[tuple[str, str], bool] = dc_field(default_factory=dict)  # (base, ref) -> has a Mémoire image


def _has(value) -> bool:
    """Whether a field holds something: a non-empty value, or a list with a non-empty item."""
    return any(value) if isinstance(value, list) else bool(value)


_IMAGES_FROM_MEMOIRE = 1   # CONTIENT_IMAGE: illustrated by a Mémoire photo (see ComputeContext)
_IMAGES_OWN = 2            # CONTIENT_IMAGE: one of the record's own image fields is filled
_PLANS: dict[str, tuple] = {}


def _plan(base: Base) -> tuple:
    """Which computed fields ``base`` has, decided once per base (compute runs on every write):
    (CONTIENT_IMAGE kind or 0, DPT_LETTRE, multi-valued DPT, POP_CONTIENT_GEOLOCALISATION)."""
    plan = _PLANS.get(base.slug)
    if plan is None:
        images = 0
        if "CONTIENT_IMAGE" in base:
            images = _IMAGES_FROM_MEMOIRE if base.image_fields == ("MEMOIRE",) else _IMAGES_OWN
        plan = _PLANS[base.slug] = (images, "DPT_LETTRE" in base, "DPT" in base and base["DPT"].multi,
                                    "POP_CONTIENT_GEOLOCALISATION" in base)
    return plan


def compute(base: Base, data: dict, ctx: ComputeContext, *, created: bool) -> list[Issue]:
    errors: list[Issue] = []
    slug = base.slug
    ref = data.get("REF", "")
    images, dpt_letters, multi_dpt, geolocation = _plan(base)
    data["BASE"] = base.label
    data["PRODUCTEUR"] = producer_for(slug, ref, data)
    if created or not data.get("DMIS"):
        data["DMIS"] = ctx.today
    data["DMAJ"] = ctx.today

    # images
    if images == _IMAGES_FROM_MEMOIRE:
        data["CONTIENT_IMAGE"] = "oui" if ctx.memoire_images.get((slug, ref), False) else "non"
    elif images:
        found = "non"
        for code in base.image_fields:
            if _has(data.get(code)):
                found = "oui"
                break
        data["CONTIENT_IMAGE"] = found

    # departments in letters
    if dpt_letters:
        names = [department_name(d) for d in data.get("DPT") or []]
        data["DPT_LETTRE"] = [n for n in names if n]
        if multi_dpt:
            data["DPT"] = [normalize_dpt(d) for d in data.get("DPT") or []]

    if slug == "autor":
        full = " ".join(p for p in (data.get("PREN", ""), data.get("NOM", "")) if p)
        data["NOMPRENOM"] = full

    if slug == "joconde":
        museum = ctx.museums.get(data.get("MUSEO", ""))
        for src, dst in MUSEUM_COPY.items():
            if dst in base:
                data[dst] = (museum or {}).get(src, "")
        point = (museum or {}).get("POP_COORDONNEES")
        data["POP_COORDONNEES"] = point if geo.is_valid(point) else None

    if slug in ("merimee", "palissy"):
        errors += _project(base, data)

    if geolocation:
        point = data.get("POP_COORDONNEES")
        valid = geo.is_valid(point)
        if not valid:
            data["POP_COORDONNEES"] = None
        data["POP_CONTIENT_GEOLOCALISATION"] = "oui" if valid else "non"
    return errors


def _project(base: Base, data: dict) -> list[Issue]:
    errors: list[Issue] = []
    zone = data.get("ZONE") or ""
    polygon = None
    point = None
    if data.get("COORM"):
        if not zone:
            errors.append(coordinate_issue(base, "ZONE", ValueError("zone de projection obligatoire avec des coordonnées")))
        else:
            try:
                polygon = geo.project_polygon(data["COORM"], zone)
            except geo.CoordinateError as exc:
                errors.append(coordinate_issue(base, "COORM", exc))
    if data.get("COOR"):
        if not zone:
            errors.append(coordinate_issue(base, "ZONE", ValueError("zone de projection obligatoire avec des coordonnées")))
        else:
            try:
                point = geo.project_point(data["COOR"], zone)
            except geo.CoordinateError as exc:
                errors.append(coordinate_issue(base, "COOR", exc))
    if point is None and polygon is not None:
        point = geo.centroid(polygon)
    data["POP_COORDINATES_POLYGON"] = polygon
    data["POP_COORDONNEES"] = point
    return errors


def flags(issues: list[Issue]) -> list[str]:
    """POP_FLAGS: the codes of the warnings, sorted and unique."""
    return sorted({i.code for i in issues if i.level == "warning"})
