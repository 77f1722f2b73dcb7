"""Validation rules read from the registry: warnings never block, are stored in POP_FLAGS and name
the field; errors block. (Errors on bad input: tests/test_bad_input.py; POP's fixtures: test_fixtures.py.)"""
from __future__ import annotations

import json

import pytest

from pop.catalog import service
from pop.catalog.models import Record
from pop.catalog.validation import check_record, clean_input
from pop.schema import registry, thesaurus


def warnings_of(base: str, data: dict) -> dict[str, str]:
    res = service.save(base, data, actor="test")
    assert res.errors == []
    stored = Record.objects.get(base=registry.get(base).slug, ref=data["REF"]).data
    out = {w.code: w.message for w in res.warnings}
    if "POP_FLAGS" in registry.get(base):
        assert stored["POP_FLAGS"] == sorted(out)  # the warnings are kept on the record
    return out


def test_pair_rules_and_unknown_department(db):
    w = warnings_of("merimee", {"REF": "PA00000001", "TICO": "Église", "DPRO": "1910/05/04 : classé MH",
                                "WCOM": ["Vaux"], "WADRS": "1 rue Haute", "COPY": ["© MC"], "DOSS": "dossier",
                                "ETUD": ["recensement"], "CONTACT": "crmh@example.org"})
    assert w == {
        "PROT_REQUIRED_FOR_DPRO": "Nature de la protection de l'édifice (PROT) : à renseigner puisque Date et niveau de protection de l'édifice (DPRO) l'est",
        "COM_REQUIRED_FOR_WCOM": "Commune normalisée (COM) : à renseigner puisque Commune pour l'affichage (WCOM) l'est",
        "ADRS_REQUIRED_FOR_WADRS": "Adresse de l'édifice (ADRS) : à renseigner puisque Adresse pour l'affichage (WADRS) l'est",
    }
    w = warnings_of("palissy", {"REF": "PM00000002", "TICO": "x", "DPT": ["99"]})
    assert "DPT_UNKNOWN" in w and w["DPT_UNKNOWN"] == "Département (DPT) : « 99 » n'est pas un code de département connu"


def test_insee2_is_checked_when_insee_is_empty(db):
    with pytest.raises(service.WriteRejected) as exc:
        service.save("palissy", {"REF": "PM00000003", "DPT": ["75"], "INSEE2": ["34145"]}, actor="test")
    assert [e.code for e in exc.value.errors] == ["INSEE2_DPT_MATCH_FAIL"]
    assert exc.value.errors[0].message.startswith("Code INSEE masqué (INSEE2) : le code INSEE « 34145 »")


def test_each_record_of_one_place_gets_its_location_issues(db):
    """Records of one place repeat the same department, commune and region values: every one of
    them is told what is wrong, and a record with other values is judged on its own."""
    bad = {"DPT": ["75"], "INSEE": ["34145"], "REG": ["Lorraine"]}
    with pytest.raises(service.WriteRejected) as exc:
        service.save_many([("palissy", {"REF": f"PM0000001{k}", "TICO": "Autel", **bad}) for k in range(3)], actor="test")
    assert [(r.ref, [e.code for e in r.errors]) for r in exc.value.results] == [
        (f"PM0000001{k}", ["INSEE_DPT_MATCH_FAIL"]) for k in range(3)]
    base = registry.get("palissy")
    location = ("DPT_UNKNOWN", "INSEE_LENGTH_5", "INSEE_DPT_MATCH_FAIL", "REG_INVALID")
    codes = [i.code for i in check_record(base, {"REF": "PM00000020", **bad}) if i.code in location]
    assert codes == ["INSEE_DPT_MATCH_FAIL", "REG_INVALID"]
    good = {"DPT": ["34"], "INSEE": ["34145"], "REG": ["Occitanie"]}
    assert [i.code for i in check_record(base, {"REF": "PM00000021", **good}) if i.code in location] == []


def test_memoire_lbase_and_alnum_warnings(db):
    service.save_many([("merimee", {"REF": "PA00000004", "TICO": "Église"}), ("autor", {"REF": "OR0001", "NOM": "Doe"}),
                       ("merimee", {"REF": "SJDP0001", "TICO": "Jeu de Paume"})], actor="test")
    w = warnings_of("memoire", {"REF": "MH0001", "LBASE": ["PA00000004", "OR0001", "SJDP0001"], "NUMP": "12-34", "NUMTI": "A1",
                                "TYPDOC": "Négatif", "DOM": ["architecture"], "LOCA": "Paris", "LEG": "Vue", "COPY": "©",
                                "IDPROD": "CRMH", "CONTACT": "a@b.fr"})
    assert w == {"NUMP_INVALID_ALNUM": "Numéro du négatif (NUMP) : « 12-34 » ne doit contenir que des lettres et des chiffres"}
    base = registry.get("memoire")
    issues = check_record(base, {"REF": "MH0002", "LBASE": ["PA0000004", "XX00000001"]})
    codes = {i.code: i.message for i in issues}
    assert codes["LBASE_LENGTH_EXACT_10"] == ("Références liées (LBASE) : « PA0000004 » : une référence Mérimée ou "
                                              "Palissy a 10 caractères")
    assert "« XX00000001 » ne commence pas par un préfixe connu" in codes["LBASE_INVALID"]


