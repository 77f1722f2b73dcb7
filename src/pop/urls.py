"""URL map: each app owns its routes."""
from django.urls import include, path

urlpatterns = [
    path("api/", include("pop.iiif.urls_api")),  # /api/notices/{base}/{ref}/iiif/manifest
    path("api/", include("pop.exports.urls_api")),  # /api/search/export-simple, export-advanced, export-basket
    path("api/", include("pop.api.urls")),
    path("iiif/", include("pop.iiif.urls")),
    path("exports/", include("pop.exports.urls")),
    path("", include("pop.search.urls")),
    path("", include("pop.public.urls")),
]

# Error pages of the public site (DSFR); they answer JSON under /api/.
handler400 = "pop.public.views.pages.bad_request"
handler404 = "pop.public.views.pages.not_found"
handler500 = "pop.public.views.pages.server_error"
