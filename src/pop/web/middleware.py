"""Security headers for every response (CSP without third-party origins: every asset is ours)."""
from django.conf import settings

CSP = ("default-src 'self'; img-src 'self' data: blob: {tiles}; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        tile_origin = getattr(settings, "POP_MAP_TILE_URL", "").split("/{")[0]
        tiles = "/".join(tile_origin.split("/")[:3]) if tile_origin.startswith("http") else ""
        self.csp = CSP.format(tiles=tiles)

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.csp)
        response.setdefault("Referrer-Policy", "same-origin")
        response.setdefault("X-Content-Type-Options", "nosniff")
        return response
