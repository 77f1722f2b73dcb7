"""IIIF Image API 3.0 (level 2 + extras): parsing, planning and rendering, without HTTP.

    req = parse("full", "!200,200", "0", "default.jpg")          # raises IIIFError(400, "…")
    plan = resolve(req, width=6000, height=4000, limit=None)     # region/size in pixels (400/403)
    data = render(source, plan)                                  # encoded bytes

Written by hand on purpose: no maintained Python library implements the 3.0 parameter grammar
on top of libvips (the known servers are whole applications: Cantaloupe, IIPImage, Loris).
``source`` is an ``ImageSource``: the levels of the pyramid (plus the small thumbnail as the last
level); rendering reads the smallest level that still has enough pixels.
"""
from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pyvips

FORMATS = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif", "tif": "image/tiff"}
EXTRA_FORMATS = ["png", "webp", "gif", "tif"]
KNOWN_UNSUPPORTED_FORMATS = {"jp2", "pdf"}
QUALITIES = ("default", "color", "gray", "bitonal")
EXTRA_QUALITIES = ["color", "gray", "bitonal"]
EXTRA_FEATURES = ["baseUriRedirect", "canonicalLinkHeader", "cors", "jsonldMediaType", "mirroring",
                  "profileLinkHeader", "regionByPct", "regionByPx", "regionSquare", "rotationArbitrary",
                  "rotationBy90s", "sizeByConfinedWh", "sizeByH", "sizeByPct", "sizeByW", "sizeByWh",
                  "sizeUpscaling"]
# Hard cap on produced images (upscaling included): beyond it the request is refused (400).
MAX_OUTPUT_PIXELS = 64_000_000


class IIIFError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def bad(message: str) -> IIIFError:
    return IIIFError(400, message)


_NUM = r"\d+(?:\.\d+)?"
_INT = r"\d+"
RE_REGION_PX = re.compile(rf"^({_INT}),({_INT}),({_INT}),({_INT})$")
RE_REGION_PCT = re.compile(rf"^pct:({_NUM}),({_NUM}),({_NUM}),({_NUM})$")
RE_SIZE_W = re.compile(rf"^({_INT}),$")
RE_SIZE_H = re.compile(rf"^,({_INT})$")
RE_SIZE_WH = re.compile(rf"^(!)?({_INT}),({_INT})$")
RE_SIZE_PCT = re.compile(rf"^pct:({_NUM})$")
RE_ROTATION = re.compile(rf"^(!)?({_NUM})$")


@dataclass(frozen=True)
class ImageRequest:
    region: str
    size: str
    rotation: float
    mirror: bool
    quality: str
    format: str

    def canonical_path(self, plan: "Plan") -> str:
        """Canonical URI parameters (IIIF 3.0 §4.7) for the Link header and the cache key."""
        if plan.region_is_full:
            region = "full"
        else:
            region = f"{plan.rx},{plan.ry},{plan.rw},{plan.rh}"
        up = "^" if (plan.sw > plan.rw or plan.sh > plan.rh) else ""
        size = f"{up}max" if plan.is_max else f"{up}{plan.sw},{plan.sh}"
        rot = f"{'!' if self.mirror else ''}{self.rotation:g}"
        return f"{region}/{size}/{rot}/{self.quality}.{self.format}"


def parse(region: str, size: str, rotation: str, quality_format: str) -> ImageRequest:
    """Syntax check of the four path parameters (400 on any error; 501 for known-unsupported formats)."""
    quality, dot, fmt = quality_format.rpartition(".")
    if not dot or not quality:
        raise bad("Paramètres qualité et format invalides (attendu : qualité.format, par ex. default.jpg).")
    if fmt in KNOWN_UNSUPPORTED_FORMATS:
        raise IIIFError(501, f"Format « {fmt} » non pris en charge par ce serveur.")
    if fmt not in FORMATS:
        raise bad(f"Format « {fmt} » inconnu (formats : jpg, png, webp, gif, tif).")
    if quality not in QUALITIES:
        raise bad(f"Qualité « {quality} » inconnue (qualités : default, color, gray, bitonal).")
    if not (region in ("full", "square") or RE_REGION_PX.match(region) or RE_REGION_PCT.match(region)):
        raise bad(f"Région « {region} » invalide.")
    body = size[1:] if size.startswith("^") else size
    if not (body == "max" or RE_SIZE_W.match(body) or RE_SIZE_H.match(body) or RE_SIZE_WH.match(body)
            or RE_SIZE_PCT.match(body)):
        raise bad(f"Taille « {size} » invalide.")
    m = RE_ROTATION.match(rotation)
    if not m:
        raise bad(f"Rotation « {rotation} » invalide.")
    angle = float(m.group(2))
    if angle > 360:
        raise bad("La rotation doit être comprise entre 0 et 360 degrés.")
    return ImageRequest(region, size, angle % 360, bool(m.group(1)), quality, fmt)


