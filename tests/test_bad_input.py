"""Bad input never writes anything and always gets a clear French message naming the field.

Runs on SQLite and on PostgreSQL (scripts/test.sh runs the suite on both).
"""
from __future__ import annotations

import pytest

from pop.catalog import service
from pop.catalog.models import Link, Record, Revision
from pop.imports import encoding
from pop.imports.common import ImportFileError


def state() -> tuple:
    """Everything a write could change."""
    return (service.current_seq(), Record.objects.count(), Revision.objects.count(), Link.objects.count(),
            sorted(Record.objects.values_list("base", "ref", "seq", "status")))


def rejected(base, data, **kw) -> service.WriteRejected:
    before = state()
    with pytest.raises(service.WriteRejected) as exc:
        service.save(base, data, actor="test", **kw)
    assert state() == before, "a rejected write changed the database"
    return exc.value


@pytest.fixture
def existing(db):
    service.save("merimee", {"REF": "PA00000001", "TICO": "Château", "DENO": ["château"], "DPT": ["34"]}, actor="test")


def test_unknown_base(existing):
    before = state()
    with pytest.raises(service.WriteRejected) as exc:
        service.save_many([("merimee", {"REF": "PA00000002", "TICO": "Ok"}), ("louvre", {"REF": "X"})], actor="test")
    assert state() == before
    [error] = exc.value.errors
    assert error.code == "UNKNOWN_BASE"
    assert error.message.startswith("Base inconnue : « louvre ». Bases disponibles : ")


def test_unknown_field(existing):
    err = rejected("merimee", {"REF": "PA00000001", "TICOO": "Château"})
    assert [(e.code, e.field, e.message) for e in err.errors] == [
        ("UNKNOWN_FIELD", "TICOO", "Champ inconnu « TICOO » pour la base Mérimée.")]
    err = rejected("merimee", {"REF": "PA00000001", 12: "x"})
    assert err.errors[0].message == "Nom de champ invalide : 12."


@pytest.mark.parametrize("base, ref, expected", [
    ("merimee", "XX00000001", "PA, IA ou EA suivi de 8 caractères"),
    ("merimee", "PA0000000100", "PA, IA ou EA suivi de 8 caractères"),
    ("joconde", "123", "11 caractères"),
    ("museo", "M12", "M"),
    ("merimee", "", None),
])
def test_malformed_ref(db, base, ref, expected):
    err = rejected(base, {"REF": ref, "TICO": "x"})
    codes = [e.code for e in err.errors]
    if expected is None:
        assert "REF_EMPTY" in codes
        assert any(e.message.endswith("(REF) : champ obligatoire vide") for e in err.errors)
    else:
        assert "REF_INVALID" in codes
        message = next(e.message for e in err.errors if e.code == "REF_INVALID")
        assert f"« {ref} » ne respecte pas le format attendu" in message and expected in message


@pytest.mark.parametrize("data, code, field", [
    ({"TICO": ["a", "b"]}, "TYPE", "TICO"),                        # one value expected
    ({"TICO": {"fr": "Château"}}, "TYPE", "TICO"),                  # object where text is expected
    ({"TICO": True}, "TYPE", "TICO"),
    ({"DENO": {"a": 1}}, "TYPE", "DENO"),                           # list expected
    ({"DENO": ["château", {"x": 1}]}, "TYPE", "DENO"),
    ({"POP_DATE": [1]}, None, None),                                # computed: ignored, not an error
    ({"DPT": ["A"]}, "DPT_LENGTH_2", "DPT"),                        # ("3" is read as "03")
    ({"INSEE": ["3414"], "DPT": ["34"]}, "INSEE_LENGTH_5", "INSEE"),
    ({"INSEE": ["75056"], "DPT": ["34"]}, "INSEE_DPT_MATCH_FAIL", "INSEE"),
])
def test_wrong_types_and_inconsistent_values(existing, data, code, field):
    if code is None:
        res = service.save("merimee", {"REF": "PA00000001", **data}, actor="test")
        assert res.errors == []
        return
    err = rejected("merimee", {"REF": "PA00000001", **data})
    assert [(e.code, e.field) for e in err.errors] == [(code, field)]
    label = {"TICO": "Titre courant", "DENO": "Dénomination de l'édifice", "DPT": "Département",
             "INSEE": "Numéro INSEE de la commune"}[field]
    assert err.errors[0].message.startswith(f"{label} ({field}) : ")


