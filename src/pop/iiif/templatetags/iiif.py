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


@register.simple_tag(takes_context=True)
def iiif_manifest_absolute_url(context, base, ref):
    """Absolute manifest URL (IIIF clients and drag-and-drop need absolute URLs)."""
    path = urls_helpers.iiif_manifest_url(base, ref)
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path
