"""The basket (panier): kept in the visitor's browser (localStorage, no size limit); the server only
renders lists of records for it and exports them. Items are written "{base}/{REF}".

    /panier                       the page (JavaScript reads the stored items; ?n=… shows a shared basket)
    /panier/notices?n=merimee/PA…  HTML fragment of up to 100 cards (loaded in chunks by the page)
The export form posts the items to the exports app (POST /exports/panier, n=… and format=…).
"""
from __future__ import annotations

from collections import defaultdict

from django.shortcuts import render
from django.urls import reverse

from pop.catalog.models import Record
from pop.catalog.reading import image_paths, read_records
from pop.public import display, media
from pop.public.results import EXPORT_FORMATS
from pop.schema import registry
from pop.schema.types import V

CHUNK = 100


def parse_items(values: list[str], messages: list[str] | None = None) -> list[tuple]:
    """["merimee/PA00078014", ...] -> [(Base, "PA00078014"), ...] (unknown bases dropped, duplicates removed)."""
    out, seen = [], set()
    for raw in values:
        name, _, ref = (raw or "").strip().partition("/")
        base = registry.find(name)
        ref = ref.strip()[:64]
        if base is None or not ref:
            if messages is not None and raw.strip():
                messages.append(f"L’élément « {raw[:80]} » n’est pas une notice valide : il a été ignoré.")
            continue
        if (base.slug, ref) not in seen:
            seen.add((base.slug, ref))
            out.append((base, ref))
    return out


def cards(items: list[tuple]) -> list[dict]:
    by_base: dict[str, list[str]] = defaultdict(list)
    for base, ref in items:
        by_base[base.slug].append(ref)
    found = {}
    for slug, refs in by_base.items():
        for i in range(0, len(refs), 500):
            for rec in Record.objects.filter(base=slug, ref__in=refs[i:i + 500], status=Record.PUBLISHED):
                found[(slug, rec.ref)] = rec
    recs = list(found.values())
    views = dict(zip([(r.base, r.ref) for r in recs], read_records(recs, level=V.PUBLIC)))
    out = []
    for base, ref in items:
        view = views.get((base.slug, ref))
        if view is None:
            out.append({"base": base, "ref": ref, "missing": True, "item": f"{base.public_slug}/{ref}", "title": ref})
            continue
        images = image_paths(base, view)
        out.append({"base": base, "ref": ref, "missing": False, "item": f"{base.public_slug}/{ref}",
                    "title": display.title(base, view), "subtitle": display.subtitle(base, view),
                    "url": display.notice_url(base, ref), "thumb": media.thumbnail(images[0]) if images else ""})
    return out


def basket(request):
    messages: list[str] = []
    shared = parse_items(request.GET.getlist("n"), messages)
    return render(request, "public/basket.html", {
        "page_title": "Mon panier", "nav_section": "basket", "breadcrumb": [{"title": "Panier"}],
        "shared": cards(shared) if shared else [], "is_shared": bool(request.GET.getlist("n")),
        "messages_fr": messages, "chunk_url": reverse("public:basket_cards"), "chunk": CHUNK,
        "export_formats": EXPORT_FORMATS,
    })


def basket_cards(request):
    items = parse_items(request.GET.getlist("n")[:CHUNK])
    return render(request, "public/partials/basket_cards.html", {"cards": cards(items)})
