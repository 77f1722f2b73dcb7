"""Bad input (issue 3 §6): HTTP 400 with a French JSON error naming the problem, quickly, never a 500."""
from __future__ import annotations

import json
import time

import pytest

from pop.api import params as P
from pop.search.interface import MAX_DEPTH, MAX_OFFSET, MAX_RULES

pytestmark = pytest.mark.django_db


def check_400(r, started):
    assert r.status_code == 400, r.content[:300]
    assert r["Content-Type"] == "application/json" and r["Access-Control-Allow-Origin"] == "*"
    error = r.json()["error"]
    assert set(error) >= {"code", "message"} and error["code"] and error["message"]
    assert time.perf_counter() - started < 3.0, "a refused query must answer at once (generous bound: shared CI cores)"
    return error


@pytest.mark.parametrize("qs,code", [
    ("text=%22unclosed", "syntax_error"),
    ("size=1000000000", "limit_exceeded"),
    ("size=-1", "invalid_parameter"),
    ("size=twenty", "invalid_parameter"),
    ("size[0]=1", "invalid_parameter"),
    ("from=-20", "invalid_parameter"),
    (f"from={MAX_OFFSET + 1}", "limit_exceeded"),
    ("from=1e9", "invalid_parameter"),
    ("sort[0][NOPE.keyword]=asc", "invalid_sort"),
    ("sort[0][TICO.keyword]=upwards", "invalid_parameter"),
    ("sort[0][TICO.keyword]=asc&sort[1][DENO.keyword]=asc", "invalid_sort"),
    ("sort[0][REF.keyword]=asc&search_after[0]=%27%3BDROP", "invalid_search_after"),
    ("sort[0][REF.keyword]=asc&search_after[0]=a&search_after[1]=b", "invalid_search_after"),
    ("text=lunel&search_after[0]=abc&search_after[1]=x", "invalid_search_after"),
    ("text=lunel&search_after[0]=1.5&search_after[1]=99999999999999", "invalid_search_after"),
    ("text=lunel&search_after[0]=1.5&search_after[1]=-3", "invalid_search_after"),
    ("search_after[0][a]=1", "invalid_search_after"),
    ("facets[NOPE][0]=x", "unknown_field"),
    ("facets[DOMN]=", None),
    ("facets=x", "invalid_parameter"),
    ("bases[0]=atlantide", "unknown_base"),
    ("filters[hasImage]=perhaps", "invalid_parameter"),
    ("filters[hasNothing]=true", "unknown_filter"),
    ("a[b][c][d][e]=1", "syntax_error"),
    ("facet_size=100000", "limit_exceeded"),
    ("text=" + "x" * 5000, "limit_exceeded"),
])
@pytest.mark.parametrize("route", ["simple", "facets"])
def test_simple_and_facets_bad_query_strings(client, empty_index, route, qs, code):
    started = time.perf_counter()
    r = client.get(f"/api/search/{route}?{qs}")
    if code is None:
        assert r.status_code == 200
        return
    if route == "facets" and ("search_after" in qs or "from=" in qs and "-" not in qs and "e9" not in qs):
        assert r.status_code in (200, 400)  # the facets route ignores paging
        return
    error = check_400(r, started)
    assert error["code"] == code, error


def deep(depth):
    node = {"fields": "TICO", "operator": "*", "value": "x"}
    for _ in range(depth):
        node = {"crits": [node], "combinator": "AND"}
    return {"crits": [node]}


RULE = {"fields": "TICO", "operator": "*", "value": "château"}


