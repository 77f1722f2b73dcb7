"""POP's own test fixtures (betagouv/pop, ../shared/reference/pop-fixtures beside the repository) through our import parsers
and the write service: every expected outcome listed in the fixtures README is checked here.

Where the platform deliberately differs from POP, the assertion is about what a user sees and the
comment says why.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pop.catalog import service
from pop.catalog.models import Record
from pop.imports import csv_semicolon, encoding, gertrude, joconde_txt, pipe_csv, preview
from pop.imports.common import ImportFileError

# shared/ lies beside the repository (the work tree, or CI's fresh clone wherever it is made).
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
FIXTURES = REFERENCE / "pop-fixtures"
PRODUCTION = FIXTURES / "production"
RECORDS = REFERENCE / "pop_records"

if not FIXTURES.exists():
    if os.environ.get("CI") == "true":  # in CI shared/ is always there: a missing copy is a set-up fault, not a skip
        raise RuntimeError(f"POP fixtures not found at {FIXTURES} (shared/ must lie beside the repository)")
    pytestmark = pytest.mark.skip(reason=f"POP fixtures not found at {FIXTURES}")


def read(name: str, enc: str | None = None) -> str:
    return encoding.decode((PRODUCTION / name).read_bytes(), enc, name=name)[0]


def codes(issues) -> list[str]:
    return sorted(i.code for i in issues)


@pytest.fixture
def museum_m0017(db):
    """The museum of the Joconde fixtures. POP's tests run against an API whose MUSEO check is a
    warning flag; here a MUSEO that does not exist is an error (a link must point to a record), so the
    museum exists first, as it does on a real platform. Its contact is copied into the objects."""
    service.save("museo", {"REF": "M0017", "NOMOFF": "Musée Rolin", "VILLE_M": "Autun", "DPT": "Saône-et-Loire",
                           "REGION": "Bourgogne-Franche-Comté", "CONTACT_GENERIQUE": "musee.rolin@autun.example"}, actor="test")


# --------------------------------------------------------------------------------------------
# Joconde "ajout piloté"


def test_joconde_txt_three_notices_without_errors_or_warnings(museum_m0017):
    parsed = joconde_txt.parse(read("joconde-valid-UTF-8.txt"), name="joconde-valid-UTF-8.txt")
    assert [rec["REF"] for _b, rec in parsed.records] == ["01610014032", "01610014134", "01610014147"]
    first = parsed.records[0][1]
    assert first["IMG"] == ["joconde/01610014032/0016630.jpg", "joconde/01610014032/0016631.jpg"]
    # trailing " -" joins lines; the dash and the line break disappear
    assert first["PDEC"] == ("Rue de la Croix-Verte, dans les terrassements des H.L.M. de la Croix-Verte ; "
                             "Anonyme Anonyme (inventeur) ; 1980 (invention du site)")
    report = preview.preview(parsed)
    assert report.counts == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    assert report.accepted
    for item in report.items:
        assert item.errors == []
        # POP's test environment has an empty thesaurus cache; ours checks only the vocabularies we
        # ship. Whatever they hold, a thesaurus remark is the only warning these notices may get.
        assert [w.code for w in item.warnings if not w.code.endswith("_THESAURUS")] == []

    service.save_many(parsed.records, actor="test", channel="import")
    rec = Record.objects.get(base="joconde", ref="01610014032")
    assert rec.data["DOMN"] == ["archéologie", "céramique", "gallo-romain"]  # DOMN becomes a list
    assert rec.data["IMG"] == ["joconde/01610014032/0016630.jpg", "joconde/01610014032/0016631.jpg"]
    assert rec.data["CONTACT"] == "musee.rolin@autun.example" and rec.data["NOMOFF"] == "Musée Rolin"
    assert rec.data["CONTIENT_IMAGE"] == "oui"
    assert Record.objects.get(base="joconde", ref="01610014134").data["IMG"] == ["joconde/01610014134/0016790.jpg"]
    # a second preview of the same file changes nothing
    assert preview.preview(parsed).counts["unchanged"] == 3


def test_joconde_txt_without_the_museum_is_rejected_with_a_clear_message(db):
    # Our deliberate difference with POP: the link to the museum must exist.
    report = preview.preview(joconde_txt.parse(read("joconde-valid-UTF-8.txt")))
    assert report.counts["rejected"] == 3 and not report.accepted
    for item in report.items:
        assert codes(item.errors) == ["MUSEO_REF_NOT_FOUND"]
        assert "Lien MUSEOFILE (MUSEO)" in item.errors[0].message and "« M0017 » n'existe pas" in item.errors[0].message


def test_joconde_txt_warnings_www_and_lvid(museum_m0017):
    parsed = joconde_txt.parse(read("joconde-valid-UTF-8-warnings.txt"))
    assert len(parsed.records) == 1
    # REF "123456789" has 9 characters: POP's API would flag REF_LENGTH_11 and its CSV importer pads it;
    # both Joconde formats pad it here, so the notice gets its real 11-character reference.
    assert parsed.records[0][1]["REF"] == "00123456789"
    item = preview.preview(parsed).items[0]
    assert item.errors == []
    warnings = [w for w in item.warnings if not w.code.endswith("_THESAURUS")]
    assert codes(warnings) == ["LVID_INVALID_URL", "WWW_INVALID_URL"]
    messages = " ".join(w.message for w in warnings)
    assert "Lien site associé (WWW) : « a »" in messages and "Lien Vidéo (LVID) : « htp://ds.de »" in messages


def test_joconde_encoding(museum_m0017):
    # The copied fixture "joconde-invalid-UTF-8.txt" holds only ASCII bytes (its non-ASCII bytes did not
    # survive upstream), so it reads the same in every encoding: one notice with REF and COOR only.
    parsed = joconde_txt.parse(read("joconde-invalid-UTF-8.txt", "utf-8"))
    assert parsed.records == [("joconde", {"REF": "01610014032", "COOR": "Anonyme Anonyme"})]
    item = preview.preview(parsed).items[0]
    assert item.status == "rejected"
    assert codes(item.errors) == ["DOMN_EMPTY", "INV_EMPTY", "MUSEO_EMPTY", "STAT_EMPTY"]

    # What the test is about: a Latin-1 file read as UTF-8 is refused with a clear message...
    utf8 = (PRODUCTION / "joconde-valid-UTF-8.txt").read_bytes()
    latin1 = utf8.decode("utf-8").encode("iso-8859-1")
    with pytest.raises(ImportFileError) as exc:
        encoding.decode(latin1, "utf-8", name="joconde.txt")
    assert "joconde.txt n'est pas un fichier UTF-8 valide" in str(exc.value)
    assert "octet 0xE9 invalide ligne 8, colonne 4" in str(exc.value)  # "Musée de France", line 8
    # ...read as ISO-8859-1 (POP's default, our automatic choice for non-UTF-8 bytes) it gives the same notices...
    text, codec = encoding.decode(latin1)
    assert codec == "cp1252"
    assert joconde_txt.parse(text).records == joconde_txt.parse(read("joconde-valid-UTF-8.txt")).records
    # ...and a UTF-8 file once opened as Latin-1 and saved again (mojibake) is refused in any encoding.
    mojibake = utf8.decode("latin-1").encode("utf-8")
    with pytest.raises(ImportFileError) as exc:
        encoding.decode(mojibake)
    assert "caractères mal encodés ligne 8" in str(exc.value) and "MusÃ©e de France" in str(exc.value)


# --------------------------------------------------------------------------------------------
# MNR, MH (Palissy), GERTRUDE (Mérimée)


def test_mnr_csv_one_notice_without_errors(db):
    parsed = csv_semicolon.parse(read("mnr-valid-UTF-8.csv", "utf-8"), "mnr", name="mnr-valid-UTF-8.csv")
    assert len(parsed.records) == 1
    base, rec = parsed.records[0]
    assert base == "mnr" and rec["REF"] == "RFR00003"
    assert rec["TITR"] == "Statue : La Vierge et l'Enfant"
    report = preview.preview(parsed)
    assert report.items[0].errors == [] and report.items[0].status == "created"
    service.save_many(parsed.records, actor="test", channel="import")
    stored = Record.objects.get(base="mnr", ref="RFR00003").data
    assert stored["AUTR"] == ["Anonyme", "Lorraine"]
    assert stored["EXPO"].startswith('1997; avril - mai : Le Havre; musée de la Graville. "Présentation')  # "" unquoted


def test_palissy_mh_csv(db):
    parsed = pipe_csv.parse(read("palissy-mh-valid-UTF-8.csv", "utf-8"), name="palissy-mh-valid-UTF-8.csv")
    assert [(b, r["REF"]) for b, r in parsed.records] == [("palissy", "PM01000107"), ("palissy", "PM01000506"),
                                                          ("palissy", "PM02001223")]
    # REFMIS/SUPMIS are MH import control columns, not Palissy fields: ignored once for the file (POP's
    # strict schema dropped them silently).
    assert parsed.notices == ["Colonnes ignorées, inconnues de la base Palissy : « REFMIS », « SUPMIS »."]
    n1, n2, n3 = preview.preview(parsed).items

    assert n1.errors == [] and codes(n1.warnings) == ["CONTACT_INVALID_EMAIL", "REG_INVALID"]
    assert any("« lol » n'est pas une des 18 régions" in w.message for w in n1.warnings)
    assert any("Adresse courriel de contact (CONTACT) : « e »" in w.message for w in n1.warnings)

    assert n2.errors == [] and n2.warnings == []

    assert codes(n3.errors) == ["INSEE_DPT_MATCH_FAIL"]
    assert "« 68066 »" in n3.errors[0].message and "(44)" in n3.errors[0].message
    assert codes(n3.warnings) == ["CONTACT_EMPTY", "COPY_EMPTY", "DOSS_EMPTY", "ETUD_EMPTY", "TICO_EMPTY"]
    assert n3.status == "rejected"

    # the batch is atomic: with n3 rejected, importing the file writes nothing
    with pytest.raises(service.WriteRejected):
        service.save_many(parsed.records, actor="test", channel="import")
    assert not Record.objects.filter(base="palissy").exists()
    # without n3 it goes through; VIDEO is parsed into a list
    service.save_many(parsed.records[:2], actor="test", channel="import")
    assert Record.objects.get(base="palissy", ref="PM01000107").data["VIDEO"] == ["sap83_01w00928_p.jpg", "sap83_01w00928_v.jpg"]


def test_gertrude_merimee_export(db):
    name = "GERTRUDE_xmlToMERIMEE_lexicovide.txt"
    parsed = gertrude.parse(read(name, "utf-8"), name=name)
    refs = [r["REF"] for _b, r in parsed.records]
    assert len(refs) == 13 and all(r.startswith("IA30") for r in refs)
    assert {b for b, _r in parsed.records} == {"merimee"}
    first = parsed.records[0][1]
    # the junk trailing header cells are gone; DOSURL keeps the record's own value
    assert first["DOSURL"] == "https://ressourcespatrimoines.laregion.fr/ark:/46855/inventaire_IA30001143.locale=fr"
    assert "" not in first and not any(k.startswith("http") for k in first)
    assert first["COOR"] == "0794409;6291409"  # quoted cell, quotes removed
    assert parsed.notices == ["Colonnes ignorées, inconnues de la base Mérimée : « REFMIS », « SUPMIS »."]
    report = preview.preview(parsed)
    assert report.counts["created"] == 13 and report.accepted
    # GERTRUDE leaves CONTACT empty: a recommended field, so a warning on every notice; besides it, only
    # thesaurus remarks (DENO values outside the vocabulary we ship) may appear
    assert {tuple(c for c in codes(it.warnings) if not c.endswith("_THESAURUS")) for it in report.items} == {("CONTACT_EMPTY",)}
    service.save_many(parsed.records, actor="test", channel="import")
    rec = Record.objects.get(base="merimee", ref="IA30001143")
    assert rec.data["NOMS"] == ["Potier Nicolas", "Wienin Michel"]
    assert 43.6 < rec.data["POP_COORDONNEES"]["lat"] < 43.8 and 4.1 < rec.data["POP_COORDONNEES"]["lon"] < 4.3


# --------------------------------------------------------------------------------------------
# Stored-notice shapes (api/*.json = pop_records/*.json, plus the swagger examples)


def _load(name: str) -> dict:
    return json.loads((RECORDS / name).read_text(encoding="utf-8"))


def test_sample_records_legacy_keys_are_dropped_with_a_warning(db):
    # Decision: keys POP's own schemas no longer have (listed in pop.schema.legacy: Mongo's _id/__v,
    # POP_COMMENTAIRES, POP_HAS_LOCATION, POP_COORDINATES_POINT, IDEO, DOSURLP, renamed fields) are
    # dropped with a LEGACY_FIELD warning; any other unknown key is an error.
    res = service.save("merimee", _load("merimee-1.json"), actor="test")
    assert res.status == "created" and res.errors == []
    legacy = sorted(i.field for i in res.warnings if i.code == "LEGACY_FIELD")
    assert legacy == ["DOSURLP", "IDEO", "POP_COORDINATES_POINT", "POP_HAS_LOCATION"]
    stored = Record.objects.get(base="merimee", ref="PA00078014").data
    assert "POP_HAS_LOCATION" not in stored and "IDEO" not in stored

    mnr = service.save("mnr", _load("mnr-1.json"), actor="test")
    assert [i.message for i in mnr.warnings if i.code == "LEGACY_FIELD"] == [
        "Champ « POP_COMMENTAIRES » ancien, ignoré pour la base Rose-Valland (MNR)."]

    data = {**_load("mnr-1.json"), "REF": "AEG00002", "POP_COMMENTAIRE": "faute de frappe"}
    with pytest.raises(service.WriteRejected) as exc:
        service.save("mnr", data, actor="test")
    assert [(i.code, i.message) for i in exc.value.errors] == [
        ("UNKNOWN_FIELD", "Champ inconnu « POP_COMMENTAIRE » pour la base Rose-Valland (MNR).")]


@pytest.mark.parametrize("name, base", [("museo-swagger-example.json", "museo"), ("autor-swagger-example.json", "autor"),
                                        ("enluminures-swagger-example.json", "enluminures"), ("palissy-1.json", "palissy")])
def test_sample_records_load(db, name, base):
    data = _load(name)
    if base == "palissy":  # its building must exist (Palissy REFA → Mérimée)
        service.save("merimee", _load("merimee-1.json"), actor="test")
    res = service.save(base, data, actor="test")
    assert res.errors == [] and res.status == "created"
    assert all(i.code == "LEGACY_FIELD" or i.level == "warning" for i in res.issues)
    assert Record.objects.filter(base=base, ref=data["REF"], status=Record.PUBLISHED).exists()


def test_sample_joconde_and_memoire_show_their_real_problems(db):
    # joconde-1.json has an empty STAT (required) and its museum M5031 is not in a fresh database;
    # its WWW was split at ":" by POP's old importer, so both halves are reported as bad addresses.
    with pytest.raises(service.WriteRejected) as exc:
        service.save("joconde", _load("joconde-1.json"), actor="test")
    assert codes(exc.value.errors) == ["MUSEO_REF_NOT_FOUND", "STAT_EMPTY"]
    assert "Statut juridique (STAT) : champ obligatoire vide" in [i.message for i in exc.value.errors]
    warnings = exc.value.results[0].warnings
    assert "« http » n'est pas une adresse web valide" in " ".join(w.message for w in warnings)

    # memoire-1.json links (LBASE) to "9946", which is no REF at all: an error here, LBASE_INVALID too
    with pytest.raises(service.WriteRejected) as exc:
        service.save("memoire", _load("memoire-1.json"), actor="test")
    assert codes(exc.value.errors) == ["LBASE_REF_NOT_FOUND"]
    warn = codes(exc.value.results[0].warnings)
    assert "LBASE_INVALID" in warn and "REG_INVALID" in warn  # "Poitou-Charentes" is no longer a region
    assert warn.count("LEGACY_FIELD") == 2  # MEMOIRE (derived on the targets) and POP_COMMENTAIRES
