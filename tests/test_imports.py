"""Import formats beyond POP's fixtures, with the shapes of the format reference (our own values)."""
from __future__ import annotations

import pytest

from pop.catalog import service
from pop.catalog.models import Record
from pop.imports import csv_semicolon, encoding, gertrude, joconde_txt, pipe_csv, preview
from pop.imports.common import ImportFileError


def test_joconde_csv_pads_ref_defaults_museo_and_derives_img(db):
    service.save("museo", {"REF": "M9999", "NOMOFF": "Musée d'exemple", "CONTACT_GENERIQUE": "musee@example.org"}, actor="t")
    text = ("REF;INV;DOMN;DENO;TITR;AUTR;STAT;REFIM\n"
            "12345;1987.4.12;peinture;tableau;Vue du port au crépuscule;DUPONT Jeanne (peintre);"
            "propriété de la commune;M9999_0004321_P.JPG,DS1,,0004321.JPG\n\n")
    parsed = csv_semicolon.parse(text, "joconde", museo="M9999")
    [(base, rec)] = parsed.records
    assert base == "joconde" and rec["REF"] == "00000012345" and rec["MUSEO"] == "M9999"
    assert rec["IMG"] == ["joconde/00000012345/0004321.jpg"]
    report = preview.preview(parsed, files=["0004321.jpg"])
    assert report.accepted and report.items[0].status == "created"
    missing = preview.preview(parsed, files=[])
    assert [e.code for e in missing.items[0].errors] == ["IMAGE_MISSING"]
    assert missing.items[0].errors[0].message == "Image « 0004321.jpg » (IMG) absente des fichiers déposés."


def test_joconde_txt_continuations_and_orphan_text(db):
    text = "texte perdu\nREF\n00000012345\nDESC\nPremière ligne -\nsuite\nDeuxième ligne\nDOMN\npeinture ; dessin\n//\n"
    parsed = joconde_txt.parse(text)
    [(_b, rec)] = parsed.records
    assert rec["DESC"] == "Première ligne suite\nDeuxième ligne"
    assert rec["DOMN"] == "peinture ; dessin"
    assert parsed.notices == ["Notice n° 1 (ligne 1) : texte hors de tout champ ignoré (« texte perdu »)."]


def test_museo_csv_with_coordinate_columns(db):
    text = ('REF;NOMOFF;VILLE_M;DPT;REGION;POP_COORDONNEES.lat;POP_COORDONNEES.lon\n'
            'M9001;"Musée d\'exemple; annexe";Vannes;56;Bretagne;47,6559;-2.7603\n'
            'M9002;Musée sans position;Lorient;56;Bretagne;;\n'
            'M9003;Musée mal placé;Lorient;56;Bretagne;abc;2\n')
    report = preview.preview(csv_semicolon.parse(text, "museo"))
    assert [it.status for it in report.items] == ["created", "created", "rejected"]
    assert report.items[2].errors[0].message == ("Coordonnées (WGS84) (POP_COORDONNEES) : "
                                                 "latitude et longitude doivent être des nombres")
    service.save_many(csv_semicolon.parse(text, "museo").records[:2], actor="t")
    data = Record.objects.get(ref="M9001").data
    assert data["NOMOFF"] == "Musée d'exemple; annexe"
    assert data["POP_COORDONNEES"] == {"lat": 47.6559, "lon": -2.7603}
    assert Record.objects.get(ref="M9002").data["POP_CONTIENT_GEOLOCALISATION"] == "non"


def test_mh_pipe_csv_chooses_the_base_per_row(db):
    text = ("REF|DPT|INSEE|TICO|DENO|COM|WCOM|PROT|DPRO|ZONE|COOR|DESC|LBASE|IMG\n"
            'PA29000001|29|29232|Chapelle Sainte-Exemple|chapelle|Quimper|Quimper|inscrit MH|1932/05/04 : inscription'
            '|Lambert93|171000;6790000|"Chapelle ""gothique"""||\n'
            "MH0099001234|29|29232|||||||||||PA29000001|memoire/MH0099001234/vue.jpg\n")
    parsed = pipe_csv.parse(text)
    assert [b for b, _r in parsed.records] == ["merimee", "memoire"]
    merimee = parsed.records[0][1]
    assert merimee["DESC"] == 'Chapelle ""gothique""'  # one pair of quotes stripped, no CSV unescaping
    report = preview.preview(parsed)
    memoire = report.items[1]
    assert memoire.errors == [] and memoire.status == "created"
    assert report.items[0].errors == []
    # columns of a mixed file are reported only when a row has a value its base cannot hold
    assert parsed.notices == []
    bad = pipe_csv.parse(text + "MH0099001235|29|29232|Vue||||classé MH|||||PA29000001|\n")
    assert bad.notices == ["Valeurs ignorées pour les notices Mémoire, qui n'ont pas ces champs : « PROT »."]
    assert pipe_csv.base_for_ref("IVR53_20290000123NUCA") == "memoire"
    assert pipe_csv.base_for_ref("OR0001", ("merimee", "palissy", "memoire", "autor")) == "autor"
    assert pipe_csv.base_for_ref("PM29000001") == "palissy"


