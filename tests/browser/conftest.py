"""Browser tests: one live server (gunicorn subprocess) and one Chromium per session.

The server runs on its own database (a SQLite file, or a PostgreSQL database created for the
session on the server the suite uses) and its own data directory, filled with the demo-like
catalogue of tests/public/dataset.py through the write service, then indexed: nothing leaks into
the other tests' database. Screenshots go to test-artifacts/ (gitignored).
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

LOAD = """
import sys
sys.path.insert(0, {tests!r})
import django
django.setup()
from public import dataset
from pop.search import store
dataset.create(with_images=True)
store.sync()
"""

QUERY = """
import json, sys
import django
django.setup()
from pop.catalog.models import Record
rows = list(Record.objects.filter(status="published").values_list("base", "ref", "data"))
print(json.dumps(rows))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_admin_url() -> str | None:
    url = os.environ.get("POP_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


class LiveSite:
    def __init__(self, url: str, env: dict):
        self.url = url
        self.env = env

    def records(self) -> list[tuple[str, str, dict]]:
        """Published records of the live site's database: (base, REF, data)."""
        out = subprocess.run([sys.executable, "-c", QUERY], env=self.env, capture_output=True, text=True, check=True)
        return [tuple(r) for r in json.loads(out.stdout)]


@pytest.fixture(scope="session")
def live_site(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `make browser-deps` (Debian's chromium package).")
    data_dir = tmp_path_factory.mktemp("browser-site")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(POP_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="pop.settings", PYTHONDONTWRITEBYTECODE="1",
               POP_MAP_TILE_URL="/tuiles-de-test/{z}/{x}/{y}.png")  # no request ever leaves the machine
    admin = _pg_admin_url()
    dbname = None
    if admin:
        import psycopg
        dbname = f"pop_browser_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        env["POP_DATABASE_URL"] = admin.rsplit("/", 1)[0] + "/" + dbname
    else:
        env["POP_DATABASE_URL"] = f"sqlite:///{data_dir / 'site.sqlite3'}"
    port = _free_port()
    env["POP_SITE_URL"] = f"http://127.0.0.1:{port}"
    run = dict(env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    subprocess.run([sys.executable, "-m", "pop.cli", "migrate", "--noinput", "-v0"], **run)
    subprocess.run([sys.executable, "-c", LOAD.format(tests=str(ROOT / "tests"))], **run)
    log = open(data_dir / "gunicorn.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--no-control-socket", "pop.wsgi:application", "--bind", f"127.0.0.1:{port}",
                               "--workers", "2", "--threads", "4", "--worker-class", "gthread", "--timeout", "60"],
                              env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("le serveur de test n'a pas démarré : " + (data_dir / "gunicorn.log").read_text()[-2000:])
                time.sleep(0.2)
        yield LiveSite(f"http://127.0.0.1:{port}", env)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if dbname:
            import psycopg
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_context(browser, live_site, **options):
    """A browser context on the live site: French, 1280 × 900 unless ``options`` say otherwise."""
    return browser.new_context(**{"viewport": {"width": 1280, "height": 900}, "locale": "fr-FR",
                                  "base_url": live_site.url, **options})


@pytest.fixture
def page(browser, live_site, request):
    context = new_context(browser, live_site)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Content Security Policy" in m.text else None)
    pg.js_errors = errors
    yield pg
    context.close()


def result_count(page) -> int:
    """The result count shown above the results."""
    text = page.locator("#nombre-resultats").inner_text()
    return int(re.sub(r"\D", "", text.split("résultat")[0]))


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
