"""Template context shared by every page."""
from django.conf import settings

from pop.schema import registry


def site(request):
    return {"pop_bases": registry.bases(), "pop_site_url": settings.POP_SITE_URL}
