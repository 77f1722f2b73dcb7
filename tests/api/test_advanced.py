"""POST /api/search/advanced: POP's flat body and nested groups, CORS preflight, CSRF exemption."""
from __future__ import annotations

import json

import pytest
from django.test import Client

from .conftest import secret_strings
from .test_search import check_envelope, published

pytestmark = pytest.mark.django_db


def post(client, body, status=200, url="/api/search/advanced"):
    r = client.post(url, data=json.dumps(body) if not isinstance(body, (bytes, str)) else body,
                    content_type="application/json")
    assert r.status_code == status, r.content[:500]
    assert r["Access-Control-Allow-Origin"] == "*"
    return r.json()


def ids(data):
    return {h["_id"] for h in data["hits"]}


def rule(fields, op, value=None, base=None, **kw):
    out = {"fields": fields, "operator": op, **kw}
    if value is not None:
        out["value"] = value
    if base:
        out["base"] = base
    return out


def test_pop_body(client, indexed):
    body = {"bases": ["memoire"], "crits": [{"crits": [
        {"base": "memoire", "fields": "TICO, SUJET, TITRE, LEG", "operator": "*", "value": "ensemble"}],
        "combinator": "AND"}], "size": 20, "from": 0, "sort": [{"REF.keyword": "asc"}]}
    data = check_envelope(post(client, body))
    assert ids(data) == {"AP34R000001"} and data["total"] == 1


def test_cross_base_field_group(client, indexed):
    # "Titre" group of every base: TICO (Mérimée/Palissy), TITR (Joconde/MNR/Enluminures)…
    data = post(client, {"crits": [rule("TICO, TITR, TITRE, LEG", "*", "trait")], "size": 50})
    assert ids(data) == {"000PE001028"}  # Joconde TITR "Portrait de femme"
    data = post(client, {"crits": [rule("TICO, TITR, TITRE, LEG", "*", "re")], "size": 50})
    assert ids(data) == {"PA00078015", "PM34000001", "AEG00001", "D-000001"}  # Notre, Retable, rivière, Livre
    data = post(client, {"crits": [rule("TICO, TITR", "^", "ch")]})
    assert ids(data) == {"PA00078014"}


def test_flat_body_precedence(client, indexed):
    # château AND Lunel OR portrait  ==  (château AND Lunel) OR portrait
    crits = [rule("TICO", "*", "château"), rule("COM", "==", "Lunel", combinator="AND"),
             rule("TITR", "*", "portrait", combinator="OR")]
    assert ids(post(client, {"crits": crits})) == {"PA00078014", "000PE001028"}
    # château OR portrait AND Lunel  ==  château OR (portrait AND Lunel)
    crits = [rule("TICO", "*", "château"), rule("TITR", "*", "portrait", combinator="OR"),
             rule("COM", "==", "Lunel", combinator="AND")]
    assert ids(post(client, {"crits": crits})) == {"PA00078014"}


def test_nested_groups(client, indexed):
    body = {"crits": [
        rule("DENO", "∃", base=None),
        {"combinator": "OR", "crits": [rule("DENO", "==", "château"), rule("DENO", "==", "commode"),
                                       {"combinator": "AND", "crits": [rule("DENO", "==", "église"),
                                                                       rule("COM", "==", "Lunel")]}]},
    ], "combinator": "AND", "size": 50}
    assert ids(post(client, body)) == {"PA00078014", "PM34000002", "PA00078015"}
    body["crits"][1]["combinator"] = "AND"
    assert ids(post(client, body)) == set()


@pytest.mark.parametrize("op,value,expected", [
    ("==", "lunel", {"PA00078014", "PA00078015", "PM34000002"}),
    ("!=", "lunel", {"PM34000001"}),  # Palissy/Mérimée records whose COM is not Lunel (PM34000001 has none)
    ("∃", None, {"PA00078014", "PA00078015", "PM34000002"}),
    ("===", "lunel", set()),          # strict: case-sensitive
    ("===", "Lunel", {"PA00078014", "PA00078015", "PM34000002"}),
])
def test_operators_through_the_api(client, indexed, op, value, expected):
    body = {"bases": ["merimee", "palissy"], "crits": [rule("COM", op, value)], "size": 50}
    assert ids(post(client, body)) == expected


def test_paging_filters_and_sort(client, indexed):
    base = {"crits": [rule("REF", "∃")], "sort": [{"REF.keyword": "asc"}]}
    everything = post(client, {**base, "size": 100})
    assert everything["total"] == len(published())
    refs = [h["_id"] for h in everything["hits"]]
    pages, after = [], None
    while True:
        body = {**base, "size": 3, **({"search_after": after} if after else {})}
        data = post(client, body)
        if not data["hits"]:
            break
        pages += [h["_id"] for h in data["hits"]]
        after = data["hits"][-1]["sort"]
    assert pages == refs
    data = post(client, {**base, "filters": {"hasCoordinates": True}, "facets": {"BASE": ["merimee"]}})
    assert ids(data) == {"PA00078014"}
    assert post(client, {**base, "aggregations": False})["aggregations"] == {}


def test_restricted_fields_refused_and_absent(client, indexed):
    for code in ("ADRS2", "SALLES", "HISTORIQUE", "COM2"):
        data = post(client, {"crits": [rule(code, "∃")]}, status=400)
        assert data["error"]["code"] == "unknown_field" and code in data["error"]["message"]
    body = json.dumps(post(client, {"crits": [rule("REF", "∃")], "size": 100}), ensure_ascii=False)
    for secret in secret_strings():
        assert secret not in body


def test_preflight_and_csrf(indexed):
    client = Client(enforce_csrf_checks=True)
    r = client.options("/api/search/advanced", HTTP_ORIGIN="https://example.org",
                       HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST", HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type")
    assert r.status_code == 204
    assert r["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r["Access-Control-Allow-Methods"]
    assert "content-type" in r["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in r
    data = post(client, {"crits": [rule("REF", "==", "PA00078014")]})  # no CSRF token needed
    assert ids(data) == {"PA00078014"}


def test_every_advanced_field_entry_is_accepted_back(client, indexed):
    """Each group or field offered by /search/advanced-fields/diffusion works in an expert rule of its base."""
    entries = client.get("/api/search/advanced-fields/diffusion").json()
    crits = [rule(e["fields"], "∃", base=e["base"]) for e in entries]
    for i in range(0, len(crits), 40):  # several rules per request (OR-ed), within the rule limit
        post(client, {"crits": [{"combinator": "OR", "crits": crits[i:i + 40]}], "size": 0})