def test_wrong_type_for_numbers_and_coordinates(db):
    err = rejected("museo", {"REF": "M0001", "POP_COORDONNEES": {"lat": "quarante", "lon": "2"}})
    assert [(e.code, e.field) for e in err.errors] == [("COORDINATES", "POP_COORDONNEES")]
    assert "latitude et longitude doivent être des nombres" in err.errors[0].message
    err = rejected("enluminures", {"REF": "INI-D-0001", "POP_COORDONNEES.lat": "48,1", "POP_COORDONNEES.lon": "abc"})
    assert err.errors[0].field == "POP_COORDONNEES"
    err = rejected("museo", {"REF": "M0001", "POP_COORDONNEES": {"lat": 95, "lon": 2}})
    assert "hors limites" in err.errors[0].message
    err = rejected("museo", {"REF": "M0001", "POP_COORDONNEES": {"lat": 48.1}})
    assert "ensemble" in err.errors[0].message
    err = rejected("museo", {"REF": "M0001", "POP_COORDONNEES": [48.1, 2.3]})
    assert err.errors[0].code == "COORDINATES"


def test_oversize_values(existing):
    err = rejected("merimee", {"REF": "PA00000001", "HIST": "x" * 20_001})
    assert [(e.code, e.field) for e in err.errors] == [("TOO_LONG", "HIST")]
    assert "valeur trop longue (20001 caractères, maximum 20000)" in err.errors[0].message
    err = rejected("merimee", {"REF": "PA00000001", "DENO": ["a"] * 1001})
    assert [(e.code, e.field) for e in err.errors] == [("TOO_MANY", "DENO")]


@pytest.mark.parametrize("value, code", [
    (b"Ch\xe2teau", "ENCODING"),              # Latin-1 bytes are not UTF-8
    (b"Ch\xc3\xa2teau", None),                # valid UTF-8 bytes are fine
    ("Ch\udce2teau", "ENCODING"),             # lone surrogate (what surrogateescape leaves behind)
    ("\ud83cChâteau", "ENCODING"),            # half of a surrogate pair
    ("ChÃ¢teau", "ENCODING"),                 # mojibake
    ("Ch\ufffdteau", "ENCODING"),             # replacement character: text already damaged
    ("Château\x00", "CONTROL_CHAR"),
    ("Château\x1b[31m", "CONTROL_CHAR"),
    ("Ch\x85teau", "CONTROL_CHAR"),           # C1 control from a cp1252/latin-1 confusion
    ("Château\nde Vaux\tnord", None),         # line breaks and tabs are text
])
def test_encoding_and_control_characters(existing, value, code):
    if code is None:
        service.save("merimee", {"REF": "PA00000001", "TICO": value}, actor="test")
        assert Record.objects.get(ref="PA00000001").data["TICO"].startswith("Ch")
        return
    err = rejected("merimee", {"REF": "PA00000001", "TICO": value})
    assert [(e.code, e.field) for e in err.errors] == [(code, "TICO")]
    assert err.errors[0].message.startswith("Titre courant (TICO) : ")


def test_invalid_utf8_file_is_refused_clearly():
    with pytest.raises(ImportFileError) as exc:
        encoding.decode(b"REF|TICO\nPA00000001|Ch\xe2teau\n", "utf-8", name="mh.csv")
    assert str(exc.value).startswith("mh.csv n'est pas un fichier UTF-8 valide : octet 0xE2 invalide ligne 2, colonne 14.")
    with pytest.raises(ImportFileError, match="Encodage « ebcdic » non pris en charge"):
        encoding.decode(b"REF", "ebcdic")


