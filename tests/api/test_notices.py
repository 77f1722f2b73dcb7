"""GET /api/notices/{base}/{ref} and /public: shapes, visibility, 404s, CORS."""
from __future__ import annotations

import json

import pytest

from pop.catalog import service
from pop.schema import registry
from pop.schema.types import SECTION_LABELS, S

from .conftest import restricted_codes, secret_strings

pytestmark = pytest.mark.django_db


def test_every_base_slug_answers_the_record_itself(client, records):
    seen = set()
    for base, ref in sorted(records):
        b = registry.get(base)
        for slug in {b.slug, b.public_slug}:
            r = client.get(f"/api/notices/{slug}/{ref}")
            assert r.status_code == 200, (slug, ref, r.content)
            assert r["Content-Type"] == "application/json"
            assert r["Access-Control-Allow-Origin"] == "*"
            assert "Access-Control-Allow-Credentials" not in r
            data = r.json()
            assert data["REF"] == ref  # no wrapper
            assert data["BASE"] == b.label
            seen.add(b.slug)
    assert seen == set(registry.slugs())


def test_rose_valland_and_mnr_are_the_same_base(client, records):
    a = client.get("/api/notices/rose-valland/AEG00001").json()
    b = client.get("/api/notices/mnr/AEG00001").json()
    assert a == b and a["TITR"] == "Paysage avec rivière"


def test_derived_links_are_included(client, records):
    data = client.get("/api/notices/merimee/PA00078014").json()
    assert data["REFO"] == ["PM34000001"]  # Palissy object in the building, read from the link table
    assert data["MEMOIRE"][0]["ref"] == "AP34R000001"


@pytest.mark.parametrize("suffix", ["", "/public"])
def test_restricted_fields_never_leave(client, records, suffix):
    for base, ref in records:
        hidden = restricted_codes(base)
        r = client.get(f"/api/notices/{base}/{ref}{suffix}")
        assert r.status_code == 200
        body = r.content.decode()
        notice = r.json()["notice"] if suffix else r.json()
        assert not hidden & set(notice), (base, ref, hidden & set(notice))
        assert "HISTORIQUE" not in body
        for secret in secret_strings():
            assert secret not in body, (base, ref, secret)


def test_public_page_shape_from_registry(client, records):
    r = client.get("/api/notices/palissy/PM34000002/public")
    assert r.status_code == 200 and r["Access-Control-Allow-Origin"] == "*"
    page = r.json()
    assert set(page) == {"notice", "sections", "fields"}
    notice = page["notice"]
    assert notice["TICO"] == "Commode Louis XV"
    base = registry.get("palissy")
    # every field of the record is described once, with the registry's label and section
    described = {f["code"]: f for f in page["fields"]}
    assert set(described) == set(notice)
    for code, f in described.items():
        assert f["label"] == base[code].label
        assert f["section"] == base[code].section.value
        assert f["type"] == base[code].type.value and f["multi"] == base[code].multi
    # sections in display order, labelled, covering each field exactly once
    order = [s.value for s in S]
    keys = [s["key"] for s in page["sections"]]
    assert keys == sorted(keys, key=order.index)
    for s in page["sections"]:
        assert s["label"] == SECTION_LABELS[S(s["key"])]
        assert s["fields"] and all(described[c]["section"] == s["key"] for c in s["fields"])
    assert sorted(c for s in page["sections"] for c in s["fields"]) == sorted(notice)


@pytest.mark.parametrize("url,code", [
    ("/api/notices/nope/PA00078014", "unknown_base"),
    ("/api/notices/merimee/PA99999999", "notice_not_found"),
    ("/api/notices/merimee/PA99999999/public", "notice_not_found"),
    ("/api/notices/palissy/PA00078014", "notice_not_found"),  # a REF of another base
    ("/api/notices/merimee/PA00078014/unknown", "unknown_route"),
])
def test_404_json(client, records, url, code):
    r = client.get(url)
    assert r.status_code == 404
    assert r["Access-Control-Allow-Origin"] == "*"
    assert r.json()["error"]["code"] == code
    assert r.json()["error"]["message"]


def test_deleted_record_is_404(client, records):
    assert client.get("/api/notices/merimee/PA00078015").status_code == 200
    service.delete("merimee", "PA00078015", actor="test")
    for suffix in ("", "/public"):
        r = client.get(f"/api/notices/merimee/PA00078015{suffix}")
        assert r.status_code == 404 and r.json()["error"]["code"] == "notice_not_found"
        assert "Église" not in r.content.decode()


def test_write_methods_refused(client, records):
    r = client.post("/api/notices/merimee/PA00078014", data=json.dumps({"TICO": "x"}), content_type="application/json")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    assert client.get("/api/notices/merimee/PA00078014").json()["TICO"] == "Château de Lunel"
