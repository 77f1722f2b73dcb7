"""IIIF route inside the public API: /api/notices/{base}/{ref}/iiif/manifest (included before api/)."""
from django.urls import path

from pop.iiif import views_presentation

urlpatterns = [
    path("notices/<str:base>/<str:ref>/iiif/manifest", views_presentation.manifest, name="iiif-manifest"),
]
