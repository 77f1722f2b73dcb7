"""IIIF Presentation API 3.0 documents: a Manifest per record, Collections of records.

    doc = manifest(urls, "merimee", "PA00078014")           # dict, or None for an unknown/deleted record
    doc = collection(urls, coll_id, label, [("merimee", "PA00078014"), ...], extra_items=[...])

``urls`` (an ``Urls``) turns site paths into absolute URLs (built from the request). Metadata comes
from the record's public view (``pop.catalog.reading.read_records(level=V.PUBLIC)``) and the
registry (labels, types); images from ``reading.image_paths`` (Mémoire images for Mérimée, Palissy
and Autor), each with its own rights and credits (``pop.iiif.rights``). Images that are not
diffusable, not stored or unreadable are left out.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable
from urllib.parse import quote

from django.urls import NoReverseMatch, reverse

from pop.catalog.models import Record
from pop.catalog.reading import image_paths, read_records
from pop.iiif import derivatives, rights as rights_mod, safety
from pop.iiif.storage import InvalidKey, media_storage, normalise_key
from pop.schema import S, T, V, registry

log = logging.getLogger(__name__)

CONTEXT = "http://iiif.io/api/presentation/3/context.json"
IMAGE_CONTEXT = "http://iiif.io/api/image/3/context.json"
PROVIDER_LABEL = "Ministère de la Culture — Plateforme ouverte du patrimoine (POP)"
THUMB = 400


def lng(*values: str) -> dict:
    return {"fr": [v for v in values if v] or [""]}


@dataclass
class Urls:
    absolute: Callable[[str], str]   # site path -> absolute URL

    def service(self, key: str) -> str:
        return self.absolute(reverse("iiif:base") + quote(key, safe=""))

    def manifest(self, base: str, ref: str) -> str:
        return self.absolute(reverse("iiif-manifest", args=[base, ref]))

    def notice_page(self, base, ref: str) -> str:
        try:
            return self.absolute(reverse("public:notice", args=[base.public_slug, ref]))
        except NoReverseMatch:
            return self.absolute(f"/notice/{base.public_slug}/{quote(ref)}")

    def notice_json(self, base, ref: str) -> str:
        try:
            return self.absolute(reverse("api-notice", args=[base.slug, ref]))
        except NoReverseMatch:
            return self.absolute(f"/api/notices/{base.slug}/{quote(ref)}")

    def home(self) -> str:
        return self.absolute("/")


def _text(value) -> str:
    if isinstance(value, list):
        return " ; ".join(_text(v) for v in value if _text(v))
    if isinstance(value, dict):
        return ""
    return str(value).strip() if value is not None else ""


def title(base, view: dict) -> str:
    for code in base.title_fields:
        t = _text(view.get(code))
        if t:
            return t
    return view.get("REF", "")


def summary(base, view: dict) -> str:
    parts = [_text(view.get(code)) for code in base.subtitle_fields]
    parts = [p for p in parts if p]
    return " — ".join(parts) if parts else base.label


def metadata(base, view: dict) -> list[dict]:
    """Public display fields with a value, in registry order, as label/value pairs."""
    out = []
    skip = set(base.image_fields) | set(base.title_fields) | {"REF"} | set(rights_mod.diffusion_fields(base))
    for f in base.public_fields:
        if f.deprecated or f.code in skip or f.type in (T.GEOPOINT, T.POLYGON, T.OBJECT):
            continue
        if f.inverse_of is not None or (f.computed and f.section is S.MANAGEMENT and f.type is not T.DATE):
            continue  # derived back-links and management flags (base name, producer, "has image"…)
        value = _text(view.get(f.code))
        if value:
            out.append({"label": lng(f.label or f.code), "value": lng(value)})
    return out


def provider(urls: Urls) -> list[dict]:
    return [{"id": urls.home(), "type": "Agent", "label": lng(PROVIDER_LABEL),
             "homepage": [{"id": urls.home(), "type": "Text", "label": lng("POP"), "format": "text/html",
                           "language": ["fr"]}]}]


def _fit(w: int, h: int, box: int) -> tuple[int, int]:
    s = min(1.0, box / max(w, h))
    return max(1, round(w * s)), max(1, round(h * s))


def image_entry(urls: Urls, key: str, staff: bool = False) -> dict | None:
    """Facts of one servable image: dimensions, rights, URLs (None when not servable)."""
    try:
        key = normalise_key(key)
    except InvalidKey:
        return None
    if not media_storage().exists(key):
        return None
    r = rights_mod.rights_for_key(key)
    if r is None or not r.served(staff):
        return None
    try:
        meta = derivatives.ensure(key)
    except (safety.UnsafeImage, FileNotFoundError, OSError) as exc:
        log.warning("image %s omise du manifeste : %s", key, exc)
        return None
    w, h = meta["width"], meta["height"]
    limit = r.limit(staff)
    bw, bh = _fit(w, h, limit) if limit else (w, h)
    service = urls.service(key)
    tw, th = _fit(w, h, THUMB)
    return {"key": key, "width": w, "height": h, "body_width": bw, "body_height": bh, "service": service,
            "rights": r, "thumb": f"{service}/full/!{THUMB},{THUMB}/0/default.jpg", "thumb_size": (tw, th)}


def _service(img: dict) -> list[dict]:
    return [{"id": img["service"], "type": "ImageService3", "profile": "level2"}]


def thumbnail(img: dict) -> list[dict]:
    tw, th = img["thumb_size"]
    return [{"id": img["thumb"], "type": "Image", "format": "image/jpeg", "width": tw, "height": th,
             "service": _service(img)}]


def credit_statement(credit: str) -> dict:
    return {"label": lng("Crédits"), "value": lng(credit or "Droits réservés")}


def canvas(manifest_id: str, n: int, img: dict, label: str) -> dict:
    cid = f"{manifest_id}/canvas/{n}"
    body = {"id": f"{img['service']}/full/max/0/default.jpg", "type": "Image", "format": "image/jpeg",
            "width": img["body_width"], "height": img["body_height"], "service": _service(img)}
    out = {"id": cid, "type": "Canvas", "label": lng(label), "width": img["width"], "height": img["height"],
           "thumbnail": thumbnail(img),
           "items": [{"id": f"{cid}/page", "type": "AnnotationPage",
                      "items": [{"id": f"{cid}/page/image", "type": "Annotation", "motivation": "painting",
                                 "target": cid, "body": body}]}]}
    if img["rights"].credit:
        out["requiredStatement"] = credit_statement(img["rights"].credit)
    if img["rights"].rights_uri:
        out["rights"] = img["rights"].rights_uri
    return out


def record_view(base_slug: str, ref: str) -> tuple[object, dict] | None:
    base = registry.find(base_slug)
    if base is None:
        return None
    rec = Record.objects.filter(base=base.slug, ref=ref, status=Record.PUBLISHED).first()
    if rec is None:
        return None
    return base, read_records([rec], V.PUBLIC)[0]


def manifest(urls: Urls, base_slug: str, ref: str, staff: bool = False) -> dict | None:
    found = record_view(base_slug, ref)
    if found is None:
        return None
    base, view = found
    mid = urls.manifest(base.slug, ref)
    label = title(base, view)
    images = [e for e in (image_entry(urls, k, staff) for k in dict.fromkeys(image_paths(base, view))) if e]
    own = rights_mod.record_rights(base.slug, ref, view)
    credits = list(dict.fromkeys([c for c in [own.credit] + [i["rights"].credit for i in images] if c]))
    uris = {i["rights"].rights_uri for i in images} | ({own.rights_uri} if own.rights_uri else set())
    doc = {
        "@context": CONTEXT,
        "id": mid,
        "type": "Manifest",
        "label": lng(label),
        "summary": lng(summary(base, view)),
        "metadata": [{"label": lng("Base"), "value": lng(base.label)},
                     {"label": lng("Référence"), "value": lng(ref)}] + metadata(base, view),
        "requiredStatement": credit_statement(" ; ".join(credits)),
    }
    if len(uris) == 1 and None not in uris:
        doc["rights"] = uris.pop()
    if images:
        doc["thumbnail"] = thumbnail(images[0])
    doc["homepage"] = [{"id": urls.notice_page(base, ref), "type": "Text", "label": lng(label),
                        "format": "text/html", "language": ["fr"]}]
    doc["seeAlso"] = [{"id": urls.notice_json(base, ref), "type": "Dataset", "label": lng("Notice au format JSON"),
                       "format": "application/json"}]
    doc["provider"] = provider(urls)
    doc["items"] = [canvas(mid, n, img, f"{label} — image {n}" if len(images) > 1 else label)
                    for n, img in enumerate(images, 1)]
    return doc


def manifest_ref(urls: Urls, base, ref: str, view: dict, with_thumbnail: bool = True) -> dict:
    out = {"id": urls.manifest(base.slug, ref), "type": "Manifest", "label": lng(title(base, view))}
    if with_thumbnail:
        keys = image_paths(base, view)
        img = image_entry(urls, keys[0]) if keys else None
        if img:
            out["thumbnail"] = thumbnail(img)
    return out


def collection(urls: Urls, cid: str, label: str, pairs: list[tuple[str, str]], summary_text: str = "",
               extra_items: list[dict] | None = None, part_of: str | None = None) -> dict:
    """A Collection of the manifests of ``pairs`` (base, ref) in that order; unknown ones are skipped."""
    by_base: dict[str, list[str]] = {}
    for b, r in pairs:
        by_base.setdefault(b, []).append(r)
    recs = {}
    for b, refs in by_base.items():
        for rec in Record.objects.filter(base=b, ref__in=refs, status=Record.PUBLISHED):
            recs[(rec.base, rec.ref)] = rec
    ordered = [recs[p] for p in pairs if p in recs]
    views = read_records(ordered, V.PUBLIC)
    items = [manifest_ref(urls, registry.get(rec.base), rec.ref, view) for rec, view in zip(ordered, views)]
    doc = {"@context": CONTEXT, "id": cid, "type": "Collection", "label": lng(label)}
    if summary_text:
        doc["summary"] = lng(summary_text)
    doc["provider"] = provider(urls)
    if part_of:
        doc["partOf"] = [{"id": part_of, "type": "Collection"}]
    doc["items"] = items + list(extra_items or [])
    return doc
