"""Core features with JavaScript turned off in Chromium: search, facets, a place link of a record
page, the expert builder, and exports of a simple search, an expert search and a shared basket
(plain forms and links)."""
from __future__ import annotations

import re

import pytest

from .conftest import new_context, result_count, shot

pytestmark = pytest.mark.browser


def download_refs(page, button) -> tuple[str, set[str]]:
    """Click an export button; (file name, REFs found in the downloaded file)."""
    with page.expect_download() as info:
        button.click()
    download = info.value
    with open(download.path(), encoding="utf-8-sig") as f:
        text = f.read()
    return download.suggested_filename, set(re.findall(r"\b(?:PA|PM)\d{8}\b", text))


@pytest.fixture
def nojs(browser, live_site):
    context = new_context(browser, live_site, java_script_enabled=False, accept_downloads=True)
    yield context.new_page()
    context.close()


def test_search_facets_and_place_links_without_javascript(nojs):
    page = nojs
    page.goto("/")
    page.fill("#recherche-accueil-champ", "usine")
    with page.expect_navigation():
        page.press("#recherche-accueil-champ", "Enter")
    assert result_count(page) == 4
    # facets: tick, then the form's own button (no live submission without JavaScript)
    page.check("input[name=lieu][value='Hauts-de-France']", force=True)
    with page.expect_navigation():
        page.click("#form-filtres button[type=submit]")
    assert "lieu=Hauts-de-France" in page.url and result_count(page) == 3
    # a record's commune links to the place facet at the commune level
    page.click("text=Usine textile Motte-Bossut")
    with page.expect_navigation():
        page.click("a:text-is('Roubaix')")
    assert "lieu=Hauts-de-France%2FNord%2FRoubaix" in page.url
    assert result_count(page) == 2
    assert page.locator(".fr-tag", has_text="Localisation : Hauts-de-France › Nord › Roubaix").count() == 1
    shot(page, "sans-js-lieu")


def test_exports_without_javascript(nojs, live_site):
    page = nojs
    # simple search
    page.goto("/recherche?q=usine&base=merimee&lieu=Hauts-de-France")
    page.click("summary:has-text('Exporter ces résultats')")
    page.select_option("#format-export", "csv")
    name, refs = download_refs(page, page.locator(".pop-export__form button[type=submit]"))
    assert name.endswith(".csv") and refs == {"PA59000001", "PA59000002", "PA62000001"}
    # expert search with a nested OR group, built with the builder's buttons
    page.goto("/recherche/experte")
    page.select_option("#champ-0-0", "group:titre")
    page.fill("#valeur-0-0", "usine")
    with page.expect_navigation():
        page.click("button[value='ajouter-groupe:0']")
    page.select_option("#comb-0-1", "OR")
    page.select_option("#champ-0-1-0", "group:departement")
    page.select_option("#op-0-1-0", "==")
    page.fill("#valeur-0-1-0", "59")
    with page.expect_navigation():
        page.click("button[value='ajouter-regle:0.1']")
    page.select_option("#champ-0-1-1", "group:departement")
    page.select_option("#op-0-1-1", "==")
    page.fill("#valeur-0-1-1", "62")
    with page.expect_navigation():
        page.click(".pop-builder__top >> text=Lancer la recherche")
    expected = {ref for base, ref, data in live_site.records()
                if "usine" in str(data.get("TICO", "")).lower()
                and set(data.get("DPT") if isinstance(data.get("DPT"), list) else [data.get("DPT")]) & {"59", "62"}}
    assert result_count(page) == len(expected) == 3
    page.click("summary:has-text('Exporter ces résultats')")
    name, refs = download_refs(page, page.locator(".pop-export__form button[type=submit]"))
    assert refs == expected
    shot(page, "sans-js-export-experte")
    # a shared basket
    page.goto("/panier?n=merimee/PA59000001&n=palissy/PM59000001")
    shot(page, "sans-js-panier-partage")
    name, refs = download_refs(page, page.locator("button:has-text('Exporter ces notices')"))
    assert refs == {"PA59000001", "PM59000001"}
