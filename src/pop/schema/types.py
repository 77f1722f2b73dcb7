"""Building blocks of the schema registry: field types, visibility, sections, `Field` and `Base`.

A base definition (``pop.schema.bases.<slug>``) is a ``Base`` holding a tuple of ``Field``.
Everything that needs to know about fields (validation, forms, indexing, display, exports, API
field lists) reads these objects; nothing else lists field codes.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field as dc_field
from functools import cached_property


class T(str, enum.Enum):
    """Field value types. Multi-valued fields are the same types with ``multi=True``."""

    TEXT = "text"
    DATE = "date"          # free-text or ISO date; comparable through pop.schema.dates
    NUMBER = "number"
    GEOPOINT = "geopoint"  # {"lat": float, "lon": float}
    POLYGON = "polygon"    # {"type": "Polygon", "coordinates": [[lat, lon], ...]}
    URL = "url"            # absolute URL or object-storage key ({base}/{REF}/{file})
    EMAIL = "email"
    REF = "ref"            # REF of a record of another (or the same) base
    OBJECT = "object"      # structured computed values (HISTORIQUE, MEMOIRE)


class V(str, enum.Enum):
    """Who may see a field. Only PUBLIC fields ever leave through a public channel."""

    PUBLIC = "public"
    RESTRICTED = "restricted"   # producers of the record and administrators
    INTERNAL = "internal"       # administrators only (edit logs, internal notes)


class S(str, enum.Enum):
    """Display sections of the record page, in display order."""

    IDENTIFICATION = "identification"
    DESCRIPTION = "description"
    CREATION = "creation"
    HISTORY = "historique"
    LOCATION = "localisation"
    STATUS = "statut"
    SOURCES = "sources"
    MEDIA = "medias"
    LINKS = "liens"
    MANAGEMENT = "gestion"


SECTION_LABELS: dict[S, str] = {
    S.IDENTIFICATION: "Identification",
    S.DESCRIPTION: "Description",
    S.CREATION: "Conditions de création",
    S.HISTORY: "Historique",
    S.LOCATION: "Localisation",
    S.STATUS: "Statut juridique et protection",
    S.SOURCES: "Sources et références",
    S.MEDIA: "Images et documents",
    S.LINKS: "Notices liées",
    S.MANAGEMENT: "Informations de gestion",
}


@dataclass(frozen=True)
class Field:
    """One field of one base.

    ``links_to``: bases a REF value may point to (``("merimee", "palissy", "autor")`` for Mémoire
    LBASE; empty for non-link fields; ``("*",)`` for free references to any base).
    ``inverse_of``: ``(base, code)`` of the field this one mirrors; such a field is derived from the
    link table at read time and never stored nor taken from input.
    ``weight``: full-text weight in simple search (0 = not searched as text).
    ``facet``: name of the cross-base facet this field feeds (see ``pop.schema.groups``), or None.
    """

    code: str
    label: str
    type: T = T.TEXT
    multi: bool = False
    required: bool = False
    computed: bool = False
    help: str = ""
    thesaurus: str | None = None
    visibility: V = V.PUBLIC
    section: S = S.DESCRIPTION
    facet: str | None = None
    weight: float = 0.0
    deprecated: bool = False
    links_to: tuple[str, ...] = ()
    inverse_of: tuple[str, str] | None = None
    recommended: bool = False   # warn when empty
    max_length: int = 20_000
    choices: tuple[str, ...] = ()
    subfields: tuple[str, ...] = ()  # e.g. POP_COORDONNEES -> ("lat", "lon")
    label_variants: tuple[tuple[str, str], ...] = ()  # (context, label), e.g. ("INI-CM", "...")

    @property
    def is_link(self) -> bool:
        return self.type is T.REF

    @property
    def is_public(self) -> bool:
        return self.visibility is V.PUBLIC

    @property
    def settable(self) -> bool:
        """True when a client may send a value for this field."""
        return not self.computed and self.inverse_of is None


@dataclass(frozen=True)
class Base:
    """One of the 8 bases: identity, REF rules, display hints and its fields."""

    slug: str
    label: str                 # the BASE value, e.g. "Patrimoine architectural (Mérimée)"
    short_label: str           # "Mérimée"
    description: str
    ref_pattern: str
    ref_help: str
    producer_fallback: str
    fields: tuple[Field, ...]
    public_slug: str = ""
    title_fields: tuple[str, ...] = ("TICO",)
    subtitle_fields: tuple[str, ...] = ()
    image_fields: tuple[str, ...] = ()
    geolocated: bool = False
    rights_fields: tuple[str, ...] = ("COPY",)
    aliases: tuple[str, ...] = ()
    extra: dict = dc_field(default_factory=dict)

    def __post_init__(self):
        if not self.public_slug:
            object.__setattr__(self, "public_slug", self.slug)

    @cached_property
    def by_code(self) -> dict[str, Field]:
        return {f.code: f for f in self.fields}

    @cached_property
    def ref_regex(self) -> re.Pattern:
        return re.compile(self.ref_pattern)

    def field(self, code: str) -> Field | None:
        return self.by_code.get(code)

    def __getitem__(self, code: str) -> Field:
        return self.by_code[code]

    def __contains__(self, code: str) -> bool:
        return code in self.by_code

    @cached_property
    def public_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.is_public)

    @cached_property
    def link_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.is_link and f.inverse_of is None and f.links_to and f.links_to != ("import",))

    @cached_property
    def derived_link_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.inverse_of is not None)

    def visible_fields(self, level: V) -> tuple[Field, ...]:
        """Fields visible to an audience: PUBLIC sees public, RESTRICTED sees public+restricted, INTERNAL all."""
        order = {V.PUBLIC: 0, V.RESTRICTED: 1, V.INTERNAL: 2}
        return tuple(f for f in self.fields if order[f.visibility] <= order[level])


def F(code: str, label: str, type: T = T.TEXT, **kw) -> Field:  # noqa: A002 - mirrors the registry vocabulary
    """Short constructor used by the base definitions."""
    return Field(code=code, label=label, type=type, **kw)
