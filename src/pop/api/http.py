"""JSON answers, JSON errors and the decorator every API view goes through.

    @api_view("GET")
    def notice(request, base, ref): ...        # may raise ApiError(...) -> 400/404 JSON

Errors are ``{"error": {"code": "...", "message": "<français>"}}`` with the HTTP status of the
error; every answer (errors and preflights included) carries the CORS headers.
"""
from __future__ import annotations

import functools

import orjson
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from pop.api.cors import add_cors_headers, preflight
from pop.search.interface import QueryError
from pop.web.errors import ClientError

JSON = "application/json"


class ApiError(ClientError):
    """A client error with a stable machine code and a French message."""

    def __init__(self, message: str, code: str = "invalid_request", status: int = 400):
        super().__init__(message, code, status)


def json_response(data, status: int = 200) -> HttpResponse:
    body = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    return HttpResponse(body, status=status, content_type=JSON)


def error_response(code: str, message: str, status: int = 400) -> HttpResponse:
    return add_cors_headers(json_response({"error": {"code": code, "message": message}}, status=status))


def api_view(*methods: str):
    """JSON view answering ``methods`` (HEAD with GET), the CORS preflight, and JSON errors.

    The views read no cookie and write nothing, so they are CSRF-exempt (a cross-site POST of a
    search is harmless and is exactly what browser clients of the public API do)."""
    allowed = tuple(dict.fromkeys([*methods, *(["HEAD"] if "GET" in methods else [])]))

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "OPTIONS":
                return preflight(allowed)
            if request.method not in allowed:
                response = error_response("method_not_allowed",
                                          f"Méthode {request.method} non autorisée ; utilisez {' ou '.join(methods)}.", 405)
                response["Allow"] = ", ".join(allowed)
                return response
            try:
                response = view(request, *args, **kwargs)
            except ApiError as exc:
                return error_response(exc.code, exc.message, exc.status)
            except QueryError as exc:  # the engine's refusals are client errors, except a missing index
                status = 503 if exc.code == "index_unavailable" else 400
                return error_response(exc.code, exc.message, status)
            return add_cors_headers(response)
        return wrapper
    return decorate


def not_found(request, *args, **kwargs):
    """Any unknown path under /api: JSON 404 rather than the site's HTML page."""
    if request.method == "OPTIONS":
        return preflight(("GET",))
    return error_response("unknown_route", f"Aucune route de l'API ne correspond à « {request.path} ».", 404)
