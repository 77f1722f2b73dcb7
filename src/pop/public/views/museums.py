"""Museums directory (/musees) with map and search, and museum pages listing their collections."""
from __future__ import annotations

import logging
import math
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from pop.catalog.models import Link, Record
from pop.catalog.reading import image_paths, read_records
from pop.public import display, media, museums
from pop.schema import registry
from pop.schema.types import V
from pop.search.interface import QueryError, SimpleQuery, search

log = logging.getLogger("pop.public")
PER_PAGE = 30


def directory(request):
    items = museums.directory()
    messages = []
    text = request.GET.get("q", "").strip()[:200]
    region = request.GET.get("region", "").strip()[:100]
    all_regions = museums.regions(items)
    if region and region not in all_regions:
        messages.append(f"La région « {region[:60]} » n’existe pas dans l’annuaire : ce filtre a été ignoré.")
        region = ""
    found = museums.matching(items, text, region)
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
        messages.append("Le numéro de page doit être un nombre entier : la première page est affichée.")
    last = max(1, math.ceil(len(found) / PER_PAGE))
    if page < 1 or page > last:
        if request.GET.get("page"):
            messages.append(f"La page demandée n’existe pas : l’annuaire compte {last} page{'s' if last > 1 else ''}.")
        page = 1

    def url(p):
        params = [(k, v) for k, v in (("q", text), ("region", region)) if v] + ([("page", p)] if p > 1 else [])
        return "?" + urlencode(params) if params else "?"
    return render(request, "public/museums.html", {
        "page_title": "Annuaire des musées de France", "nav_section": "museums",
        "breadcrumb": [{"title": "Musées"}], "messages_fr": messages,
        "museums": found[(page - 1) * PER_PAGE: page * PER_PAGE], "total": len(found), "count_all": len(items),
        "text": text, "region": region, "regions": all_regions, "page": page, "last": last,
        "prev_url": url(page - 1) if page > 1 else "", "next_url": url(page + 1) if page < last else "",
        "map_url": reverse("public:museums_map") + ("?" + urlencode({"q": text, "region": region}) if text or region else ""),
        "tile_url": settings.POP_MAP_TILE_URL,
    })


def directory_map(request):
    found = museums.matching(museums.directory(), request.GET.get("q", "")[:200], request.GET.get("region", "")[:100])
    return JsonResponse({"museums": [
        {"ref": m["ref"], "name": m["name"], "city": m["city"], "lat": m["lat"], "lon": m["lon"],
         "url": reverse("public:museum", args=[m["ref"]])} for m in found if m["lat"] is not None]})


def _collections(ref: str) -> dict:
    """Joconde records of the museum: total, counts per domain, a few records (search index first,
    database as fallback)."""
    joconde = registry.get("joconde")
    out = {"total": 0, "domains": [], "cards": [], "search_url": reverse("public:results") + "?" + urlencode(
        [("base", joconde.public_slug), ("museo", ref)])}
    try:
        r = search(SimpleQuery(bases=("joconde",), facets={"museo": [ref]}, size=12, facet_size=15, sort="relevance"))
        out["total"] = r.total
        out["domains"] = [(v, n, reverse("public:results") + "?" + urlencode(
            [("base", joconde.public_slug), ("museo", ref), ("domaine", v)])) for v, n in r.facets.get("domaine", [])]
        for h in r.hits:
            doc = h.doc or {}
            out["cards"].append({"title": doc.get("title") or display.title(joconde, doc), "ref": h.ref,
                                 "url": display.notice_url(joconde, h.ref),
                                 "thumb": media.thumbnail(doc.get("image", "")) if doc.get("image") else ""})
        return out
    except QueryError:
        pass
    except Exception as exc:  # noqa: BLE001 - index unavailable: read the links
        log.warning("collections depuis l'index indisponibles : %s", exc)
    links = Link.objects.filter(field="MUSEO", dst_base="museo", dst_ref=ref, src__base="joconde",
                                src__status=Record.PUBLISHED)
    out["total"] = links.count()
    recs = [link.src for link in links.select_related("src").order_by("src__ref")[:12]]
    for rec, view in zip(recs, read_records(recs, level=V.PUBLIC)):
        images = image_paths(joconde, view)
        out["cards"].append({"title": display.title(joconde, view), "ref": rec.ref,
                             "url": display.notice_url(joconde, rec.ref),
                             "thumb": media.thumbnail(images[0]) if images else ""})
    return out


def museum(request, ref: str):
    base = registry.get("museo")
    rec = Record.objects.filter(base=base.slug, ref=ref, status=Record.PUBLISHED).first()
    if rec is None:
        raise Http404(f"Aucun musée ne porte la référence « {ref[:40]} ».")
    view = read_records([rec], level=V.PUBLIC)[0]
    title = display.title(base, view)
    geo = view.get("POP_COORDONNEES") if isinstance(view.get("POP_COORDONNEES"), dict) else None
    if geo and not (isinstance(geo.get("lat"), (int, float)) and isinstance(geo.get("lon"), (int, float))):
        geo = None
    images = image_paths(base, view)
    return render(request, "public/museum.html", {
        "page_title": title, "nav_section": "museums", "title": title, "ref": ref, "base": base, "view": view,
        "subtitle": display.subtitle(base, view), "sections": display.sections(base, view)[:3],
        "geo": geo, "tile_url": settings.POP_MAP_TILE_URL, "collections": _collections(ref),
        "photo": media.thumbnail(images[0], 800) if images else "",
        "notice_url": display.notice_url(base, ref),
        "breadcrumb": [{"title": "Musées", "url": reverse("public:museums")}, {"title": title[:80]}],
    })
