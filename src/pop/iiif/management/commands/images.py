"""`pop images`: image derivatives for IIIF and attaching image files to records.

    pop images build [--missing] [--force] [KEY ...]    build pyramids and thumbnails (progress bar)
    pop images add FILE --base BASE --ref REF           attach a file to a record and build its derivative
    pop images check KEY                                what the server knows about one image
"""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pop.iiif import derivatives, rights, safety
from pop.iiif.ingest import AttachError, attach
from pop.iiif.storage import InvalidKey, media_storage, normalise_key


class Command(BaseCommand):
    help = "Images : dérivés IIIF (pyramides, vignettes) et ajout d'images aux notices."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        b = sub.add_parser("build", help="construit les dérivés IIIF (pyramides et vignettes)")
        b.add_argument("keys", nargs="*", help="clés d'images (par défaut : toutes les images stockées)")
        b.add_argument("--missing", action="store_true", help="seulement les images sans dérivé à jour (par défaut)")
        b.add_argument("--force", action="store_true", help="reconstruit même les dérivés à jour")
        b.add_argument("--no-progress", action="store_true", help="sans barre de progression")
        a = sub.add_parser("add", help="ajoute un fichier image à une notice existante")
        a.add_argument("file")
        a.add_argument("--base", required=True)
        a.add_argument("--ref", required=True)
        a.add_argument("--actor", default="pop images add")
        a.add_argument("--background", action="store_true", help="construit le dérivé en tâche de fond")
        c = sub.add_parser("check", help="état d'une image (stockage, dérivé, droits)")
        c.add_argument("key")

    def handle(self, *args, **opts):
        getattr(self, "do_" + opts["action"])(opts)

    def do_build(self, opts):
        keys = None
        if opts["keys"]:
            try:
                keys = [normalise_key(k) for k in opts["keys"]]
            except InvalidKey as exc:
                raise CommandError(str(exc)) from None
        n = derivatives.build_missing(progress=not opts["no_progress"], keys=keys, force=opts["force"])
        self.stdout.write(f"{n} dérivé(s) construit(s).")

    def do_add(self, opts):
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        if path.stat().st_size > safety.max_bytes():
            raise CommandError(f"Le fichier image est trop volumineux (maximum {safety.max_bytes() // (1024 * 1024)} Mo).")
        try:
            key = attach(opts["base"], opts["ref"], path.name, path.read_bytes(), actor=opts["actor"],
                         build="background" if opts["background"] else "now")
        except (AttachError, safety.UnsafeImage) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Image ajoutée : {key}")

    def do_check(self, opts):
        try:
            key = normalise_key(opts["key"])
        except InvalidKey as exc:
            raise CommandError(str(exc)) from None
        store = media_storage()
        self.stdout.write(f"clé : {key}")
        self.stdout.write(f"stockée : {'oui' if store.exists(key) else 'non'}")
        meta = derivatives.info(key)
        self.stdout.write(f"dérivé : {'à jour' if derivatives.is_current(key, meta) else 'absent ou périmé'}")
        if meta:
            self.stdout.write(f"dimensions : {meta['width']} × {meta['height']} ({len(meta['levels'])} niveaux)")
        r = rights.owner(key)
        if r is None:
            self.stdout.write("notice : aucune notice publiée ne référence cette image")
        else:
            rr = rights.record_rights(r.base, r.ref, r.data)
            self.stdout.write(f"notice : {r.base}/{r.ref} — droits : {rr.status} — crédits : {rr.credit or '—'}")
