"""Loads the 8 base definitions and answers look-ups by slug, public slug or alias."""
from __future__ import annotations

from importlib import import_module

from pop.schema.types import Base, Field, V

BASE_ORDER = ("joconde", "merimee", "palissy", "memoire", "mnr", "museo", "enluminures", "autor")


class UnknownBase(LookupError):
    def __init__(self, name: str):
        super().__init__(f"Base inconnue : « {name} ». Bases disponibles : {', '.join(registry.public_slugs())}.")
        self.name = name


class Registry:
    def __init__(self) -> None:
        self._bases: dict[str, Base] = {}
        self._lookup: dict[str, Base] = {}
        for slug in BASE_ORDER:
            base: Base = import_module(f"pop.schema.bases.{slug}").BASE
            self._bases[slug] = base
            for name in (base.slug, base.public_slug, *base.aliases):
                self._lookup[name] = base

    def bases(self) -> tuple[Base, ...]:
        return tuple(self._bases.values())

    def slugs(self) -> tuple[str, ...]:
        return tuple(self._bases)

    def public_slugs(self) -> tuple[str, ...]:
        return tuple(b.public_slug for b in self._bases.values())

    def get(self, name: str) -> Base:
        """Base by slug, public slug or alias (case-insensitive); raises UnknownBase."""
        base = self._lookup.get((name or "").strip().lower())
        if base is None:
            raise UnknownBase(name)
        return base

    def find(self, name: str) -> Base | None:
        return self._lookup.get((name or "").strip().lower())

    def by_label(self, label: str) -> Base | None:
        for b in self._bases.values():
            if b.label == label:
                return b
        return None

    def field(self, base: str, code: str) -> Field | None:
        return self.get(base).field(code)

    def all_fields(self):
        """Yields (base, field) for every field of every base, in registry order."""
        for base in self._bases.values():
            for f in base.fields:
                yield base, f

    def inverse_fields(self, base: str, code: str) -> list[tuple[Base, Field]]:
        """Derived fields that mirror (base, code), e.g. ('palissy','REFA') -> [(merimee, REFO)]."""
        return [(b, f) for b, f in self.all_fields() if f.inverse_of == (base, code)]

    def visibility(self, base: str, code: str) -> V | None:
        f = self.field(base, code)
        return f.visibility if f else None


registry = Registry()
