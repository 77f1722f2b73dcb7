"""Guarantees of the write service (pop.catalog.service): links, computed fields, history, tombstones.

Runs on SQLite and on PostgreSQL (scripts/test.sh runs the suite on both).
"""
from __future__ import annotations

import pytest

from pop.catalog import producers, service
from pop.catalog.models import Link, Producer, Record, Revision
from pop.catalog.reading import public_record, read_records
from pop.schema import V


def rec(base: str, ref: str) -> Record:
    return Record.objects.get(base=base, ref=ref)


def view(base: str, ref: str, level=V.PUBLIC) -> dict:
    return read_records([rec(base, ref)], level=level)[0]


# --------------------------------------------------------------------------------------------
# links: stored once, reverse side derived


def test_palissy_refa_is_stored_once_and_merimee_shows_refo(sample_graph):
    links = list(Link.objects.filter(field="REFA").values_list("src__ref", "dst_base", "dst_ref"))
    assert links == [("PM34000001", "merimee", "PA00078014")]
    assert "REFO" not in rec("merimee", "PA00078014").data  # never stored on the target
    assert view("merimee", "PA00078014")["REFO"] == ["PM34000001"]
    assert public_record("merimee", "PA00078014")["REFO"] == ["PM34000001"]

    # a second object in the same building, then the first one leaves it
    service.save("palissy", {"REF": "PM34000002", "TICO": "Cloche", "REFA": ["PA00078014"], "DPT": ["34"]}, actor="test")
    assert view("merimee", "PA00078014")["REFO"] == ["PM34000001", "PM34000002"]
    service.save("palissy", {"REF": "PM34000001", "REFA": []}, actor="test")
    assert view("merimee", "PA00078014")["REFO"] == ["PM34000002"]
    # deleting the object removes it from the building too
    service.delete("palissy", "PM34000002", actor="test")
    assert "REFO" not in view("merimee", "PA00078014")


def test_refo_cannot_be_written_from_the_merimee_side(sample_graph):
    service.save("merimee", {"REF": "PA00078014", "REFO": ["PM99999999"]}, actor="test")
    assert view("merimee", "PA00078014")["REFO"] == ["PM34000001"]
    assert not Link.objects.filter(dst_ref="PM99999999").exists()


def test_memoire_lbase_gives_the_target_its_image_and_a_new_seq(db):
    service.save("merimee", {"REF": "PA00000001", "TICO": "Église", "DPT": ["75"]}, actor="test")
    target = rec("merimee", "PA00000001")
    assert target.data["CONTIENT_IMAGE"] == "non"
    seq_before = target.seq

    photo = service.save("memoire", {"REF": "AP75R000001", "LBASE": ["PA00000001"], "IMG": "memoire/AP75R000001/vue.jpg",
                                     "LEG": "Façade ouest", "COPY": "© Ministère de la Culture"}, actor="test")
    target = rec("merimee", "PA00000001")
    assert target.data["CONTIENT_IMAGE"] == "oui"
    assert target.seq > photo.seq > seq_before  # the target changed (derived view): followers must see it
    assert view("merimee", "PA00000001")["MEMOIRE"] == [
        {"ref": "AP75R000001", "url": "memoire/AP75R000001/vue.jpg", "copy": "© Ministère de la Culture",
         "name": "Façade ouest", "marq": ""}]
    assert Revision.objects.filter(record=target).count() == 1  # touching is not a revision of the target

    # the photo loses its image, then stops illustrating the building
    service.save("memoire", {"REF": "AP75R000001", "IMG": ""}, actor="test")
    assert rec("merimee", "PA00000001").data["CONTIENT_IMAGE"] == "non"
    service.save("memoire", {"REF": "AP75R000001", "IMG": "memoire/AP75R000001/vue.jpg"}, actor="test")
    assert rec("merimee", "PA00000001").data["CONTIENT_IMAGE"] == "oui"
    seq = rec("merimee", "PA00000001").seq
    service.save("memoire", {"REF": "AP75R000001", "LBASE": []}, actor="test")
    target = rec("merimee", "PA00000001")
    assert target.data["CONTIENT_IMAGE"] == "non" and target.seq > seq
    assert "MEMOIRE" not in view("merimee", "PA00000001")


