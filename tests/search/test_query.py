"""Simple search, facets, expert operators, pagination, visibility and bad input."""
from __future__ import annotations

import threading
from collections import Counter

import pytest

from pop.catalog import service
from pop.catalog.models import Record
from pop.search.interface import (OPERATORS, ExpertQuery, QueryError, SimpleQuery, facets, map_clusters, search,
                                  suggest, validate_expert)

DENOS = ["église", "château", "chapelle", "moulin"]
DEPTS = [("34", "Lunel"), ("30", "Nîmes"), ("69", "Lyon")]


@pytest.fixture
def corpus(db, sync):
    items = []
    for i in range(40):
        dpt, com = DEPTS[i % 3]
        items.append(("merimee", {"REF": f"PA{i:08d}", "TICO": f"{DENOS[i % 4].capitalize()} Saint-Étienne {i}",
                                  "DENO": [DENOS[i % 4]], "DPT": [dpt], "COM": [com], "SCLE": [f"{12 + i % 6}e siècle"],
                                  "AUTR": ["Viollet-le-Duc Eugène"] if i % 5 == 0 else []}))
    for i in range(12):
        items.append(("palissy", {"REF": f"PM{i:08d}", "TICO": f"Retable {i}", "DENO": ["retable"], "DPT": ["34"],
                                  "COM": ["Lunel"], "ADRS2": "12 rue Cachée", "AUTR": ["Corot Camille"] if i % 2 else []}))
    for i in range(6):
        items.append(("enluminures", {"REF": f"ENL-{i:04d}", "TITR": f"Psautier {i}", "DATDEB": str(1200 + i * 50),
                                      "DATFIN": str(1250 + i * 50)}))
    service.save_many(items, actor="test")
    sync()
    return items


def refs(result):
    return [h.ref for h in result.hits]


def expert(*rules, combinator="AND", **kw):
    return search(ExpertQuery(tree={"combinator": combinator, "rules": list(rules)}, size=200, **kw))


def test_text_is_accent_and_case_insensitive_with_stemming_phrases_and_exclusions(corpus):
    assert search(SimpleQuery(text="EGLISE")).total == 10
    assert search(SimpleQuery(text="églises")).total == 10          # French stemming
    assert search(SimpleQuery(text='"saint etienne"')).total == 40
    assert search(SimpleQuery(text="saint -eglise")).total == 30
    assert search(SimpleQuery(text="+chapelle +saint")).total == 10
    assert search(SimpleQuery(text="PA00000007", size=1)).hits[0].ref == "PA00000007"
    assert search(SimpleQuery(text="retabel")).total == 12            # one typo: fuzzy retry
    # titles weigh more than authors: a title match ranks first
    top = search(SimpleQuery(text="retable", size=1)).hits[0]
    assert top.base == "palissy" and top.doc["title"].startswith("Retable")


def test_facet_counts_match_the_database_and_exclude_their_own_selection(corpus):
    published = [r.data for r in Record.objects.filter(status="published")]
    expected_types = Counter(v for d in published for v in d.get("DENO", []))
    got = dict(search(SimpleQuery(facet_size=50)).facets["type"])
    assert got == dict(expected_types)
    # selecting a type: the type facet still counts every type (own selection excluded), others are filtered
    r = search(SimpleQuery(facets={"type": ["moulin"]}, facet_size=50))
    assert r.total == expected_types["moulin"] == 10
    assert dict(r.facets["type"]) == dict(expected_types)
    assert sum(n for _v, n in r.facets["base"]) == 10
    # values OR-ed within a facet, AND-ed across facets
    r = search(SimpleQuery(facets={"type": ["moulin", "église"], "lieu": ["Occitanie/Hérault"]}, facet_size=50))
    want = [d for d in published if set(d.get("DENO", [])) & {"moulin", "église"} and d.get("DPT") == ["34"]]
    assert r.total == len(want)
    # hierarchical place facet: regions, then the departments of the selected region
    r = search(SimpleQuery(facets={"lieu": ["Occitanie"]}, facet_size=50))
    lieu = dict(r.facets["lieu"])
    assert lieu["Occitanie"] == sum(1 for d in published if d.get("DPT") in (["34"], ["30"]))
    assert lieu["Auvergne-Rhône-Alpes"] == sum(1 for d in published if d.get("DPT") == ["69"])
    assert lieu["Occitanie/Hérault"] == sum(1 for d in published if d.get("DPT") == ["34"])
    # facet value search (substring, accent-insensitive) and base / image / geolocation facets
    r = search(SimpleQuery(facet_filter={"type": "EGL"}, facet_size=50))
    assert r.facets["type"] == [("église", 10)]
    assert dict(facets(SimpleQuery(bases=["palissy"])) ["base"])["Patrimoine mobilier (Palissy)"] == 12
    assert suggest("auteur", "vio") == ["Viollet-le-Duc Eugène"]
    assert "château" in suggest("DENO", "cha")


