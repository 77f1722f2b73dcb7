"""Image rights, read from the record that owns the image.

    r = rights_for_key("memoire/AP13R001264/ap13r001264_p.jpg")
    r.status        # "free" | "restricted" | "private"   (None returned: unknown image → 404)
    r.credit        # "© Ministère de la Culture (France), Médiathèque du patrimoine…"
    r.rights_uri    # a Creative Commons / RightsStatements.org URI found in the rights fields, or None
    r.limit()       # long-side cap in pixels for the public (None = no cap)

The owner of key ``{base}/{REF}/{file}`` is the published record of ``base`` whose own image fields
(``registry.get(base).image_fields``) hold the key: first the record whose REF is the key's second
segment, else (legacy Joconde keys carry another REF) a search of that base's image field.
Mérimée/Palissy/Autor show Mémoire images: their rights are the Mémoire record's.

Rules (from the record, never from the file):
- diffusion fields are the base's fields whose code starts with ``DIFF`` (Joconde ``DIFFU``,
  Mémoire ``DIFF``): "non", "non diffusable", "ne pas diffuser", "diffusion interdite"… → private
  (not served to the public); "soumise à autorisation", "reproduction interdite", "droits
  réservés"… → restricted (served up to ``POP_IIIF_RESTRICTED_MAX`` px on the long side, default
  800); anything else (empty, "oui", "libre de droits") → free;
- credits are the other ``rights_fields`` of the base (``COPY``, ``PHOT``, ``DROIT``…).
Staff users (``is_staff``) are not capped.
"""
from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass

from django.conf import settings

from pop.catalog.models import Record
from pop.schema import registry
from pop.schema.registry import UnknownBase

FREE, RESTRICTED, PRIVATE = "free", "restricted", "private"
DEFAULT_RESTRICTED_MAX = 800

_PRIVATE_EXACT = {"non", "non diffusable", "ne pas diffuser", "diffusion interdite", "interdit", "prive"}
_PRIVATE_WORDS = ("non diffusable", "ne pas diffuser", "diffusion interdite", "non communicable")
_RESTRICTED_WORDS = ("autorisation", "reproduction interdite", "droits reserves", "tous droits reserves",
                     "restreint", "soumis a", "soumise a")
_RIGHTS_URI = re.compile(
    r"https?://(?:creativecommons\.org/(?:licenses|publicdomain)/[a-z0-9.+-]+(?:/[0-9.]+)?(?:/[a-z-]+)?/?"
    r"|rightsstatements\.org/vocab/[A-Za-z-]+/1\.0/?)", re.I)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"\s+", " ", text.replace("'", " ")).strip()


def _values(data: dict, code: str) -> list[str]:
    v = data.get(code)
    if isinstance(v, list):
        return [str(x) for x in v if x]
    return [str(v)] if v else []


def classify(text: str) -> str:
    t = _fold(text)
    if not t:
        return FREE
    if t in _PRIVATE_EXACT or any(w in t for w in _PRIVATE_WORDS):
        return PRIVATE
    if any(w in t for w in _RESTRICTED_WORDS):
        return RESTRICTED
    return FREE


def valid_rights_uri(text: str) -> str | None:
    """A Creative Commons or RightsStatements.org URI contained in ``text`` (normalised to http)."""
    m = _RIGHTS_URI.search(text or "")
    if not m:
        return None
    uri = m.group(0)
    return "http://" + uri.split("://", 1)[1]


def restricted_max() -> int:
    return int(getattr(settings, "POP_IIIF_RESTRICTED_MAX", DEFAULT_RESTRICTED_MAX))


@dataclass(frozen=True)
class ImageRights:
    base: str
    ref: str
    status: str
    credit: str
    rights_uri: str | None

    def limit(self, staff: bool = False) -> int | None:
        if staff or self.status == FREE:
            return None
        return restricted_max()

    def served(self, staff: bool = False) -> bool:
        return staff or self.status != PRIVATE


def diffusion_fields(base) -> list[str]:
    return [f.code for f in base.fields if f.code.startswith("DIFF")]


def credit_fields(base) -> list[str]:
    return [c for c in base.rights_fields if not c.startswith("DIFF")]


def record_rights(base_slug: str, ref: str, data: dict) -> ImageRights:
    base = registry.get(base_slug)
    statuses = [classify(v) for code in diffusion_fields(base) for v in _values(data, code)]
    status = PRIVATE if PRIVATE in statuses else RESTRICTED if RESTRICTED in statuses else FREE
    credits = [v for code in credit_fields(base) for v in _values(data, code)]
    uri = None
    for code in [*base.rights_fields, *diffusion_fields(base)]:
        for v in _values(data, code):
            uri = uri or valid_rights_uri(v)
    return ImageRights(base.slug, ref, status, " ; ".join(dict.fromkeys(credits)), uri)


def own_image_keys(base_slug: str, data: dict) -> list[str]:
    """Image keys stored in a record's own image fields (not the derived MEMOIRE list)."""
    base = registry.get(base_slug)
    keys: list[str] = []
    for code in base.image_fields:
        field = base.field(code)
        if field is None or field.inverse_of is not None:
            continue
        keys += [v for v in _values(data, code) if not v.startswith(("http://", "https://"))]
    return keys


def owner(key: str) -> Record | None:
    """The published record whose own image fields hold ``key``."""
    parts = key.split("/")
    if len(parts) < 2:
        return None
    try:
        base = registry.get(parts[0])
    except UnknownBase:
        return None
    if base.slug != parts[0]:
        return None
    rec = Record.objects.filter(base=base.slug, ref=parts[1], status=Record.PUBLISHED).first()
    if rec is not None and key in own_image_keys(base.slug, rec.data):
        return rec
    for code in base.image_fields:
        field = base.field(code)
        if field is None or field.inverse_of is not None:
            continue
        for rec in Record.objects.filter(base=base.slug, status=Record.PUBLISHED,
                                         **{f"data__{code}__icontains": key})[:20]:
            if key in own_image_keys(base.slug, rec.data):
                return rec
    return None


_cache: dict[str, tuple[float, ImageRights | None]] = {}


def rights_for_key(key: str) -> ImageRights | None:
    """Rights of the image ``key`` (None when no published record holds it), cached for
    ``POP_IIIF_RIGHTS_TTL`` seconds (default 10) per process."""
    ttl = float(getattr(settings, "POP_IIIF_RIGHTS_TTL", 10))
    now = time.monotonic()
    hit = _cache.get(key)
    if hit and now - hit[0] < ttl:
        return hit[1]
    rec = owner(key)
    result = record_rights(rec.base, rec.ref, rec.data) if rec else None
    if len(_cache) > 10_000:
        _cache.clear()
    _cache[key] = (now, result)
    return result