@pytest.mark.parametrize("body,code", [
    (b"{not json", "invalid_json"),
    (b"[]", "invalid_json"),
    (b"\xff\xfe\x00", "invalid_json"),
    (b'{"crits": ' + b"[" * 5000 + b"]" * 5000 + b"}", None),  # deeply nested JSON: refused, whatever the code
    ({"crits": [{"fields": "NOPE", "operator": "*", "value": "x"}]}, "unknown_field"),
    ({"crits": [{"fields": "TICO", "operator": "~", "value": "x"}]}, "unknown_operator"),
    ({"crits": [{"fields": "TICO", "operator": "*"}]}, "invalid_value"),
    ({"crits": [{"fields": "TICO", "operator": ">", "value": "hier"}]}, "invalid_value"),
    ({"crits": [{"fields": "REFA", "base": "joconde", "operator": "==", "value": "PA00078014"}]}, "unknown_field"),
    (deep(MAX_DEPTH + 1), "tree_too_deep"),
    ({"crits": [RULE] * (MAX_RULES + 1)}, "limit_exceeded"),
    ({"crits": "TICO:château"}, "invalid_criterion"),
    ({"crits": [RULE], "size": 1_000_000_000}, "limit_exceeded"),
    ({"crits": [RULE], "size": "20"}, None),
    ({"crits": [RULE], "size": [20]}, "invalid_parameter"),
    ({"crits": [RULE], "from": -1}, "invalid_parameter"),
    ({"crits": [RULE], "from": 10**15}, "limit_exceeded"),
    ({"crits": [RULE], "search_after": [{"$gt": 1}]}, "invalid_search_after"),
    ({"crits": [RULE], "sort": [{"REF.keyword": "asc"}], "search_after": ["zz", 1]}, "invalid_search_after"),
    ({"crits": [RULE], "sort": 42}, "invalid_parameter"),
    ({"crits": [RULE], "sort": [{"REF.keyword": "asc", "TICO.keyword": "asc"}]}, "invalid_parameter"),
    ({"crits": [RULE], "bases": "atlantide"}, "unknown_base"),
    ({"crits": [RULE], "combinator": "XOR"}, "invalid_combinator"),
    ({"crits": [dict(RULE, value="x" * 10_000)]}, "limit_exceeded"),
])
def test_advanced_bad_bodies(client, empty_index, body, code):
    started = time.perf_counter()
    data = body if isinstance(body, bytes) else json.dumps(body)
    r = client.post("/api/search/advanced", data=data, content_type="application/json")
    if code is None and body == {"crits": [RULE], "size": "20"}:
        assert r.status_code == 200  # a numeric string is a fine integer
        return
    error = check_400(r, started)
    if code:
        assert error["code"] == code, error


def test_oversized_body(client, empty_index):
    started = time.perf_counter()
    r = client.post("/api/search/advanced", data=b'{"crits": "' + b"x" * (P.MAX_BODY + 10) + b'"}',
                    content_type="application/json")
    assert check_400(r, started)["code"] == "body_too_large"
    started = time.perf_counter()  # beyond Django's own upload limit too
    r = client.post("/api/search/advanced", data=b"x" * (3 * 1024 * 1024), content_type="application/json")
    assert check_400(r, started)["code"] == "body_too_large"


def test_messages_are_french(client, empty_index):
    r = client.get("/api/search/simple?size=1000000000")
    assert "size" in r.json()["error"]["message"] and "inférieur ou égal" in r.json()["error"]["message"]
    r = client.post("/api/search/advanced", data="{", content_type="application/json")
    assert "JSON" in r.json()["error"]["message"] and "n'est pas" in r.json()["error"]["message"]


