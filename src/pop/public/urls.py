"""Public site routes (mounted at /)."""
from django.contrib.sitemaps import views as sitemap_views
from django.urls import path, re_path
from django.views.decorators.cache import cache_page

from pop.public.sitemaps import sitemaps
from pop.public.views import basket, museums, notice, pages, search, stats

app_name = "public"
SITEMAPS = sitemaps()

urlpatterns = [
    path("", pages.home, name="home"),
    path("recherche", search.results, name="results"),
    path("recherche/export", search.results_export, name="results_export"),
    path("recherche/experte", search.expert, name="expert"),
    path("recherche/experte/export", search.expert_export, name="expert_export"),
    path("recherche/carte.json", search.map_data, name="map_data"),
    path("recherche/suggestions", search.suggestions, name="suggestions"),
    re_path(r"^notice/(?P<base>[^/]{1,40})/(?P<ref>[^/]{1,100})/?$", notice.notice, name="notice"),
    path("panier", basket.basket, name="basket"),
    path("panier/notices", basket.basket_cards, name="basket_cards"),
    path("musees", museums.directory, name="museums"),
    path("musees/carte.json", museums.directory_map, name="museums_map"),
    path("musees/<str:ref>", museums.museum, name="museum"),
    path("statistiques", stats.stats, name="stats"),
    path("opendata", pages.opendata, name="opendata"),
    path("accessibilite", pages.accessibility, name="accessibility"),
    path("mentions-legales", pages.legal, name="legal"),
    path("a-propos", pages.about, name="about"),
    path("robots.txt", pages.robots, name="robots"),
    path("sitemap.xml", cache_page(3600)(sitemap_views.index),
         {"sitemaps": SITEMAPS, "sitemap_url_name": "public:sitemap"}, name="sitemap_index"),
    path("sitemap-<section>.xml", cache_page(3600)(sitemap_views.sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
]
