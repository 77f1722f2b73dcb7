"""Image URLs for the public pages, delegated to the IIIF app (which owns storage and derivatives).

    thumbnail("memoire/AP34R000001/vue.jpg")  -> "/iiif/3/memoire%2FAP34R000001%2Fvue.jpg/full/!400,400/0/default.jpg"

Absolute URLs of other origins are not shown: the Content-Security-Policy only allows our own
images (every asset is served by the platform).
"""
from __future__ import annotations


def thumbnail(key: str, size: int = 400) -> str:
    if not key or key.startswith(("http://", "https://", "//")):
        return ""
    from pop.iiif.urls_helpers import iiif_thumbnail_url
    return iiif_thumbnail_url(key, size, size)