def test_filters_years_image_and_bases(corpus):
    assert search(SimpleQuery(bases=["enluminures"])).total == 6
    r = search(SimpleQuery(facets={"COM": ["Nîmes"], "DENO": ["moulin"]}))   # any public field filters
    assert r.total == sum(1 for i in range(40) if i % 3 == 1 and i % 4 == 3)
    assert dict(r.facets["DENO"])["moulin"] == r.total and "COM" not in r.facets
    # 12e siècle = 1100–1199: periods of Mérimée overlap the range
    r = search(SimpleQuery(year_min=1150, year_max=1180, bases=["merimee"]))
    assert r.total == sum(1 for i in range(40) if 12 + i % 6 == 12)
    assert search(SimpleQuery(has_image=True)).total == 0
    assert search(SimpleQuery(has_image=False)).total == 58
    with pytest.raises(QueryError) as e:
        search(SimpleQuery(bases=["nope"]))
    assert "Base inconnue" in e.value.message


@pytest.mark.parametrize("sort,order", [("ref", "asc"), ("title", "desc"), ("date", None), ("modified", None), ("relevance", None)])
def test_keyset_pagination_reaches_the_last_hit(corpus, sort, order):
    text = "saint" if sort == "relevance" else ""
    total = search(SimpleQuery(text=text, size=0)).total
    seen, after = [], None
    while True:
        r = search(SimpleQuery(text=text, sort=sort, order=order, size=7, search_after=after, with_facets=False))
        assert r.total == total
        seen += [(h.base, h.ref) for h in r.hits]
        if not r.next_search_after:
            break
        after = r.next_search_after
    assert len(seen) == total == len(set(seen))
    if sort == "ref":
        assert [ref for _b, ref in seen] == sorted(ref for _b, ref in seen)



def test_relevance_pages_past_the_offset_cap_reach_the_last_hit(corpus, monkeypatch):
    """Relevance has no keyset: past MAX_OFFSET the [score, rank] cursor pages by rank, to the very end,
    in the same order as one big page; a rank past the end gives an empty page, garbage a 400."""
    from pop.search import engine
    text = "saint"
    whole = search(SimpleQuery(text=text, size=200, with_facets=False))
    assert 20 < whole.total <= 200
    monkeypatch.setattr(engine, "MAX_OFFSET", 5)    # the deep path from the 6th hit on
    seen, after = [], None
    while True:
        r = search(SimpleQuery(text=text, size=4, search_after=after, with_facets=False))
        assert r.total == whole.total
        seen += [(h.base, h.ref) for h in r.hits]
        if not r.next_search_after:
            break
        after = r.next_search_after
    assert seen == [(h.base, h.ref) for h in whole.hits]
    past = search(SimpleQuery(text=text, size=4, search_after=[0.5, whole.total + 10], with_facets=False))
    assert past.hits == [] and past.total == whole.total and past.next_search_after is None
    for bad in ([1.0, -1], [1.0, 2**40], [1.0, "x"]):
        with pytest.raises(QueryError) as e:
            search(SimpleQuery(text=text, search_after=bad))
        assert e.value.code == "invalid_search_after"


