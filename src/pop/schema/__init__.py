"""The schema registry: one declarative definition per base, and the cross-base groups.

    from pop.schema import registry
    base = registry.get("rose-valland")     # slug, public slug or alias
    base["TICO"].label                       # "Titre courant"
    registry.bases()                         # the 8 bases in display order
"""
from pop.schema.registry import registry  # noqa: F401
from pop.schema.types import Base, Field, S, SECTION_LABELS, T, V  # noqa: F401
