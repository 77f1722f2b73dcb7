"""`pop demo`: realistic, reproducible demo data stored through the write service."""
from __future__ import annotations

import gc
from collections import Counter

import pytest
import pyvips
from django.core.management import call_command

from pop.catalog.models import Link, Record, Revision
from pop.catalog.reading import read_records
from pop.demo.generator import ORDER, Plan, generate, split
from pop.demo.loader import load
from pop.iiif.storage import media_storage
from pop.schema import V, registry


def test_same_seed_same_records_other_seed_other_records():
    first = list(generate(Plan.for_records(800, seed=7)))
    again = list(generate(Plan.for_records(800, seed=7)))
    other = list(generate(Plan.for_records(800, seed=8)))
    assert first == again
    assert first != other
    assert len({(b, d["REF"]) for b, d in first}) == 800  # unique references


def test_proportions_follow_pop():
    full = split(4_800_000)
    assert sum(full.values()) == 4_800_000
    assert full["memoire"] / 4_800_000 == pytest.approx(0.60, abs=0.005)
    assert full["joconde"] / 4_800_000 == pytest.approx(0.19, abs=0.005)
    assert full["merimee"] / 4_800_000 == pytest.approx(0.07, abs=0.005)
    assert full["palissy"] / 4_800_000 == pytest.approx(0.07, abs=0.005)
    assert full["museo"] == 1_200 and full["mnr"] == 2_200
    small = split(2000)
    assert sum(small.values()) == 2000
    assert all(small[b] >= 3 for b in ORDER)
    generated = Counter(b for b, _ in generate(Plan.for_records(2000, seed=1)))
    assert generated == Counter(small)


def test_every_generated_record_is_stored_valid_and_linked(db):
    report = load(2500, seed=3, progress=False, workers=0)
    assert report.stored == 2500
    assert Record.objects.count() == 2500
    counts = Counter(Record.objects.values_list("base", flat=True))
    assert counts == Counter(split(2500))
    # one creation revision per record, channel "demo", and distinct change numbers
    assert Revision.objects.filter(action=Revision.CREATE, channel="demo").count() == 2500
    assert Record.objects.values("seq").distinct().count() == 2500
    # no record carries a blocking issue; REFs follow each base's format
    for base, ref in Record.objects.values_list("base", "ref"):
        assert registry.get(base).ref_regex.match(ref), (base, ref)
    # every link resolves to a stored record
    existing = set(Record.objects.values_list("base", "ref"))
    links = list(Link.objects.values_list("field", "dst_base", "dst_ref"))
    assert links
    assert all((b, r) in existing for _f, b, r in links)
    fields = Counter(f for f, _b, _r in links)
    for field in ("REFA", "LBASE", "MUSEO", "REFC"):
        assert fields[field] > 0, field


def test_realistic_values_and_derived_fields(db):
    load(2500, seed=3, progress=False, workers=0)
    merimee = list(Record.objects.filter(base="merimee"))
    located = [r for r in merimee if r.data.get("ZONE") == "Lambert93"]
    assert located and all(r.data["POP_CONTIENT_GEOLOCALISATION"] == "oui" for r in located)
    for r in located:  # projected from Lambert-93 into France
        p = r.data["POP_COORDONNEES"]
        assert 41 < p["lat"] < 52 and -6 < p["lon"] < 10
    assert all(r.data["DPT_LETTRE"] for r in merimee)
    # monuments illustrated by a Mémoire photo with an image say so
    illustrated = set(Link.objects.filter(field="LBASE", src__data__CONTIENT_IMAGE="oui").values_list("dst_base", "dst_ref"))
    assert illustrated
    for rec in Record.objects.filter(base__in=["merimee", "palissy", "autor"]):
        assert rec.data["CONTIENT_IMAGE"] == ("oui" if (rec.base, rec.ref) in illustrated else "non")
    # Joconde copies its museum
    joc = Record.objects.filter(base="joconde").first()
    museum = Record.objects.get(base="museo", ref=joc.data["MUSEO"])
    assert joc.data["NOMOFF"] == museum.data["NOMOFF"] and joc.data["POP_COORDONNEES"] == museum.data["POP_COORDONNEES"]
    # French text
    assert any("é" in (r.data.get("TICO") or "") + (r.data.get("HIST") or "") for r in merimee)