def test_deleting_a_photo_updates_its_target(sample_graph):
    assert rec("merimee", "PA00078014").data["CONTIENT_IMAGE"] == "oui"
    seq = rec("merimee", "PA00078014").seq
    service.delete("memoire", "AP34R000001", actor="test")
    target = rec("merimee", "PA00078014")
    assert target.data["CONTIENT_IMAGE"] == "non" and target.seq > seq


def test_link_to_a_missing_record_is_an_error_naming_the_field(db):
    with pytest.raises(service.WriteRejected) as exc:
        service.save("palissy", {"REF": "PM75000001", "TICO": "Autel", "REFA": ["PA99999999"]}, actor="test")
    [error] = exc.value.errors
    assert error.code == "REFA_REF_NOT_FOUND"
    assert error.message == "Référence Mérimée de l'édifice (REFA) : la notice liée « PA99999999 » n'existe pas (base merimee)"
    # a link to a record created in the same batch is fine
    service.save_many([("palissy", {"REF": "PM75000001", "TICO": "Autel", "REFA": ["PA99999999"]}),
                       ("merimee", {"REF": "PA99999999", "TICO": "Chapelle"})], actor="test")
    assert view("merimee", "PA99999999")["REFO"] == ["PM75000001"]


def test_a_link_is_found_in_any_of_its_target_bases(db):
    """Mémoire LBASE may name a Mérimée, Palissy or Autor record: a value is looked up in the base
    its REF looks like first, then in the others (an Autor REF may look like a Mérimée one)."""
    service.save_many([("autor", {"REF": "PA12345678", "NOM": "Dupont"}), ("merimee", {"REF": "PA00000001", "TICO": "Église"})],
                      actor="test")
    photo = {"REF": "MH0000001", "LEG": "Vue", "LBASE": ["PA00000001", "PA12345678"]}
    assert service.save("memoire", photo, actor="test").errors == []
    with pytest.raises(service.WriteRejected) as exc:
        service.save("memoire", {"REF": "MH0000002", "LBASE": ["PA00000001", "PA87654321", "OR0000009"]}, actor="test")
    assert [(e.code, e.message.split("« ")[1].split(" »")[0]) for e in exc.value.errors] == [
        ("LBASE_REF_NOT_FOUND", "PA87654321"), ("LBASE_REF_NOT_FOUND", "OR0000009")]


def test_record_data_is_stored_as_json_text(db):
    """The write service hands SQLite the JSON's bytes, stored as text: JSON lookups, the database's
    own JSON functions and every reader see the same record on both databases."""
    from django.db import connection

    service.save("merimee", {"REF": "PA00000001", "TICO": "Église Saint-Étienne", "DENO": ["église"]}, actor="test")
    service.save("merimee", {"REF": "PA00000001", "TICO": "Église Saint-Étienne-du-Mont"}, actor="test")
    assert Record.objects.filter(data__TICO="Église Saint-Étienne-du-Mont", data__DENO__0="église").count() == 1
    assert rec("merimee", "PA00000001").revisions.last().changes == {
        "TICO": ["Église Saint-Étienne", "Église Saint-Étienne-du-Mont"]}
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("SELECT typeof(data), json_extract(data, '$.TICO') FROM pop_record")
            assert cur.fetchall() == [("text", "Église Saint-Étienne-du-Mont")]
            cur.execute("SELECT typeof(changes) FROM pop_revision ORDER BY seq")
            assert cur.fetchall() == [("null",), ("text",)]


def test_a_precomputed_creation_follows_a_new_producers_table(db):
    """A batch computed before the producers table changed is stored with the producer the new
    table gives."""
    cleaned = service.clean_items([("memoire", {"REF": "MHR53000001", "LEG": "Vue"})], as_creations=True)
    assert cleaned[0].created.producer == "CRMH"
    Producer.objects.create(label="CRMH Bretagne", base="memoire", prefix="MHR53")
    producers.reload()
    try:
        service.save_many(cleaned, actor="test", mode="create")
        assert rec("memoire", "MHR53000001").data["PRODUCTEUR"] == "CRMH Bretagne"
    finally:
        Producer.objects.filter(prefix="MHR53").delete()
        producers.reload()


# --------------------------------------------------------------------------------------------
# computed fields


