"""Derivatives of original images: a pyramidal tiled TIFF (JPEG tiles) + a small thumbnail.

    from pop.iiif import derivatives
    derivatives.build("memoire/AP13R001264/ap13r001264_p.jpg")    # one image (raises UnsafeImage)
    n = derivatives.build_missing(progress=True)                     # every stored original lacking one
    derivatives.info("memoire/…")                                    # {"width", "height", "levels", …} or None

Layout (always local files, whatever the media store): under ``DATA_DIR/iiif/``
``pyramids/{key}.tif`` (tiles 256×256, one page per level, each half the previous one),
``pyramids/{key}.json`` (dimensions of every level + the source's size/mtime, so ``info.json``
never opens an image) and ``thumbs/{key}.jpg`` (long side ``THUMB_SIZE``), used for small
requests. A derivative is current when the recorded source size and mtime match the original.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

import pyvips
from django.conf import settings

from pop.iiif import safety
from pop.iiif.storage import InvalidKey, media_storage, normalise_key

log = logging.getLogger(__name__)

TILE = 256
THUMB_SIZE = 400
FORMAT_VERSION = 1


def derivative_root() -> Path:
    return Path(settings.DATA_DIR) / "iiif"


def pyramid_path(key: str) -> Path:
    return derivative_root() / "pyramids" / (normalise_key(key) + ".tif")


def meta_path(key: str) -> Path:
    return derivative_root() / "pyramids" / (normalise_key(key) + ".json")


def thumb_path(key: str) -> Path:
    return derivative_root() / "thumbs" / (normalise_key(key) + ".jpg")


def info(key: str) -> dict | None:
    """Recorded facts of the derivative of ``key`` (None if never built or unreadable)."""
    try:
        with open(meta_path(key), "rb") as f:
            meta = json.load(f)
    except (OSError, ValueError, InvalidKey):
        return None
    return meta if meta.get("version") == FORMAT_VERSION else None


def is_current(key: str, meta: dict | None = None) -> bool:
    """True when the derivative exists and was built from the stored original as it is now."""
    meta = meta if meta is not None else info(key)
    if not meta:
        return False
    try:
        st = media_storage().path(key).stat()
    except (OSError, InvalidKey):
        return False
    src = meta.get("source", {})
    return src.get("size") == st.st_size and src.get("mtime") == st.st_mtime and pyramid_path(key).exists()


def ensure(key: str) -> dict:
    """Metadata of a current derivative of ``key``, building it now if needed (one builder at a
    time per image across processes; the others wait for it). Raises like ``build``."""
    meta = info(key)
    if meta and is_current(key, meta):
        return meta
    locks = derivative_root() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    lock_name = hashlib.sha1(normalise_key(key).encode()).hexdigest() + ".lock"
    with open(locks / lock_name, "w") as lockf:
        fcntl.flock(lockf, fcntl.LOCK_EX)
        meta = info(key)
        if not (meta and is_current(key, meta)):
            build(key)
            meta = info(key)
    return meta


def prepare(img: pyvips.Image) -> pyvips.Image:
    """8-bit sRGB (or 8-bit grey), no alpha, EXIF orientation applied: what the tiles hold."""
    img = img.autorot()
    if img.hasalpha():
        img = img.flatten(background=[255] * (img.bands - 1))
    grey = img.interpretation in ("b-w", "grey16") or img.bands == 1
    img = img.colourspace("b-w" if grey else "srgb")
    if img.format != "uchar":
        img = img.cast("uchar")
    return img


def _atomic_target(target: Path, suffix: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".build-", suffix=suffix)
    os.close(fd)
    return Path(tmp)


def build(key: str) -> None:
    """(Re)build the pyramid, thumbnail and metadata of one stored original.

    Raises ``safety.UnsafeImage`` (French message) for a refused or corrupt file and
    ``FileNotFoundError`` when the original is not in the media store.
    """
    key = normalise_key(key)
    store = media_storage()
    if not store.exists(key):
        raise FileNotFoundError(f"Image introuvable dans le stockage : {key}")
    src = store.path(key)
    stat = src.stat()
    facts = safety.check_image_file(src, decode=False)
    try:
        img = prepare(safety.load(src, facts.format, fail_on="error", revalidate=True))
        pyr = pyramid_path(key)
        tmp = _atomic_target(pyr, ".tif")
        try:
            img.tiffsave(str(tmp), tile=True, tile_width=TILE, tile_height=TILE, pyramid=True,
                         compression="jpeg", Q=85, bigtiff=img.width * img.height > 200_000_000)
            levels = []
            first = pyvips.Image.tiffload(str(tmp), revalidate=True)
            for page in range(first.get("n-pages") if "n-pages" in first.get_fields() else 1):
                lvl = pyvips.Image.tiffload(str(tmp), page=page, revalidate=True)
                levels.append([lvl.width, lvl.height])
            thumb = pyvips.Image.thumbnail(str(tmp), THUMB_SIZE, height=THUMB_SIZE, size="down")
            tp = thumb_path(key)
            ttmp = _atomic_target(tp, ".jpg")
            try:
                thumb.jpegsave(str(ttmp), Q=85)
                os.replace(tmp, pyr)
                os.replace(ttmp, tp)
            finally:
                ttmp.unlink(missing_ok=True)
        finally:
            tmp.unlink(missing_ok=True)
    except pyvips.Error:
        raise safety.UnsafeImage("Le fichier image est corrompu ou tronqué.") from None
    meta = {"version": FORMAT_VERSION, "key": key, "width": levels[0][0], "height": levels[0][1],
            "levels": levels, "thumb": [thumb.width, thumb.height], "bands": img.bands,
            "source": {"size": stat.st_size, "mtime": stat.st_mtime, "format": facts.format}}
    mp = meta_path(key)
    mtmp = _atomic_target(mp, ".json")
    mtmp.write_text(json.dumps(meta))
    os.replace(mtmp, mp)


def missing_keys() -> list[str]:
    """Stored originals whose derivative is absent or stale."""
    return [k for k in media_storage().keys() if not is_current(k)]


def build_missing(progress: bool = True, keys: list[str] | None = None, force: bool = False) -> int:
    """Build derivatives for ``keys`` (default: every stored original lacking a current one).

    Returns the number built; refused files are logged (French message) and skipped.
    """
    if keys is None:
        keys = list(media_storage().keys()) if force else missing_keys()
    elif not force:
        keys = [k for k in keys if not is_current(k)]
    built = 0
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(keys), unit="image", desc="Dérivés IIIF")
    for key in keys:
        try:
            build(key)
            built += 1
        except (safety.UnsafeImage, FileNotFoundError, InvalidKey) as exc:
            log.warning("image %s ignorée : %s", key, exc)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return built
