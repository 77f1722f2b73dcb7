"""HTTP side of the IIIF Presentation API 3.0.

    GET /api/notices/{base}/{ref}/iiif/manifest      Manifest of one record
    GET /iiif/collection/search?q=…&base=…&<facette>=…[&page=N]
        Collection of the records with images matching a search (same parameters as the results
        page); more than ``PAGE_SIZE`` results → a Collection of page Collections (``page=N``).
    GET /iiif/collection/basket?notice=merimee/PA00078014&notice=palissy/PM01000107[&page=N]
        Collection of a basket (also ``notices=base/REF,base/REF``), paged the same way.

Errors: ``{"error": {"code": …, "message": "<français>"}}`` with 400/404. JSON-LD when asked
(``Accept: application/ld+json``); CORS open.
"""
from __future__ import annotations

import json
import math

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from pop.iiif import presentation
from pop.iiif.presentation import Urls
from pop.schema import registry

CONTEXT = presentation.CONTEXT
PAGE_SIZE = 100
MAX_BASKET = 1000


def _json(request: HttpRequest, data, status: int = 200) -> HttpResponse:
    ld = "application/ld+json" in request.META.get("HTTP_ACCEPT", "")
    ctype = f'application/ld+json;profile="{CONTEXT}"' if ld and status == 200 else "application/json"
    resp = HttpResponse(json.dumps(data, ensure_ascii=False), status=status, content_type=ctype)
    resp["Access-Control-Allow-Origin"] = "*"
    resp["Vary"] = "Accept"
    if status == 200:  # staff see more (private images): their answers are not for shared caches
        resp["Cache-Control"] = "private, max-age=0" if _staff(request) else "public, max-age=300"
    return resp


def _error(request, code: str, message: str, status: int = 400) -> HttpResponse:
    return _json(request, {"error": {"code": code, "message": message}}, status)


def _staff(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


def _urls(request) -> Urls:
    return Urls(request.build_absolute_uri)


def _page(request) -> int | None:
    raw = request.GET.get("page")
    if raw in (None, ""):
        return None
    try:
        page = int(raw)
    except ValueError:
        page = 0
    if page < 1:
        raise ValueError("Le paramètre « page » doit être un entier supérieur ou égal à 1.")
    return page


@require_http_methods(["GET", "HEAD"])
def manifest(request: HttpRequest, base: str, ref: str) -> HttpResponse:
    if registry.find(base) is None:
        return _error(request, "unknown_base", f"La base « {base} » n'existe pas.", 404)
    doc = presentation.manifest(_urls(request), base, ref, staff=_staff(request))
    if doc is None:
        return _error(request, "not_found", f"Notice « {ref} » introuvable dans la base « {base} ».", 404)
    return _json(request, doc)


def _paged(request, label: str, total: int, page: int | None, fetch, summary: str) -> HttpResponse:
    """Collection of one page (``fetch(offset, size)`` → [(base, ref)]), or of the page Collections."""
    urls = _urls(request)
    base_url = request.build_absolute_uri(request.path)
    params = request.GET.copy()
    params.pop("page", None)
    self_url = base_url + (("?" + params.urlencode()) if params else "")
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if page is None and pages > 1:
        items = []
        for n in range(1, pages + 1):
            p = params.copy()
            p["page"] = str(n)
            items.append({"id": f"{base_url}?{p.urlencode()}", "type": "Collection",
                          "label": presentation.lng(f"{label} — page {n} sur {pages}")})
        doc = presentation.collection(urls, self_url, label, [], summary, extra_items=items)
        return _json(request, doc)
    page = page or 1
    if page > pages:
        return _error(request, "invalid_parameter", f"La page {page} n'existe pas (il y a {pages} page(s)).")
    pairs = fetch((page - 1) * PAGE_SIZE, PAGE_SIZE)
    cid = self_url if pages == 1 and "page" not in request.GET else request.build_absolute_uri()
    part_of = self_url if pages > 1 else None
    title = label if pages == 1 else f"{label} — page {page} sur {pages}"
    return _json(request, presentation.collection(urls, cid, title, pairs, summary, part_of=part_of))


@require_http_methods(["GET", "HEAD"])
def search_collection(request: HttpRequest) -> HttpResponse:
    from pop.public.searchparams import SearchState
    from pop.search.interface import MAX_OFFSET, QueryError, search

    try:
        page = _page(request)
    except ValueError as exc:
        return _error(request, "invalid_parameter", str(exc))
    state = SearchState.from_query(request.GET)

    def run(offset: int, size: int):
        return search(state.query(size=size, offset=offset, has_image=True, with_facets=False))

    try:
        first = run(0 if page is None else min((page - 1) * PAGE_SIZE, MAX_OFFSET), PAGE_SIZE)
    except QueryError as exc:
        return _error(request, exc.code, exc.message)
    total = min(first.total, MAX_OFFSET)
    text = state.text or "toutes les notices"
    label = f"Recherche POP : {text}"
    summary = f"{first.total} notice(s) avec images"
    return _paged(request, label, total, page, lambda off, size: [(h.base, h.ref) for h in run(off, size).hits]
                  if off else [(h.base, h.ref) for h in first.hits], summary)


def _basket_pairs(request) -> list[tuple[str, str]]:
    raw = list(request.GET.getlist("notice"))
    for chunk in request.GET.getlist("notices"):
        raw += [p for p in chunk.split(",") if p.strip()]
    if not raw:
        raise ValueError("Le panier est vide : indiquez des notices avec « notice=base/REF ».")
    if len(raw) > MAX_BASKET:
        raise ValueError(f"Le panier contient trop de notices ({len(raw)} ; maximum {MAX_BASKET}).")
    pairs = []
    for item in raw:
        base_name, sep, ref = item.strip().partition("/")
        base = registry.find(base_name) if sep else None
        if base is None or not ref:
            raise ValueError(f"Notice « {item} » invalide : attendu base/REF, par exemple merimee/PA00078014.")
        pairs.append((base.slug, ref.strip()))
    return list(dict.fromkeys(pairs))


@require_http_methods(["GET", "HEAD"])
def basket_collection(request: HttpRequest) -> HttpResponse:
    try:
        page = _page(request)
        pairs = _basket_pairs(request)
    except ValueError as exc:
        return _error(request, "invalid_parameter", str(exc))
    return _paged(request, "Panier POP", len(pairs), page, lambda off, size: pairs[off:off + size],
                  f"{len(pairs)} notice(s)")


@require_http_methods(["GET", "HEAD"])
def viewer_page(request: HttpRequest, base: str, ref: str) -> HttpResponse:
    """A page with only the deep-zoom viewer of one record (also used by the browser tests)."""
    from django.shortcuts import render

    found = presentation.record_view(base, ref)
    if found is None:
        return render(request, "iiif/viewer_missing.html", {"base": base, "ref": ref}, status=404)
    b, view = found
    urls = _urls(request)
    return render(request, "iiif/viewer_page.html", {
        "title": presentation.title(b, view), "record_base": b.slug, "ref": ref,
        "notice_url": urls.notice_page(b, ref)})