def test_producer_from_longest_prefix_and_memoire_rules(db):
    cases = [("merimee", "PA00000002", {}, "Monuments Historiques"), ("merimee", "IA00000002", {}, "Inventaire"),
             ("merimee", "EA00000002", {}, "État"), ("palissy", "PM00000002", {}, "Monuments Historiques"),
             ("palissy", "JDP0001", {}, "Jeu de Paume"), ("memoire", "MH0001", {}, "CRMH"),
             ("memoire", "IVR11_0001", {}, "INV"), ("memoire", "OA0001", {}, "CAOA"), ("memoire", "ZZ0001", {}, "AUTRE"),
             ("memoire", "AP0001", {}, "AUTRE"),
             ("memoire", "AP0002", {"IDPROD": "Service départemental de l'architecture du Var"}, "UDAP"),
             ("memoire", "MH0002", {"IDPROD": "SAP Médiathèque"}, "MPP"),
             ("memoire", "MH0003", {"EMET": "SAP"}, "MPP"),
             ("autor", "OR0001", {}, "Inventaire"), ("autor", "AW0001", {}, "MAP"), ("autor", "ZZ0001", {}, "AUTRE"),
             ("joconde", "000PE000001", {}, "MUSEE"), ("mnr", "MNR00001", {}, "MNR")]
    for base, ref, extra, expected in cases:
        assert producers.producer_for(base, ref, extra) == expected, (base, ref)
    res = service.save("palissy", {"REF": "IM75000001", "TICO": "Statue"}, actor="test")
    assert rec("palissy", "IM75000001").data["PRODUCTEUR"] == "Inventaire" == rec("palissy", "IM75000001").producer
    assert res.status == "created"

    # longest prefix wins: a more specific producer for "MHR" beats CRMH ("MH")
    Producer.objects.create(label="CRMH Bretagne", base="memoire", prefix="MHR53")
    producers.reload()
    try:
        assert producers.producer_for("memoire", "MHR53000001") == "CRMH Bretagne"
        assert producers.producer_for("memoire", "MH0000001") == "CRMH"
    finally:
        Producer.objects.filter(prefix="MHR53").delete()
        producers.reload()


def test_contient_image(db):
    service.save("museo", {"REF": "M0001", "NOMOFF": "Musée"}, actor="test")
    base = {"INV": "1", "MUSEO": "M0001", "DOMN": ["peinture"], "STAT": ["propriété de l'État"]}
    service.save_many([("joconde", {"REF": "00000000001", **base, "IMG": ["joconde/00000000001/a.jpg"]}),
                       ("joconde", {"REF": "00000000002", **base})], actor="test")
    assert rec("joconde", "00000000001").data["CONTIENT_IMAGE"] == "oui"
    assert rec("joconde", "00000000002").data["CONTIENT_IMAGE"] == "non"
    service.save("joconde", {"REF": "00000000001", "IMG": []}, actor="test")
    assert rec("joconde", "00000000001").data["CONTIENT_IMAGE"] == "non"


@pytest.mark.parametrize("coor, zone, lat, lon, tol", [
    # Lambert 93 is defined with its origin (3°E, 46.5°N) at (700 000 ; 6 600 000)
    ("700000;6600000", "Lambert93", 46.5, 3.0, 1e-6),
    ("0700000;6600000", "lambert 93", 46.5, 3.0, 1e-6),
    # Lambert II étendu: origin (Paris meridian 2°20'14.025"E, 52 grades = 46.8°N) at (600 000 ; 2 200 000),
    # on the NTF datum: the WGS84 position differs by the datum shift (< 0.002°)
    ("600000;2200000", "Lambert2 étendu", 46.8, 2.337229, 0.002),
    ("600000;2200000", "lambert2", 46.8, 2.337229, 0.002),
    # WGS84: "lon;lat", decimal comma accepted
    ("2,3522;48,8566", "WGS84", 48.8566, 2.3522, 1e-9),
])
def test_geolocation_from_coor_and_zone(db, coor, zone, lat, lon, tol):
    service.save("merimee", {"REF": "PA00000003", "TICO": "Monument", "COOR": coor, "ZONE": zone}, actor="test")
    data = rec("merimee", "PA00000003").data
    assert data["POP_COORDONNEES"]["lat"] == pytest.approx(lat, abs=tol)
    assert data["POP_COORDONNEES"]["lon"] == pytest.approx(lon, abs=tol)
    assert data["POP_CONTIENT_GEOLOCALISATION"] == "oui"


