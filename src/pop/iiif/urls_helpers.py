"""URLs of IIIF resources, for templates and other apps (lists, mosaic, basket, record pages).

    iiif_thumbnail_url("memoire/AP13R001264/vue.jpg", 200, 200)
        -> "/iiif/3/memoire%2FAP13R001264%2Fvue.jpg/full/!200,200/0/default.jpg"
    iiif_info_url(key), iiif_service_url(key), iiif_manifest_url("merimee", "PA00078014")

Keys that are absolute URLs (legacy values) are returned unchanged by iiif_thumbnail_url.
"""
from __future__ import annotations

from urllib.parse import quote

from django.urls import reverse


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
    return f"{iiif_service_url(key)}/full/!{w},{h}/0/default.jpg"


def iiif_manifest_url(base: str, ref: str) -> str:
    return reverse("iiif-manifest", args=[base, ref])
