"""URLs of IIIF resources, for templates and other apps (lists, mosaic, basket, record pages).

    iiif_thumbnail_url("memoire/AP13R001264/vue.jpg", 200, 200)
        -> "/iiif/3/memoire%2FAP13R001264%2Fvue.jpg/full/!200,200/0/default.jpg"
    iiif_info_url(key), iiif_service_url(key), iiif_manifest_url("merimee", "PA00078014")

Keys that are absolute URLs (legacy values) are returned unchanged by iiif_thumbnail_url; an image
known to be smaller than the box on both sides gets ``full/max`` (``!w,h`` would ask for an upscale).
"""
from __future__ import annotations

from urllib.parse import quote

from django.urls import reverse

from pop.iiif import derivatives


def iiif_service_url(key: str) -> str:
    return reverse("iiif:base") + quote(key.strip("/"), safe="")


def iiif_info_url(key: str) -> str:
    return iiif_service_url(key) + "/info.json"


def iiif_thumbnail_url(key: str, w: int = 400, h: int | None = None) -> str:
    """A thumbnail that fits in a W×H box (never larger than the original, never a full-size file)."""
    if not key:
        return ""
    if key.startswith(("http://", "https://", "//")):
        return key
    w = max(1, int(w))
    h = max(1, int(h if h is not None else w))
    meta = derivatives.info(key)
    if meta and meta["width"] < w and meta["height"] < h:
        # smaller than the box on both sides: "!w,h" would be an upscale (400), the image itself fits
        return f"{iiif_service_url(key)}/full/max/0/default.jpg"
    return f"{iiif_service_url(key)}/full/!{w},{h}/0/default.jpg"


def iiif_manifest_url(base: str, ref: str) -> str:
    return reverse("iiif-manifest", args=[base, ref])
