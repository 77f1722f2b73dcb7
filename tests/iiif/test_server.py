"""Against a real gunicorn server: raw %2F identifiers, the official IIIF validator at level 2, and
the background derivative task run by the DB worker."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

from pop.iiif import derivatives
from pop.iiif.tasks import enqueue_build

from .conftest import VALIDATOR_IMAGE, ident, jpeg_bytes

pytestmark = pytest.mark.django_db(transaction=True)

VALIDATOR_KEY = "memoire/IIIFVALID/67352ccc-d1b0-11e1-89ae-279075081939.png"
# Tests of the validator that crash under Python 3 (they call urllib.urlopen) — all level 3.
CRASHING = {"format_jp2", "format_pdf", "format_webp"}


@pytest.fixture
def validator_image(image_record):
    return image_record("memoire", "IIIFVALID", VALIDATOR_KEY, VALIDATOR_IMAGE.read_bytes(), LEG="Mire du validateur",
                        COPY="IIIF", DIFF="oui")


def fetch(u, **headers):
    req = urllib.request.Request(u, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_official_validator_level2_passes(validator_image, gunicorn_server, tmp_path):
    server = gunicorn_server()
    script = Path(sys.executable).with_name("iiif-validate.py")
    assert script.exists(), "iiif-validator (PyPI) is a test dependency"
    from iiif_validator.validator import TestSuite, ValidationInfo
    names = [n for n, t in TestSuite(ValidationInfo()).list_tests("3.0").items() if t["level"] <= 2 and n not in CRASHING]
    args = [sys.executable, str(script), "-s", server, "-p", "iiif/3", "-i", ident(VALIDATOR_KEY), "--version=3.0",
            "--level=2"] + [f"--test={n}" for n in names]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    out = proc.stdout + proc.stderr
    assert "Done (" in out, out[-2000:] + gunicorn_server.log_tail()
    assert f"Done ({len(names)} tests, 0 failures)" in out, out[-3000:] + gunicorn_server.log_tail()
    assert len(names) >= 30
    assert proc.returncode == 0


def test_encoded_slashes_through_gunicorn(validator_image, gunicorn_server):
    base = f"http://{gunicorn_server()}/iiif/3/"
    status, headers, body = fetch(base + ident(VALIDATOR_KEY) + "/info.json")
    assert status == 200
    assert json.loads(body)["id"] == base + ident(VALIDATOR_KEY)
    status, headers, _ = fetch(base + ident(VALIDATOR_KEY) + "/full/!200,200/0/default.jpg")
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    # the same key with raw slashes is not an identifier (404), nor are escapes out of the media root
    assert fetch(base + VALIDATOR_KEY + "/info.json")[0] == 404
    assert fetch(base + VALIDATOR_KEY + "/full/max/0/default.jpg")[0] == 404
    assert fetch(base + "..%2F..%2F..%2Fetc%2Fpasswd/info.json")[0] == 404
    assert fetch(base + "memoire%2F..%2F..%2Fsecret_key/full/max/0/default.jpg")[0] == 404
    status, headers, _ = fetch(base + ident(VALIDATOR_KEY))
    assert status == 200  # urllib followed the 303 to info.json
    status, headers, body = fetch(base + ident(VALIDATOR_KEY) + "/info.json", Accept="application/ld+json")
    assert headers["Content-Type"].startswith("application/ld+json")


def test_background_task_builds_the_derivative(media, image_record, settings):
    key = image_record("memoire", "AP00000200", "memoire/AP00000200/x.jpg", jpeg_bytes(700, 500), LEG="x")
    assert not derivatives.is_current(key)
    enqueue_build(key)
    call_command("db_worker", "--batch", "--queue-name", "images", "--no-startup-delay", verbosity=0)
    assert derivatives.is_current(key)
    assert derivatives.info(key)["width"] == 700
