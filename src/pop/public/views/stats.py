"""Statistics page: records per base, producer, domain, century, with images, geolocated."""
from __future__ import annotations

from django.shortcuts import render

from pop.public import statistics
from pop.public.charts import bar_chart


def stats(request):
    o = statistics.overview()
    charts = [
        bar_chart("bases", "Notices par base", o["bases"], o["total"]),
        bar_chart("producteurs", "Notices par producteur (principaux)", o["producers"], o["total"]),
        bar_chart("domaines", "Notices par domaine (principaux)", o["domains"], o["total"]),
        bar_chart("siecles", "Notices par siècle de création", o["centuries"], o["total"]),
        bar_chart("images", "Notices avec image", o["images"], o["total"]),
        bar_chart("geo", "Notices géolocalisées", o["geo"], o["total"]),
    ]
    return render(request, "public/stats.html", {
        "page_title": "Statistiques", "nav_section": "stats", "breadcrumb": [{"title": "Statistiques"}],
        "total": o["total"], "charts": [c for c in charts if c["rows"]], "source": o.get("source", ""),
    })
