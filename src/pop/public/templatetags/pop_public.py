"""Template filters of the public site."""
from __future__ import annotations

import json

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def nombre(value) -> str:
    """12345 -> "12 345" (French grouping with a narrow no-break space)."""
    try:
        return f"{int(value):,}".replace(",", "\u202f")
    except (TypeError, ValueError):
        return str(value)


@register.filter
def jsonld(data) -> str:
    """A schema.org JSON-LD block; <, > and & are escaped so no value can close the script element."""
    text = json.dumps(data, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


@register.filter
def get(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def percent(value, total) -> float:
    try:
        return round(100 * float(value) / float(total), 1) if float(total) else 0
    except (TypeError, ValueError):
        return 0


@register.filter
def tojson(data) -> str:
    """JSON text for a data-* attribute (the template's autoescaping then escapes the quotes)."""
    return json.dumps(data, ensure_ascii=False)
