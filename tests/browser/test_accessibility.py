"""axe-core in Chromium on every kind of public page: no violation of impact serious or critical;
keyboard navigation of the facets, the expert builder and the image viewer."""
from __future__ import annotations

import pytest

from .conftest import new_context, shot

pytestmark = pytest.mark.browser

NESTED_EXPERT = ("/recherche/experte?c.0=AND&f.0.0=group:titre&o.0.0=*&v.0.0=usine"
                 "&c.0.1=OR&f.0.1.0=group:departement&o.0.1.0===&v.0.1.0=59&f.0.1.1=group:departement&o.0.1.1===&v.0.1.1=62")
RECORDS = {  # one record page per base
    "joconde": "/notice/joconde/000PE000001", "merimee": "/notice/merimee/PA59000001",
    "palissy": "/notice/palissy/PM59000001", "memoire": "/notice/memoire/AP59R000000",
    "mnr": "/notice/rose-valland/MNR00001", "museo": "/notice/museo/M0590",
    "enluminures": "/notice/enluminures/D-000001", "autor": "/notice/autor/OR00000001",
}
PAGES = {
    "accueil": "/", "resultats-liste": "/recherche?q=usine", "resultats-mosaique": "/recherche?q=usine&view=mosaic",
    "resultats-carte": "/recherche?view=map", "resultats-filtres": "/recherche?base=joconde&domaine=peinture&auteur=Corot+Jean-Baptiste+Camille",
    "resultats-lieu": "/recherche?lieu=Hauts-de-France%2FNord%2FRoubaix",
    "experte-groupe-imbrique": NESTED_EXPERT, "musee": "/musees/M0590", "musees": "/musees", "statistiques": "/statistiques",
    "panier-partage": "/panier?n=merimee/PA59000001&n=palissy/PM59000001",
    **{f"notice-{base}": url for base, url in RECORDS.items()},
}


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe
    results = Axe().run(page)
    out = []
    for v in results.response["violations"]:
        if v.get("impact") in ("serious", "critical"):
            targets = [", ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"]) for n in v["nodes"][:5]]
            out.append(f"{v['id']} ({v['impact']}): {v['help']} → {targets}")
    return out


def test_axe_on_every_kind_of_page(page):
    problems = {}
    for name, url in PAGES.items():
        page.goto(url)
        if "carte" in name:
            page.wait_for_selector("[data-map-status]:not(:empty)", timeout=10_000)
        found = serious_violations(page)
        if found:
            problems[name] = found
        shot(page, f"axe-{name}")
    assert not problems, problems
    assert not page.js_errors, page.js_errors


def test_axe_on_the_basket_with_records(page):
    page.goto("/recherche?q=usine")
    buttons = page.locator("[data-basket-toggle]")
    for i in range(3):
        buttons.nth(i).click()
    page.goto("/panier")
    page.wait_for_selector("[data-basket-list] li >> nth=2")
    assert serious_violations(page) == []
    shot(page, "axe-panier")


def _focus_is_visible(page) -> bool:
    return page.evaluate("""() => {
        const el = document.activeElement;
        if (!el || el === document.body) return false;
        const s = getComputedStyle(el);
        const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
        return outline || (s.boxShadow && s.boxShadow !== 'none');
    }""")


def _active(page) -> dict:
    return page.evaluate("""() => { const el = document.activeElement;
        return {tag: el.tagName, name: el.name || '', value: el.value || '', text: (el.textContent || '').trim().slice(0, 60),
                id: el.id || ''}; }""")


def test_keyboard_facets(page):
    page.goto("/recherche?q=usine")
    page.focus("#recherche-resultats-champ")
    seen = []
    for _ in range(40):
        page.keyboard.press("Tab")
        a = _active(page)
        if a["tag"] == "INPUT" and a["name"] in ("base", "lieu", "type", "producteur", "image", "geolocalisation", "periode",
                                                 "auteur"):
            assert _focus_is_visible(page), a
            seen.append((a["name"], a["value"]))
        if a["text"].startswith("Appliquer les filtres"):
            break
    # the facet checkboxes are reached in the order they are shown, base first
    assert seen and seen[0] == ("base", "merimee")
    order = page.evaluate("""() => [...document.querySelectorAll('#form-filtres input[type=checkbox]')].map(e => [e.name, e.value])""")
    assert [list(s) for s in seen] == order[:len(seen)]
    # Space ticks a value: the page reloads filtered and the focus comes back to that checkbox
    page.focus("input[name=lieu][value='Hauts-de-France']")
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert "lieu=Hauts-de-France" in page.url
    assert _active(page)["value"] == "Hauts-de-France"
    assert page.locator("#nombre-resultats").inner_text().startswith("3 résultat")
    shot(page, "clavier-facettes")


def test_keyboard_expert_builder(page):
    page.goto(NESTED_EXPERT)
    page.focus("#champ-0-0")
    order = []
    for _ in range(12):
        a = _active(page)
        assert _focus_is_visible(page), a
        order.append(a["id"] or a["text"])
        page.keyboard.press("Tab")
    # field, operator, value, remove, then the nested group's combinator and its first rule
    assert order[:5] == ["champ-0-0", "op-0-0", "valeur-0-0", "Supprimer cette règle", "comb-0-1"]
    assert order[5] == "champ-0-1-0"
    # keyboard only: add a group to the query
    add_group = page.locator("button[value='ajouter-groupe:0']")
    add_group.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("fieldset[data-group]").count() == 3
    assert "c.0.2=OR" in page.url
    shot(page, "clavier-experte")


def test_keyboard_image_viewer(page):
    page.goto(RECORDS["merimee"])
    viewer = page.locator(".pop-iiif")
    if viewer.count() == 0:
        pytest.fail("la notice illustrée n'affiche pas la visionneuse")
    page.wait_for_selector(".pop-iiif__toolbar:not([hidden])", timeout=10_000)
    page.focus("text=Copier le lien permanent")
    reached = []
    for _ in range(25):
        page.keyboard.press("Tab")
        a = _active(page)
        if page.evaluate("() => !!document.activeElement.closest('.pop-iiif')"):
            assert _focus_is_visible(page), a
            reached.append(a["text"])
    assert any("Zoomer" in t for t in reached) and any("Image suivante" in t or "Plein écran" in t for t in reached)
    shot(page, "clavier-visionneuse")


def test_pages_fit_a_320px_screen(browser, live_site):
    context = new_context(browser, live_site, viewport={"width": 320, "height": 700})
    pg = context.new_page()
    try:
        for name in ("accueil", "resultats-liste", "resultats-carte", "experte-groupe-imbrique", "notice-merimee",
                     "musee", "statistiques"):
            pg.goto(PAGES[name])
            width = pg.evaluate("document.documentElement.scrollWidth")
            assert width <= 320, (name, width)
        pg.goto(PAGES["resultats-liste"])
        # on a small screen the facets open as a dialog and close with Escape
        pg.click("[data-facets-open]")
        assert pg.locator("[data-facets-panel][role=dialog]").is_visible()
        shot(pg, "mobile-320-filtres")
        pg.keyboard.press("Escape")
        assert not pg.locator("[data-facets-panel]").is_visible()
    finally:
        context.close()