def test_ref_starts_with_matches_the_database_whatever_the_prefix(corpus):
    """REF « ^ » (answered from the REF sort key for plain prefixes, by the prefix automaton
    otherwise) gives the records whose REF starts with the prefix, ignoring case and accents."""
    from pop.search.text import fold
    refs = list(Record.objects.filter(status=Record.PUBLISHED).values_list("base", "ref"))
    for prefix in ("P", "pa", "PA0000001", "PM00000011", "ENL-", "enl-000", "ZZ", " pa0000000 ", "PA 0", "É"):
        want = {(b, r) for b, r in refs if fold(r).startswith(fold(prefix.strip()))}
        got = expert({"field": "REF", "operator": "^", "value": prefix})
        assert {(h.base, h.ref) for h in got.hits} == want and got.total == len(want), prefix
    both = expert({"field": "REF", "operator": "^", "value": "PA"}, {"field": "DENO", "operator": "==", "value": "eglise"})
    assert both.total == 10 and all(h.ref.startswith("PA") for h in both.hits)

def test_expert_operators(corpus):
    assert len(OPERATORS) == 16
    assert expert({"field": "DENO", "operator": "==", "value": "Eglise"}).total == 10
    assert expert({"field": "DENO", "operator": "===", "value": "Eglise"}).total == 0
    assert expert({"field": "DENO", "operator": "===", "value": "église"}).total == 10
    assert expert({"field": "TICO", "operator": "^", "value": "chap"}).total == 10
    assert expert({"field": "TICO", "operator": "===^", "value": "chap"}).total == 0
    assert expert({"field": "TICO", "operator": "===^", "value": "Chap"}).total == 10
    assert expert({"field": "TICO", "operator": "*", "value": "ETIENNE 1"}).total == 11   # 1, 10–19
    assert expert({"field": "TICO", "operator": "*", "value": "ti"}).total == 40          # short needle
    assert expert({"field": "TICO", "operator": "===*", "value": "Étienne 2"}).total == 11
    assert expert({"field": "TICO", "operator": "===*", "value": "étienne 2"}).total == 0
    assert expert({"field": "TICO", "operator": "!*", "value": "étienne"}).total == 12 + 6  # palissy + no TICO
    assert expert({"field": "TICO", "operator": "!==*", "value": "Étienne"}).total == 18
    assert expert({"field": "DENO", "operator": "!=", "value": "eglise", "base": "merimee"}).total == 30
    assert expert({"field": "DENO", "operator": "!==", "value": "Eglise", "base": "merimee"}).total == 40
    assert expert({"field": "AUTR", "operator": "∃"}).total == 8 + 6
    assert expert({"field": "AUTR", "operator": "!∃", "base": "palissy"}).total == 6
    # numbers as numbers: "9" < "10" numerically, not as strings
    assert expert({"field": "DPT", "operator": ">", "value": "9"}).total == 52
    assert expert({"field": "DPT", "operator": "<", "value": "34"}).total == 13
    assert expert({"field": "DPT", "operator": "<=", "value": "34"}).total == 13 + 14 + 12
    assert expert({"field": "DPT", "operator": ">=", "value": "69"}).total == 13
    # dates as dates: year bounds on date fields, and full dates
    assert expert({"field": "DATDEB", "operator": ">=", "value": "1300"}).total == 4
    assert expert({"field": "DATDEB", "operator": "<", "value": "1300"}).total == 2
    assert expert({"field": "DATFIN", "operator": "<=", "value": "1350"}).total == 3
    year = int(Record.objects.first().data["DMIS"][:4])   # DMIS is computed: the day of the write
    assert expert({"field": "DMIS", "operator": ">=", "value": f"{year}-01-01"}).total == 58
    assert expert({"field": "DMIS", "operator": ">", "value": str(year - 1)}).total == 58
    assert expert({"field": "DMIS", "operator": "<", "value": f"01/01/{year}"}).total == 0
    assert expert({"field": "DMIS", "operator": ">", "value": str(year)}).total == 0