def test_geolocation_polygon_centroid_and_bad_coordinates(db):
    square = "699000;6599000/701000;6599000/701000;6601000/699000;6601000"
    service.save("palissy", {"REF": "PM00000004", "TICO": "Objet", "COORM": square, "ZONE": "Lambert93"}, actor="test")
    data = rec("palissy", "PM00000004").data
    assert data["POP_COORDINATES_POLYGON"]["type"] == "Polygon" and len(data["POP_COORDINATES_POLYGON"]["coordinates"]) == 4
    assert data["POP_COORDONNEES"]["lat"] == pytest.approx(46.5, abs=1e-3)
    assert data["POP_COORDONNEES"]["lon"] == pytest.approx(3.0, abs=1e-3)
    # removing the coordinates removes the position
    service.save("palissy", {"REF": "PM00000004", "COORM": "", "ZONE": ""}, actor="test")
    data = rec("palissy", "PM00000004").data
    assert data["POP_COORDONNEES"] is None and data["POP_CONTIENT_GEOLOCALISATION"] == "non"

    for coor, zone, code in (("abc;def", "Lambert93", "COOR"), ("700000;6600000", "", "ZONE"),
                             ("700000;6600000", "Mercator", "COOR"), ("700000", "Lambert93", "COOR")):
        with pytest.raises(service.WriteRejected) as exc:
            service.save("merimee", {"REF": "PA00000005", "COOR": coor, "ZONE": zone}, actor="test")
        assert [e.field for e in exc.value.errors] == [code], (coor, zone)
        assert exc.value.errors[0].message.startswith(("Coordonnées géographiques d'un point (COOR) : ",
                                                       "Typologie de la coordonnée géographique de l'édifice (ZONE) : "))


def test_zero_zero_is_not_a_position(db):
    service.save("museo", {"REF": "M0002", "NOMOFF": "Musée", "POP_COORDONNEES": {"lat": 0, "lon": 0}}, actor="test")
    data = rec("museo", "M0002").data
    assert not data.get("POP_COORDONNEES") and data["POP_CONTIENT_GEOLOCALISATION"] == "non"
    service.save("museo", {"REF": "M0002", "POP_COORDONNEES.lat": "47,6559", "POP_COORDONNEES.lon": "-2,7603"}, actor="test")
    data = rec("museo", "M0002").data
    assert data["POP_COORDONNEES"] == {"lat": 47.6559, "lon": -2.7603} and data["POP_CONTIENT_GEOLOCALISATION"] == "oui"


def test_dpt_lettre(db):
    service.save("merimee", {"REF": "PA00000006", "TICO": "Tour", "DPT": ["2A", "5", "971"]}, actor="test")
    data = rec("merimee", "PA00000006").data
    assert data["DPT"] == ["2A", "05", "971"]
    assert data["DPT_LETTRE"] == ["Corse-du-Sud", "Hautes-Alpes", "Guadeloupe"]


def test_joconde_copies_its_museum_and_follows_its_changes(sample_graph):
    data = rec("joconde", "000PE001028").data
    assert (data["NOMOFF"], data["VILLE_M"], data["REGION"], data["DPT"]) == (
        "Musée des Beaux-Arts de Lyon", "Lyon", "Auvergne-Rhône-Alpes", "Rhône")
    assert data["POP_COORDONNEES"] == {"lat": 45.767, "lon": 4.834} and data["POP_CONTIENT_GEOLOCALISATION"] == "oui"
    seq = rec("joconde", "000PE001028").seq
    museum = service.save("museo", {"REF": "M5031", "NOMOFF": "MBA Lyon", "CONTACT_GENERIQUE": "mba@lyon.example"}, actor="test")
    obj = rec("joconde", "000PE001028")
    assert obj.data["NOMOFF"] == "MBA Lyon" and obj.data["CONTACT"] == "mba@lyon.example"
    assert obj.seq > museum.seq > seq
    # a Joconde record cannot override what it copies from its museum
    service.save("joconde", {"REF": "000PE001028", "NOMOFF": "Autre nom"}, actor="test")
    assert rec("joconde", "000PE001028").data["NOMOFF"] == "MBA Lyon"


# --------------------------------------------------------------------------------------------
# history and restore


