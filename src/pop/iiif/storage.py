"""Storage of original image files (the "media" store), behind a small interface.

    from pop.iiif.storage import media_storage, image_key
    store = media_storage()
    key = image_key("joconde", "000PE001028", "Photo 1.JPG")    # -> "joconde/000PE001028/photo-1.jpg"
    store.put(key, data)          # bytes
    with store.open(key) as f:    # binary file
        ...
    store.exists(key); store.path(key); store.size(key); store.mtime(key); store.delete(key)

Keys follow POP's object naming ``{base}/{REF}/{file}`` (the value stored in the record's image
field). ``normalise_key`` is applied on every call: a key is a relative path of plain segments
(no ``..``, no ``.``, no empty segment, no backslash, no control character), so nothing can be
read or written outside the store's root.

The local implementation keeps files under ``settings.DATA_DIR / "media"``. An S3-compatible
store can implement the same methods later (``put`` → PutObject, ``open`` → GetObject stream,
``exists`` → HeadObject); ``path`` is then a local cached copy of the object, because libvips reads
files (the derivatives in :mod:`pop.iiif.derivatives` are always local).
"""
from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import BinaryIO, Iterator, Protocol

from django.conf import settings


class InvalidKey(ValueError):
    """The key is not a safe relative object key (message in French)."""


_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")
_SEGMENT_MAX = 255
_KEY_MAX = 1024


def normalise_key(key: str) -> str:
    """Return the canonical form of ``key`` or raise InvalidKey.

    Leading/trailing slashes are dropped and Unicode is NFC-normalised; ``.``/``..`` segments, empty
    segments, backslashes and control characters are refused (never silently "fixed": a key that
    tries to escape is an error).
    """
    if not isinstance(key, str):
        raise InvalidKey("Identifiant d'image invalide.")
    key = unicodedata.normalize("NFC", key).strip().strip("/")
    if not key or len(key) > _KEY_MAX:
        raise InvalidKey("Identifiant d'image vide ou trop long.")
    if _BAD_CHARS.search(key):
        raise InvalidKey("Identifiant d'image invalide : caractères interdits.")
    parts = key.split("/")
    for part in parts:
        if part in ("", ".", "..") or len(part) > _SEGMENT_MAX or part != part.strip():
            raise InvalidKey("Identifiant d'image invalide : chemin non autorisé.")
    return "/".join(parts)


def slugify_filename(name: str) -> str:
    """POP-style file name: basename, accents removed, lower case, runs of other characters → '-'.

    "Vue générale (1).JPG" → "vue-generale-1.jpg". Written by hand because the rule is POP's own
    (filenamify + slugify at import), a few lines, and must stay stable for existing keys.
    """
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    def slug(s: str) -> str:
        s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()
        return re.sub(r"[^a-z0-9_]+", "-", s).strip("-")
    stem, ext = slug(stem), slug(ext)
    if not stem:
        stem = "image"
    return f"{stem}.{ext}" if ext else stem


def image_key(base: str, ref: str, filename: str) -> str:
    """The POP object key of a file attached to record ``base``/``ref``: ``{base}/{REF}/{file}``."""
    ref_part = re.sub(r"[^A-Za-z0-9_-]+", "_", ref.strip())
    if not ref_part:
        raise InvalidKey("Référence de notice invalide.")
    return normalise_key(f"{base}/{ref_part}/{slugify_filename(filename)}")


class MediaStorage(Protocol):
    """What every media store offers (local files today, an S3-compatible bucket later)."""

    def put(self, key: str, data: bytes) -> None: ...
    def open(self, key: str) -> BinaryIO: ...
    def exists(self, key: str) -> bool: ...
    def path(self, key: str) -> Path: ...
    def size(self, key: str) -> int: ...
    def mtime(self, key: str) -> float: ...
    def delete(self, key: str) -> None: ...
    def keys(self, prefix: str = "") -> Iterator[str]: ...


class LocalMediaStorage:
    """Files under ``root``; writes are atomic (temporary file + rename)."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    def path(self, key: str) -> Path:
        key = normalise_key(key)
        p = (self.root / key)
        # normalise_key already forbids escaping; this also guards against symlinks planted in the tree.
        resolved = p.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise InvalidKey("Identifiant d'image invalide : chemin non autorisé.")
        return p

    def put(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        return open(self.path(key), "rb")

    def exists(self, key: str) -> bool:
        try:
            return self.path(key).is_file()
        except InvalidKey:
            return False

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    def mtime(self, key: str) -> float:
        return self.path(key).stat().st_mtime

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def keys(self, prefix: str = "") -> Iterator[str]:
        start = self.root / normalise_key(prefix) if prefix else self.root
        if not start.exists():
            return
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames.sort()
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                rel = Path(dirpath, name).relative_to(self.root).as_posix()
                try:
                    yield normalise_key(rel)
                except InvalidKey:
                    continue


def media_root() -> Path:
    return Path(settings.DATA_DIR) / "media"


_stores: dict[Path, LocalMediaStorage] = {}


def media_storage() -> MediaStorage:
    """The configured media store (local files under ``DATA_DIR/media``)."""
    root = media_root()
    store = _stores.get(root)
    if store is None:
        store = _stores[root] = LocalMediaStorage(root)
    return store
