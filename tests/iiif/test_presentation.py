"""IIIF Presentation 3.0: record manifests and collections, validated against the IIIF 3.0 JSON schema."""
from __future__ import annotations

import json

import jsonschema
import pytest

from pop.catalog import service

from .conftest import IIIF_SCHEMA, jpeg_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(IIIF_SCHEMA.read_text())
    return jsonschema.Draft7Validator(schema)


def assert_valid(validator, doc):
    errors = sorted(validator.iter_errors(doc), key=lambda e: e.path)
    assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]]


def test_memoire_manifest(client, free_image, validator):
    resp = client.get("/api/notices/memoire/AP00000001/iiif/manifest")
    assert resp.status_code == 200
    assert resp["Access-Control-Allow-Origin"] == "*"
    m = resp.json()
    assert_valid(validator, m)
    assert m["type"] == "Manifest"
    assert m["id"] == "http://testserver/api/notices/memoire/AP00000001/iiif/manifest"
    assert m["label"] == {"fr": ["Vue générale"]}
    assert m["summary"]["fr"][0]
    labels = {e["label"]["fr"][0]: e["value"]["fr"][0] for e in m["metadata"]}
    assert labels["Référence"] == "AP00000001"
    assert "Historique" not in labels and "POP_FLAGS" not in labels
    assert m["requiredStatement"]["value"] == {"fr": ["© Jeanne Martin"]}
    assert "rights" not in m                                  # "© …" is not a rights URI
    assert m["homepage"][0]["id"] == "http://testserver/notice/memoire/AP00000001"
    assert m["seeAlso"][0]["id"] == "http://testserver/api/notices/memoire/AP00000001"
    assert m["provider"][0]["type"] == "Agent"
    assert m["thumbnail"][0]["id"].endswith("/full/!400,400/0/default.jpg")
    (canvas,) = m["items"]
    assert (canvas["width"], canvas["height"]) == (1200, 800)
    body = canvas["items"][0]["items"][0]["body"]
    assert body["service"] == [{"id": "http://testserver/iiif/3/memoire%2FAP00000001%2Fvue.jpg",
                                "type": "ImageService3", "profile": "level2"}]
    assert client.get(body["id"].replace("http://testserver", "")).status_code == 200


def test_manifest_rights_uri_and_restricted_canvas(client, image_record, validator, settings):
    image_record("memoire", "AP00000010", "memoire/AP00000010/a.jpg", jpeg_bytes(2000, 1000), LEG="Ouverte",
                 COPY="© A, https://creativecommons.org/licenses/by/4.0/", DIFF="oui")
    m = client.get("/api/notices/memoire/AP00000010/iiif/manifest").json()
    assert_valid(validator, m)
    assert m["rights"] == "http://creativecommons.org/licenses/by/4.0/"
    image_record("memoire", "AP00000011", "memoire/AP00000011/b.jpg", jpeg_bytes(2000, 1000), LEG="Restreinte",
                 COPY="© B", DIFF="reproduction soumise à autorisation")
    m = client.get("/api/notices/memoire/AP00000011/iiif/manifest").json()
    assert_valid(validator, m)
    canvas = m["items"][0]
    body = canvas["items"][0]["items"][0]["body"]
    assert (canvas["width"], canvas["height"]) == (2000, 1000)
    assert (body["width"], body["height"]) == (800, 400)
    assert client.get(body["id"].replace("http://testserver", "")).status_code == 200


def test_merimee_manifest_shows_memoire_images_with_their_credits(client, image_record, validator):
    service.save("merimee", {"REF": "PA00000001", "TICO": "Château d'essai", "DENO": ["château"]}, actor="test")
    image_record("memoire", "AP00000020", "memoire/AP00000020/facade.jpg", LBASE=["PA00000001"], LEG="Façade",
                 COPY="© Photographe A", DIFF="oui", MARQ="1")
    image_record("memoire", "AP00000021", "memoire/AP00000021/plan.jpg", LBASE=["PA00000001"], LEG="Plan",
                 COPY="© Photographe B", DIFF="oui")
    image_record("memoire", "AP00000022", "memoire/AP00000022/secret.jpg", LBASE=["PA00000001"], LEG="Secret",
                 COPY="© C", DIFF="non")
    m = client.get("/api/notices/merimee/PA00000001/iiif/manifest").json()
    assert_valid(validator, m)
    assert m["label"] == {"fr": ["Château d'essai"]}
    assert len(m["items"]) == 2                              # the not-diffusable one is left out
    assert [c["requiredStatement"]["value"]["fr"][0] for c in m["items"]] == ["© Photographe A", "© Photographe B"]
    assert "© Photographe A" in m["requiredStatement"]["value"]["fr"][0]
    assert len({c["id"] for c in m["items"]}) == 2