def test_restricted_fields_are_filled_but_never_public(db):
    load(3000, seed=5, progress=False, workers=0)
    palissy = [r for r in Record.objects.filter(base="palissy") if r.data.get("ADRS2")]
    mnr = [r for r in Record.objects.filter(base="mnr") if r.data.get("SALLES")]
    assert palissy, "some Palissy records hold a restricted address"
    assert mnr or Record.objects.filter(base="mnr").count() < 5
    for view in read_records(palissy, V.PUBLIC):
        assert not {"ADRS2", "COM2", "EDIF2", "INSEE2", "EMPL2"} & set(view)
    for view in read_records(mnr, V.PUBLIC):
        assert not {"SALLES", "NET", "CARTELS", "RCL"} & set(view)
    restricted = read_records(palissy[:1], V.RESTRICTED)[0]
    assert restricted["ADRS2"] == palissy[0].data["ADRS2"]


def test_workers_store_the_same_records(transactional_db):
    load(600, seed=9, progress=False, workers=1, batch=150)
    stored = {(r.base, r.ref): r.data for r in Record.objects.all()}
    expected = {(b, d["REF"]) for b, d in generate(Plan.for_records(600, seed=9))}
    assert set(stored) == expected
    assert Revision.objects.count() == 600


def test_two_workers_store_in_the_generated_order(transactional_db):
    """With two worker processes storing their own batches, the records are those a single
    process stores, and their creations take change numbers in the generated order."""
    load(900, seed=4, progress=False, workers=2, batch=100)
    stream = [(b, d["REF"]) for b, d in generate(Plan.for_records(900, seed=4))]
    created = dict(Revision.objects.filter(action=Revision.CREATE).values_list("record_id", "seq"))
    seq_of = {(r.base, r.ref): created[r.id] for r in Record.objects.all()}
    assert set(seq_of) == set(stream)
    assert [seq_of[k] for k in stream] == sorted(seq_of.values())
    parallel = {(r.base, r.ref): r.data for r in Record.objects.all()}
    Link.objects.all().delete()
    Revision.objects.all().delete()
    Record.objects.all().delete()
    load(900, seed=4, progress=False, workers=0, batch=100)
    single = {(r.base, r.ref): r.data for r in Record.objects.all()}
    assert parallel.keys() == single.keys()
    differing = [k for k in single if {**parallel[k], "DMIS": "", "DMAJ": ""} != {**single[k], "DMIS": "", "DMAJ": ""}]
    assert differing == []


def test_a_failing_batch_stops_the_load_after_the_batches_before_it(transactional_db, monkeypatch):
    """A batch that cannot be stored stops the load with its error (no worker left waiting): the
    batches before it are stored, nothing of it or of the batches after it."""
    from pop.catalog import service

    stream = list(generate(Plan.for_records(900, seed=4)))
    poisoned = ("palissy", next(d["REF"] for b, d in stream[300:400] if b == "palissy"))
    save_many = service.save_many

    def failing(items, **kw):
        items = list(items)
        if any((c.base, c.data.get("REF")) == poisoned for c in items):
            raise RuntimeError("lot refusé")
        return save_many(items, **kw)

    monkeypatch.setattr(service, "save_many", failing)
    with pytest.raises(RuntimeError, match="lot refusé"):
        load(900, seed=4, progress=False, workers=2, batch=100)
    stored = set(Record.objects.values_list("base", "ref"))
    assert stored == {(b, d["REF"]) for b, d in stream[:300]}
    assert gc.isenabled() and gc.get_freeze_count() == 0  # the collector is given back as it was


def test_the_load_leaves_the_garbage_collector_as_it_found_it(db):
    """The cyclic GC is off while a load runs (it makes no reference cycles) and comes back as it
    was, on or off, even when the load fails."""
    load(300, seed=5, progress=False, workers=0, batch=100)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        with pytest.raises(Exception):
            load(300, seed=5, progress=False, workers=0, batch=100)  # the same REFs again: refused
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()


def test_photos_come_with_the_record_they_illustrate(db):
    """Mémoire photos follow the record they illustrate, so a photo is stored in the same batch as
    its subject: the subject's image fields are computed at its creation and it keeps the one seq
    of that creation, except for a group cut by the end of a batch."""
    plan = Plan.for_records(3000, seed=5)
    stream = list(generate(plan))
    position = {(b, d["REF"]): k for k, (b, d) in enumerate(stream)}
    photos = [(k, d) for k, (b, d) in enumerate(stream) if b == "memoire" and d.get("LBASE")]
    assert photos
    for k, d in photos:
        subject = next(position[(b, d["LBASE"][0])] for b in ("merimee", "palissy", "autor") if (b, d["LBASE"][0]) in position)
        assert subject < k
    batch = 250
    load(3000, seed=5, progress=False, workers=0, batch=batch)
    # Autor records are linked only by Mémoire photos: one seq each, as created, but where a batch
    # boundary cuts a record from its photos.
    created = dict(Revision.objects.filter(action=Revision.CREATE).values_list("record_id", "seq"))
    illustrated = set(Link.objects.filter(field="LBASE", dst_base="autor", src__data__CONTIENT_IMAGE="oui").values_list("dst_ref", flat=True))
    autors = Record.objects.filter(base="autor", ref__in=illustrated)
    later = [r.ref for r in autors if r.seq != created[r.id]]
    assert len(illustrated) > 20
    assert len(later) <= 3000 // batch
    assert {r.data["CONTIENT_IMAGE"] for r in autors} == {"oui"}  # shown with an image, whichever batch brought it


