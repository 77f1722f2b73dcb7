"""Real image files for demo records (``pop demo --images K``), drawn with libvips (pyvips).

Each image is a colour gradient with grain and the record's reference written on it, at a size
between 800×600 and 6000×4000 (landscape or portrait), encoded as the key's extension says (JPEG,
PNG or TIFF). Files go through the media store (``pop.iiif.storage.media_storage().put``), then
their IIIF derivatives are built (``pop.iiif.derivatives.build_missing``).
"""
from __future__ import annotations

import random
import sys

import pyvips

SIZES = ((800, 600), (1024, 768), (1600, 1200), (2400, 1600), (3000, 2000), (4000, 3000), (6000, 4000))


def _fmt(key: str) -> str:
    ext = key.rsplit(".", 1)[-1].lower()
    return {"png": ".png", "tif": ".tif", "tiff": ".tif"}.get(ext, ".jpg")


def draw(key: str, width: int, height: int, rng: random.Random) -> pyvips.Image:
    """A width×height sRGB picture: diagonal gradient between two colours, grain, and a caption."""
    c1 = [rng.randint(20, 235) for _ in range(3)]
    c2 = [rng.randint(20, 235) for _ in range(3)]
    xy = pyvips.Image.xyz(width, height)
    t = (xy[0] / max(1, width - 1) + xy[1] / max(1, height - 1)) / 2          # 0..1 along the diagonal
    img = t.bandjoin([t, t]) * [b - a for a, b in zip(c1, c2)] + c1
    grain = pyvips.Image.gaussnoise(width, height, sigma=rng.uniform(4, 14), mean=0)
    img = (img + grain.bandjoin([grain, grain])).cast("uchar")
    caption = key.split("/")[1] if key.count("/") >= 2 else key
    text = pyvips.Image.text(caption, dpi=max(72, width // 3), font="sans bold")
    if text.width < width and text.height < height:
        ink = (text > 0).ifthenelse([255, 255, 255], [0, 0, 0])
        mask = text.cast("float") / 255
        x, y = (width - text.width) // 2, (height - text.height) // 2
        region = img.crop(x, y, text.width, text.height)
        blended = (region * (1 - mask) + ink * mask).cast("uchar")
        img = img.insert(blended, x, y)
    return img.copy(interpretation="srgb")


def encode(img: pyvips.Image, fmt: str) -> bytes:
    if fmt == ".png":
        return img.pngsave_buffer(compression=3)
    if fmt == ".tif":
        return img.tiffsave_buffer(compression="deflate")
    return img.jpegsave_buffer(Q=85)


def write_images(keys: list[str], *, seed: int = 1, progress: bool = True, stream=None) -> tuple[int, str]:
    """Writes one image per key; returns (files written, where). Derivatives are built afterwards."""
    from pop.iiif.storage import media_root, media_storage

    store = media_storage()
    rng = random.Random(f"pop-demo-images:{seed}")
    written = 0
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(keys), unit=" images", desc="Images", file=stream or sys.stderr)
    for n, key in enumerate(keys):
        w, h = SIZES[n % len(SIZES)] if n < len(SIZES) else rng.choice(SIZES)
        if rng.random() < 0.25:
            w, h = h, w  # portrait
        store.put(key, encode(draw(key, w, h, rng), _fmt(key)))
        written += 1
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    try:
        from pop.iiif.derivatives import build_missing

        build_missing(progress=progress, keys=list(keys))
    except ImportError:  # derivatives are optional: the IIIF server can build them on demand
        pass
    return written, str(media_root())
