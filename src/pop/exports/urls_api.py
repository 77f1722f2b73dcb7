"""Export routes inside the public API (/api/search/export-*), included before pop.api.urls."""
from django.urls import path

from pop.exports import views

urlpatterns = [
    path("search/export-simple", views.export_simple, name="api-search-export-simple"),
    path("search/export-advanced", views.export_advanced, name="api-search-export-advanced"),
    path("search/export-basket", views.export_basket_api, name="api-search-export-basket"),
]
