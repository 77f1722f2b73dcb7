"""Attaching an image file to an existing record (CLI `pop images add`, future upload forms).

    key = attach("joconde", "000PE001028", "photo.jpg", data, actor="Jeanne Martin")   # builds now
    key = attach(..., build="background")                                             # task queue

Steps: the record must exist; the file passes the upload checks (``pop.iiif.safety``: size, pixel
count, sniffed content, full decode); it is stored under the POP key ``{base}/{REF}/{file}``
(file name slugified, ``-2``, ``-3``… added when another file already has that key); the record's
own image field is updated through the write service (history, change sequence, search index);
then the derivative is built. If the write is refused the stored file is removed: nothing partial.

Mérimée, Palissy and Autor have no image field of their own: their images are Mémoire records
linked through ``LBASE`` (the ``MEMOIRE`` list is derived). Attaching to them is refused with a
French message telling to attach the file to a linked Mémoire record instead.
"""
from __future__ import annotations

from pop.catalog import service
from pop.catalog.models import Record
from pop.iiif import derivatives, safety
from pop.iiif.storage import image_key, media_storage
from pop.schema import registry
from pop.schema.registry import UnknownBase


class AttachError(ValueError):
    """Refused attachment; ``str(exc)`` is a French message."""


def own_image_field(base):
    for code in base.image_fields:
        f = base.field(code)
        if f is not None and f.inverse_of is None and not f.computed:
            return f
    return None


def _free_key(key: str) -> str:
    store = media_storage()
    if not store.exists(key):
        return key
    stem, dot, ext = key.rpartition(".")
    if not dot:
        stem, ext = key, ""
    n = 2
    while True:
        candidate = f"{stem}-{n}.{ext}" if ext else f"{stem}-{n}"
        if not store.exists(candidate):
            return candidate
        n += 1


def attach(base_name: str, ref: str, filename: str, data: bytes, *, actor=None, build: str = "now") -> str:
    try:
        base = registry.get(base_name)
    except UnknownBase:
        raise AttachError(f"La base « {base_name} » n'existe pas.") from None
    field = own_image_field(base)
    if field is None:
        raise AttachError(
            f"Les notices {base.short_label} n'ont pas d'image propre : leurs images sont des notices Mémoire "
            f"liées (champ LBASE). Ajoutez l'image à une notice Mémoire dont LBASE contient « {ref} ».")
    rec = Record.objects.filter(base=base.slug, ref=ref, status=Record.PUBLISHED).first()
    if rec is None:
        raise AttachError(f"Notice {base.short_label} « {ref} » introuvable.")
    try:
        safety.check_image_bytes(data)
    except safety.UnsafeImage as exc:
        raise AttachError(str(exc)) from None
    key = _free_key(image_key(base.slug, ref, filename))
    store = media_storage()
    store.put(key, data)
    current = rec.data.get(field.code)
    if field.multi:
        value = [v for v in (current or []) if v] + [key]
    else:
        value = key
    try:
        service.save(base.slug, {"REF": ref, field.code: value}, actor=actor, channel="manual", mode="update")
    except service.WriteRejected as exc:
        store.delete(key)
        raise AttachError(f"La notice n'a pas pu être mise à jour : {exc}") from None
    except Exception:
        store.delete(key)
        raise
    if build == "now":
        derivatives.build(key)
    elif build == "background":
        from pop.iiif.tasks import enqueue_build
        enqueue_build(key)
    return key