def test_memoire_region_is_checked_only_in_france(db):
    base = registry.get("memoire")
    assert "REG_INVALID" in {i.code for i in check_record(base, {"REF": "MH1", "REG": ["Lorraine"]})}
    assert "REG_INVALID" in {i.code for i in check_record(base, {"REF": "MH1", "REG": ["Lorraine"], "PAYS": ["France"]})}
    assert "REG_INVALID" not in {i.code for i in check_record(base, {"REF": "MH1", "REG": ["Toscane"], "PAYS": ["Italie"]})}


def test_urls_links_versus_media(db):
    base = registry.get("palissy")
    data, issues = clean_input(base, {"REF": "PM00000005", "DOSURL": "www.example.org/dossier",
                                      "LIENS": ["https://example.org/a", "ftp://example.org/b", "javascript:alert(1)"],
                                      "VIDEO": ["sap83_01w00928_p.jpg", "mem/dation/x.jpg", "palissy/PM00000005/a b.jpg"],
                                      "POP_DOSSIER_VERT": "palissy/PM00000005/dossier.pdf"})
    assert issues == []
    found = {(i.code, i.message) for i in check_record(base, data) if i.code.endswith("INVALID_URL")}
    assert found == {
        ("DOSURL_INVALID_URL", "URL du dossier Inventaire (DOSURL) : « www.example.org/dossier » n'est pas une adresse web valide (http:// ou https://)"),
        ("LIENS_INVALID_URL", "Liens externes éventuels (LIENS) : « javascript:alert(1) » n'est pas une adresse web valide (http:// ou https://)"),
        ("VIDEO_INVALID_URL", "Url de liaison avec Mémoire (VIDEO) : « palissy/PM00000005/a b.jpg » n'est pas un chemin ou une adresse de fichier valide"),
    }


def test_positions_outside_france_and_dates(db):
    w = warnings_of("museo", {"REF": "M0003", "NOMOFF": "Musée", "POP_COORDONNEES": {"lat": 40.71, "lon": -74.0}})
    assert w == {"POP_COORDONNEES_NOT_IN_FRANCE": "Coordonnées (WGS84) (POP_COORDONNEES) : position (latitude 40.71, longitude -74.0) hors de France"}
    assert warnings_of("museo", {"REF": "M0004", "NOMOFF": "Musée", "POP_COORDONNEES": {"lat": -21.1, "lon": 55.5}}) == {}  # La Réunion
    w = warnings_of("enluminures", {"REF": "INI-D-0001", "DATDEB": "1450", "DATFIN": "fin du siècle"})
    assert w == {"DATFIN_INVALID_DATE": "DATFIN (DATFIN) : « fin du siècle » ne contient aucune date"}


def test_thesaurus_mismatch_is_a_warning(db, tmp_path, monkeypatch):
    vocab = tmp_path / "vocabularies.json"
    vocab.write_text(json.dumps({"palissy_denominations": ["calice", "patène", "retable"]}), encoding="utf-8")
    monkeypatch.setattr(thesaurus, "VOCAB_FILE", vocab)
    thesaurus.terms.cache_clear()
    try:
        w = warnings_of("palissy", {"REF": "PM00000006", "TICO": "Calice", "DENO": ["calice", "Patène", "calyce"],
                                    "DOSS": "d", "ETUD": "e", "COPY": "c", "CONTACT": "a@b.fr"})
        assert Record.objects.get(ref="PM00000006").data["DENO"] == ["calice", "Patène", "calyce"]  # kept as typed
        res = service.save("palissy", {"REF": "PM00000006", "DENO": ["calice", "Patène", "calyce"]}, actor="test")
        messages = sorted(i.message for i in res.warnings if i.code == "DENO_THESAURUS")
        assert messages == ["Dénomination de l'objet (DENO) : « Patène » : la forme à préférer est « patène »",
                            "Dénomination de l'objet (DENO) : « calyce » ne fait pas partie du thésaurus (suggestions : calice)"]
        assert w["DENO_THESAURUS"] in messages
    finally:
        thesaurus.terms.cache_clear()


TRICKY_TEXTS = ["Église Saint-Martin", "  padded  ", "", "tab\tinside", "line\nbreak", "nbsp\u00a0here",
                "e\u0301", "caf\u00c3\u00a9", "bad \x07 bell", "c1 \x85 control", "lone \ud800", "x" * 30_000, "é" * 30_000,
                "\u2003em space", "Ünïcödé ; deux", "replacement \ufffd"]


def test_fast_typing_gives_what_the_full_path_gives():
    """clean_input's per-base plan and its plain-string shortcut type every value exactly as
    clean_value does (same value, same errors in the same order), for every kind of field; every
    value is typed many times, so the typed texts kept between records give the same answers too."""
    from pop.catalog.validation import clean_value

    values = TRICKY_TEXTS + [7, 2.5, True, None, b"octets \xc3\xa9", b"\xff", ["a", " b ", ""], ["ok", "\x01"],
                             ("t",), [3], "un;deux; trois", {"lat": "48,5", "lon": 2}, ["x"] * 1001]
    for slug in ("merimee", "joconde", "memoire", "museo"):
        base = registry.get(slug)
        for field in base.fields:
            for value in values:
                data, issues = clean_input(base, {field.code: value})
                if not field.settable:
                    assert data == {} and issues == []
                    continue
                expected_issues: list = []
                expected = clean_value(field, value, expected_issues)
                assert data == {field.code: expected}, (slug, field.code, value)
                assert issues == expected_issues, (slug, field.code, value)
