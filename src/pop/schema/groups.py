"""Cross-base groupings declared once: facets, expert-search field groups and the search core.

Facet membership of a field is declared on the field itself (``Field.facet``); this module names
the facets and the cross-base field groups, and resolves them against each base's definition.
"""
from __future__ import annotations

from dataclasses import dataclass

from pop.schema.registry import registry
from pop.schema.types import Base, T, V


@dataclass(frozen=True)
class Facet:
    name: str          # URL/API id
    label: str         # French label
    kind: str = "terms"  # terms | hierarchy | boolean | base | producer


# Facets of simple search, in display order. "terms" facets collect the fields whose
# ``Field.facet`` names them; the others are computed by the search core.
FACETS: tuple[Facet, ...] = (
    Facet("base", "Base", "base"),
    Facet("domaine", "Domaine"),
    Facet("auteur", "Auteur"),
    Facet("lieu", "Localisation", "hierarchy"),
    Facet("periode", "Période"),
    Facet("type", "Dénomination / type"),
    Facet("technique", "Techniques"),
    Facet("producteur", "Producteur", "producer"),
    Facet("museo", "Musée"),
    Facet("image", "Contient une image", "boolean"),
    Facet("geolocalisation", "Est géolocalisée", "boolean"),
    Facet("manquant", "Objets manquants ou volés"),
)
FACETS_BY_NAME = {f.name: f for f in FACETS}


def facet_fields(facet: str, base: Base) -> tuple[str, ...]:
    """Public field codes of ``base`` feeding a terms facet."""
    return tuple(f.code for f in base.fields if f.facet == facet and f.visibility is V.PUBLIC)


@dataclass(frozen=True)
class FieldGroup:
    """A named set of field codes for expert search ("Titre" = TICO, TITR, TITRE… of every base)."""

    key: str
    label: str
    codes: tuple[str, ...]

    def codes_for(self, base: Base) -> tuple[str, ...]:
        return tuple(c for c in self.codes if c in base and base[c].visibility is V.PUBLIC)


CROSS_BASE_GROUPS: tuple[FieldGroup, ...] = (
    FieldGroup("titre", "Titre", ("TICO", "TITR", "TITRE", "LEG", "SUJET", "NOMOFF", "NOMUSAGE", "NOMPRENOM", "EDIF", "APPL")),
    FieldGroup("auteur", "Auteur", ("AUTR", "AUTP", "AUTOEU", "AUTOR", "ATTRIB", "NOMPRENOM")),
    FieldGroup("denomination", "Dénomination", ("DENO", "OBJT", "PDEN", "TYPDOC")),
    FieldGroup("domaine", "Domaine", ("DOMN", "DOM", "DOMPAL", "NOMENC", "CATE")),
    FieldGroup("technique", "Techniques", ("TECH", "TECHN", "MATR")),
    FieldGroup("periode", "Période", ("PERI", "SCLE", "EPOQ", "DATE", "DATOEU", "DATPV", "DATES")),
    FieldGroup("region", "Région", ("REG", "REGION")),
    FieldGroup("departement", "Département", ("DPT", "DPT_LETTRE")),
    FieldGroup("commune", "Commune", ("COM", "VILLE_M", "LOCA")),
    FieldGroup("description", "Description", ("DESC", "HIST", "BIO", "NOTES", "NOTDEC")),
    FieldGroup("reference", "Référence", ("REF",)),
    FieldGroup("inventaire", "Numéro d'inventaire", ("INV",)),
    FieldGroup("producteur", "Producteur", ("PRODUCTEUR",)),
    FieldGroup("musee", "Musée (code Muséofile)", ("MUSEO",)),
)
GROUPS_BY_KEY = {g.key: g for g in CROSS_BASE_GROUPS}


def searchable_fields(base: Base) -> tuple[tuple[str, float], ...]:
    """(code, weight) of the public fields searched as full text, strongest first."""
    out = [(f.code, f.weight) for f in base.fields if f.weight > 0 and f.visibility is V.PUBLIC]
    return tuple(sorted(out, key=lambda cw: -cw[1]))


def expert_fields(base: Base):
    """Public, non-deprecated, queryable fields of a base for the expert builder."""
    return tuple(f for f in base.fields
                 if f.visibility is V.PUBLIC and not f.deprecated and f.type not in (T.OBJECT, T.POLYGON))


def all_bases():
    return registry.bases()