def test_a_batch_with_one_bad_record_writes_nothing(existing):
    before = state()
    batch = [("merimee", {"REF": f"PA1000000{i}", "TICO": f"Édifice {i}"}) for i in range(5)]
    batch.insert(3, ("merimee", {"REF": "PA00000001", "TICO": "Château renommé"}))  # a valid update
    batch.append(("palissy", {"REF": "PM10000001", "TICO": "Objet", "REFA": ["PA10000001"]}))
    batch.append(("merimee", {"REF": "PA10000009", "DPT": ["A"]}))  # the bad one, last
    with pytest.raises(service.WriteRejected) as exc:
        service.save_many(batch, actor="test", channel="import")
    assert state() == before
    assert Record.objects.get(ref="PA00000001").data["TICO"] == "Château"
    results = exc.value.results
    assert len(results) == len(batch) and [r.ref for r in results if r.errors] == ["PA10000009"]
    assert str(exc.value) == ("1 notice(s) rejetée(s) ; première erreur : Département (DPT) : « A » : "
                              "un code de département a au moins 2 caractères")
    # the same batch with a duplicate REF is refused too
    dup = batch[:-1] + [("merimee", {"REF": "PA10000001", "TICO": "Doublon"})]
    with pytest.raises(service.WriteRejected) as exc:
        service.save_many(dup, actor="test")
    assert state() == before
    assert [e.code for e in exc.value.errors] == ["DUPLICATE_REF"]
    # fixed, it goes through in full
    service.save_many(batch[:-1], actor="test")
    assert Record.objects.filter(ref__startswith="PA1000000").count() == 5


def test_dry_run_writes_nothing_even_when_valid(existing):
    before = state()
    results = service.save_many([("merimee", {"REF": "PA20000001", "TICO": "Nouveau"}),
                                 ("merimee", {"REF": "PA00000001", "TICO": "Château"})], dry_run=True)
    assert [r.status for r in results] == ["created", "unchanged"]
    assert state() == before


def test_create_and_update_modes(existing):
    err = rejected("merimee", {"REF": "PA00000001", "TICO": "x"}, mode="create")
    assert err.errors[0].message == "La notice Mérimée « PA00000001 » existe déjà."
    err = rejected("merimee", {"REF": "PA30000001", "TICO": "x"}, mode="update")
    assert err.errors[0].message == "La notice Mérimée « PA30000001 » n'existe pas."


def test_not_a_record(db):
    before = state()
    with pytest.raises(service.WriteRejected) as exc:
        service.save_many([("merimee", ["REF", "PA00000001"])], actor="test")
    assert state() == before
    assert exc.value.errors[0].message == "Une notice doit être un objet {code: valeur}."


def test_unprintable_field_names_are_shown_escaped(existing):
    err = rejected("merimee", {"REF": "PA00000001", "TI\udcffCO": "x", "A\x00B": "y"})
    messages = sorted(e.message for e in err.errors)
    assert messages == ["Champ inconnu « A\\x00B » pour la base Mérimée.", "Champ inconnu « TI\\udcffCO » pour la base Mérimée."]
    for m in messages:
        m.encode("utf-8")  # safe to send as JSON or HTML


JUNK = [None, "", [], {}, 0, -1, 1.5, float("nan"), float("inf"), 10**400, True, b"\xff", b"ok", "\ud800", "x" * 30_000,
        ["a", None], [["a"]], [{"a": 1}], {"lat": "nan", "lon": 1}, {"lat": 10**400, "lon": 1}, {"lat": [], "lon": {}},
        "\x00", "Ã©", "a;b;;c", ";", [" "], "  ", {"type": "Polygon"}, ("a", "b"), set(), object(), "PA00000001"]


def test_random_junk_is_rejected_or_saved_never_a_crash(db):
    """Seeded random records of junk values: every write either succeeds or raises WriteRejected with
    French messages; nothing else escapes (no database error, no 500 behind an API)."""
    from pop.schema import registry

    rnd = __import__("random").Random(20261124)
    bases = registry.bases()
    outcomes = {"saved": 0, "rejected": 0}
    for _ in range(300):
        base = rnd.choice(bases)
        data = {"REF": rnd.choice(["", "PA00000001", "000PE000001", "M0001", "X", 5, None])}
        for _ in range(rnd.randint(1, 6)):
            data[rnd.choice(base.fields).code] = rnd.choice(JUNK)
        if rnd.random() < 0.1:
            data[rnd.choice(["", "zz", "POP_COORDONNEES.lat", "REF.x", "_id"])] = rnd.choice(JUNK)
        try:
            service.save_many([(base.slug, data)], actor="fuzz")
            outcomes["saved"] += 1
        except service.WriteRejected as exc:
            outcomes["rejected"] += 1
            assert exc.errors and all(e.message and e.level == "error" for e in exc.errors)
    assert outcomes["saved"] > 0 and outcomes["rejected"] > 100
