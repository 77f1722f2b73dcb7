"""``pop schema [BASE] [--markdown] [-o FILE]``: the data dictionary, read from the schema registry.

    pop schema                      # every base, as text
    pop schema merimee              # one base (slug, public slug or alias)
    pop schema --markdown -o docs/data-model.md   # the committed data dictionary

Nothing here lists fields: every line comes from ``pop.schema`` (bases, fields, facets, legacy keys).
"""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pop.schema import legacy, registry
from pop.schema.groups import FACETS_BY_NAME
from pop.schema.registry import UnknownBase
from pop.schema.types import SECTION_LABELS, Base, Field, V

TYPE_LABELS = {"text": "texte", "date": "date", "number": "nombre", "geopoint": "point WGS84", "polygon": "polygone",
               "url": "URL / fichier", "email": "courriel", "ref": "référence", "object": "objet"}
VISIBILITY_LABELS = {V.PUBLIC: "publique", V.RESTRICTED: "restreinte", V.INTERNAL: "interne"}
COLUMNS = ("Code", "Libellé", "Type", "Multiple", "Obligatoire", "Calculé", "Visibilité", "Section", "Facette",
           "Poids", "Thésaurus", "Déprécié", "Aide")


def _yes(flag: bool) -> str:
    return "oui" if flag else ""


def field_row(f: Field) -> tuple[str, ...]:
    kind = TYPE_LABELS.get(f.type.value, f.type.value)
    if f.links_to and f.links_to != ("*",):
        kind += " → " + ", ".join(f.links_to)
    elif f.links_to == ("*",):
        kind += " → toute base"
    computed = "dérivé de " + ".".join(f.inverse_of) if f.inverse_of else _yes(f.computed)
    required = "oui" if f.required else ("recommandé" if f.recommended else "")
    facet = FACETS_BY_NAME[f.facet].label if f.facet in FACETS_BY_NAME else (f.facet or "")
    weight = f"{f.weight:g}" if f.weight else ""
    return (f.code, f.label, kind, _yes(f.multi), required, computed, VISIBILITY_LABELS[f.visibility],
            SECTION_LABELS[f.section], facet, weight, f.thesaurus or "", _yes(f.deprecated), f.help)


def base_facts(base: Base) -> list[tuple[str, str]]:
    legacy_keys = sorted({**legacy.COMMON, **legacy.BY_BASE.get(base.slug, {})})
    return [
        ("Identifiant", f"`{base.slug}`" + (f" (adresse publique `{base.public_slug}`)" if base.public_slug != base.slug else "")),
        ("Nom de la base", base.label),
        ("Référence (REF)", f"{base.ref_help} — motif `{base.ref_pattern}`"),
        ("Producteur par défaut", base.producer_fallback),
        ("Titre", ", ".join(base.title_fields)),
        ("Images", ", ".join(base.image_fields) or "aucune"),
        ("Géolocalisée", _yes(base.geolocated) or "non"),
        ("Champs", f"{len(base.fields)} (dont {sum(f.is_public for f in base.fields)} publics)"),
        ("Anciens champs ignorés (avec avertissement)", ", ".join(f"`{k}`" for k in legacy_keys)),
    ]


def _cell(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def markdown(bases: list[Base]) -> str:
    out = ["# Dictionnaire des données", "",
           "Généré depuis le registre des schémas (`src/pop/schema/`) par `pop schema --markdown -o docs/data-model.md` ;",
           "ne pas modifier à la main : un test vérifie que ce fichier correspond au registre.", "",
           "Visibilité : *publique* (tous les canaux), *restreinte* (producteurs et administrateurs), *interne* "
           "(administrateurs). Obligatoire : *oui* bloque l'enregistrement si vide, *recommandé* donne un "
           "avertissement. Calculé : rempli par la plateforme, jamais lu en entrée.", ""]
    for base in bases:
        out += [f"- [{base.short_label}](#{base.slug})"]
    out.append("")
    for base in bases:
        out += [f'<a id="{base.slug}"></a>', "", f"## {base.short_label} — {base.label}", "", base.description, ""]
        out += [f"- **{k}** : {v}" for k, v in base_facts(base)]
        out += ["", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        for f in base.fields:
            row = list(field_row(f))
            row[0] = f"`{row[0]}`"
            out.append("| " + " | ".join(_cell(c) if i else c for i, c in enumerate(row)) + " |")
        out.append("")
    return "\n".join(out)


def text(bases: list[Base]) -> str:
    out = []
    short = COLUMNS[:-1]
    for base in bases:
        out += [f"{base.short_label} — {base.label} [{base.slug}]"]
        out += [f"  {k} : {v.replace('`', '')}" for k, v in base_facts(base)]
        rows = [field_row(f) for f in base.fields]
        widths = [max(len(short[i]), *(len(r[i]) for r in rows)) for i in range(len(short))]
        widths[10] = min(widths[10], 24)  # thesaurus references are long: cut in the text view
        out.append("  " + "  ".join(h.ljust(w) for h, w in zip(short, widths)).rstrip())
        for r in rows:
            cells = [c if i != 10 or len(c) <= 24 else c[:23] + "…" for i, c in enumerate(r[:-1])]
            out.append("  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
            if r[-1]:
                out.append(f"      aide : {r[-1]}")
        out.append("")
    return "\n".join(out)


class Command(BaseCommand):
    help = "Affiche le dictionnaire des données (tous les champs de chaque base) depuis le registre."

    def add_arguments(self, parser):
        parser.add_argument("base", nargs="?", help="une base (ex. merimee) ; toutes par défaut")
        parser.add_argument("--markdown", action="store_true", help="format Markdown (docs/data-model.md)")
        parser.add_argument("-o", "--output", help="écrire dans ce fichier au lieu de la sortie standard")

    def handle(self, *args, **options):
        try:
            bases = [registry.get(options["base"])] if options.get("base") else list(registry.bases())
        except UnknownBase as exc:
            raise CommandError(str(exc)) from None
        content = markdown(bases) if options["markdown"] else text(bases)
        if options.get("output"):
            Path(options["output"]).write_text(content, encoding="utf-8")
            self.stderr.write(f"Dictionnaire écrit dans {options['output']} ({len(bases)} base(s)).")
        else:
            self.stdout.write(content)
