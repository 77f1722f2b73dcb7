"""Record pages: /notice/{base}/{ref} for every base."""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse

from pop.catalog.models import Record
from pop.catalog.reading import image_paths, read_records
from pop.public import display, jsonld, linked, media, neighbours
from pop.schema import registry
from pop.schema.types import V


MAX_IMAGES = 48


@lru_cache(maxsize=1)
def _has_iiif_viewer() -> bool:
    try:
        get_template("iiif/viewer.html")
        return True
    except TemplateDoesNotExist:
        return False


def _manifest_url(base, ref: str) -> str:
    return f"/api/notices/{base.public_slug}/{ref}/iiif/manifest"


def notice(request, base: str, ref: str):
    b = registry.find(base)
    if b is None:
        raise Http404(f"La base « {base[:60]} » n’existe pas.")
    if base != b.public_slug:
        target = reverse("public:notice", args=[b.public_slug, ref])
        return redirect(target + ("?" + request.GET.urlencode() if request.GET else ""), permanent=True)
    rec = Record.objects.filter(base=b.slug, ref=ref).first()
    if rec is None:
        raise Http404(f"Aucune notice ne porte la référence « {ref[:80]} » dans la base {b.short_label}.")
    if rec.status != Record.PUBLISHED:
        raise Http404(f"La notice « {ref[:80]} » de la base {b.short_label} a été supprimée.")
    view = read_records([rec], level=V.PUBLIC)[0]
    title = display.title(b, view)
    permalink = settings.POP_SITE_URL.rstrip("/") + reverse("public:notice", args=[b.public_slug, ref])
    keys = image_paths(b, view)
    # The viewer reads every image from the IIIF manifest; the page itself lists a bounded number
    # (a monument may have thousands of photographs).
    images = [{"key": k, "thumb": media.thumbnail(k, 800)} for k in keys[:MAX_IMAGES]]
    geo = view.get("POP_COORDONNEES") if isinstance(view.get("POP_COORDONNEES"), dict) else None
    if geo and not (isinstance(geo.get("lat"), (int, float)) and isinstance(geo.get("lon"), (int, float))
                    and (geo["lat"], geo["lon"]) != (0, 0)):
        geo = None
    around = neighbours.around(request.GET.get("recherche", ""), request.GET.get("rang", ""))
    search_back = around["search_url"] if around else ""
    ctx = {
        "page_title": f"{title} ({b.short_label})",
        "base": b, "ref": ref, "view": view, "record": rec, "title": title,
        "subtitle": display.subtitle(b, view),
        "producer": view.get("PRODUCTEUR") or rec.producer,
        "sections": display.sections(b, view),
        "linked": linked.linked_groups(b, view),
        "images": images,
        "iiif_viewer": bool(images) and _has_iiif_viewer(),
        "manifest_url": _manifest_url(b, ref),
        "geo": geo,
        "tile_url": settings.POP_MAP_TILE_URL,
        "rights": display.rights(b, view),
        "permalink": permalink,
        "today": date.today(),
        "jsonld": jsonld.for_record(b, view, title, permalink, [i["thumb"] for i in images if i["thumb"]]),
        "around": around,
        "museum_url": reverse("public:museum", args=[ref]) if b.slug == "museo" else "",
        "breadcrumb": ([{"title": "Résultats de recherche", "url": search_back}] if search_back else
                       [{"title": b.short_label, "url": reverse("public:results") + "?" + urlencode({"base": b.public_slug})}])
                      + [{"title": title[:80]}],
        "nav_section": "search",
    }
    return render(request, "public/notice.html", ctx)
