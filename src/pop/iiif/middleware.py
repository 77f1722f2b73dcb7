"""GZip for text answers only: images (IIIF tiles, thumbnails) are already compressed, and gzipping
them costs CPU on every tile for nothing. Drop-in replacement of Django's GZipMiddleware."""
from django.middleware.gzip import GZipMiddleware

SKIP_PREFIXES = ("image/", "video/", "audio/", "application/zip", "application/gzip", "application/pdf")


class TextGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        if response.get("Content-Type", "").startswith(SKIP_PREFIXES):
            return response
        return super().process_response(request, response)
