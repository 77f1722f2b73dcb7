"""GET /api/notices/{base}/{ref} and /api/notices/{base}/{ref}/public."""
from __future__ import annotations

from pop.api.http import ApiError, api_view, json_response
from pop.api.serializers import notice_page
from pop.catalog.reading import public_record
from pop.schema import Base, registry


def _lookup(base_name: str, ref: str) -> tuple[Base, dict]:
    base = registry.find(base_name)
    if base is None:
        raise ApiError(f"Base inconnue : « {base_name} ». Bases disponibles : {', '.join(registry.public_slugs())}.",
                       "unknown_base", 404)
    view = public_record(base.slug, ref)
    if view is None:  # unknown REF or deleted record
        raise ApiError(f"Aucune notice « {ref} » dans la base {base.short_label}.", "notice_not_found", 404)
    return base, view


@api_view("GET")
def notice(request, base: str, ref: str):
    """The record object itself (public fields only), no wrapper."""
    _, view = _lookup(base, ref)
    return json_response(view)


@api_view("GET")
def notice_public(request, base: str, ref: str):
    """The record plus its page layout: sections and field labels from the registry."""
    b, view = _lookup(base, ref)
    return json_response(notice_page(b, view))
