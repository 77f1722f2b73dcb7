"""`pop demo --records N [--seed S] [--images K] [--if-empty] [--batch B] [--quiet]`

Generates realistic records for the 8 bases in POP's proportions and stores them through the write
service (channel "demo"), batch by batch, in dependency order; memory stays bounded whatever N.
"""
from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from pop.demo.loader import load


class Command(BaseCommand):
    requires_system_checks = []  # generating data needs no URL/template checks
    help = "Génère des données de démonstration réalistes pour les 8 bases (proportions de POP)."

    def add_arguments(self, parser):
        parser.add_argument("--records", type=int, required=True, help="nombre total de notices à créer")
        parser.add_argument("--seed", type=int, default=1, help="graine : même graine, mêmes notices (défaut 1)")
        parser.add_argument("--images", type=int, default=0, help="nombre de fichiers image réels à écrire (défaut 0)")
        parser.add_argument("--if-empty", action="store_true", help="ne fait rien si la base contient déjà des notices")
        parser.add_argument("--batch", type=int, default=5000, help="notices par lot (une transaction par lot, défaut 5000)")
        parser.add_argument("--workers", type=int, default=None,
                            help="processus de génération en parallèle (défaut : 2 à partir de 20 000 notices, 0 sinon)")
        parser.add_argument("--quiet", action="store_true", help="sans barre de progression")

    def handle(self, *args, records, seed, images, if_empty, batch, workers, quiet, **opts):
        if records < 0:
            raise CommandError("--records doit être positif ou nul.")
        if images < 0:
            raise CommandError("--images doit être positif ou nul.")
        if batch < 1:
            raise CommandError("--batch doit valoir au moins 1.")
        from pop.catalog.models import Record

        if if_empty and Record.objects.exists():
            if not quiet:
                self.stderr.write("La base contient déjà des notices : rien à faire (--if-empty).")
            return
        started = time.monotonic()
        report = load(records, seed=seed, images=images, batch=batch, progress=not quiet, stream=sys.stderr, workers=workers)
        elapsed = time.monotonic() - started
        if not quiet:
            per_base = ", ".join(f"{b} {n}" for b, n in report.counts.items())
            self.stdout.write(f"{report.stored} notices créées en {elapsed:.1f} s ({report.stored / max(elapsed, 1e-9):.0f}/s) : {per_base}.")
            if images:
                self.stdout.write(f"{report.images_written} images écrites ({report.image_target}).")
