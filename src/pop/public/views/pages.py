"""Home, editorial pages (open data, accessibility, legal notice, about), robots.txt and error pages."""
from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control

from pop.public import selections, statistics
from pop.schema import registry


def home(request):
    counts = statistics.base_counts()
    bases = [{"base": b, "count": counts.get(b.slug, 0),
              "url": reverse("public:results") + f"?base={b.public_slug}"} for b in registry.bases()]
    return render(request, "public/home.html", {
        "page_title": "Accueil", "nav_section": "home", "bases": bases, "total": sum(counts.values()),
        "selections": selections.load(),
    })


def _dumps() -> list:
    try:
        from pop.exports.dumps import list_dumps
    except ImportError:  # exports app not there yet: the page lists the API only
        return []
    try:
        return list(list_dumps())
    except Exception:  # noqa: BLE001 - a missing dump directory must not break the page
        return []


def opendata(request):
    return render(request, "public/opendata.html", {
        "page_title": "Données ouvertes", "nav_section": "opendata", "dumps": _dumps(), "bases": registry.bases(),
        "breadcrumb": [{"title": "Données ouvertes"}], "site_url": settings.POP_SITE_URL,
    })


def accessibility(request):
    return render(request, "public/accessibility.html", {
        "page_title": "Déclaration d’accessibilité", "breadcrumb": [{"title": "Accessibilité"}]})


def legal(request):
    return render(request, "public/legal.html", {
        "page_title": "Mentions légales", "breadcrumb": [{"title": "Mentions légales"}]})


def about(request):
    return render(request, "public/about.html", {
        "page_title": "À propos", "breadcrumb": [{"title": "À propos"}], "bases": registry.bases()})


@cache_control(max_age=3600, public=True)
def robots(request):
    lines = [
        "User-agent: *",
        f"Disallow: {reverse('public:results')}",
        f"Disallow: {reverse('public:expert')}",
        f"Disallow: {reverse('public:basket')}",
        "Disallow: /api/",
        f"Sitemap: {settings.POP_SITE_URL.rstrip('/')}{reverse('public:sitemap_index')}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def not_found(request, exception=None):
    message = ""
    if exception is not None and exception.args and isinstance(exception.args[0], str):
        message = exception.args[0]  # our own French messages ("Aucune notice ne porte…")
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "not_found", "message": message or "Ressource introuvable."}}, status=404)
    return render(request, "404.html", {"page_title": "Page non trouvée", "message": message}, status=404)


def server_error(request):
    # Rendered without context processors nor database access: the failure may come from them.
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "server_error", "message": "Erreur interne du serveur."}}, status=500)
    from django.template import loader
    return HttpResponse(loader.get_template("500.html").render({}), status=500)


def bad_request(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "bad_request", "message": "Requête invalide."}}, status=400)
    return render(request, "public/message.html", {
        "page_title": "Requête invalide",
        "message": "La requête n’a pas pu être comprise. Vérifiez l’adresse de la page."}, status=400)
