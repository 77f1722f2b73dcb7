"""Derived link fields read from the link table: all of them, or only those a channel needs."""
from __future__ import annotations

from pop.catalog.models import Record
from pop.catalog.reading import derived_links


def test_derived_links_can_be_limited_to_the_fields_a_channel_needs(sample_graph):
    monument = Record.objects.get(base="merimee", ref="PA00078014")
    obj = Record.objects.get(base="palissy", ref="PM34000001")
    every = derived_links([monument, obj])
    assert every[monument.id]["REFO"] == ["PM34000001"]
    assert [e["ref"] for e in every[monument.id]["MEMOIRE"]] == ["AP34R000001"]
    images_only = derived_links([monument, obj], only={"merimee": frozenset({"MEMOIRE"})})
    assert images_only == {monument.id: {"MEMOIRE": every[monument.id]["MEMOIRE"]}}
    assert derived_links([monument], only={"merimee": frozenset({"REFO"})})[monument.id] == {"REFO": ["PM34000001"]}
    assert derived_links([monument, obj], only={}) == {}
