"""Sitemap of the record pages: a sitemap index (/sitemap.xml) pointing to one paged sitemap per
base (/sitemap-<base>.xml?p=N, 50,000 URLs a page), built with django.contrib.sitemaps."""
from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from pop.catalog.models import Record
from pop.schema import Base, registry


class BaseSitemap(Sitemap):
    limit = 50_000
    changefreq = "monthly"

    def __init__(self, base: Base):
        self.base = base

    def items(self):
        return (Record.objects.filter(base=self.base.slug, status=Record.PUBLISHED)
                .order_by("seq").values_list("ref", "updated_at"))

    def location(self, item):
        return reverse("public:notice", args=[self.base.public_slug, item[0]])

    def lastmod(self, item):
        return item[1]


def sitemaps() -> dict[str, Sitemap]:
    return {b.public_slug: BaseSitemap(b) for b in registry.bases()}