def test_wrong_method_and_unknown_route(client, db):
    r = client.delete("/api/search/simple")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    r = client.get("/api/search/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_route"


def test_size_cap_is_configurable(client, empty_index, settings):
    settings.POP_SEARCH_MAX_SIZE = 5
    assert client.get("/api/search/simple?size=5").status_code == 200
    started = time.perf_counter()
    error = check_400(client.get("/api/search/simple?size=6"), started)
    assert error["code"] == "limit_exceeded" and "5" in error["message"]
    body = json.dumps({"crits": [RULE], "size": 6})
    assert client.post("/api/search/advanced", data=body, content_type="application/json").status_code == 400


def test_head_and_cors_on_every_get_route(client, indexed):
    for url in ("/api/search/simple", "/api/search/facets", "/api/search/map", "/api/search/advanced-fields/diffusion",
                "/api/notices/merimee/PA00078014", "/api/notices/merimee/PA00078014/public", "/api/openapi.json",
                "/api/docs"):
        for r in (client.get(url), client.head(url)):
            assert r.status_code == 200, url
            assert r["Access-Control-Allow-Origin"] == "*" and "Access-Control-Allow-Credentials" not in r
        r = client.options(url)
        assert r.status_code == 204 and "GET" in r["Access-Control-Allow-Methods"]


def test_missing_index_is_503_json(client, db, settings, tmp_path):
    settings.DATA_DIR = tmp_path  # nothing indexed here
    r = client.get("/api/search/simple")
    assert r.status_code == 503 and r["Access-Control-Allow-Origin"] == "*"
    assert r.json()["error"]["code"] == "index_unavailable" and "index" in r.json()["error"]["message"]


def test_random_garbage_never_500(client, indexed):
    """Seeded random query strings and bodies built from the API's own vocabulary plus junk:
    every answer is 200 or a JSON 4xx, never a 500."""
    import random
    from urllib.parse import quote

    rng = random.Random(20261124)
    keys = ["text", "bases", "facets", "filters", "sort", "search_after", "geo", "from", "size", "facet_size",
            "facet_search", "bbox", "zoom", "x"]
    subs = ["", "[0]", "[1]", "[]", "[DOMN]", "[DOMN][0]", "[hasImage]", "[0][REF.keyword]", "[0][_score]",
            "[0][TICO.keyword]", "[a][b]", "[99]", "[-1]", "[base][0]"]
    values = ["", "0", "-1", "20", "2001", "1e3", "true", "peinture", "mnr", "asc", "desc", "\"", "%", "'", "\\",
              "null", "[]", "{}", "é", "\u0000", "9" * 30, "6165673030303031.000000000007", "1.5", "-5,41,10,52", "∃"]
    for _ in range(250):
        parts = [f"{rng.choice(keys)}{rng.choice(subs)}={quote(rng.choice(values))}" for _ in range(rng.randint(1, 6))]
        route = rng.choice(["simple", "facets", "map"])
        r = client.get(f"/api/search/{route}?{'&'.join(parts)}")
        assert r.status_code in (200, 400), ("&".join(parts), r.status_code)
        assert r["Content-Type"] == "application/json"
    ops = ["*", "==", "^", "!*", "!=", "===*", "===", "===^", "!==*", "!==", ">=", "<=", ">", "<", "∃", "!∃", "~", None]
    fields = ["TICO", "TITR, TICO", "DENO", "DMAJ", "REF", "POP_DATE", "ADRS2", "", "NOPE", "group:titre", 3]
    vals = ["château", "", "1900", "2024-01-01", "a", 12, 1.5, None, True, ["x"], {"a": 1}, "x" * 600]

    def node(depth):
        if depth > 3 or rng.random() < 0.6:
            out = {"fields": rng.choice(fields), "operator": rng.choice(ops), "value": rng.choice(vals)}
            if rng.random() < 0.3:
                out["combinator"] = rng.choice(["AND", "OR", "ET", "XOR", 1])
            if rng.random() < 0.2:
                out["base"] = rng.choice(["merimee", "mnr", "rose-valland", "x", None])
            return out
        return {"combinator": rng.choice(["AND", "OR", None]), "crits": [node(depth + 1) for _ in range(rng.randint(0, 3))]}

    for _ in range(150):
        body = {"crits": [node(0) for _ in range(rng.randint(0, 4))]}
        for key in rng.sample(["size", "from", "sort", "search_after", "bases", "facets", "filters"], 2):
            body[key] = rng.choice([0, 5, -1, 3000, "10", None, [], {}, ["mnr"], [{"REF.keyword": "asc"}], {"hasImage": True}])
        r = client.post("/api/search/advanced", data=json.dumps(body), content_type="application/json")
        assert r.status_code in (200, 400), (body, r.status_code, r.content[:300])