def test_objects_come_after_the_building_that_holds_them(db):
    """A Palissy object held by a building (REFA) comes right after that building, so both are
    stored in the same batch: the building shows its objects from its creation, and keeps the one
    seq of that creation, except where a batch boundary cuts a building from its objects."""
    plan = Plan.for_records(3000, seed=6)
    stream = list(generate(plan))
    position = {(b, d["REF"]): k for k, (b, d) in enumerate(stream)}
    held = [(k, d["REFA"][0]) for k, (b, d) in enumerate(stream) if b == "palissy" and d.get("REFA")]
    assert len(held) > 50
    per_building = Counter(ref for _k, ref in held)
    assert max(per_building.values()) >= 2  # some buildings hold several objects
    for k, ref in held:
        building = position[("merimee", ref)]
        assert building < k
        # only the building's photos and its other objects (with their photos) come in between
        assert {b for b, _d in stream[building + 1:k]} <= {"memoire", "palissy"}
    batch = 250
    load(3000, seed=6, progress=False, workers=0, batch=batch)
    created = dict(Revision.objects.filter(action=Revision.CREATE).values_list("record_id", "seq"))
    buildings = Record.objects.filter(base="merimee", ref__in=set(per_building))
    later = [r.ref for r in buildings if r.seq != created[r.id]]
    assert len(later) <= 3000 // batch
    assert {r.ref for r in buildings} == set(per_building)


def test_inventory_photo_refs_follow_the_campaigns():
    """Inventaire photos (IVR{region}_{year}{department}{number}NUC) carry the year of their
    campaign: the photos of one record share it, and in each department the REFs come in increasing
    order along the stream, as an inventory numbers them (and as the REF index is filled)."""
    stream = list(generate(Plan.for_records(20_000, seed=2)))
    photos = [d for b, d in stream if b == "memoire" and d["REF"].startswith("IVR")]
    assert len(photos) > 500
    years_by_subject: dict[str, set[str]] = {}
    last_by_department: dict[str, str] = {}
    for d in photos:
        prefix, rest = d["REF"].split("_", 1)
        year, department = rest[:4], d["DPT"][0]
        assert 1980 <= int(year) <= 2019
        years_by_subject.setdefault(d["LBASE"][0], set()).add(year)
        key = prefix + department
        assert d["REF"] > last_by_department.get(key, "")
        last_by_department[key] = d["REF"]
    assert all(len(years) == 1 for years in years_by_subject.values())
    assert len({y for ys in years_by_subject.values() for y in ys}) > 10  # campaigns span the years


def test_joconde_objects_come_museum_by_museum():
    """Museums send their collections one after the other: Joconde objects come grouped by museum
    (MUSEO never goes back), and a few big museums still hold most objects."""
    plan = Plan.for_records(40_000, seed=3)
    museums = [d["MUSEO"] for b, d in generate(plan) if b == "joconde"]
    assert len(museums) == plan.counts["joconde"]
    assert museums == sorted(museums)
    counts = sorted((museums.count(m) for m in set(museums)), reverse=True)
    assert len(counts) == plan.counts["museo"] >= 10
    assert counts[0] > 0.25 * len(museums) and counts[0] > 4 * counts[-1]


