"""Routes of the public JSON API (mounted at /api/)."""
from django.urls import path, re_path

from pop.api import openapi, views_notices, views_search
from pop.api.http import not_found

urlpatterns = [
    path("search/simple", views_search.simple, name="api-search-simple"),
    path("search/facets", views_search.facets, name="api-search-facets"),
    path("search/advanced", views_search.advanced, name="api-search-advanced"),
    path("search/advanced-fields/diffusion", views_search.fields, name="api-search-fields"),
    path("search/map", views_search.map_view, name="api-search-map"),
    path("notices/<str:base>/<str:ref>", views_notices.notice, name="api-notice"),
    path("notices/<str:base>/<str:ref>/public", views_notices.notice_public, name="api-notice-public"),
    path("openapi.json", openapi.spec_view, name="api-openapi"),
    path("docs", openapi.docs_view, name="api-docs"),
    re_path(r"^.*$", not_found),
]