def test_history_records_who_how_and_what(db):
    service.save("merimee", {"REF": "PA00000007", "TICO": "Château", "DENO": ["château"]}, actor="Jeanne Martin", channel="manual")
    service.save("merimee", {"REF": "PA00000007", "TICO": "Château de Vaux", "HIST": "Construit au 17e siècle."},
                 actor="Import CRMH", channel="import", channel_ref="42")
    service.save("merimee", {"REF": "PA00000007", "TICO": "Château de Vaux"}, actor="Jeanne Martin")  # no change
    service.delete("merimee", "PA00000007", actor="Paul Durand")
    service.save("merimee", {"REF": "PA00000007", "TICO": "Château de Vaux-le-Vicomte"}, actor="Paul Durand", channel="api")

    r = rec("merimee", "PA00000007")
    revs = list(r.revisions.order_by("seq"))
    assert [(v.action, v.actor, v.channel) for v in revs] == [
        ("create", "Jeanne Martin", "manual"), ("update", "Import CRMH", "import"), ("delete", "Paul Durand", "manual"),
        ("restore", "Paul Durand", "api")]
    assert revs[1].channel_ref == "42"
    assert revs[1].changes == {"TICO": ["Château", "Château de Vaux"], "HIST": [None, "Construit au 17e siècle."]}
    assert revs[2].changes == {"__status__": ["published", "deleted"]}
    assert revs[3].changes["__status__"] == ["deleted", "published"]
    assert revs[3].changes["TICO"] == ["Château de Vaux", "Château de Vaux-le-Vicomte"]
    assert [v.seq for v in revs] == sorted({v.seq for v in revs}) and r.seq == revs[-1].seq


def test_a_batch_gives_each_record_its_revision(db, django_user_model):
    """Every record of a batch gets its own revision with the batch's author and channel, whether
    the batch only creates records or also changes some."""
    user = django_user_model.objects.create_user("lea", first_name="Léa", last_name="Roux")
    created = service.save_many([("merimee", {"REF": f"PA0000010{k}", "TICO": f"Édifice {k}"}) for k in range(3)],
                                actor=user, channel="import", channel_ref="7")
    mixed = service.save_many([("merimee", {"REF": "PA00000101", "TICO": "Édifice 1 bis"}),
                               ("merimee", {"REF": "PA00000103", "TICO": "Édifice 3"})], actor="Paul Durand", channel="api")
    revs = list(Revision.objects.order_by("seq").values_list("record__ref", "seq", "action", "user_id", "actor", "channel",
                                                             "channel_ref", "changes"))
    assert revs == [
        *((f"PA0000010{k}", r.seq, "create", user.pk, "Léa Roux", "import", "7", None) for k, r in enumerate(created)),
        ("PA00000101", mixed[0].seq, "update", None, "Paul Durand", "api", "", {"TICO": ["Édifice 1", "Édifice 1 bis"]}),
        ("PA00000103", mixed[1].seq, "create", None, "Paul Durand", "api", "", None),
    ]
    assert [r.seq for r in created + mixed] == sorted(r.seq for r in created + mixed)


def test_restore_to_any_revision(db):
    service.save("palissy", {"REF": "PM00000008", "TICO": "Calice", "DENO": ["calice"]}, actor="a")
    first = rec("palissy", "PM00000008").seq
    service.save("palissy", {"REF": "PM00000008", "TICO": "Calice et patène", "MATR": ["argent"]}, actor="b")
    second = rec("palissy", "PM00000008").seq
    service.save("palissy", {"REF": "PM00000008", "DENO": ["calice", "patène"], "MATR": []}, actor="c")
    service.delete("palissy", "PM00000008", actor="d")

    res = service.restore_revision("palissy", "PM00000008", seq=second, actor="e")
    assert res.status == "restored"
    data = rec("palissy", "PM00000008").data
    assert (data["TICO"], data["DENO"], data["MATR"]) == ("Calice et patène", ["calice"], ["argent"])
    assert rec("palissy", "PM00000008").status == "published"

    service.restore_revision("palissy", "PM00000008", seq=first, actor="e")
    data = rec("palissy", "PM00000008").data
    assert data["TICO"] == "Calice" and data["DENO"] == ["calice"] and not data.get("MATR")
    last = rec("palissy", "PM00000008").revisions.order_by("-seq").first()
    assert (last.actor, last.channel, last.channel_ref) == ("e", "restore", str(first))

    with pytest.raises(service.WriteRejected) as exc:
        service.restore_revision("palissy", "PM00000008", seq=123456789, actor="e")
    assert "Révision 123456789 introuvable" in exc.value.errors[0].message