def test_gertrude_memoire_renames_columns(db):
    text = ("REF|AUT|EMET|AUTR|DOC|LIEU|ADRS|LEG||junk\n"
            "IVR53_20290000123NUCA|Photographe, Exemple|IVR53|Architecte, Exemple|dessin|Le Bourg|rue Haute|Vue|x|y\n")
    parsed = gertrude.parse(text, name="GERTRUDE_xmlToMEMOIRE_lexicovide.txt")
    [(base, rec)] = parsed.records
    assert base == "memoire"
    assert rec == {"REF": "IVR53_20290000123NUCA", "AUTP": "Photographe, Exemple", "IDPROD": "IVR53",
                   "AUTOEU": "Architecte, Exemple", "PRECOR": "dessin", "ADRESSE": "Le Bourg ; rue Haute", "LEG": "Vue"}
    with pytest.raises(ImportFileError, match="nom de fichier GERTRUDE attendu"):
        gertrude.parse(text, name="export.txt")


@pytest.mark.parametrize("content, message", [
    (b"", "le fichier est vide"),
    (b"TICO|DENO\nx|y\n", "la première ligne doit contenir les codes des champs, dont « REF »"),
    (b"REF|TICO|TICO\nPA00000001|a|b\n", "colonnes en double dans l'en-tête : TICO"),
])
def test_unreadable_tables(content, message):
    with pytest.raises(ImportFileError, match=message):
        pipe_csv.parse(encoding.decode(content)[0], name="mh.csv")


def test_encoding_auto_detection_and_bom():
    assert encoding.decode("Château".encode("utf-8")) == ("Château", "utf-8")
    assert encoding.decode("Château".encode("cp1252")) == ("Château", "cp1252")
    assert encoding.decode(b"\xef\xbb\xbfREF\r\nPA1\r\n") == ("REF\nPA1\n", "utf-8")
    assert encoding.decode("Œuvre – “titre”".encode("cp1252"), "iso-8859-1") == ("Œuvre – “titre”", "cp1252")
    with pytest.raises(ImportFileError, match="caractères mal encodés ligne 2"):
        encoding.decode("REF\nÃ©glise".encode("utf-8"))


def test_import_file_command(db, tmp_path):
    from io import StringIO

    from django.core.management import CommandError, call_command

    good = tmp_path / "mh.csv"
    good.write_bytes("REF|TICO|DPT|INSEE|CONTACT|REG\nPM29000001|Calice|29|29232|crmh@example.org|Bretagne\n".encode("cp1252"))
    out = StringIO()
    call_command("import_file", str(good), "--dry-run", stdout=out)
    assert "palissy PM29000001 (ligne 2) : créée" in out.getvalue()
    assert "Vérification seule, rien n'a été écrit : 1 créée(s)." in out.getvalue()
    assert not Record.objects.exists()
    call_command("import_file", str(good), stdout=StringIO())
    assert Record.objects.get(ref="PM29000001").data["TICO"] == "Calice"

    bad = tmp_path / "mh2.csv"
    bad.write_text("REF|TICO|DPT|INSEE\nPM29000002|Croix|29|29232\nPM29000003|Cloche|44|29232\n", encoding="utf-8")
    out = StringIO()
    with pytest.raises(CommandError, match="Import refusé, rien n'a été écrit"):
        call_command("import_file", str(bad), stdout=out)
    assert "erreur : Numéro INSEE de la commune (INSEE) : le code INSEE « 29232 »" in out.getvalue()
    assert not Record.objects.filter(ref="PM29000002").exists()
    semicolon = tmp_path / "x.csv"
    semicolon.write_text("REF;TICO\nRFR00001;x\n", encoding="utf-8")
    with pytest.raises(CommandError, match="précisez la base de ce fichier CSV"):
        call_command("import_file", str(semicolon), stdout=StringIO())
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("import_file", str(tmp_path / "absent.txt"), stdout=StringIO())
