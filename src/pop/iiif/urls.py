"""IIIF routes under /iiif/: Image API 3.0 and Presentation collections."""
from django.urls import path, re_path

from pop.iiif import views, views_presentation

app_name = "iiif"

urlpatterns = [
    path("3/", views.dispatch, name="base"),
    re_path(r"^3/(?P<rest>.+)$", views.dispatch, name="image"),
    path("collection/search", views_presentation.search_collection, name="search-collection"),
    path("collection/basket", views_presentation.basket_collection, name="basket-collection"),
    path("viewer/<str:base>/<str:ref>", views_presentation.viewer_page, name="viewer"),
]
