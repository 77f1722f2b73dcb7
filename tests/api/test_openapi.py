"""The OpenAPI description covers every route and parameter, and real answers match its schemas."""
from __future__ import annotations

import json
import re

import jsonschema
import pytest
from django.urls import URLPattern

from pop.api import urls as api_urls

from .test_search import get

pytestmark = pytest.mark.django_db

QUERY_PARAMS = {"text", "bases", "facets", "filters", "sort", "search_after", "geo", "from", "size", "facet_size",
                "facet_search"}


def spec(client):
    return get(client, "/api/openapi.json")


def routes() -> list[str]:
    """Every route under /api: this app's, and those other apps mount there (IIIF manifest, exports)."""
    from django.urls import get_resolver
    out = []
    api = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/" and p.urlconf_module is api_urls)
    mounted = [p for p in get_resolver().url_patterns if str(p.pattern) == "api/"]
    assert api in mounted
    for p in (q for m in mounted for q in m.url_patterns):
        assert isinstance(p, URLPattern)
        route = str(p.pattern)
        if route.startswith("^"):  # the JSON 404 catch-all
            continue
        out.append("/" + re.sub(r"<str:(\w+)>", r"{\1}", route))
    return out


def test_every_route_and_parameter_is_described(client, db):
    doc = spec(client)
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == set(routes())
    for path in ("/search/simple", "/search/facets", "/search/map"):
        names = {p["name"] for p in doc["paths"][path]["get"]["parameters"]}
        assert QUERY_PARAMS <= names, path
    assert {"bbox", "zoom"} <= {p["name"] for p in doc["paths"]["/search/map"]["get"]["parameters"]}
    assert {p["name"] for p in doc["paths"]["/notices/{base}/{ref}"]["get"]["parameters"]} == {"base", "ref"}
    for item in doc["paths"].values():
        for op in item.values():
            assert op["summary"] and op["responses"]
    size = next(p for p in doc["paths"]["/search/simple"]["get"]["parameters"] if p["name"] == "size")
    assert size["schema"]["maximum"] == 2000


def validator(doc, name):
    schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    return jsonschema.Draft202012Validator(schema)


def test_answers_match_the_described_schemas(client, indexed):
    doc = spec(client)
    validator(doc, "SearchResult").validate(get(client, "/api/search/simple?size=50"))
    example = doc["paths"]["/search/advanced"]["post"]["requestBody"]["content"]["application/json"]["example"]
    validator(doc, "AdvancedQuery").validate(example)
    r = client.post("/api/search/advanced", data=json.dumps(example), content_type="application/json")
    assert r.status_code == 200
    validator(doc, "SearchResult").validate(r.json())
    facets = get(client, "/api/search/facets")
    validator(doc, "Aggregations").validate(facets["aggregations"])
    for item in get(client, "/api/search/advanced-fields/diffusion"):
        validator(doc, "AdvancedField").validate(item)
    validator(doc, "NoticePage").validate(get(client, "/api/notices/merimee/PA00078014/public"))
    validator(doc, "Notice").validate(get(client, "/api/notices/merimee/PA00078014"))
    validator(doc, "MapResult").validate(get(client, "/api/search/map?zoom=3"))
    error = client.get("/api/notices/merimee/NOPE").json()
    validator(doc, "Error").validate(error)


def test_advanced_fields_from_the_registry(client, db):
    from pop.schema import registry
    from pop.schema.groups import CROSS_BASE_GROUPS, expert_fields
    items = get(client, "/api/search/advanced-fields/diffusion")
    assert all(set(i) == {"base", "fields", "label", "isDefault", "fieldType"} for i in items)
    by_base = {}
    for i in items:
        by_base.setdefault(i["base"], []).append(i)
    assert set(by_base) == set(registry.public_slugs())
    merimee = registry.get("merimee")
    titre = next(i for i in by_base["merimee"] if i["isDefault"] and i["label"] == "Titre")
    assert titre["fields"].split(", ") == list(CROSS_BASE_GROUPS[0].codes_for(merimee))
    singles = [i["fields"] for i in by_base["merimee"] if not i["isDefault"]]
    assert singles == [f.code for f in expert_fields(merimee)]
    hidden = {f.code for f in registry.get("palissy").fields if not f.is_public}
    assert not hidden & {c for i in by_base["palissy"] for c in i["fields"].split(", ")}
    dates = {i["fields"]: i["fieldType"] for i in by_base["merimee"]}
    assert dates["DMAJ"] == "date" and dates["TICO"] == "text"


def test_docs_page(client, db):
    r = client.get("/api/docs")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/html")
    html = r.content.decode()
    for path in routes():
        assert f"/api{path}" in html
    for name in QUERY_PARAMS | {"bbox", "zoom"}:
        assert f"<code>{name}</code>" in html
    assert "<script" not in html and "http://" not in html and "https://" not in html  # nothing from a CDN
