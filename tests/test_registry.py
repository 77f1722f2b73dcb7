"""The schema registry covers every field of POP's data dictionary."""
import json
from pathlib import Path

import pytest

from pop.schema import V, registry
from pop.schema.registry import UnknownBase

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "pop-fields.json"


def _reference():
    for candidate in (REFERENCE, Path(__file__).resolve().parents[3] / "shared" / "reference" / "pop-fields.json"):
        if candidate.exists():
            return json.loads(candidate.read_text())
    pytest.fail("pop-fields.json not found beside the repository (../shared/reference)")


def test_every_reference_field_is_declared():
    ref = _reference()
    total = 0
    for slug in registry.slugs():
        base = registry.get(slug)
        declared = set()
        for f in base.fields:
            declared.add(f.code)
            declared |= {f"{f.code}.{s}" for s in f.subfields}
        expected = {f["code"] for f in ref[slug]}
        assert expected <= declared, f"{slug}: missing {sorted(expected - declared)}"
        total += len(expected)
    assert total == 758


def test_bases_and_slugs():
    assert [b.slug for b in registry.bases()] == ["joconde", "merimee", "palissy", "memoire", "mnr", "museo", "enluminures", "autor"]
    assert registry.get("rose-valland") is registry.get("mnr")
    with pytest.raises(UnknownBase) as exc:
        registry.get("louvre")
    assert "Base inconnue" in str(exc.value)


@pytest.mark.parametrize("base,code,level", [
    ("joconde", "HISTORIQUE", V.INTERNAL), ("palissy", "ADRS2", V.RESTRICTED), ("palissy", "COM2", V.RESTRICTED),
    ("palissy", "EDIF2", V.RESTRICTED), ("palissy", "INSEE2", V.RESTRICTED), ("mnr", "SALLES", V.INTERNAL),
    ("mnr", "NET", V.INTERNAL), ("merimee", "TICO", V.PUBLIC),
])
def test_visibility(base, code, level):
    assert registry.get(base)[code].visibility is level


def test_every_field_has_a_french_label_and_section():
    for base, f in registry.all_fields():
        assert f.label and f.section, (base.slug, f.code)
