"""Results pages, expert builder, basket: state in the URL, facets, pagination to the end, counts
checked against the database, bad input answered with a normal French page, everything escaped."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit


from pop.catalog.models import Record
from pop.public.expert import ExpertState
from pop.schema import registry

from . import dataset
from .test_pages import text_of


def count_of(response) -> int:
    m = re.search(r'id="nombre-resultats"[^>]*>([\d\u202f ]+) résultat', response.content.decode())
    assert m, "no result count on the page"
    return int(re.sub(r"\D", "", m.group(1)))


def cards(response) -> list[str]:
    return re.findall(r'href="/notice/([^/"]+/[^?"]+)\?recherche=', response.content.decode())


def test_results_views_facets_tags_and_sort_are_in_the_url(catalogue, client):
    r = client.get("/recherche?q=usine")
    merimee_usines = Record.objects.filter(base="merimee", status=Record.PUBLISHED, data__TICO__icontains="usine").count()
    assert count_of(r) == merimee_usines == 4
    html = r.content.decode()
    # facet panel: a multi-select form per facet, counts, base facet first
    assert 'name="base" value="merimee"' in html and 'name="lieu" value="Hauts-de-France"' in html
    # filter by base and a facet: ANDed across facets, ORed within a facet
    r = client.get("/recherche?q=usine&base=merimee&lieu=Hauts-de-France")
    assert count_of(r) == 3
    r2 = client.get("/recherche?q=usine&base=merimee&lieu=Hauts-de-France&lieu=Occitanie")
    assert count_of(r2) == 4
    # active filters are removable tags whose links drop exactly that filter
    tags = re.findall(r'<a class="fr-tag[^"]*" href="([^"]+)"[^>]*>([^<]+)</a>', r.content.decode())
    labels = {unescape(label): unescape(url) for url, label in tags}
    assert set(labels) == {"Texte : usine", "Base : Mérimée", "Localisation : Hauts-de-France"}
    assert parse_qs(urlsplit(labels["Localisation : Hauts-de-France"]).query) == {"q": ["usine"], "base": ["merimee"]}
    # views
    for view in ("list", "mosaic", "map"):
        rv = client.get(f"/recherche?q=usine&view={view}")
        assert rv.status_code == 200 and 'aria-current="page">' in rv.content.decode()
    assert "pop-mosaic" in client.get("/recherche?q=usine&view=mosaic").content.decode()
    assert "data-map" in client.get("/recherche?view=map").content.decode()
    # sort by title, ascending then descending
    asc = [c.split("/")[1] for c in cards(client.get("/recherche?q=usine&sort=title&order=asc"))]
    desc = [c.split("/")[1] for c in cards(client.get("/recherche?q=usine&sort=title&order=desc"))]
    assert asc == list(reversed(desc)) and len(asc) == 4
    # export / basket / permalink buttons
    html = client.get("/recherche?q=usine").content.decode()
    assert "data-basket-add-all" in html and "data-copy=" in html
    export = client.get("/api/search/export-simple?text=usine&bases%5B0%5D=merimee&format=csv")
    assert export.status_code == 200
    body = _body(export)
    assert {"PA59000001", "PA59000002", "PA62000001", "PA34000001"} <= set(re.findall(r"PA\d{8}", body))
    assert "Usine de Lunel" in body


def _body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8-sig")


def submit_export_form(client, page_html: str, fmt: str):
    """What a browser without JavaScript does with the results page's export form: a GET of its
    action with its hidden fields and the chosen format."""
    form = re.search(r'<form class="pop-export__form" action="([^"]+)" method="get">(.*?)</form>', page_html, re.S)
    assert form, "no export form on the page"
    fields = [(unescape(n), unescape(v)) for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2))]
    assert re.search(rf'<select[^>]+name="format">.*<option value="{fmt}">', form.group(2), re.S)
    return client.get(unescape(form.group(1)), [*fields, ("format", fmt)], HTTP_ACCEPT="text/html,application/xhtml+xml")


def test_exports_of_simple_and_expert_searches_work_without_javascript(catalogue, client, settings):
    # simple search with a base and a facet: the file holds exactly the records of the results page
    page = client.get("/recherche?q=usine&base=merimee&lieu=Hauts-de-France")
    shown = {c.split("/")[1] for c in cards(page)}
    assert shown == {"PA59000001", "PA59000002", "PA62000001"}
    r = submit_export_form(client, page.content.decode(), "csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert set(re.findall(r"PA\d{8}", _body(r))) == shown
    # expert search with a nested OR group: the form carries the rule tree of the permalink
    url = ("/recherche/experte?c.0=AND&f.0.0=group:titre&o.0.0=*&v.0.0=usine"
           "&c.0.1=OR&f.0.1.0=group:departement&o.0.1.0===&v.0.1.0=59&f.0.1.1=group:departement&o.0.1.1===&v.0.1.1=62")
    page = client.get(url)
    shown = {c.split("/")[1] for c in cards(page)}
    assert len(shown) == _python_count() == 3
    html = page.content.decode()
    assert "data-export-advanced" not in html and 'action="/recherche/experte/export"' in html
    for fmt in ("csv", "jsonl"):
        r = submit_export_form(client, html, fmt)
        assert r.status_code == 200, _body(r)[:300]
        assert set(re.findall(r"PA\d{8}", _body(r))) == shown
    assert "attachment" in r["Content-Disposition"]
    # an export too large to stream is prepared in the background: the visitor lands on « Mes exports »
    settings.POP_EXPORT_STREAM_LIMIT = 2
    r = submit_export_form(client, html, "xlsx")
    assert r.status_code == 303 and r["Location"].startswith("/exports/?job=")
    assert "Mes exports" in text_of(client.get(r["Location"]))
    # bad input: French HTML pages, never a 500 nor raw JSON for a browser
    for bad, message in [(url + "&format=docx", "Format inconnu : « docx »"),
                         ("/recherche/experte?c.0=AND&f.0.0=group:titre&o.0.0=*&v.0.0=", "aucune règle complète")]:
        r = client.get(bad.replace("/recherche/experte?", "/recherche/experte/export?"), HTTP_ACCEPT="text/html")
        assert r.status_code == 400, bad
        assert r["Content-Type"].startswith("text/html") and message in text_of(r), text_of(r)[-600:]
    r = client.get("/recherche/export?q=usine&format=docx", HTTP_ACCEPT="text/html")
    assert r.status_code == 400 and "Format inconnu : « docx »" in text_of(r)


def test_facet_value_search_and_show_more(catalogue, client):
    r = client.get("/recherche?filtre-auteur=corot")
    html = unescape(r.content.decode())
    assert 'value="Corot Jean-Baptiste Camille"' in html and 'value="Boilly Louis-Léopold"' not in html
    assert client.get("/recherche?plus=auteur").status_code == 200


def test_pagination_reaches_the_last_page(catalogue, client):
    total = Record.objects.filter(status=Record.PUBLISHED).count()
    r = client.get("/recherche?size=10")
    assert count_of(r) == total
    last = -(-total // 10)
    html = r.content.decode()
    assert f'href="?size=10&amp;page={last}"' in html  # "Dernière page"
    seen = []
    for page in range(1, last + 1):
        seen += cards(client.get(f"/recherche?size=10&page={page}"))
    assert len(seen) == total and len(set(seen)) == total
    beyond = client.get(f"/recherche?size=10&page={last + 5}")
    assert beyond.status_code == 200
    assert f"La page {last + 5} n’existe pas : cette recherche compte {last} pages." in text_of(beyond)



def test_relevance_pages_past_the_offset_cap_are_served(catalogue, client, monkeypatch):
    """Relevance cannot be read from the other end: far pages go through the engine's rank cursor,
    in the order of one big page, instead of stopping at the offset cap."""
    from pop.public import results, searchparams
    from pop.search import engine
    whole = cards(client.get("/recherche?q=si%C3%A8cle&size=100"))
    assert len(whole) > 10
    for module in (results, searchparams, engine):
        monkeypatch.setattr(module, "MAX_OFFSET", 10)
    monkeypatch.setattr(results, "DEEP", 0)
    last = -(-len(whole) // 10)
    seen = []
    for page in range(1, last + 1):
        r = client.get(f"/recherche?q=si%C3%A8cle&size=10&page={page}")
        assert count_of(r) == len(whole)
        assert "ne peuvent pas être atteintes directement" not in text_of(r)
        seen += cards(r)
    assert seen == whole

def test_expert_query_with_nested_or_group_matches_the_database(catalogue, client):
    url = ("/recherche/experte?c.0=AND&f.0.0=group:titre&o.0.0=*&v.0.0=usine"
           "&c.0.1=OR&f.0.1.0=group:departement&o.0.1.0===&v.0.1.0=59&f.0.1.1=group:departement&o.0.1.1===&v.0.1.1=62")
    r = client.get(url)
    assert r.status_code == 200
    expected = _python_count()
    assert count_of(r) == expected == 3
    text = text_of(r)
    assert "Titre contient « usine » ET (Département = 59 OU Département = 62)" in text
    # the builder shows the nested group and keeps every value (editable, shareable)
    html = r.content.decode()
    assert 'name="c.0.1"' in html and 'name="v.0.1.1" value="62"' in html
    # builder buttons work without JavaScript: they redirect to the edited query's URL
    r = client.get(url + "&action=ajouter-regle:0.1")
    assert r.status_code == 302
    state = ExpertState.from_query(_qd(r["Location"]))
    assert len(state.tree["rules"][1]["rules"]) == 3
    r = client.get(url + "&action=supprimer:0.1")
    assert len(ExpertState.from_query(_qd(r["Location"])).tree["rules"]) == 1
    r = client.get(url + "&action=ajouter-groupe:0")
    assert "rules" in ExpertState.from_query(_qd(r["Location"])).tree["rules"][2]


def _python_count() -> int:
    """Records whose title contains "usine" and whose department is 59 or 62, read from the database."""
    return sum(1 for r in Record.objects.filter(status=Record.PUBLISHED)
               if "usine" in " ".join(str(r.data.get(c, "")) for c in ("TICO", "TITR", "TITRE", "LEG")).lower()
               and set(r.data.get("DPT", []) if isinstance(r.data.get("DPT"), list) else [r.data.get("DPT")]) & {"59", "62"})


def _qd(location: str):
    from django.http import QueryDict
    return QueryDict(urlsplit(location).query)


def test_expert_builder_lists_groups_first_then_fields_per_base(catalogue, client):
    html = client.get("/recherche/experte").content.decode()
    groups = re.findall(r'<optgroup label="([^"]+)"', html)
    assert groups[0] == "Champs communs à toutes les bases"
    assert [g.replace("Champs de la base ", "") for g in groups[1:]] == [unescape(b.short_label) for b in registry.bases()] \
        or len(groups) == 1 + len(registry.bases())
    assert 'value="merimee:DENO" data-kind="text"' in html
    scoped = client.get("/recherche/experte?base=mnr").content.decode()
    assert len(re.findall(r"<optgroup ", scoped)) == 2


def test_record_page_previous_and_next_within_the_search(catalogue, client):
    r = client.get("/recherche?q=usine&sort=title")
    links = re.findall(r'href="(/notice/[^"]+)"', r.content.decode())
    second = unescape(links[1])
    page = client.get(second)
    html = unescape(page.content.decode())
    assert "Notice 2 sur 4" in text_of(page)
    prev_link = re.search(r'href="([^"]+)" rel="prev"', html).group(1)
    next_link = re.search(r'href="([^"]+)" rel="next"', html).group(1)
    titles = [c.split("/")[1] for c in cards(r)]
    assert titles[0] in prev_link and titles[2] in next_link
    assert "Retour aux résultats" in html
    # a forged "recherche" pointing elsewhere is ignored
    forged = client.get("/notice/merimee/PA59000001?recherche=https://evil.example/&rang=1")
    assert forged.status_code == 200 and "evil.example" not in forged.content.decode()


BAD_QUERIES = [
    "/recherche?page=-3", "/recherche?page=abc", "/recherche?page=99999999999", "/recherche?size=7",
    "/recherche?sort=n%27importe", "/recherche?order=sideways", "/recherche?view=carte3d",
    "/recherche?base=inconnue", "/recherche?facette_inconnue=x", "/recherche?zone=1,2,3", "/recherche?zone=a,b,c,d",
    "/recherche?apres=%7B%22x%22", "/recherche?q=" + "a" * 5000, "/recherche?q=%00%01%02", "/recherche?q=%22%22%22((",
    "/recherche?q=-&base=merimee&base=merimee", "/recherche?lieu=" + "x" * 900, "/recherche?view=map&zone=95,0,96,1",
    "/recherche?sort=relevance&page=5000", "/recherche?q=ch%C3%A2teau&sort=title&size=100&page=100000",
    "/recherche/experte?f.0.0=INCONNU&o.0.0=*&v.0.0=x", "/recherche/experte?f.0.0=group:titre&o.0.0=%3E%3E&v.0.0=x",
    "/recherche/experte?c.0=XOR&f.0.0=group:titre&v.0.0=x", "/recherche/experte?action=supprimer:0.9.9",
    "/recherche/experte?action=n%27importe", "/recherche/experte?f.0.1.2.3.4.5.6.7.8.9.1=group:titre&v.0.1.2.3.4.5.6.7.8.9.1=x",
    "/recherche/experte?" + "&".join(f"f.0.{i}=group:titre&v.0.{i}=x" for i in range(80)),
    "/recherche/experte?f.0.0=merimee:DMIS&o.0.0=%3E&v.0.0=pas-une-date",
    "/musees?page=-1", "/musees?region=Atlantide", "/panier?n=inconnue/XX&n=merimee", "/notice/merimee/%3Cscript%3E",
    "/recherche/suggestions?champ=INCONNU&prefixe=a", "/recherche/carte.json?zone=x",
    "/recherche/export?format=inconnu", "/recherche/experte/export", "/recherche/experte/export?f.0.0=group:titre&v.0.0=x&format=zz",
    "/sitemap-inconnue.xml", "/sitemap-merimee.xml?p=zz", "/sitemap-merimee.xml?p=99999",
]


def test_bad_input_gives_a_normal_page_with_a_french_message(catalogue, client):
    odd_but_valid = {"/recherche?q=-&base=merimee&base=merimee", "/recherche?q=%22%22%22(("}
    for url in BAD_QUERIES:
        r = client.get(url)
        assert r.status_code in (200, 400, 404), (url, r.status_code)
        if r["Content-Type"].startswith("application/json"):
            assert r.status_code == 400 and r.json()["error"]["message"], url
            continue
        html = r.content.decode()
        assert "fr-header" in html and "<script>alert" not in html, url
        if r.status_code == 200 and url not in odd_but_valid and url.split("?")[0] in (
                "/recherche", "/recherche/experte", "/musees", "/panier"):
            assert "fr-alert" in html, url  # the visitor is told what was ignored or refused


def test_messages_say_what_was_wrong(catalogue, client):
    assert "La base « inconnue » n'existe pas" in text_of(client.get("/recherche?base=inconnue"))
    assert "Le paramètre « facette_inconnue » n'est pas un filtre connu" in text_of(client.get("/recherche?facette_inconnue=x"))
    assert "Le numéro de page doit être un nombre entier positif" in text_of(client.get("/recherche?page=-3"))
    assert "Le champ « INCONNU » n'existe pas" in text_of(client.get("/recherche/experte?f.0.0=INCONNU&o.0.0=*&v.0.0=x"))


def test_crafted_html_is_escaped_everywhere(catalogue, client):
    crafted = dataset.CRAFTED
    pages = [client.get("/notice/merimee/PA00000666"), client.get("/recherche?q=monument"),
             client.get("/recherche?q=" + crafted), client.get("/recherche/experte?f.0.0=group:titre&o.0.0=*&v.0.0=" + crafted),
             client.get("/recherche?lieu=" + crafted), client.get("/panier?n=merimee/PA00000666"),
             client.get("/musees?q=" + crafted), client.get("/notice/merimee/" + crafted)]
    for r in pages:
        html = r.content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, r.request["QUERY_STRING"][:80]
    record = pages[0].content.decode()
    assert "&lt;script&gt;alert(&quot;pop&quot;)&lt;/script&gt;" in record
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', record, re.S).group(1)
    assert "</script" not in ld and "\\u003Cscript\\u003E" in ld


def test_basket_shared_link_fragment_and_export(catalogue, client):
    r = client.get("/panier?n=merimee/PA59000001&n=joconde/000PE000001&n=rose-valland/MNR00001&n=merimee/PA59000001")
    text = text_of(r)
    assert "il contient 3 notices" in text
    assert "Usine textile Motte-Bossut" in text and "Paysage n° 1" in text and "Nature morte aux fruits" in text
    frag = client.get("/panier/notices?n=palissy/PM59000001&n=merimee/PA00000001").content.decode()
    assert "Métier à tisser" in frag and "Cette notice n’existe plus dans POP." in frag
    # the basket's export form posts its items to the exports app
    html = client.get("/panier").content.decode()
    assert 'action="/exports/panier"' in html and 'name="format"' in html
    export = client.post("/exports/panier", {"n": ["merimee/PA59000001", "joconde/000PE000001"], "format": "csv"})
    assert export.status_code == 200
    body = b"".join(export.streaming_content).decode("utf-8-sig") if export.streaming else export.content.decode("utf-8-sig")
    assert "PA59000001" in body and "Usine textile Motte-Bossut" in body and "000PE000001" in body
    # a shared basket exports without JavaScript: its form carries the shared items (CSRF enforced)
    shared = client.get("/panier?n=merimee/PA59000001&n=rose-valland/MNR00001").content.decode()
    form = re.search(r'<form method="post" action="/exports/panier"[^>]*>(.*?)</form>', shared, re.S).group(1)
    fields = dict(re.findall(r'name="(csrfmiddlewaretoken)" value="([^"]+)"', form))
    items = re.findall(r'<input type="hidden" name="n" value="([^"]+)">', form)
    assert items == ["merimee/PA59000001", "rose-valland/MNR00001"] and 'name="format"' in form
    strict = type(client)(enforce_csrf_checks=True)
    page = strict.get("/panier?n=merimee/PA59000001&n=rose-valland/MNR00001").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    export = strict.post("/exports/panier", {"csrfmiddlewaretoken": token, "n": items, "format": "csv"},
                         HTTP_ACCEPT="text/html")
    assert export.status_code == 200 and fields
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "PA59000001" in body and "MNR00001" in body and "Nature morte aux fruits" in body


def test_map_data_and_suggestions(catalogue, client):
    data = client.get("/recherche/carte.json?q=usine&zone=41,-5,51.5,10&z=5").json()
    geolocated = Record.objects.filter(base="merimee", status=Record.PUBLISHED, data__TICO__icontains="usine",
                                       data__POP_CONTIENT_GEOLOCALISATION="oui").count()
    assert data["total"] == geolocated == 4
    assert sum(c["count"] for c in data["clusters"]) == 4 or len(data["records"]) == 4
    assert data["list"]["total"] == 4 and len(data["list"]["items"]) == 4
    # criteria-less map data (cached until the next write) follows writes
    url = "/recherche/carte.json?base=merimee&zone=41,-5,51.5,10&z=5"
    before = client.get(url).json()
    assert before == client.get(url).json() and before["list"]["total"] == before["total"] > 0
    from pop.catalog import service
    from pop.search import store
    service.save("merimee", {"REF": "PA59000099", "TICO": "Filature nouvelle", "DPT": ["59"], "INSEE": ["59512"],
                             "COM": ["Roubaix"], "COOR": "0711500;7066500", "ZONE": "Lambert93"}, actor="tests")
    store.sync()
    after = client.get(url).json()
    assert after["total"] == before["total"] + 1 and after["list"]["total"] == before["total"] + 1
    values = client.get("/recherche/suggestions?champ=merimee:DENO&prefixe=us").json()["values"]
    assert values == ["usine"]
    assert "59" in client.get("/recherche/suggestions?champ=group:departement&prefixe=5").json()["values"]