def test_expert_groups_nested_or_and_field_groups(corpus):
    r = expert({"field": "group:titre", "operator": "*", "value": "psautier"})
    assert r.total == 6 and {h.base for h in r.hits} == {"enluminures"}
    r = expert({"field": "group:titre", "operator": "^", "value": "retable", "base": "palissy"},
               {"combinator": "OR", "rules": [
                   {"field": "AUTR", "operator": "*", "value": "corot"},
                   {"combinator": "AND", "rules": [{"field": "REF", "operator": "==", "value": "PM00000004"},
                                                   {"field": "DPT", "operator": "==", "value": "34"}]}]})
    assert sorted(refs(r)) == ["PM00000001", "PM00000003", "PM00000004", "PM00000005", "PM00000007",
                               "PM00000009", "PM00000011"]
    # precedence: a OR (b AND c) is not (a OR b) AND c
    r = expert({"field": "DENO", "operator": "==", "value": "moulin"},
               {"combinator": "AND", "rules": [{"field": "DENO", "operator": "==", "value": "retable"},
                                               {"field": "AUTR", "operator": "∃"}]}, combinator="OR")
    assert r.total == 10 + 6
    r = search(ExpertQuery(tree={"combinator": "AND", "not": True, "rules": [{"field": "DPT", "operator": "==", "value": "34"}]},
                           bases=["merimee"]))
    assert r.total == 26


def test_map_clusters_and_bbox(db, sync):
    service.save_many([("museo", {"REF": f"M{i:04d}", "NOMOFF": f"Musée {i}", "VILLE_M": "Lyon",
                                  "POP_COORDONNEES": {"lat": 45.76 + i * 0.001, "lon": 4.83}}) for i in range(20)]
                      + [("museo", {"REF": f"M{100 + i:04d}", "NOMOFF": f"Musée {i}", "VILLE_M": "Lille",
                                    "POP_COORDONNEES": {"lat": 50.63, "lon": 3.06 + i * 0.001}}) for i in range(5)], actor="t")
    sync()
    m = map_clusters(SimpleQuery(), zoom=4)
    assert m["total"] == 25 and sorted(c["count"] for c in m["clusters"]) == [5, 20]
    lyon = max(m["clusters"], key=lambda c: c["count"])
    assert 45.76 <= lyon["lat"] <= 45.78 and abs(lyon["lon"] - 4.83) < 1e-6
    m = map_clusters(SimpleQuery(), bbox=(45, 4, 46, 5), zoom=12)
    assert m["total"] == 20 and len(m["records"]) == 20 and all(r["base"] == "museo" for r in m["records"])
    m = map_clusters(ExpertQuery(tree={"combinator": "AND", "rules": [{"field": "VILLE_M", "operator": "==", "value": "lille"}]}), zoom=4)
    assert m["total"] == 5
    assert search(SimpleQuery(bbox=(50, 3, 51, 4))).total == 5


def test_restricted_fields_are_neither_searchable_nor_returned(corpus):
    assert search(SimpleQuery(text="cachée")).total == 0
    hit = search(SimpleQuery(text="retable", size=1)).hits[0]
    assert "ADRS2" not in hit.doc and "POP_FLAGS" not in hit.doc
    assert not any("Cachée" in str(v) for v in hit.doc.values())
    with pytest.raises(QueryError) as e:
        expert({"field": "ADRS2", "operator": "*", "value": "rue"})
    assert e.value.code == "unknown_field" and "ADRS2" in e.value.message
    with pytest.raises(QueryError):
        search(SimpleQuery(facets={"ADRS2": ["12 rue Cachée"]}))


@pytest.mark.parametrize("query,code,words", [
    (SimpleQuery(size=1_000_000_000), "out_of_range", "size"),
    (SimpleQuery(offset=-1), "out_of_range", "from"),
    (SimpleQuery(size="abc"), "invalid_parameter", "entier"),
    (SimpleQuery(text='"phrase non fermée'), "syntax_error", "Guillemets"),
    (SimpleQuery(sort="popularity"), "unknown_sort", "Tri inconnu"),
    (SimpleQuery(sort="ref", search_after=["'; DROP TABLE"]), "invalid_search_after", "search_after"),
    (SimpleQuery(sort="relevance", text="x", search_after=["a", "b"]), "invalid_search_after", "search_after"),
    (SimpleQuery(facets={"NOPE": ["x"]}), "unknown_facet", "inconnu"),
    (SimpleQuery(bbox=(100, 0, 0, 0)), "invalid_parameter", "bbox"),
    (ExpertQuery(tree={"combinator": "XOR", "rules": []}), "unknown_combinator", "Combinateur"),
    (ExpertQuery(tree={"combinator": "AND", "rules": [{"field": "TICO", "operator": "LIKE", "value": "a"}]}), "unknown_operator", "Opérateur"),
    (ExpertQuery(tree={"combinator": "AND", "rules": [{"field": "TICO", "operator": ">", "value": "abc"}]}), "invalid_value", "nombre"),
    (ExpertQuery(tree={"combinator": "AND", "rules": [{"field": "TICO", "operator": "==", "value": ""}]}), "invalid_value", "vide"),
    (ExpertQuery(tree={"combinator": "AND", "rules": [{"field": "TICO", "operator": "==", "value": {"$ne": 1}}]}), "invalid_value", "invalide"),
    (ExpertQuery(tree={"combinator": "AND", "rules": [{"field": "TICO", "operator": "==", "value": "x", "base": "nope"}]}), "unknown_base", "Base"),
    (ExpertQuery(tree={"combinator": "AND", "rules": ["TICO:x"]}), "invalid_tree", "objet"),
])
def test_bad_queries_raise_query_error_in_french(corpus, query, code, words):
    with pytest.raises(QueryError) as e:
        search(query)
    assert e.value.code == code
    assert words.lower() in e.value.message.lower()


