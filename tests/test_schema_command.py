"""``pop schema``: the data dictionary comes from the registry, and the committed docs/data-model.md
is exactly what the command prints (regenerate with ``pop schema --markdown -o docs/data-model.md``)."""
from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from pop.schema import registry

DOC = Path(__file__).resolve().parents[1] / "docs" / "data-model.md"


def run(*args, **kw) -> str:
    out = StringIO()
    call_command("schema", *args, stdout=out, **kw)
    return out.getvalue()


def test_committed_data_dictionary_is_up_to_date():
    assert DOC.exists(), "docs/data-model.md is missing: pop schema --markdown -o docs/data-model.md"
    assert DOC.read_text(encoding="utf-8") == run(markdown=True), (
        "docs/data-model.md differs from the registry: regenerate it with `pop schema --markdown -o docs/data-model.md`")


def test_markdown_lists_every_field_of_every_base_once():
    text = run(markdown=True)
    for base in registry.bases():
        section = text.split(f'<a id="{base.slug}"></a>', 1)[1].split("<a id=", 1)[0]
        rows = [line for line in section.splitlines() if line.startswith("| `")]
        assert [r.split("`")[1] for r in rows] == [f.code for f in base.fields]
    palissy = text.split('<a id="palissy"></a>', 1)[1].split("<a id=", 1)[0]
    adrs2 = next(line for line in palissy.splitlines() if line.startswith("| `ADRS2`"))
    assert "| restreinte |" in adrs2
    refa = next(line for line in palissy.splitlines() if line.startswith("| `REFA`"))
    assert "| référence → merimee |" in refa


def test_text_for_one_base_and_unknown_base(tmp_path):
    text = run("rose-valland")
    assert text.startswith("Rose-Valland (MNR)")
    assert "Joconde" not in text.splitlines()[0]
    assert all(f.code in text for f in registry.get("mnr").fields)
    with pytest.raises(CommandError, match="Base inconnue : « louvre »"):
        run("louvre")
    target = tmp_path / "dico.md"
    call_command("schema", "museo", markdown=True, output=str(target), stderr=StringIO())
    assert target.read_text(encoding="utf-8") == run("museo", markdown=True)
