"""Index layout choices that save indexing work keep every operator exact."""
from __future__ import annotations

from collections import Counter

from pop.catalog.models import Record
from pop.schema import registry

from .test_query import corpus, expert  # noqa: F401 - the shared corpus fixture


def test_contains_on_closed_vocabulary_codes_without_trigrams(corpus):  # noqa: F811
    counts = {b: Record.objects.filter(base=b, status="published").count() for b in ("merimee", "palissy", "enluminures")}
    mer = registry.get("merimee").label          # "Patrimoine architectural (Mérimée)"
    assert expert({"field": "BASE", "operator": "*", "value": "MERIMEE"}).total == counts["merimee"]
    assert expert({"field": "BASE", "operator": "*", "value": "patrimoine   architectural"}).total == counts["merimee"]
    assert expert({"field": "BASE", "operator": "*", "value": "ri"}).total == sum(
        n for b, n in counts.items() if "ri" in registry.get(b).label.lower())
    assert expert({"field": "BASE", "operator": "!*", "value": "mérimée"}).total == counts["palissy"] + counts["enluminures"]
    assert expert({"field": "BASE", "operator": "===*", "value": mer[10:20]}).total == counts["merimee"]
    assert expert({"field": "BASE", "operator": "===*", "value": mer[10:20].upper()}).total == 0
    assert expert({"field": "BASE", "operator": "!==*", "value": "(Mérimée)"}).total == counts["palissy"] + counts["enluminures"]
    day = Record.objects.filter(status="published").first().data["DMIS"]
    assert expert({"field": "DMIS", "operator": "*", "value": day[5:]}).total == sum(counts.values())
    assert expert({"field": "DMAJ", "operator": "*", "value": "1899-"}).total == 0
    assert expert({"field": "CONTIENT_IMAGE", "operator": "*", "value": "no"}).total == sum(counts.values())
    producers = Counter(r.data.get("PRODUCTEUR") for r in Record.objects.filter(status="published"))
    name, n = producers.most_common(1)[0]
    assert expert({"field": "PRODUCTEUR", "operator": "*", "value": name[1:-1].lower()}).total >= n
