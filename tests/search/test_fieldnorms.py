"""Field lengths ("fieldnorms") are recorded only where relevance uses them: a rebuilt index is
smaller, and every score is the one an index recording every field length gives."""
from __future__ import annotations

import json
from pathlib import Path

import tantivy

from pop.catalog import service
from pop.catalog.models import Record
from pop.search import engine, expert as X
from pop.search import schema as S
from pop.search import store
from pop.search.interface import ExpertQuery, SimpleQuery, search
from pop.search.text import analyzers

from .test_query import corpus  # noqa: F401 - the shared corpus fixture

EXTRA = [
    ("merimee", {"REF": "PA90000001", "TICO": "Dolmen", "DENO": ["dolmen"]}),
    ("merimee", {"REF": "PA90000002", "TICO": "Dolmen de la lande, dit la pierre levée du chemin creux",
                 "DENO": ["dolmen", "menhir", "allée couverte"]}),
    ("merimee", {"REF": "PA90000003", "TICO": "Croix", "HIST": "Élevée près du dolmen", "DENO": ["croix"]}),
]


def _fieldnorm_bytes(gen: Path) -> int:
    return sum(p.stat().st_size for p in gen.glob("*.fieldnorm"))


def _reference_index(path: Path) -> tantivy.Index:
    """The same documents in an index with Tantivy's defaults (every field length recorded)."""
    path.mkdir()
    index = tantivy.Index(S._full_schema(), path=str(path))
    for name, analyzer in analyzers().items():
        index.register_tokenizer(name, analyzer)
    w = index.writer(50_000_000, 1)
    for doc in store.json_docs(list(Record.objects.filter(status=Record.PUBLISHED).order_by("seq"))):
        w.add_json(doc)
    w.commit()
    w.wait_merging_threads()
    index.reload()
    return index


def _ranked(index: tantivy.Index, q: tantivy.Query) -> list[tuple[float, str]]:
    s = index.searcher()
    return sorted(((-score, s.doc(addr)["key"][0]) for score, addr in s.search(q, 500).hits))


def test_rebuilt_index_drops_unused_field_lengths_and_keeps_every_score(corpus, tmp_path):  # noqa: F811
    service.save_many(EXTRA, actor="test")
    store.rebuild()
    gen = store.current_gen()
    ref = _reference_index(tmp_path / "reference")
    ours = store.open_index(gen)
    assert ours.searcher().num_docs == ref.searcher().num_docs == 61

    texts = ["dolmen", "saint étienne", "chapelle", "PA00000003", '"saint étienne" -moulin', "lande creux"]
    rules = [{"field": "DENO", "operator": "==", "value": "dolmen"},
             {"field": "DENO", "operator": "===", "value": "église"},
             {"field": "TICO", "operator": "==", "value": "dolmen"},
             {"field": "REF", "operator": "==", "value": "PA00000003"},
             {"field": "REF", "operator": "===", "value": "PM00000004"},
             {"field": "AUTR", "operator": "∃"},
             {"field": "TICO", "operator": "*", "value": "étienne"},
             {"field": "TICO", "operator": "^", "value": "chap"},
             {"field": "DENO", "operator": "!=", "value": "eglise", "base": "merimee"},
             {"field": "group:titre", "operator": "*", "value": "psautier"}]
    queries = [engine.text_query(t)[0] for t in texts] + [X.compile_tree({"combinator": "AND", "rules": [r]}) for r in rules]
    queries.append(X.compile_tree({"combinator": "OR", "rules": rules[:3]}))
    for q in queries:
        got = _ranked(ours, q)
        assert got and got == _ranked(ref, q), q
    # where field lengths are still recorded, and the space saved
    fields = json.loads((gen / "meta.json").read_text())["schema"]
    kept = {f["name"] for f in fields if (f["options"].get("indexing") or {}).get("fieldnorms")}
    assert {"g", "has", "x_DENO", "s_DENO"} | {S.weight_field(w) for w in S.weights()} <= kept
    assert not kept & {"key", "base", "x_REF", "s_REF", "x_TICO", "s_TICO", "f_base", "o_title"}
    assert _fieldnorm_bytes(gen) * 2 < _fieldnorm_bytes(tmp_path / "reference")


def test_relevance_still_weighs_fields_and_lengths(corpus):  # noqa: F811
    service.save_many(EXTRA, actor="test")
    store.sync()
    hits = search(SimpleQuery(text="dolmen", size=10)).hits
    # title (weight 10) before description (weight 2); the short title before the long one
    assert [h.ref for h in hits] == ["PA90000001", "PA90000002", "PA90000003"]
    assert hits[0].score > hits[1].score > hits[2].score
    # expert ==, relevance order: the record with one denomination before the one with three
    r = search(ExpertQuery(tree={"combinator": "AND", "rules": [{"field": "DENO", "operator": "==", "value": "dolmen"}]}))
    assert [h.ref for h in r.hits] == ["PA90000001", "PA90000002"] and r.hits[0].score > r.hits[1].score