def test_delete_is_a_tombstone_with_a_new_seq(sample_graph):
    before = rec("palissy", "PM34000001").seq
    res = service.delete("palissy", "PM34000001", actor="test")
    tomb = rec("palissy", "PM34000001")
    assert tomb.status == "deleted" and tomb.seq == res.seq > before == before
    assert res.seq > max(Record.objects.exclude(pk=tomb.pk).exclude(base="merimee").values_list("seq", flat=True))
    assert public_record("palissy", "PM34000001") is None
    assert not Link.objects.filter(src=tomb).exists()
    # a follower reading seq > before sees the removal
    changes = list(Record.objects.filter(seq__gt=before).order_by("seq").values_list("base", "ref", "status"))
    assert ("palissy", "PM34000001", "deleted") in changes
    # deleting twice is refused, clearly
    with pytest.raises(service.WriteRejected) as exc:
        service.delete("palissy", "PM34000001", actor="test")
    assert exc.value.errors[0].message == "Notice Palissy « PM34000001 » introuvable."


def test_restore_to_a_deletion_and_user_actors(db, django_user_model):
    user = django_user_model.objects.create_user("jmartin", first_name="Jeanne", last_name="Martin")
    service.save("merimee", {"REF": "PA00000009", "TICO": "Moulin"}, actor=user, channel="manual")
    deletion = service.delete("merimee", "PA00000009", actor=user)
    service.save("merimee", {"REF": "PA00000009", "TICO": "Moulin à vent"}, actor=user)
    assert rec("merimee", "PA00000009").status == "published"
    res = service.restore_revision("merimee", "PA00000009", seq=deletion.seq, actor=user)
    assert res.status == "deleted" and rec("merimee", "PA00000009").status == "deleted"
    revs = list(rec("merimee", "PA00000009").revisions.order_by("seq"))
    assert [v.action for v in revs] == ["create", "delete", "restore", "delete"]
    assert {(v.actor, v.user_id) for v in revs} == {("Jeanne Martin", user.pk)}
    assert (revs[-1].channel, revs[-1].channel_ref) == ("restore", str(deletion.seq))


@pytest.mark.parametrize("precomputed", [False, True])
def test_create_mode_finds_existing_refs_and_tombstones_without_looking_them_up_first(db, precomputed):
    """mode="create" lets the unique index find an existing REF: the outcome is the full path's
    (an existing record rejects the whole batch, a tombstone is restored, no seq is lost)."""
    service.save("merimee", {"REF": "PA00000011", "TICO": "Moulin"}, actor="test")
    service.save("merimee", {"REF": "PA00000012", "TICO": "Lavoir"}, actor="test")
    service.delete("merimee", "PA00000012", actor="test")

    def batch(*items):
        return service.clean_items(items, as_creations=True) if precomputed else list(items)

    seq = service.current_seq()
    with pytest.raises(service.WriteRejected) as exc:
        service.save_many(batch(("merimee", {"REF": "PA00000013", "TICO": "Four"}),
                                ("merimee", {"REF": "PA00000011", "TICO": "Autre moulin"})), actor="test", mode="create")
    assert [(i.code, i.field) for i in exc.value.errors] == [("REF_EXISTS", "REF")]
    assert [r.status for r in exc.value.results] == ["created", "updated"]
    assert not Record.objects.filter(ref="PA00000013").exists()
    assert rec("merimee", "PA00000011").data["TICO"] == "Moulin"
    assert service.current_seq() == seq

    results = service.save_many(batch(("merimee", {"REF": "PA00000013", "TICO": "Four"}),
                                      ("merimee", {"REF": "PA00000012", "TICO": "Lavoir"})), actor="test", mode="create")
    assert [r.status for r in results] == ["created", "restored"]
    assert [r.seq for r in results] == [seq + 1, seq + 2] and service.current_seq() == seq + 2
    assert rec("merimee", "PA00000012").status == "published"
    assert [v.action for v in rec("merimee", "PA00000012").revisions.order_by("seq")] == ["create", "delete", "restore"]
    assert [v.action for v in rec("merimee", "PA00000013").revisions.all()] == ["create"]