def test_expert_tree_bounds(db):
    deep = {"field": "TICO", "operator": "==", "value": "a"}
    for _ in range(12):
        deep = {"combinator": "AND", "rules": [deep]}
    with pytest.raises(QueryError) as e:
        validate_expert(deep)
    assert e.value.code == "too_deep" and "imbriquée" in e.value.message
    wide = {"combinator": "OR", "rules": [{"field": "TICO", "operator": "==", "value": str(i)} for i in range(100)]}
    with pytest.raises(QueryError) as e:
        validate_expert(wide)
    assert e.value.code == "too_many_rules"
    assert validate_expert({"combinator": "AND", "rules": [{"field": "group:titre", "operator": "*", "value": "a"}]}).tree


def test_home_facets_of_a_large_index_are_refreshed_in_the_background_after_a_write(corpus, sync, monkeypatch):
    from pop.search import engine
    monkeypatch.setattr(engine, "STALE_FACETS_FROM", 0)   # the corpus stands for a large index
    before = dict(facets(SimpleQuery(facet_size=50))["type"])
    service.save_many([("merimee", {"REF": "PA99999999", "TICO": "Moulin neuf", "DENO": ["moulin"]})], actor="test")
    sync()
    served = dict(facets(SimpleQuery(facet_size=50))["type"])   # previous counts, while the new ones are computed
    assert served == before
    for t in list(threading.enumerate()):
        if t.name == "pop-facets-refresh":
            t.join(10)
    after = dict(facets(SimpleQuery(facet_size=50))["type"])
    assert after["moulin"] == before["moulin"] + 1
    # filtered facets never lag
    assert dict(facets(SimpleQuery(bases=["merimee"], facet_size=50))["type"])["moulin"] == before["moulin"] + 1


def test_unfiltered_pages_follow_every_write(corpus, sync):
    """The first pages of "everything" (the home page) are kept until the next sync: a record saved,
    changed or deleted shows on them as soon as the index has it."""
    first = search(SimpleQuery(size=5))
    assert refs(first) == ["ENL-0000", "ENL-0001", "ENL-0002", "ENL-0003", "ENL-0004"]  # REF order
    assert search(SimpleQuery(size=5)).total == first.total == len(corpus)
    service.save("enluminures", {"REF": "ENL-0000", "TITR": "Psautier revu"}, actor="test")
    service.save_many([("enluminures", {"REF": "AAA-0001", "TITR": "Bréviaire"})], actor="test")
    sync()
    again = search(SimpleQuery(size=5))
    assert refs(again) == ["AAA-0001", "ENL-0000", "ENL-0001", "ENL-0002", "ENL-0003"]
    assert again.total == len(corpus) + 1
    assert again.hits[1].doc["title"] == "Psautier revu"
    service.delete("enluminures", "AAA-0001", actor="test")
    sync()
    assert refs(search(SimpleQuery(size=5, offset=1))) == ["ENL-0001", "ENL-0002", "ENL-0003", "ENL-0004", "ENL-0005"]
    assert search(SimpleQuery(size=5)).total == len(corpus)
