"""Every public page renders, in French, from the registry and the database; record pages never show
restricted fields; unknown records are 404 pages."""
from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import quote, unquote

import pytest

from pop.catalog import service
from pop.catalog.models import Link, Record
from pop.schema import V, registry

from . import dataset


def text_of(response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_static_pages_render_in_french_with_dsfr_layout(catalogue, client):
    for url, expected in [
        ("/", "Les bases de POP"), ("/recherche", "Affiner la recherche"), ("/recherche/experte", "Recherche experte"),
        ("/panier", "Mon panier"), ("/musees", "Annuaire des musées de France"), ("/statistiques", "Statistiques"),
        ("/opendata", "Données ouvertes"), ("/accessibilite", "Déclaration d’accessibilité"),
        ("/mentions-legales", "Mentions légales"), ("/a-propos", "À propos de POP"),
    ]:
        r = client.get(url)
        assert r.status_code == 200, url
        html = r.content.decode()
        assert expected in unescape(html), url
        assert '<html lang="fr"' in html
        assert 'class="fr-header"' in html and 'class="fr-footer"' in html and "fr-skiplinks" in html
        assert "Paramètres d’affichage" in html  # theme switch
        assert "Content-Security-Policy" in r.headers and "script-src 'self'" in r.headers["Content-Security-Policy"]
        # no inline script (CSP): every <script> has a src, except JSON-LD data blocks
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag or 'type="application/ld+json"' in tag, (url, tag)
        # every asset is ours
        assert not re.search(r'(src|href)="https?://[^"]*\.(js|css|woff2?)"', html), url


def test_home_lists_the_eight_bases_with_database_counts_and_selections(catalogue, client, settings, tmp_path):
    selections = tmp_path / "selections.json"
    selections.write_text(json.dumps([{"title": "Usines du Nord", "description": "Patrimoine industriel.",
                                       "query": {"q": "usine", "base": ["merimee"], "lieu": ["Hauts-de-France"]}}]),
                          encoding="utf-8")
    settings.POP_HOME_SELECTIONS = str(selections)
    html = client.get("/").content.decode()
    text = text_of(client.get("/"))
    for base in registry.bases():
        n = Record.objects.filter(base=base.slug, status=Record.PUBLISHED).count()
        assert base.short_label in text and base.description in unescape(html)
        label = f"{n} notice{'s' if n > 1 else ''}"
        assert label in text, (base.slug, label)
        assert f'href="/recherche?base={base.public_slug}"' in html
    assert "Usines du Nord" in text and "Patrimoine industriel." in text
    assert "/recherche?q=usine&amp;base=merimee&amp;lieu=Hauts-de-France" in html
    assert 'href="/recherche/experte"' in html and 'href="/recherche?view=map"' in html


def test_home_counts_follow_writes(catalogue, client, reindex):
    before = text_of(client.get("/"))
    assert "2 notices" in before.split("Autor")[1][:400]
    service.save("autor", {"REF": "OR00000003", "NOM": "Labrouste", "PREN": "Henri"}, actor="tests")
    reindex()
    after = text_of(client.get("/"))
    assert "3 notices" in after.split("Autor")[1][:400]


@pytest.mark.parametrize("base", [b.slug for b in registry.bases()])
def test_record_page_of_every_base(catalogue, client, base):
    rec = Record.objects.filter(base=base, status=Record.PUBLISHED).order_by("ref").first()
    b = registry.get(base)
    r = client.get(f"/notice/{b.public_slug}/{rec.ref}")
    assert r.status_code == 200
    html = r.content.decode()
    text = text_of(r)
    assert b.short_label in text and rec.ref in text
    assert "Citer cette notice" in text and "Droits et crédits" in text
    # sections and labels come from the registry
    shown = [f for f in b.public_fields if isinstance(rec.data.get(f.code), str) and rec.data[f.code].strip()
             and f.section.value != "gestion" and not f.deprecated and f.code not in b.image_fields]
    assert shown and [f.code for f in shown if f.label not in unescape(html)] == []
    # schema.org JSON-LD
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(block)
    assert data["@context"] == "https://schema.org" and data["identifier"] == rec.ref
    assert data["url"].endswith(f"/notice/{b.public_slug}/{rec.ref}")


def test_record_pages_never_show_restricted_fields(catalogue, client):
    for (base, ref), secrets in dataset.SECRETS.items():
        b = registry.get(base)
        stored = Record.objects.get(base=base, ref=ref).data
        assert all(code in stored for code in secrets)  # the secrets really are stored
        r = client.get(f"/notice/{b.public_slug}/{ref}")
        assert r.status_code == 200
        html = unescape(r.content.decode())
        for value in secrets.values():
            for v in value if isinstance(value, list) else [value]:
                assert v not in html, (base, v)
        for f in b.fields:
            if f.visibility is not V.PUBLIC and f.code in secrets:
                assert f.label not in html, (base, f.code)
    # nor do results, basket cards or linked cards
    pages = [client.get("/recherche?q=retable"), client.get("/panier?n=palissy/PM59000002&n=rose-valland/MNR00001"),
             client.get("/notice/merimee/PA59000003"), client.get("/panier/notices?n=palissy/PM59000002")]
    for r in pages:
        html = unescape(r.content.decode())
        assert r.status_code == 200
        for secrets in dataset.SECRETS.values():
            for value in secrets.values():
                for v in value if isinstance(value, list) else [value]:
                    assert v not in html


def test_record_page_links_linked_records_searchable_values_and_map(catalogue, client):
    html = client.get("/notice/merimee/PA59000001").content.decode()
    text = text_of(client.get("/notice/merimee/PA59000001"))
    # Palissy object in the building and Mémoire photos of it, with links
    assert 'href="/notice/palissy/PM59000001"' in html and "Métier à tisser" in text
    assert 'href="/notice/memoire/AP59R000000"' in html and "Notices liées" in text
    # values worth a search are links (author → author facet, type → type facet; places: see below)
    assert 'href="/recherche?auteur=Dupont+Jean+%28architecte%29"' in html
    assert 'href="/recherche?type=usine"' in html
    # linked cards' thumbnails: a photo's own image, an object's image from the photo of it
    thumbs = re.findall(r'<img src="/iiif/3/([^/"]+)/full/!400,400/0/default.jpg"[^>]*class="pop-linked__thumb"', html)
    assert [unquote(t) for t in thumbs] == ["memoire/AP59R000000/vue.jpg", "memoire/AP59R000001/vue.jpg",
                                            "memoire/AP59R000003/vue.jpg"]
    # geolocated: map container with coordinates, Leaflet served locally
    assert "data-minimap" in html and 'data-lat="50.' in html
    assert "/static/public/vendor/leaflet/leaflet.js" in html
    # a Joconde object links to its museum; the museum page links to its collections
    jhtml = client.get("/notice/joconde/000PE000001").content.decode()
    assert 'href="/notice/museo/M0590"' in jhtml and "Palais des Beaux-Arts de Lille" in unescape(jhtml)
    mhtml = client.get("/notice/museo/M0590").content.decode()
    assert 'href="/musees/M0590"' in mhtml


def _links(html: str) -> dict[str, str]:
    """{link text: href} of the plain links of a page."""
    return {unescape(text): unquote(unescape(href)) for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', html)}


def _result_refs(client, url: str) -> set[str]:
    path, _, query = url.partition("?")
    html = client.get(path + "?" + "&".join(f"{k}={quote(v)}" for k, _, v in (p.partition("=") for p in query.split("&")))
                      + "&size=100").content.decode()
    return set(re.findall(r"Référence ([\w-]+)", html))


def test_place_values_link_to_the_place_facet(catalogue, client):
    """Region, department and commune on a record page link to the results filtered by the
    hierarchical place facet, at their level; the results are exactly the records of that place."""
    links = _links(client.get("/notice/merimee/PA59000001").content.decode())
    assert links["Hauts-de-France"] == "/recherche?lieu=Hauts-de-France"
    assert links["59"] == "/recherche?lieu=Hauts-de-France/Nord"
    assert links["Roubaix"] == "/recherche?lieu=Hauts-de-France/Nord/Roubaix"
    published = [r for r in Record.objects.filter(status=Record.PUBLISHED)]

    def values(r, *codes):
        return {str(v) for c in codes for v in (r.data.get(c) if isinstance(r.data.get(c), list) else [r.data.get(c)]) if v}

    in_nord = {r.ref for r in published if values(r, "DPT") & {"59", "Nord"}}
    in_roubaix = {r.ref for r in published if r.ref in in_nord and "Roubaix" in values(r, "COM", "VILLE_M")}
    in_region = {r.ref for r in published if values(r, "DPT") & {"59", "62", "Nord", "Pas-de-Calais"}
                 or "Hauts-de-France" in values(r, "REG", "REGION")}
    assert in_roubaix == {"PA59000001", "PM59000001"}
    assert _result_refs(client, links["Roubaix"]) == in_roubaix
    assert _result_refs(client, links["59"]) == in_nord
    assert _result_refs(client, links["Hauts-de-France"]) == in_region
    # the active filter reads as a place, and the facet panel shows the level below
    page = client.get(links["59"])
    assert "Localisation : Hauts-de-France › Nord" in text_of(page)
    panel = re.search(r'id="facette-lieu".*?</fieldset>', page.content.decode(), re.S).group(0)
    values = [(unescape(v), checked == " checked", unescape(label), int(n)) for v, checked, label, n in re.findall(
        r'name="lieu" value="([^"]+)"( checked)?[^>]*>\s*<label[^>]*>([^<&]+)&nbsp;<span class="pop-count">\((\d+)\)', panel)]
    # the chosen department first, checked, counted; then its communes; then the other regions
    assert values[0] == ("Hauts-de-France/Nord", True, "Hauts-de-France › Nord", len(in_nord))
    communes = [v for v in values if v[0].startswith("Hauts-de-France/Nord/")]
    assert values[1:1 + len(communes)] == communes and ("Hauts-de-France/Nord/Roubaix", False,
                                                        "Hauts-de-France › Nord › Roubaix", 2) in communes
    # a museum's town (Muséofile: VILLE_M, DPT given by name) links the same way
    museum = _links(client.get("/notice/museo/M0590").content.decode())
    assert museum["Lille"] == "/recherche?lieu=Hauts-de-France/Nord/Lille"
    assert "M0590" in _result_refs(client, museum["Lille"])


def test_place_without_department_links_to_a_field_search(catalogue, client):
    """A place that cannot be placed in the hierarchy (no department on the record) links to the
    expert search on its cross-base field group, which finds the record."""
    service.save("mnr", {"REF": "MNR00009", "TITR": "Vue de port", "LOCA": "Musée du Louvre"}, actor="tests")
    from pop.search import store
    store.sync()
    href = _links(client.get("/notice/rose-valland/MNR00009").content.decode())["Musée du Louvre"]
    assert href.startswith("/recherche/experte?") and "f.0.0=group:commune" in href and "o.0.0===" in href
    html = client.get(href).content.decode()
    assert "/notice/rose-valland/MNR00009" in html
    assert "Commune = « Musée du Louvre »" in unescape(html)


def test_unknown_bases_records_and_deleted_records_are_french_404_pages(catalogue, client):
    service.delete("merimee", "PA34000002", actor="tests")
    for url, message in [("/notice/merimee/PA99999999", "Aucune notice ne porte la référence « PA99999999 »"),
                         ("/notice/inconnue/PA59000001", "La base « inconnue » n’existe pas"),
                         ("/notice/merimee/PA34000002", "a été supprimée"),
                         ("/musees/M9999", "Aucun musée"),
                         ("/page/qui/n/existe/pas", "Page non trouvée")]:
        r = client.get(url)
        assert r.status_code == 404, url
        text = text_of(r)
        assert message in text, (url, text[:300])
        assert "Page non trouvée" in text and "fr-header" in r.content.decode()
    # the alias of a base redirects to its public name
    r = client.get("/notice/mnr/MNR00001")
    assert r.status_code == 301 and r["Location"] == "/notice/rose-valland/MNR00001"


def test_museums_directory_search_and_museum_collections(catalogue, client):
    text = text_of(client.get("/musees"))
    assert "3 musées" in text and "Palais des Beaux-Arts de Lille" in text
    text = text_of(client.get("/musees?q=lille"))
    assert "1 musée" in text and "Musée des Beaux-Arts de Lyon" not in text
    text = text_of(client.get("/musees?region=Hauts-de-France"))
    assert "2 musées" in text
    data = client.get("/musees/carte.json").json()
    assert {m["ref"] for m in data["museums"]} == {"M5031", "M0590", "M0623"}
    r = client.get("/musees/M0590")
    expected = Link.objects.filter(field="MUSEO", dst_base="museo", dst_ref="M0590", src__status=Record.PUBLISHED).count()
    assert expected == 4
    text = text_of(r)
    assert f"{expected} notices de ce musée" in text
    assert "/recherche?base=joconde&amp;museo=M0590" in r.content.decode()


def test_stats_show_counts_per_base_with_data_tables(catalogue, client):
    r = client.get("/statistiques")
    html = r.content.decode()
    assert html.count('role="img"') >= 4 and html.count("<table>") >= 4
    assert "<title id=" in html  # accessible name of each SVG chart
    rows = dict(re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td>', html))
    for base in registry.bases():
        n = Record.objects.filter(base=base.slug, status=Record.PUBLISHED).count()
        assert rows[base.short_label] == str(n), base.slug
    with_images = Record.objects.filter(status=Record.PUBLISHED, data__CONTIENT_IMAGE="oui").count()
    assert rows["Avec image"] == str(with_images)
    assert "19e siècle" in rows or any("siècle" in k for k in rows)


def test_robots_and_paged_sitemap_of_record_pages(catalogue, client):
    robots = client.get("/robots.txt").content.decode()
    assert "Disallow: /recherche" in robots and "Sitemap: " in robots and "/sitemap.xml" in robots
    index = client.get("/sitemap.xml").content.decode()
    for b in registry.bases():
        assert f"/sitemap-{b.public_slug}.xml" in index
    section = client.get("/sitemap-merimee.xml").content.decode()
    assert "/notice/merimee/PA59000001</loc>" in section and "<lastmod>" in section
    assert client.get("/sitemap-inconnue.xml").status_code == 404


def test_server_error_page_is_the_dsfr_500_page(db, client):
    from django.test import RequestFactory

    from pop.public.views import pages
    r = pages.server_error(RequestFactory().get("/une/page"))
    html = r.content.decode()
    assert r.status_code == 500 and "Erreur inattendue" in html and "fr-header" in html and 'lang="fr"' in html
    api = pages.server_error(RequestFactory().get("/api/notices/x/y"))
    assert api.status_code == 500 and api["Content-Type"].startswith("application/json")


def test_pages_still_answer_without_a_search_index(db, settings, tmp_path, client):
    from django.core.cache import cache
    settings.DATA_DIR = tmp_path  # no index was ever built here
    cache.clear()
    dataset.create(with_images=False)
    home = text_of(client.get("/"))
    assert "12 notices" in home.split("Joconde")[1][:400]  # counted from the database
    r = client.get("/recherche?q=usine")
    assert r.status_code == 200
    assert "La recherche n’a pas pu être effectuée" in text_of(r)
    assert client.get("/notice/merimee/PA59000001").status_code == 200
    assert client.get("/statistiques").status_code == 200
