"""The deep-zoom viewer in Chromium (Playwright): tiles load, toolbar, keyboard, thumbnail strip,
credits, full screen, manifest link, no console or CSP errors."""
from __future__ import annotations

import os
import shutil

import pytest

from pop.catalog import service

from .conftest import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

CHROMIUM = os.environ.get("POP_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def wait_js(page, expression: str, timeout: float = 15.0):
    """Poll a JS expression (page.wait_for_function compiles code in the page, which our CSP forbids)."""
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timeout waiting for {expression}")


@pytest.fixture
def browser_page():
    """A Chromium page. Request it after the fixtures that write to the database: while Playwright's
    sync API runs, an asyncio loop runs in this thread, and Django then keeps database connections
    in a context-local slot that its test teardown never sees (a PostgreSQL session left open, and
    the test database cannot be dropped). Connections opened meanwhile are closed before leaving."""
    from django.db import connections
    from playwright.sync_api import sync_playwright
    assert CHROMIUM, "Chromium is needed for the browser tests (Debian package chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 800, "height": 600})
        yield page
        browser.close()
        connections.close_all()


@pytest.fixture
def monument(image_record):
    service.save("merimee", {"REF": "PA00000300", "TICO": "Abbaye d'essai", "DENO": ["abbaye"]}, actor="test")
    image_record("memoire", "AP00000301", "memoire/AP00000301/nef.jpg", jpeg_bytes(2400, 1600), LBASE=["PA00000300"],
                 LEG="Nef", COPY="© Photographe A", DIFF="oui", MARQ="1")
    image_record("memoire", "AP00000302", "memoire/AP00000302/cloitre.jpg", jpeg_bytes(1600, 2400), LBASE=["PA00000300"],
                 LEG="Cloître", COPY="© Photographe B", DIFF="oui")
    return "PA00000300"


def test_viewer_on_a_record_with_two_images(live_server, monument, browser_page):
    page = browser_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    tiles = []
    page.on("response", lambda r: tiles.append((r.url, r.status)) if "/iiif/3/" in r.url else None)
    failed = []
    page.on("response", lambda r: failed.append((r.url, r.status)) if r.status >= 400 else None)
    page.goto(f"{live_server.url}/iiif/viewer/merimee/{monument}")
    page.wait_for_selector(".pop-iiif__toolbar:not([hidden])")
    wait_js(page, "document.querySelector('.pop-iiif').popViewer.world.getItemAt(0) "
                           "&& document.querySelector('.pop-iiif').popViewer.world.getItemAt(0).getFullyLoaded()")
    assert any(u.endswith("/info.json") and s == 200 for u, s in tiles)
    assert any("/default.jpg" in u and s == 200 for u, s in tiles)
    assert all(s < 400 for _u, s in tiles), tiles
    assert page.text_content(".pop-iiif__credit") == "Crédits : © Photographe A"
    assert page.text_content(".pop-iiif__count") == "1 / 2"
    strip = page.locator(".pop-iiif__strip button")
    assert strip.count() == 2
    assert strip.nth(0).get_attribute("aria-current") == "true"

    viewer = "document.querySelector('.pop-iiif').popViewer"
    zoom0 = page.evaluate(f"{viewer}.viewport.getZoom(true)")
    page.click("[data-action=zoom-in]", force=True)
    page.wait_for_timeout(300)
    assert page.evaluate(f"{viewer}.viewport.getZoom()") > zoom0
    page.click("[data-action=rotate-right]", force=True)
    assert page.evaluate(f"{viewer}.viewport.getRotation()") == 90
    page.click("[data-action=rotate-left]", force=True)
    assert page.evaluate(f"{viewer}.viewport.getRotation()") == 0

    # keyboard: the viewer canvas is focusable, R rotates, Page Down goes to the next image
    page.focus(".openseadragon-canvas")
    page.keyboard.press("r")
    assert page.evaluate(f"{viewer}.viewport.getRotation()") == 90
    page.keyboard.press("PageDown")
    wait_js(page, "document.querySelector('.pop-iiif__count').textContent === '2 / 2'")
    assert page.text_content(".pop-iiif__credit") == "Crédits : © Photographe B"
    assert strip.nth(1).get_attribute("aria-current") == "true"
    strip.nth(0).click(force=True)
    wait_js(page, "document.querySelector('.pop-iiif__count').textContent === '1 / 2'")
    # toolbar buttons are reachable and usable with the keyboard
    page.focus("[data-action=next]")
    page.keyboard.press("Enter")
    wait_js(page, "document.querySelector('.pop-iiif__count').textContent === '2 / 2'")

    page.click("[data-action=full-screen]", force=True)
    wait_js(page, f"{viewer}.isFullPage()")
    assert page.get_attribute("[data-action=full-screen]", "aria-pressed") == "true"
    page.click("[data-action=full-screen]", force=True)
    wait_js(page, f"!{viewer}.isFullPage()")

    href = page.get_attribute(".pop-iiif__manifest", "href")
    manifest = f"{live_server.url}/api/notices/merimee/{monument}/iiif/manifest"
    assert href.startswith(manifest + "?manifest=http")
    assert failed == [], failed
    assert errors == [], errors


@pytest.fixture
def record_without_image(db):
    service.save("merimee", {"REF": "PA00000310", "TICO": "Sans image"}, actor="test")
    return "PA00000310"


def test_viewer_without_diffusable_image(live_server, record_without_image, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/iiif/viewer/merimee/{record_without_image}")
    page.wait_for_selector(".pop-iiif__status:not([hidden])")
    assert "Aucune image diffusable" in page.text_content(".pop-iiif__status")


def test_viewer_accessibility(live_server, monument):
    """axe-core finds no violation on the viewer page (axe is injected, hence a CSP-bypassing context)."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_context(bypass_csp=True, viewport={"width": 800, "height": 600}).new_page()
        page.goto(f"{live_server.url}/iiif/viewer/merimee/{monument}")
        page.wait_for_selector(".pop-iiif__strip:not([hidden])")
        assert page.evaluate("document.querySelector('.pop-iiif__pager').hidden") is False
        violations = Axe().run(page).response["violations"]
        browser.close()
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []
