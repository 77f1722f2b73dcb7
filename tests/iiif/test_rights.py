"""Rights from the record: restricted images capped, not-diffusable images refused, credits."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from pop.catalog import service
from pop.iiif import rights

from .conftest import url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text,status", [
    ("", rights.FREE), ("oui", rights.FREE), ("libre de droits", rights.FREE),
    ("reproduction soumise à autorisation du titulaire des droits d'exploitation", rights.RESTRICTED),
    ("Reproduction interdite", rights.RESTRICTED), ("Tous droits réservés", rights.RESTRICTED),
    ("non", rights.PRIVATE), ("NON DIFFUSABLE", rights.PRIVATE), ("ne pas diffuser", rights.PRIVATE),
])
def test_classify(text, status):
    assert rights.classify(text) == status


def test_rights_uri_only_when_valid():
    assert rights.valid_rights_uri("Licence https://creativecommons.org/licenses/by/4.0/") == \
        "http://creativecommons.org/licenses/by/4.0/"
    assert rights.valid_rights_uri("http://rightsstatements.org/vocab/InC/1.0/") == "http://rightsstatements.org/vocab/InC/1.0/"
    assert rights.valid_rights_uri("© Musée du Louvre") is None
    assert rights.valid_rights_uri("https://example.org/licence") is None


def test_restricted_image_is_served_small_only(client, restricted_image, settings):
    settings.POP_IIIF_RESTRICTED_MAX = 800
    info = client.get(url(restricted_image)).json()
    assert (info["width"], info["height"]) == (3000, 2000)
    assert (info["maxWidth"], info["maxHeight"]) == (800, 533)
    assert all(max(s["width"], s["height"]) <= 800 for s in info["sizes"])
    assert min(info["tiles"][0]["scaleFactors"]) >= 4          # 3000/4 = 750 ≤ 800
    resp = client.get(url(restricted_image, "full/max/0/default.jpg"))
    assert resp.status_code == 200
    assert max(Image.open(io.BytesIO(resp.content)).size) <= 800
    # full size, any large size, and full-resolution tiles are refused
    for rest in ("full/3000,/0/default.jpg", "full/1500,/0/default.jpg", "full/pct:50/0/default.jpg",
                 "0,0,256,256/256,/0/default.jpg", "0,0,1024,1024/512,/0/default.jpg", "full/^max/0/default.png"):
        resp = client.get(url(restricted_image, rest))
        if rest.endswith("^max/0/default.png"):
            assert resp.status_code == 200 and max(Image.open(io.BytesIO(resp.content)).size) <= 800
            continue
        assert resp.status_code == 403, rest
        assert "autorisation" in resp.content.decode()
    # small renderings pass: a thumbnail and a coarse tile
    assert client.get(url(restricted_image, "full/!200,200/0/default.jpg")).status_code == 200
    assert client.get(url(restricted_image, "0,0,1024,1024/256,/0/default.jpg")).status_code == 200


def test_restricted_cap_is_configurable(client, restricted_image, settings):
    settings.POP_IIIF_RESTRICTED_MAX = 400
    assert client.get(url(restricted_image)).json()["maxWidth"] == 400
    assert client.get(url(restricted_image, "full/600,/0/default.jpg")).status_code == 403


def test_not_diffusable_image_is_not_served(client, private_image):
    for rest in ("info.json", "full/max/0/default.jpg", "full/!100,100/0/default.jpg"):
        resp = client.get(url(private_image, rest))
        assert resp.status_code == 403
        assert "non diffusable" in resp.content.decode().lower()


def test_staff_sees_restricted_and_private_images(client, restricted_image, private_image, django_user_model):
    staff = django_user_model.objects.create_user("agent", password="x", is_staff=True)
    client.force_login(staff)
    assert "maxWidth" not in client.get(url(restricted_image)).json()
    resp = client.get(url(restricted_image, "full/max/0/default.jpg"))
    assert resp.status_code == 200 and resp["Cache-Control"].startswith("private")
    assert client.get(url(private_image)).status_code == 200


def test_rights_change_with_the_record(client, free_image):
    assert client.get(url(free_image, "full/max/0/default.jpg")).status_code == 200
    service.save("memoire", {"REF": "AP00000001", "DIFF": "non"}, actor="test")
    assert client.get(url(free_image, "full/max/0/default.jpg")).status_code == 403
    service.delete("memoire", "AP00000001", actor="test")
    assert client.get(url(free_image)).status_code == 404


def test_joconde_diffu(client, image_record):
    key = image_record("joconde", "000PE000001", "joconde/000PE000001/tableau.jpg", DIFFU="non", COPY="© Musée")
    assert client.get(url(key)).status_code == 403
    key2 = image_record("joconde", "000PE000002", "joconde/09880004268/autre.jpg", COPY="© Musée", PHOT="© N. Porte")
    assert client.get(url(key2)).status_code == 200          # legacy key naming another REF still resolves
    r = rights.rights_for_key(key2)
    assert r.status == rights.FREE and "© Musée" in r.credit and "© N. Porte" in r.credit


def test_image_not_referenced_by_any_record_is_404(client, media):
    from .conftest import jpeg_bytes
    media.put("memoire/ORPHELIN/x.jpg", jpeg_bytes(100, 100))
    assert client.get(url("memoire/ORPHELIN/x.jpg")).status_code == 404