def test_manifest_of_record_without_image_and_errors(client, db, validator):
    service.save("merimee", {"REF": "PA00000002", "TICO": "Sans image"}, actor="test")
    m = client.get("/api/notices/merimee/PA00000002/iiif/manifest").json()
    assert_valid(validator, m)
    assert m["items"] == []
    resp = client.get("/api/notices/merimee/PA99999999/iiif/manifest")
    assert resp.status_code == 404 and "introuvable" in resp.json()["error"]["message"]
    resp = client.get("/api/notices/nulle/PA1/iiif/manifest")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "unknown_base"


def test_manifest_json_ld(client, free_image):
    resp = client.get("/api/notices/memoire/AP00000001/iiif/manifest", HTTP_ACCEPT="application/ld+json")
    assert resp["Content-Type"].startswith("application/ld+json")


def test_basket_collection(client, free_image, restricted_image, validator):
    resp = client.get("/iiif/collection/basket?notice=memoire/AP00000001&notice=memoire/AP00000002")
    assert resp.status_code == 200
    c = resp.json()
    assert_valid(validator, c)
    assert c["type"] == "Collection"
    assert [i["id"] for i in c["items"]] == [
        "http://testserver/api/notices/memoire/AP00000001/iiif/manifest",
        "http://testserver/api/notices/memoire/AP00000002/iiif/manifest"]
    assert all(i["type"] == "Manifest" and i["thumbnail"] for i in c["items"])
    same = client.get("/iiif/collection/basket?notices=memoire/AP00000001,memoire/AP00000002").json()
    assert [i["id"] for i in same["items"]] == [i["id"] for i in c["items"]]


def test_basket_collection_is_paged(client, db, validator, monkeypatch):
    from pop.iiif import views_presentation
    monkeypatch.setattr(views_presentation, "PAGE_SIZE", 2)
    for n in range(5):
        service.save("merimee", {"REF": f"PA0000010{n}", "TICO": f"Édifice {n}"}, actor="test")
    qs = "&".join(f"notice=merimee/PA0000010{n}" for n in range(5))
    top = client.get(f"/iiif/collection/basket?{qs}").json()
    assert_valid(validator, top)
    assert [i["type"] for i in top["items"]] == ["Collection"] * 3
    page3 = client.get(top["items"][2]["id"].replace("http://testserver", "")).json()
    assert_valid(validator, page3)
    assert [i["label"]["fr"][0] for i in page3["items"]] == ["Édifice 4"]
    assert page3["partOf"][0]["id"] == top["id"]
    assert client.get(f"/iiif/collection/basket?{qs}&page=9").status_code == 400


@pytest.mark.parametrize("qs", ["", "notice=merimee", "notice=inconnue/PA1", "notice=merimee/PA1&page=0",
                                "notice=merimee/PA1&page=x"])
def test_basket_errors(client, db, qs):
    resp = client.get(f"/iiif/collection/basket?{qs}")
    assert resp.status_code == 400
    assert resp.json()["error"]["message"]


def test_search_collection(client, free_image, restricted_image, validator, settings, tmp_path):
    from pop.search import store
    service.save("merimee", {"REF": "PA00000050", "TICO": "Vue générale du village"}, actor="test")  # no image
    store.sync()
    resp = client.get("/iiif/collection/search?q=vue")
    assert resp.status_code == 200, resp.content[:300]
    c = resp.json()
    assert_valid(validator, c)
    ids = {i["id"] for i in c["items"]}
    assert "http://testserver/api/notices/memoire/AP00000001/iiif/manifest" in ids
    assert "http://testserver/api/notices/memoire/AP00000002/iiif/manifest" in ids
    assert not any("PA00000050" in i for i in ids)          # records without images are not in it
