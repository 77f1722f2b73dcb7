"""CORS for the public API: open to every origin, never with credentials.

Browser clients (notebooks, map layers, other sites) call the API from other origins. Every answer
carries ``Access-Control-Allow-Origin: *``; an OPTIONS preflight is answered with the route's
methods. ``Access-Control-Allow-Credentials`` is never sent, so browsers send no cookies.
"""
from __future__ import annotations

from django.http import HttpResponse

ALLOWED_HEADERS = "Content-Type, Accept"
PREFLIGHT_MAX_AGE = "86400"


def add_cors_headers(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "Content-Disposition"
    return response


def preflight(methods: tuple[str, ...]) -> HttpResponse:
    """Answer to ``OPTIONS``: which methods and headers a cross-origin request may use."""
    response = HttpResponse(status=204)
    allowed = ", ".join(dict.fromkeys([*methods, "OPTIONS"]))
    response["Allow"] = allowed
    response["Access-Control-Allow-Methods"] = allowed
    response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
    response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return add_cors_headers(response)