def test_command_writes_real_images_and_respects_if_empty(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path  # a media store of its own
    call_command("demo", records=300, images=6, seed=2, quiet=True)
    assert Record.objects.count() == 300
    store = media_storage()
    keys = list(store.keys())
    assert len(keys) == 6
    referenced = set()
    for rec in Record.objects.all():
        for code in registry.get(rec.base).image_fields:
            v = rec.data.get(code)
            referenced |= set(v if isinstance(v, list) else [v] if v else [])
    for key in keys:
        assert key in referenced  # each file belongs to a record
        img = pyvips.Image.new_from_file(str(store.path(key)))
        assert img.width >= 600 and img.height >= 600 and img.bands == 3
        assert img.avg() > 0
    # --if-empty: nothing happens on a database that has records
    call_command("demo", records=100, if_empty=True, quiet=True)
    assert Record.objects.count() == 300


def test_exactly_k_images_when_a_base_has_fewer_than_its_quota():
    # 20,000 records hold 5 museums, whose quota of 60 images is 6: other bases make up the difference
    plan = Plan.for_records(20_000, seed=1, images=60)
    assert plan.counts["museo"] < 6
    records = {d["REF"]: (b, d) for b, d in generate(plan)}
    assert len(plan.image_keys) == 60 == len(set(plan.image_keys))
    owners = {key.split("/")[1] for key in plan.image_keys}
    assert owners <= set(records)


def test_command_writes_exactly_k_images(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    # 30 records: 6 Mémoire photos at most, fewer than Mémoire's quota of 12 images
    call_command("demo", records=30, images=12, seed=1, quiet=True)
    assert len(list(media_storage().keys())) == 12


def test_precomputed_creations_store_what_plain_writes_store(db):
    from django.db import transaction

    from pop.catalog import service

    items = list(generate(Plan.for_records(400, seed=4)))
    with transaction.atomic():
        service.save_many(items, actor="test", channel="demo")
        plain = {(r.base, r.ref): r.data for r in Record.objects.all()}
        transaction.set_rollback(True)
    assert not Record.objects.exists()
    service.save_many(service.clean_items(items, as_creations=True), actor="test", channel="demo")
    assert {(r.base, r.ref): r.data for r in Record.objects.all()} == plain


def _stored_state():
    records = {(r.base, r.ref): (r.data, r.producer, r.status) for r in Record.objects.all()}
    links = sorted(Link.objects.values_list("src__base", "src__ref", "field", "position", "dst_base", "dst_ref"))
    revisions = sorted(Revision.objects.values_list("record__base", "record__ref", "action", "channel", "actor", "changes"))
    return records, links, revisions


@pytest.mark.parametrize("transport", ["pickle", "same process"])
def test_fast_path_batch_stores_what_one_by_one_saves_store(db, transport):
    """A demo batch typed and precomputed as a worker process does (kept in that process, or sent to
    another through pickling) and stored by save_many gives the same records, links and history as
    saving each record alone."""
    import pickle

    from django.db import transaction

    from pop.catalog import service

    items = list(generate(Plan.for_records(500, seed=6)))
    with transaction.atomic():
        for base, data in items:
            service.save(base, data, actor="Données de démonstration", channel="demo", mode="create")
        one_by_one = _stored_state()
        transaction.set_rollback(True)
    assert not Record.objects.exists()
    cleaned = service.clean_items(items, as_creations=True)
    if transport == "pickle":
        prepared = pickle.loads(pickle.dumps(cleaned))
    else:
        prepared = cleaned
    assert all(isinstance(c, service.Cleaned) and c.created is not None for c in prepared)
    results = service.save_many(prepared, actor="Données de démonstration", channel="demo", mode="create")
    assert [r.status for r in results] == [service.CREATED] * 500
    records, links, revisions = _stored_state()
    assert records == one_by_one[0]
    assert links == one_by_one[1] and links
    assert revisions == one_by_one[2] and len(revisions) == 500
    flagged = [d for d, _p, _s in records.values() if d.get("POP_FLAGS")]
    assert all(d["POP_FLAGS"] == sorted(set(d["POP_FLAGS"])) for d in flagged)


def test_stale_precomputation_is_recomputed(db):
    from pop.catalog import service

    joconde = ("joconde", {"REF": "000PE000001", "INV": "D 1", "MUSEO": "M5031", "DOMN": ["peinture"], "STAT": ["propriété de l'État"]})
    museum = ("museo", {"REF": "M5031", "NOMOFF": "Musée des Beaux-Arts de Lyon", "VILLE_M": "Lyon",
                        "POP_COORDONNEES": {"lat": 45.767, "lon": 4.834}})
    import pickle

    # the museum does not exist yet when the item is precomputed
    cleaned = pickle.loads(pickle.dumps(service.clean_items([joconde], as_creations=True)))
    service.save_many([museum], actor="test")
    service.save_many(cleaned, actor="test")
    stored = Record.objects.get(base="joconde", ref="000PE000001").data
    assert stored["NOMOFF"] == "Musée des Beaux-Arts de Lyon"
    assert stored["POP_COORDONNEES"] == {"lat": 45.767, "lon": 4.834}
