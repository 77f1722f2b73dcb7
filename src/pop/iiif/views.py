"""HTTP side of the IIIF Image API 3.0: /iiif/3/{identifier}/… (info.json, images, redirect).

The identifier is the image key quoted with no safe characters (``/`` → ``%2F``). WSGI servers hand
Django a *decoded* path, so the raw request line is read when the server provides it (gunicorn
``RAW_URI``, uWSGI/mod_wsgi ``REQUEST_URI``): the identifier is then exactly one path segment. Without
it (Django's test client), parameters are taken from the end of the decoded path, which is
unambiguous because region, size, rotation and quality never contain ``/``.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
from urllib.parse import quote, unquote

import pyvips
from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.http import require_http_methods

from pop.iiif import derivatives, imageapi, rights as rights_mod, safety, tilecache
from pop.iiif.imageapi import IIIFError, ImageSource, Level
from pop.iiif.storage import InvalidKey, media_storage, normalise_key

log = logging.getLogger(__name__)

CONTEXT = "http://iiif.io/api/image/3/context.json"
PROFILE_URI = "http://iiif.io/api/image/3/level2.json"
JSONLD = f'application/ld+json;profile="{CONTEXT}"'
MAX_AGE = 30 * 24 * 3600
INFO_MAX_AGE = 3600


@functools.lru_cache(maxsize=1)
def _prefix() -> str:
    return reverse("iiif:base")


def identifier_for(key: str) -> str:
    return quote(key, safe="")


def service_id(request: HttpRequest, key: str) -> str:
    return request.build_absolute_uri(_prefix() + identifier_for(key))


def _cors(resp: HttpResponse) -> HttpResponse:
    resp["Access-Control-Allow-Origin"] = "*"
    resp["Access-Control-Expose-Headers"] = "Link, ETag, Last-Modified"
    return resp


def error(status: int, message: str) -> HttpResponse:
    resp = HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    resp["Cache-Control"] = "no-store" if status >= 500 else "public, max-age=60"
    return _cors(resp)


def _raw_rest(request: HttpRequest) -> tuple[list[str], bool]:
    """Path segments after /iiif/3/ and whether they come from the raw (undecoded) request line."""
    prefix = _prefix()
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")
    if raw:
        path = raw.split("?", 1)[0].split("#", 1)[0]
        if "://" in path:  # absolute-form request target
            path = "/" + path.split("://", 1)[1].split("/", 1)[-1]
        if path.startswith(prefix):
            return path[len(prefix):].split("/"), True
    path = request.path
    return path[len(prefix):].split("/"), False


def _decode(segment: str) -> str:
    try:
        return unquote(segment, errors="strict")
    except UnicodeDecodeError:
        raise IIIFError(400, "Identifiant d'image mal encodé.") from None


def _route(request: HttpRequest) -> tuple[str, str, tuple[str, ...]]:
    """-> (kind, key, params) with kind in {"info", "image", "redirect"}."""
    parts, raw = _raw_rest(request)
    if raw:
        if len(parts) == 1 and parts[0]:
            return "redirect", _decode(parts[0]), ()
        if len(parts) == 2 and parts[1] == "info.json":
            return "info", _decode(parts[0]), ()
        if len(parts) == 5:
            return "image", _decode(parts[0]), tuple(_decode(p) for p in parts[1:])
        raise IIIFError(404, "Ressource IIIF introuvable (l'identifiant doit être encodé, « / » → « %2F »).")
    if parts and parts[-1] == "info.json" and len(parts) >= 2:
        return "info", "/".join(parts[:-1]), ()
    if len(parts) >= 5:
        return "image", "/".join(parts[:-4]), tuple(parts[-4:])
    return "redirect", "/".join(parts), ()


def _is_staff(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


_known: dict[str, tuple[float, dict, object]] = {}


def _lookup(request: HttpRequest, key: str):
    """(key, meta, rights) of a servable image, or raise IIIFError 404/403.

    A servable image's facts are memoised per process for ``POP_IIIF_RIGHTS_TTL`` seconds (the
    same delay as rights changes), which spares the file-system checks on every tile."""
    try:
        key = normalise_key(key)
    except InvalidKey:
        raise IIIFError(404, "Image introuvable.") from None
    ttl = float(getattr(settings, "POP_IIIF_RIGHTS_TTL", 10))
    hit = _known.get(key)
    if hit is not None and time.monotonic() - hit[0] < ttl:
        if not hit[2].served(_is_staff(request)):
            raise IIIFError(403, "Image non diffusable : sa diffusion n'est pas autorisée.")
        return key, hit[1], hit[2]
    if not media_storage().exists(key):   # first: no database work for keys that are not stored files
        raise IIIFError(404, "Image introuvable.")
    r = rights_mod.rights_for_key(key)
    if r is None:
        raise IIIFError(404, "Image introuvable.")
    if not r.served(_is_staff(request)):
        raise IIIFError(403, "Image non diffusable : sa diffusion n'est pas autorisée.")
    try:
        meta = derivatives.ensure(key)
    except safety.UnsafeImage as exc:
        log.warning("image %s illisible : %s", key, exc)
        raise IIIFError(404, f"Image illisible : {exc}") from None
    except FileNotFoundError:
        raise IIIFError(404, "Image introuvable.") from None
    if len(_known) > 20_000:
        _known.clear()
    _known[key] = (time.monotonic(), meta, r)
    return key, meta, r


def _source(key: str, meta: dict) -> ImageSource:
    pyr = str(derivatives.pyramid_path(key))
    levels = [Level(pyr, i, w, h) for i, (w, h) in enumerate(meta["levels"])]
    tw, th = meta["thumb"]
    if tw < levels[-1].width:
        levels.append(Level(str(derivatives.thumb_path(key)), 0, tw, th))
    return ImageSource(meta["width"], meta["height"], levels)


def _version_tag(key: str, meta: dict) -> str:
    src = meta["source"]
    return f"{key}\0{src['size']}\0{src['mtime']}\0{meta['version']}"


def _not_modified(request: HttpRequest, etag: str, last_modified: float) -> bool:
    inm = request.META.get("HTTP_IF_NONE_MATCH")
    if inm:
        return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
    ims = request.META.get("HTTP_IF_MODIFIED_SINCE")
    if ims:
        since = parse_http_date_safe(ims)
        return since is not None and int(last_modified) <= since
    return False


def _caching(resp: HttpResponse, etag: str, last_modified: float, private: bool, max_age: int) -> HttpResponse:
    resp["ETag"] = etag
    resp["Last-Modified"] = http_date(last_modified)
    resp["Cache-Control"] = f"{'private' if private else 'public'}, max-age={max_age}"
    return resp


def info_document(request: HttpRequest, key: str, meta: dict, r, staff: bool) -> dict:
    width, height = meta["width"], meta["height"]
    limit = r.limit(staff)
    long_side = max(width, height)
    levels = meta["levels"]
    factors = [2 ** i for i in range(len(levels))]
    sizes = [{"width": w, "height": h} for (w, h) in reversed(levels)]
    if meta["thumb"][0] < levels[-1][0]:
        sizes.insert(0, {"width": meta["thumb"][0], "height": meta["thumb"][1]})
    doc = {
        "@context": CONTEXT,
        "id": service_id(request, key),
        "type": "ImageService3",
        "protocol": "http://iiif.io/api/image",
        "profile": "level2",
        "width": width,
        "height": height,
    }
    if limit and long_side > limit:
        s = limit / long_side
        doc["maxWidth"] = max(1, int(width * s))
        doc["maxHeight"] = max(1, int(height * s))
        sizes = [sz for sz in sizes if max(sz["width"], sz["height"]) <= limit]
        factors = [f for f in factors if long_side / f <= limit + 1] or [factors[-1]]
    doc["sizes"] = sizes
    doc["tiles"] = [{"width": derivatives.TILE, "height": derivatives.TILE, "scaleFactors": factors}]
    doc["preferredFormats"] = ["jpg"]
    if r.rights_uri:
        doc["rights"] = r.rights_uri
    doc["extraQualities"] = imageapi.EXTRA_QUALITIES
    doc["extraFormats"] = imageapi.EXTRA_FORMATS
    doc["extraFeatures"] = imageapi.EXTRA_FEATURES
    return doc


def _info(request: HttpRequest, key: str) -> HttpResponse:
    key, meta, r = _lookup(request, key)
    staff = _is_staff(request)
    etag = '"i' + hashlib.sha1((_version_tag(key, meta) + f"\0{r.status}\0{r.rights_uri}\0{staff}"
                                 + request.get_host()).encode()).hexdigest()[:32] + '"'
    mtime = derivatives.meta_path(key).stat().st_mtime
    ldjson = "application/ld+json" in request.META.get("HTTP_ACCEPT", "")
    if _not_modified(request, etag, mtime):
        resp = HttpResponse(status=304)
    else:
        body = json.dumps(info_document(request, key, meta, r, staff), ensure_ascii=False)
        resp = HttpResponse(body, content_type=JSONLD if ldjson else "application/json")
    resp["Link"] = f'<{PROFILE_URI}>;rel="profile"'
    resp["Vary"] = "Accept"
    return _cors(_caching(resp, etag, mtime, staff, INFO_MAX_AGE))


def _image(request: HttpRequest, key: str, params: tuple[str, ...]) -> HttpResponse:
    req = imageapi.parse(*params)      # syntax errors first: 400 even for unknown images
    key, meta, r = _lookup(request, key)
    staff = _is_staff(request)
    plan = imageapi.resolve(req, meta["width"], meta["height"], r.limit(staff))
    canonical = req.canonical_path(plan)
    token = hashlib.sha256((_version_tag(key, meta) + "\0" + canonical).encode()).hexdigest()
    etag = f'"{token[:32]}"'
    last_modified = meta["source"]["mtime"]
    if _not_modified(request, etag, last_modified):
        resp = HttpResponse(status=304)
    elif request.method == "HEAD":
        # The headers only: no decoding or encoding of pixels. The length is known when the
        # image was already produced; otherwise it is left out (an empty streamed body, so that
        # no middleware announces a length of 0).
        size = tilecache.size(token)
        resp = StreamingHttpResponse(iter(()), content_type=imageapi.FORMATS[req.format])
        if size is not None:
            resp["Content-Length"] = str(size)
    else:
        data = tilecache.get(token)
        if data is None:
            try:
                data = imageapi.render(_source(key, meta), req, plan)
            except (pyvips.Error, OSError) as exc:  # libvips failure on a damaged derivative: never a 500
                log.warning("rendu IIIF impossible pour %s (%s) : %s", key, canonical, exc)
                raise IIIFError(404, "Image illisible.") from None
            tilecache.put(token, data)
        resp = HttpResponse(data, content_type=imageapi.FORMATS[req.format])
    resp["Link"] = f'<{service_id(request, key)}/{canonical}>;rel="canonical", <{PROFILE_URI}>;rel="profile"'
    return _cors(_caching(resp, etag, last_modified, staff, MAX_AGE))


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def dispatch(request: HttpRequest, rest: str = "") -> HttpResponse:
    if request.method == "OPTIONS":
        resp = HttpResponse(status=204)
        resp["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        resp["Access-Control-Allow-Headers"] = "Accept, If-None-Match, If-Modified-Since"
        resp["Access-Control-Max-Age"] = "86400"
        return _cors(resp)
    try:
        kind, key, params = _route(request)
        if kind == "redirect":
            if not key:
                raise IIIFError(404, "Identifiant d'image manquant.")
            _lookup(request, key)
            resp = HttpResponse(status=303)
            resp["Location"] = service_id(request, normalise_key(key)) + "/info.json"
            return _cors(resp)
        if kind == "info":
            return _info(request, key)
        return _image(request, key, params)
    except IIIFError as exc:
        return error(exc.status, exc.message)
    except (OSError, pyvips.Error) as exc:  # disk full, file vanished mid-request…: temporary, never a 500
        log.exception("IIIF : erreur d'entrée-sortie pour %s : %s", request.path, exc)
        return error(503, "Service d'images momentanément indisponible, réessayez plus tard.")
