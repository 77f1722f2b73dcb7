"""``pop import_file FILE... [--base BASE] [--encoding ENC] [--museo CODE] [--dry-run] [--actor NAME]``

Imports POP's production files (Joconde "ajout piloté" .txt, ``;`` CSV, MH/Inventaire ``|`` CSV,
GERTRUDE exports) through the write service. The report lists every record with its status and its
errors and warnings; the files of one call form one batch: if any record is rejected, nothing is
written (exit status 1).
"""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pop.catalog import service
from pop.imports.common import ImportFileError
from pop.imports.files import parse_file
from pop.imports.preview import preview
from pop.schema.registry import UnknownBase

STATUS_LABELS = {"created": "créée", "updated": "modifiée", "unchanged": "inchangée", "rejected": "rejetée"}


class Command(BaseCommand):
    help = "Importe des fichiers d'import POP (txt Joconde, CSV, exports GERTRUDE) via le service d'écriture."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="fichiers à importer (un seul lot)")
        parser.add_argument("--base", help="base des fichiers CSV séparés par « ; » (mnr, museo, enluminures, joconde)")
        parser.add_argument("--encoding", help="utf-8 ou iso-8859-1 (par défaut : UTF-8 si valide, sinon ISO-8859-1)")
        parser.add_argument("--museo", help="code Muséofile par défaut des notices Joconde")
        parser.add_argument("--dry-run", action="store_true", help="vérifier sans rien écrire")
        parser.add_argument("--actor", default="import en ligne de commande", help="nom enregistré dans l'historique")

    def handle(self, *args, **options):
        parsed = []
        try:
            for name in options["files"]:
                path = Path(name)
                if not path.is_file():
                    raise CommandError(f"Fichier introuvable : {name}")
                parsed.append(parse_file(path.name, path.read_bytes(), base=options.get("base"),
                                         enc=options.get("encoding"), museo=options.get("museo")))
        except (ImportFileError, UnknownBase) as exc:
            raise CommandError(str(exc)) from None
        report = preview(parsed)
        for notice in report.notices:
            self.stdout.write(f"note : {notice}")
        for item in report.items:
            where = f" (ligne {item.line})" if item.line else ""
            self.stdout.write(f"{item.base} {item.ref or '?'}{where} : {STATUS_LABELS.get(item.status, item.status)}")
            for issue in item.errors:
                self.stdout.write(f"  erreur : {issue.message}")
            for issue in item.warnings:
                self.stdout.write(f"  avertissement : {issue.message}")
        counts = ", ".join(f"{n} {STATUS_LABELS[s]}(s)" for s, n in report.counts.items() if n)
        if not report.accepted:
            total = len(report.items)
            raise CommandError(f"Import refusé, rien n'a été écrit : {report.counts['rejected']} notice(s) rejetée(s) "
                               f"sur {total}." if total else "Import refusé : aucune notice dans le(s) fichier(s).")
        if options["dry_run"]:
            self.stdout.write(f"Vérification seule, rien n'a été écrit : {counts}.")
            return
        records = [r for pf in parsed for r in pf.records]
        try:
            service.save_many(records, actor=options["actor"], channel="import", channel_ref=",".join(pf.name for pf in parsed)[:64])
        except service.WriteRejected as exc:  # the database changed since the preview
            raise CommandError(f"Import refusé, rien n'a été écrit : {exc}") from None
        self.stdout.write(f"Import terminé : {counts}.")
