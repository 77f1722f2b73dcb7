"""GET /api/search/simple and /api/search/facets against an index built by the engine's sync."""
from __future__ import annotations

import pytest

from pop.catalog import service
from pop.catalog.models import Record
from pop.catalog.reading import public_record
from pop.schema import registry
from pop.search import store

from .conftest import restricted_codes, secret_strings

pytestmark = pytest.mark.django_db


def published() -> set[tuple[str, str]]:
    return set(Record.objects.filter(status=Record.PUBLISHED).values_list("base", "ref"))


def get(client, url, status=200):
    r = client.get(url)
    assert r.status_code == status, (url, r.content[:500])
    assert r["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in r
    return r.json()


def check_envelope(data):
    assert set(data) == {"took", "timed_out", "total", "hits", "aggregations"}
    assert isinstance(data["took"], int) and data["timed_out"] is False
    assert type(data["total"]) is int and data["total"] >= len(data["hits"])
    for h in data["hits"]:
        assert set(h) == {"_index", "_id", "_score", "_source", "sort"}
        base = registry.get(h["_index"])
        assert h["_index"] == base.slug
        src = h["_source"]
        assert src["REF"] == h["_id"] and src["BASE"] == base.label
        assert isinstance(src["authors"], list) and all(isinstance(a, str) for a in src["authors"])
        assert isinstance(h["sort"], list) and h["sort"]
        assert set(src) - {"authors", "POP_COORDONNEES"} <= {f.code for f in base.public_fields}
        if "POP_COORDONNEES" in src:
            assert set(src["POP_COORDONNEES"]) == {"lat", "lon"}
            assert all(isinstance(v, float) for v in src["POP_COORDONNEES"].values())
    for key, agg in data["aggregations"].items():
        assert key.endswith(".keyword") and set(agg) == {"buckets"}
        for b in agg["buckets"]:
            assert set(b) == {"key", "doc_count"} and isinstance(b["key"], str) and type(b["doc_count"]) is int
    return data


def test_simple_envelope_and_total(client, indexed):
    data = check_envelope(get(client, "/api/search/simple"))
    assert data["total"] == len(published()) and len(data["hits"]) == 10
    bases = {b["key"]: b["doc_count"] for b in data["aggregations"]["BASE.keyword"]["buckets"]}
    assert bases == {registry.get(b).label: n for b, n in
                     __import__("collections").Counter(base for base, _ in published()).items()}


def test_source_keeps_native_shapes_authors_and_coordinates(client, indexed):
    hits = {h["_id"]: h["_source"] for h in get(client, "/api/search/simple?size=100")["hits"]}
    assert hits["000PE001028"]["AUTR"] == ["Corot Jean-Baptiste Camille"]
    assert hits["000PE001028"]["authors"] == ["Corot Jean-Baptiste Camille"]
    assert hits["AP34R000001"]["IMG"] == "memoire/AP34R000001/vue.jpg"  # Mémoire IMG stays a string
    point = hits["PA00078014"]["POP_COORDONNEES"]
    assert point == public_record("merimee", "PA00078014")["POP_COORDONNEES"]
    assert 43 < point["lat"] < 44 and 4 < point["lon"] < 5
    assert hits["D-000001"]["authors"] == ["Maître de Bedford"]
    # a hit's _source is the notice route's record plus "authors"
    for ref, src in hits.items():
        base = next(b for b, r in published() if r == ref)
        assert {k: v for k, v in src.items() if k != "authors"} == public_record(base, ref)


def test_restricted_fields_neither_returned_nor_searchable(client, indexed):
    for url in ("/api/search/simple?size=100", "/api/search/facets?facet_size=500", "/api/search/map?zoom=10",
                "/api/search/advanced-fields/diffusion"):
        body = client.get(url).content.decode()
        assert "HISTORIQUE" not in body
        for secret in secret_strings():
            assert secret not in body, (url, secret)
    for h in get(client, "/api/search/simple?size=100")["hits"]:
        assert not restricted_codes(h["_index"]) & set(h["_source"])
    for word in ("Cachéville", "propriétaire", "secrète", "agent.secret@culture.gouv.fr"):
        assert get(client, f"/api/search/simple?text={word}")["total"] == 0, word
    r = client.get("/api/search/simple?facets[ADRS2][0]=12%20rue%20du%20Secret")
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_field"


def test_text_and_bases(client, indexed):
    data = get(client, "/api/search/simple?text=ch%C3%A2teau")
    assert data["hits"][0]["_id"] == "PA00078014"
    data = get(client, "/api/search/simple?text=CHATEAU+lunel")  # case and accent insensitive
    assert data["hits"][0]["_id"] == "PA00078014"
    for qs in ("bases[0]=rose-valland", "bases[0]=mnr", "facets[base][0]=mnr", "bases=rose-valland"):
        data = get(client, f"/api/search/simple?{qs}")
        assert [(h["_index"], h["_id"]) for h in data["hits"]] == [("mnr", "AEG00001")] and data["total"] == 1
    data = get(client, "/api/search/simple?bases[0]=merimee&bases[1]=palissy&size=50")
    assert {(h["_index"], h["_id"]) for h in data["hits"]} == {k for k in published() if k[0] in ("merimee", "palissy")}


def test_facet_filters_and_bucket_round_trip(client, indexed):
    data = get(client, "/api/search/simple?facets[DOMN][0]=peinture")
    assert {h["_id"] for h in data["hits"]} == {"000PE001028", "AEG00001"}
    buckets = {b["key"]: b["doc_count"] for b in data["aggregations"]["DOMN.keyword"]["buckets"]}
    assert buckets["peinture"] == 2
    # values OR-ed within a field, AND-ed across fields
    data = get(client, "/api/search/simple?facets[DENO][0]=ch%C3%A2teau&facets[DENO][1]=%C3%A9glise")
    assert {h["_id"] for h in data["hits"]} == {"PA00078014", "PA00078015"}
    data = get(client, "/api/search/simple?facets[DENO][0]=ch%C3%A2teau&facets[DENO][1]=%C3%A9glise&facets[BASE.keyword][0]="
                       "Patrimoine%20architectural%20(M%C3%A9rim%C3%A9e)&facets[DENO.keyword][2]=commode")
    assert {h["_id"] for h in data["hits"]} == {"PA00078014", "PA00078015"}
    # counts of a facet ignore its own selection
    buckets = {b["key"]: b["doc_count"] for b in data["aggregations"]["DENO.keyword"]["buckets"]}
    assert buckets["château"] == 1 and buckets["église"] == 1


def test_has_image_and_has_coordinates(client, indexed):
    views = {(b, r): public_record(b, r) for b, r in published()}
    data = get(client, "/api/search/simple?filters[hasImage]=true&size=50")
    assert {(h["_index"], h["_id"]) for h in data["hits"]} == {k for k, v in views.items() if v.get("CONTIENT_IMAGE") == "oui"}
    data = get(client, "/api/search/simple?filters[hasCoordinates]=true&geo=true&size=50")
    expected = {k for k, v in views.items() if v.get("POP_COORDONNEES")}
    assert expected and {(h["_index"], h["_id"]) for h in data["hits"]} == expected
    assert all("POP_COORDONNEES" in h["_source"] for h in data["hits"])


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sort_by_ref(client, indexed, order):
    data = get(client, f"/api/search/simple?sort[0][REF.keyword]={order}&size=50")
    refs = [h["_id"] for h in data["hits"]]
    assert refs == sorted(refs, key=str.lower, reverse=order == "desc") and len(refs) == len(published())


def test_sort_by_title(client, indexed):
    data = get(client, "/api/search/simple?bases[0]=merimee&bases[1]=palissy&sort[0][TICO.keyword]=asc")
    titles = [h["_source"]["TICO"] for h in data["hits"]]
    assert titles == ["Château de Lunel", "Commode Louis XV", "Église Notre-Dame", "Retable du maître-autel"]


def test_pop_client_loop_with_from(client, indexed):
    """A POP client pages with ``from`` until ``offset >= total`` and gets every record exactly once."""
    service.delete("merimee", "PA00078015", actor="test")  # tombstones are not results
    store.sync()
    collected, offset, total = [], 0, None
    while total is None or offset < int(total):
        data = get(client, f"/api/search/simple?from={offset}&size=3")
        total = data["total"]
        collected += [(h["_index"], h["_id"]) for h in data["hits"]]
        offset += 3
    assert len(collected) == len(set(collected)) == total
    assert set(collected) == published()
    assert ("merimee", "PA00078015") not in collected


@pytest.mark.parametrize("text", ["", "lunel"])
def test_search_after_loop(client, indexed, text):
    """Keyset pagination: send back the last hit's ``sort`` as ``search_after[i]``."""
    sort = "sort[0][REF.keyword]=asc" if not text else "sort[0][_score]=desc"
    seen, after = [], ""
    for _ in range(20):
        data = get(client, f"/api/search/simple?text={text}&{sort}&size=2{after}")
        if not data["hits"]:
            break
        seen += [(h["_index"], h["_id"]) for h in data["hits"]]
        last = data["hits"][-1]["sort"]
        after = "".join(f"&search_after[{i}]={v}" for i, v in enumerate(last))
    expected = published() if not text else {(h["_index"], h["_id"]) for h in
                                              get(client, f"/api/search/simple?text={text}&size=50")["hits"]}
    assert len(seen) == len(set(seen)) and set(seen) == expected



def test_relevance_cursor_past_the_end_gives_an_empty_page(client, indexed):
    """Relevance cursors have no depth cap: a rank past the last result is an empty page, not an error."""
    total = get(client, "/api/search/simple?text=lunel&size=0")["total"]
    data = get(client, "/api/search/simple?text=lunel&search_after[0]=1.5&search_after[1]=99999999")
    assert total > 0 and data["total"] == total and data["hits"] == []

def test_facets_route(client, indexed):
    data = get(client, "/api/search/facets?facets[DOMN][0]=peinture")
    assert set(data) == {"total", "aggregations"} and data["total"] == 2
    check_envelope({"took": 0, "timed_out": False, "total": data["total"], "hits": [], "aggregations": data["aggregations"]})
    assert {b["key"] for b in data["aggregations"]["AUTR.keyword"]["buckets"]} == {"Corot Jean-Baptiste Camille",
                                                                                  "Ruisdael Jacob van"}
    # facet values searchable by substring, accent-insensitive
    data = get(client, "/api/search/facets?facet_search[AUTR]=ruisda%C3%ABl")
    assert [b["key"] for b in data["aggregations"]["AUTR.keyword"]["buckets"]] == ["Ruisdael Jacob van"]
    assert get(client, "/api/search/simple?size=0")["hits"] == []


def test_new_record_appears_after_sync(client, indexed):
    service.save("merimee", {"REF": "PA00078099", "TICO": "Moulin à vent", "DPT": ["34"], "INSEE": ["34145"]}, actor="t")
    store.sync()
    data = get(client, "/api/search/simple?text=moulin")
    assert [h["_id"] for h in data["hits"]] == ["PA00078099"]


def test_place_hierarchy_facet(client, indexed):
    data = get(client, "/api/search/simple?facets[LIEU][0]=Occitanie&size=50")
    in_herault = {(b, r) for b, r in published() if (public_record(b, r).get("DPT") or [None])[0] == "34"}
    assert in_herault and {(h["_index"], h["_id"]) for h in data["hits"]} == in_herault
    keys = {b["key"]: b["doc_count"] for b in data["aggregations"]["LIEU.keyword"]["buckets"]}
    assert keys["Occitanie"] == len(in_herault)
    assert keys["Occitanie/Hérault"] == len(in_herault)  # children of the selected region
    data = get(client, "/api/search/simple?facets[LIEU][0]=Occitanie/H%C3%A9rault&size=50")
    assert {(h["_index"], h["_id"]) for h in data["hits"]} == in_herault
