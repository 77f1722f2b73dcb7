"""What a visitor does, in Chromium: search a word, filter by base and a facet, switch views, open a
record, follow a linked record, build an expert query with a nested OR group (count checked against
the database), fill the basket and find it again after a reload."""
from __future__ import annotations


import pytest

from .conftest import result_count, shot

pytestmark = pytest.mark.browser


def test_search_filter_views_record_and_linked_record(page, live_site):
    page.goto("/")
    shot(page, "visite-01-accueil")
    page.fill("#recherche-accueil-champ", "usine")
    with page.expect_navigation():
        page.press("#recherche-accueil-champ", "Enter")
    assert result_count(page) == 4
    shot(page, "visite-02-resultats")
    # filter by base (live facets: ticking submits), then by a facet
    with page.expect_navigation():
        page.click("input[name=base][value=merimee] + label")
    assert "base=merimee" in page.url and result_count(page) == 4
    with page.expect_navigation():
        page.click("input[name=lieu][value='Hauts-de-France'] + label")
    assert "lieu=Hauts-de-France" in page.url and result_count(page) == 3
    assert page.locator(".fr-tag", has_text="Localisation : Hauts-de-France").count() == 1
    shot(page, "visite-03-filtres")
    # switch views, the filters stay (every state is in the URL)
    page.click("nav.pop-views >> text=Mosaïque")
    assert "view=mosaic" in page.url and "lieu=Hauts-de-France" in page.url
    assert page.locator(".pop-mosaic__item").count() == 3
    shot(page, "visite-04-mosaique")
    page.click("nav.pop-views >> text=Carte")
    page.wait_for_selector("[data-map-status]:not(:empty)")
    assert "3 notices géolocalisées" in page.locator("[data-map-status]").inner_text()
    assert page.locator("[data-map-list] li").count() == 3
    assert page.locator(".leaflet-marker-icon").count() >= 1
    shot(page, "visite-05-carte")
    page.click("nav.pop-views >> text=Liste")
    # open a record, then a linked record
    page.click("text=Usine textile Motte-Bossut")
    assert page.locator("h1").inner_text() == "Usine textile Motte-Bossut"
    assert "/notice/merimee/PA59000001" in page.url
    shot(page, "visite-06-notice")
    page.click("section[aria-labelledby=titre-liees] >> text=Métier à tisser")
    assert page.locator("h1").inner_text() == "Métier à tisser"
    assert "/notice/palissy/PM59000001" in page.url
    # and back to the building through the object's own link
    assert page.locator("a[href='/notice/merimee/PA59000001']").count() >= 1
    shot(page, "visite-07-notice-liee")
    assert not page.js_errors, page.js_errors


def test_expert_query_with_nested_or_group(page, live_site):
    page.goto("/recherche/experte")
    page.select_option("#champ-0-0", "group:titre")
    page.select_option("#op-0-0", "*")
    page.fill("#valeur-0-0", "usine")
    with page.expect_navigation():
        page.click("button[value='ajouter-groupe:0']")
    assert page.locator("#valeur-0-0").input_value() == "usine"  # values kept across builder actions
    page.select_option("#comb-0-1", "OR")
    page.select_option("#champ-0-1-0", "group:departement")
    page.select_option("#op-0-1-0", "==")
    page.fill("#valeur-0-1-0", "59")
    with page.expect_navigation():
        page.click("button[value='ajouter-regle:0.1']")
    page.select_option("#champ-0-1-1", "group:departement")
    page.select_option("#op-0-1-1", "==")
    page.fill("#valeur-0-1-1", "62")
    words = page.locator("[data-words]").inner_text()
    assert words == "Titre contient « usine » ET (Département = 59 OU Département = 62)"
    with page.expect_navigation():
        page.click(".pop-builder__top >> text=Lancer la recherche")
    expected = sum(1 for base, ref, data in live_site.records()
                   if "usine" in " ".join(str(data.get(c, "")) for c in ("TICO", "TITR", "TITRE", "LEG")).lower()
                   and set(data.get("DPT") if isinstance(data.get("DPT"), list) else [data.get("DPT")]) & {"59", "62"})
    assert expected == 3 and result_count(page) == expected
    shot(page, "visite-08-experte")
    # the URL is the query: opening it again gives the same builder and count
    url = page.url
    page.goto(url)
    assert result_count(page) == expected and page.locator("#valeur-0-1-1").input_value() == "62"
    assert not page.js_errors, page.js_errors


def test_basket_keeps_three_records_across_reloads(page, live_site):
    page.goto("/recherche?q=usine&sort=title")
    cards = page.locator(".pop-list__item")
    titles = [cards.nth(i).locator("h3").inner_text() for i in range(3)]
    for i in range(3):
        cards.nth(i).locator("[data-basket-toggle]").click()
    assert page.locator("[data-basket-count]").first.inner_text() == "3"
    assert cards.nth(0).locator("[data-basket-toggle]").inner_text().startswith("Retirer du panier")
    page.goto("/panier")
    page.wait_for_selector("[data-basket-list] li >> nth=2")
    page.reload()
    page.wait_for_selector("[data-basket-list] li >> nth=2")
    listed = page.locator("[data-basket-list] h3").all_inner_texts()
    assert sorted(listed) == sorted(titles)
    assert "Le panier contient 3 notices." in page.locator("[data-basket-status]").inner_text()
    shot(page, "visite-09-panier")
    # remove one, it stays removed after a reload
    page.locator("[data-basket-remove]").first.click()
    page.reload()
    page.wait_for_selector("[data-basket-list] li >> nth=1")
    assert page.locator("[data-basket-list] li").count() == 2
    assert not page.js_errors, page.js_errors
