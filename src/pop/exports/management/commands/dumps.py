"""pop dumps [--base B …] [--force] [--compression gzip|zstd]

Writes the open-data dumps (CSV, JSON Lines, Parquet per base, with manifest.json) under
DATA_DIR/dumps; only bases whose records changed since the last run are rewritten.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from pop.exports import dumps
from pop.schema.registry import UnknownBase


class Command(BaseCommand):
    help = "Exporte les données ouvertes de chaque base (CSV, JSON Lines, Parquet) avec un manifeste."

    def add_arguments(self, parser):
        parser.add_argument("--base", action="append", default=[], help="base (répétable ; défaut : toutes)")
        parser.add_argument("--force", action="store_true", help="réécrit même les bases inchangées")
        parser.add_argument("--compression", default="gzip", choices=sorted(dumps.COMPRESSIONS))

    def handle(self, *args, base, force, compression, **opts):
        try:
            manifest = dumps.build(base or None, force=force, compression=compression,
                                   progress=lambda s: self.stdout.write(s))
        except UnknownBase as exc:
            raise CommandError(str(exc)) from None
        total = sum(e["records"] for e in manifest["bases"].values())
        self.stdout.write(f"Manifeste : {dumps.dumps_dir() / dumps.MANIFEST} ({total} notices publiées au total).")