@dataclass(frozen=True)
class Plan:
    rx: int
    ry: int
    rw: int
    rh: int
    sw: int
    sh: int
    region_is_full: bool
    is_max: bool


def _region(req: ImageRequest, width: int, height: int) -> tuple[int, int, int, int]:
    if req.region == "full":
        return 0, 0, width, height
    if req.region == "square":
        side = min(width, height)
        return (width - side) // 2, (height - side) // 2, side, side
    m = RE_REGION_PX.match(req.region)
    if m:
        x, y, w, h = (int(g) for g in m.groups())
    else:
        px, py, pw, ph = (float(g) for g in RE_REGION_PCT.match(req.region).groups())
        if px > 100 or py > 100:
            raise bad("Région en pourcentage hors de l'image.")
        x, y = round(px * width / 100), round(py * height / 100)
        w, h = round(pw * width / 100), round(ph * height / 100)
    if w <= 0 or h <= 0:
        raise bad("La région demandée est vide (largeur ou hauteur nulle).")
    if x >= width or y >= height:
        raise bad("La région demandée est entièrement hors de l'image.")
    return x, y, min(w, width - x), min(h, height - y)


def resolve(req: ImageRequest, width: int, height: int, limit: int | None = None) -> Plan:
    """Pixel region and output size. ``limit``: rights cap on the long side of the whole image at the
    requested scale (restricted reproduction); exceeding it raises 403."""
    rx, ry, rw, rh = _region(req, width, height)
    upscale = req.size.startswith("^")
    body = req.size[1:] if upscale else req.size
    # largest scale the rights allow (1.0 = full resolution)
    cap = min(1.0, limit / max(width, height)) if limit else 1.0
    is_max = body == "max"
    if is_max:
        s = cap
        sw, sh = max(1, round(rw * s)), max(1, round(rh * s))
    elif m := RE_SIZE_W.match(body):
        sw = int(m.group(1))
        sh = max(1, round(rh * sw / rw))
    elif m := RE_SIZE_H.match(body):
        sh = int(m.group(1))
        sw = max(1, round(rw * sh / rh))
    elif m := RE_SIZE_PCT.match(body):
        pct = float(m.group(1))
        if pct <= 0:
            raise bad("Le pourcentage de taille doit être positif.")
        sw, sh = max(1, round(rw * pct / 100)), max(1, round(rh * pct / 100))
        if pct > 100 and not upscale:
            raise bad("Agrandissement au-delà de 100 % demandé sans la notation « ^ ».")
    else:
        m = RE_SIZE_WH.match(body)
        confined, w, h = bool(m.group(1)), int(m.group(2)), int(m.group(3))
        if w <= 0 or h <= 0:
            raise bad("La taille demandée est nulle.")
        if confined:
            if not upscale and w > rw and h > rh:
                # The whole box is larger than the region: as Cantaloupe, IIPImage and the official
                # validator read 3.0, fitting it is an upscale and needs "^" (!w,h smaller than the
                # region on at least one side is an ordinary fit and is served).
                raise bad("Agrandissement demandé sans la notation « ^ » (boîte plus grande que la région).")
            s = min(w / rw, h / rh)
            if not upscale:
                s = min(s, 1.0)
            sw, sh = max(1, min(w, round(rw * s))), max(1, min(h, round(rh * s)))
        else:
            sw, sh = w, h
    if sw <= 0 or sh <= 0:
        raise bad("La taille demandée est nulle.")
    if not upscale and (sw > rw or sh > rh):
        raise bad("Agrandissement demandé sans la notation « ^ » (taille supérieure à la région).")
    if sw * sh > MAX_OUTPUT_PIXELS:
        raise bad("Taille demandée trop grande pour ce serveur.")
    if limit and cap < 1.0:
        # the request's scale, applied to the whole image, must stay within the allowed long side
        scale = max(sw / rw, sh / rh)
        if max(width, height) * scale > limit + 1.0:
            raise IIIFError(403, f"Reproduction soumise à autorisation : cette image n'est diffusée qu'à "
                                 f"{limit} pixels au plus sur le grand côté.")
    return Plan(rx, ry, rw, rh, sw, sh, (rx, ry, rw, rh) == (0, 0, width, height), is_max)


# --------------------------------------------------------------------------------------------
# rendering


@dataclass(frozen=True)
class Level:
    path: str
    page: int
    width: int
    height: int


