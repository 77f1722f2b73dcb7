"""Template helpers: {% load iiif %}

    <img src="{% iiif_thumbnail_url key 200 200 %}" alt="">
    {{ key|iiif_thumbnail:"200" }}          (square box)
    {% iiif_manifest_url base ref %}
"""
from django import template

from pop.iiif import urls_helpers

register = template.Library()


@register.simple_tag
def iiif_thumbnail_url(key, w=400, h=None):
    return urls_helpers.iiif_thumbnail_url(key or "", w, h)


@register.filter
def iiif_thumbnail(key, size=400):
    return urls_helpers.iiif_thumbnail_url(key or "", int(size), int(size))


@register.simple_tag
def iiif_manifest_url(base, ref):
    return urls_helpers.iiif_manifest_url(base, ref)


@register.simple_tag
def iiif_info_url(key):
    return urls_helpers.iiif_info_url(key or "")
