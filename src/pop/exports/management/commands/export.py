"""pop export --format csv|csv-excel|xlsx|ods|jsonl [--query TEXT | --expert FILE | --base B] [--fields …] -o FILE

    pop export --format xlsx --query "château fort" --base merimee -o chateaux.xlsx
    pop export --format ods --expert regles.json -o resultat.ods      # {"combinator": "AND", "rules": [...]} or POP's {"crits": [...]}
    pop export --format csv --base palissy --fields all -o palissy.csv  # a whole base, straight from the database
    pop export --purge                                                 # remove expired export files

``--base`` alone exports the whole base; with ``--query`` / ``--expert`` it restricts the search to it.
The file is written under a temporary name and renamed when complete (never a partial file).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import orjson
from django.core.management.base import BaseCommand, CommandError

from pop.exports import run
from pop.exports.columns import Layout
from pop.exports.errors import ExportError
from pop.exports.info import ExportInfo
from pop.exports.source import BaseSource, SearchSource
from pop.exports.writers import FORMATS, get_format
from pop.search import interface as engine


def _expert(path: str, bases: tuple) -> engine.ExpertQuery:
    try:
        body = orjson.loads(Path(path).read_bytes())
    except FileNotFoundError:
        raise CommandError(f"Fichier introuvable : {path}") from None
    except orjson.JSONDecodeError:
        raise CommandError(f"{path} n'est pas du JSON valide.") from None
    if not isinstance(body, dict):
        raise CommandError(f"{path} doit contenir un objet JSON.")
    if "rules" in body:  # the engine's tree
        return engine.validate_expert(body, bases)
    from pop.api import params as P
    from pop.api.http import ApiError
    from pop.api.views_search import _expert_query
    try:  # POP's /api/search/advanced body
        if bases and "bases" not in body:
            body["bases"] = list(bases)
        return _expert_query(P.advanced_params(body), body)
    except ApiError as exc:
        raise CommandError(exc.message) from None


class Command(BaseCommand):
    help = "Exporte une recherche, une recherche experte ou une base entière en CSV, XLSX, ODS ou JSON Lines."

    def add_arguments(self, parser):
        parser.add_argument("--format", default="csv", help=f"format : {', '.join(FORMATS)} (défaut csv)")
        parser.add_argument("--query", help="texte de recherche simple")
        parser.add_argument("--expert", help="fichier JSON d'une recherche experte")
        parser.add_argument("--base", action="append", default=[], help="base (répétable)")
        parser.add_argument("--fields", default="display",
                            help="colonnes : display (défaut), all, ou codes séparés par des virgules")
        parser.add_argument("--sort", default="relevance", help=f"tri : {', '.join(engine.SORTS)}")
        parser.add_argument("-o", "--output", help="fichier à écrire (« - » : sortie standard)")
        parser.add_argument("--purge", action="store_true", help="supprime les exports expirés puis s'arrête")

    def handle(self, *args, format, query, expert, base, fields, sort, output, purge, **opts):
        if purge:
            from pop.exports.jobs import purge_expired
            self.stdout.write(f"{purge_expired()} export(s) expiré(s) supprimé(s).")
            return
        if not output:
            raise CommandError("Indiquez le fichier à écrire avec -o FICHIER.")
        if query is not None and expert:
            raise CommandError("--query et --expert s'excluent.")
        try:
            fmt = get_format(format)
            if expert:
                source = SearchSource(_expert(expert, tuple(base)))
            elif query is not None:
                source = SearchSource(engine.SimpleQuery(text=query, bases=tuple(base), sort=sort, with_facets=False))
            elif len(base) == 1:
                source = BaseSource(base[0])
            else:
                raise CommandError("Indiquez --query TEXTE, --expert FICHIER ou une seule --base BASE.")
            layout = Layout.build(source.bases, fields)
        except (ExportError, engine.QueryError) as exc:
            raise CommandError(exc.message) from None
        if source.total == 0:
            raise CommandError("La recherche ne renvoie aucune notice : il n'y a rien à exporter.")
        info = ExportInfo(source.description, source.spec(), source.total, fmt.label)
        t0 = time.perf_counter()
        verbose = int(opts.get("verbosity", 1))

        def progress(n: int) -> None:
            if verbose > 1:
                self.stderr.write(f"\r{n}/{source.total}", ending="")

        if output == "-":
            for chunk in run.stream(fmt, source, layout, info, progress=progress):
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            count = info.written
        else:
            count = run.write_file(fmt, source, layout, info, Path(output), progress)
        elapsed = time.perf_counter() - t0
        if output != "-" and verbose:
            self.stdout.write(f"{count} notices exportées en {fmt.name} vers {output} en {elapsed:.1f} s "
                              f"({count / elapsed if elapsed else 0:,.0f} notices/s).".replace(",", "\u202f"))
