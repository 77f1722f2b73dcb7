"""Upload safety for image files: size and pixel limits, content sniffing, decode check.

    facts = check_image_bytes(data)          # -> ImageFacts(format="jpeg", width=6000, height=4000)
    facts = check_image_file(path)
    raise UnsafeImage("Le fichier n'est pas une image JPEG, PNG, TIFF ou WebP.")

The format is decided by the file's first bytes, never by its name; only the matching libvips
loader is used (libvips' "untrusted" loaders are blocked process-wide), and the pixel count is
read from the header before any pixel is decoded, so a decompression bomb is refused cheaply.
Limits: ``POP_IIIF_MAX_UPLOAD_BYTES`` (default 300 Mo) and ``POP_IIIF_MAX_PIXELS`` (default
250 millions of pixels).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyvips
from django.conf import settings

# Only the loaders we call explicitly are reachable; this also blocks exotic ones (matlab, magick…).
pyvips.block_untrusted_set(True)

DEFAULT_MAX_BYTES = 300 * 1024 * 1024
DEFAULT_MAX_PIXELS = 250_000_000


class UnsafeImage(ValueError):
    """The file is refused; ``str(exc)`` is a French message for the user."""


@dataclass(frozen=True)
class ImageFacts:
    format: str      # jpeg | png | tiff | webp
    width: int
    height: int
    bands: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def max_bytes() -> int:
    return int(getattr(settings, "POP_IIIF_MAX_UPLOAD_BYTES", DEFAULT_MAX_BYTES))


def max_pixels() -> int:
    return int(getattr(settings, "POP_IIIF_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def sniff(head: bytes) -> str | None:
    """Image format from the magic bytes, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


_FILE_LOADERS = {"jpeg": "jpegload", "png": "pngload", "tiff": "tiffload", "webp": "webpload"}
_BUFFER_LOADERS = {"jpeg": "jpegload_buffer", "png": "pngload_buffer", "tiff": "tiffload_buffer", "webp": "webpload_buffer"}


def load(source: Path | bytes, fmt: str, **options) -> pyvips.Image:
    """Open with the loader of the sniffed format only (header read; pixels decoded on demand)."""
    if isinstance(source, (bytes, bytearray)):
        return getattr(pyvips.Image, _BUFFER_LOADERS[fmt])(bytes(source), **options)
    return getattr(pyvips.Image, _FILE_LOADERS[fmt])(str(source), **options)


def _check(source: Path | bytes, size: int, head: bytes, decode: bool) -> ImageFacts:
    if size == 0:
        raise UnsafeImage("Le fichier image est vide.")
    if size > max_bytes():
        raise UnsafeImage(f"Le fichier image est trop volumineux ({size // (1024 * 1024)} Mo ; "
                          f"maximum {max_bytes() // (1024 * 1024)} Mo).")
    fmt = sniff(head)
    if fmt is None:
        raise UnsafeImage("Le fichier n'est pas une image JPEG, PNG, TIFF ou WebP (contenu non reconnu).")
    try:
        img = load(source, fmt, access="sequential", fail_on="error",
                   **({} if isinstance(source, (bytes, bytearray)) else {"revalidate": True}))
    except pyvips.Error:
        raise UnsafeImage("Le fichier image est corrompu ou illisible.") from None
    if img.width <= 0 or img.height <= 0:
        raise UnsafeImage("Le fichier image est corrompu ou illisible (dimensions nulles).")
    if img.width * img.height > max_pixels():
        raise UnsafeImage(f"L'image est trop grande ({img.width} × {img.height} pixels ; "
                          f"maximum {max_pixels() // 1_000_000} millions de pixels).")
    if decode:
        try:
            img.avg()  # decodes every pixel once: truncated or damaged data fails here
        except pyvips.Error:
            raise UnsafeImage("Le fichier image est corrompu ou tronqué.") from None
    return ImageFacts(fmt, img.width, img.height, img.bands)


def check_image_bytes(data: bytes, decode: bool = True) -> ImageFacts:
    return _check(data, len(data), data[:16], decode)


def check_image_file(path: Path, decode: bool = True) -> ImageFacts:
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        raise UnsafeImage("Fichier image introuvable ou illisible.") from None
    return _check(path, size, head, decode)