class ImageSource:
    """The readable levels of one image, largest first (pyramid pages, then the thumbnail)."""

    def __init__(self, width: int, height: int, levels: list[Level]):
        self.width, self.height, self.levels = width, height, levels


_open_lock = threading.Lock()
_open_cache: "OrderedDict[tuple[str, int, float], pyvips.Image]" = OrderedDict()
_OPEN_MAX = 256


def open_level(level: Level) -> pyvips.Image:
    """Open a pyramid page (kept open in a small LRU: header parsing is then paid once)."""
    path = Path(level.path)
    key = (level.path, level.page, path.stat().st_mtime)
    with _open_lock:
        img = _open_cache.get(key)
        if img is not None:
            _open_cache.move_to_end(key)
            return img
    if level.path.endswith(".tif"):
        img = pyvips.Image.tiffload(level.path, page=level.page, access="random", fail_on="none", revalidate=True)
    elif level.path.endswith(".jpg"):
        img = pyvips.Image.jpegload(level.path, access="random", fail_on="none", revalidate=True)
    else:
        raise IIIFError(500, "niveau d'image illisible")
    with _open_lock:
        _open_cache[key] = img
        while len(_open_cache) > _OPEN_MAX:
            _open_cache.popitem(last=False)
    return img


def _pick_level(source: ImageSource, plan: Plan) -> Level:
    # downsampling factor wanted on each axis; a level is usable when it keeps at least that many pixels
    fx, fy = plan.rw / plan.sw, plan.rh / plan.sh
    best = source.levels[0]
    for lvl in source.levels[1:]:
        dx, dy = source.width / lvl.width, source.height / lvl.height
        if dx <= fx * 1.0001 and dy <= fy * 1.0001:
            best = lvl
    return best


def extract(source: ImageSource, plan: Plan) -> pyvips.Image:
    """Region at the output size, before rotation and quality."""
    lvl = _pick_level(source, plan)
    img = open_level(lvl)
    kx, ky = lvl.width / source.width, lvl.height / source.height
    x0, y0 = math.floor(plan.rx * kx), math.floor(plan.ry * ky)
    x1 = min(lvl.width, max(x0 + 1, math.ceil((plan.rx + plan.rw) * kx)))
    y1 = min(lvl.height, max(y0 + 1, math.ceil((plan.ry + plan.rh) * ky)))
    img = img.crop(x0, y0, x1 - x0, y1 - y0)
    if img.width != plan.sw or img.height != plan.sh:
        img = img.resize(plan.sw / img.width, vscale=plan.sh / img.height)
        if img.width != plan.sw or img.height != plan.sh:  # rounding inside libvips: pad/crop by a pixel
            img = img.gravity("centre", plan.sw, plan.sh, extend="copy")
    return img


def apply(img: pyvips.Image, req: ImageRequest) -> pyvips.Image:
    """Mirroring, rotation (clockwise) and quality."""
    if req.mirror:
        img = img.fliphor()
    angle = req.rotation
    if angle == 90:
        img = img.rot90()
    elif angle == 180:
        img = img.rot180()
    elif angle == 270:
        img = img.rot270()
    elif angle:
        transparent = req.format in ("png", "webp", "gif", "tif")
        if transparent:
            img = img.bandjoin(255)
            background = [0] * img.bands
        else:
            background = [255] * img.bands
        img = img.rotate(angle, background=background)
        if img.format != "uchar":
            img = img.cast("uchar")
    if req.quality in ("gray", "bitonal") and img.bands >= 3:
        alpha = img[3] if img.bands == 4 else None
        img = img[:3].colourspace("b-w")
        if alpha is not None:
            img = img.bandjoin(alpha)
    if req.quality == "bitonal":
        grey = img[0] if img.bands > 1 else img
        bw = grey.relational_const("more", [127])
        img = bw.bandjoin(img[1]) if img.bands == 2 else bw
    return img


def encode(img: pyvips.Image, fmt: str) -> bytes:
    if fmt == "jpg":
        if img.bands in (2, 4):
            img = img.flatten(background=[255] * (img.bands - 1))
        return img.jpegsave_buffer(Q=85, keep="none")
    if fmt == "png":
        return img.pngsave_buffer(compression=3, keep="none")
    if fmt == "webp":
        return img.webpsave_buffer(Q=80, keep="none")
    if fmt == "gif":
        return img.gifsave_buffer(keep="none")
    return img.tiffsave_buffer(compression="deflate", keep="none")


def render(source: ImageSource, req: ImageRequest, plan: Plan) -> bytes:
    return encode(apply(extract(source, plan), req), req.format)
