"""The index follows the change sequence: sync, rebuild, check, crash recovery, the live follower."""
from __future__ import annotations

import random
import time
from collections import Counter

import pytest
import tantivy
from django.core.management import call_command
from django.core.management.base import CommandError

from pop.catalog import service
from pop.catalog.models import Record
from pop.search import store
from pop.search.engine import reader
from pop.search.interface import ExpertQuery, SimpleQuery, search

from .conftest import pop_process


def monuments(n, start=0, **extra):
    return [("merimee", {"REF": f"PA{i:08d}", "TICO": f"Monument numéro {i}", "DENO": ["église" if i % 2 else "château"],
                         "DPT": ["34"], "COM": ["Lunel"], **extra}) for i in range(start, start + n)]


def index_keys() -> Counter:
    """base/REF -> number of documents in the live index."""
    index, _ = reader.get()
    s = index.searcher()
    res = s.search(tantivy.Query.all_query(), max(1, s.num_docs))
    return Counter(s.doc(a)["key"][0] for _score, a in res.hits)


def db_keys() -> set:
    return {f"{b}/{r}" for b, r in Record.objects.filter(status=Record.PUBLISHED).values_list("base", "ref")}


def test_sync_on_empty_database_creates_an_empty_index(db, index_dir):
    call_command("index", "sync")
    assert store.current_gen() is not None
    assert search(SimpleQuery(text="église")).total == 0
    call_command("index", "sync")  # again: nothing to do, still fine


def test_sync_applies_creates_updates_and_deletes_idempotently(db, sync):
    service.save_many(monuments(30), actor="test")
    assert sync() == 30
    assert search(SimpleQuery(facets={"DENO": ["château"]})).total == 15
    service.save("merimee", {"REF": "PA00000003", "TICO": "Tour de la Babote"}, actor="test")
    service.delete("merimee", "PA00000004", actor="test")
    assert sync() == 2
    assert search(SimpleQuery(text="babote")).hits[0].ref == "PA00000003"
    assert search(SimpleQuery(text='"numéro 3"')).total == 0
    assert search(ExpertQuery(tree={"combinator": "AND", "rules": [{"field": "REF", "operator": "==", "value": "PA00000004"}]})).total == 0
    # replaying from an older checkpoint changes nothing (delete by key, then add)
    store.write_checkpoint(store.current_gen(), 0)
    assert sync() == 30  # 29 published records + 1 tombstone, each applied once more
    keys = index_keys()
    assert set(keys) == db_keys() and max(keys.values()) == 1


def test_rebuild_swaps_atomically_and_check_compares(db, sync, index_dir):
    service.save_many(monuments(20), actor="test")
    sync()
    before = store.current_gen()
    assert search(SimpleQuery(text="monument")).total == 20
    call_command("index", "rebuild")
    after = store.current_gen()
    assert after != before and not before.exists()
    assert search(SimpleQuery(text="monument")).total == 20
    call_command("index", "check", "--sample", "20")
    # drift: a document removed behind the database's back
    w = store.GenWriter(after)
    w.writer.delete_documents_by_term("key", "merimee/PA00000005")
    w.commit(w.checkpoint)
    w.close()
    with pytest.raises(CommandError):
        call_command("index", "check", "--sample", "20")
    assert not store.check(sample=20)["ok"]
    # a stale document is drift too (its digest differs from a fresh build's)
    w = store.GenWriter(after)
    w.writer.delete_documents_by_term("key", "merimee/PA00000006")
    w.writer.add_json('{"key": "merimee/PA00000006", "base": "merimee", "h": 6}')
    w.commit(w.checkpoint)
    w.close()
    problems = store.check(sample=20)["problems"]
    assert any("PA00000006" in p for p in problems) and any("merimee" in p and "19" in p for p in problems)


@pytest.mark.django_db(transaction=True)
def test_kill_9_at_any_moment_then_restart_converges(index_dir):
    service.save_many(monuments(1500), actor="test")
    gen = store.ensure_current()
    rng = random.Random(7)
    killed_mid_sync = 0
    for round_ in range(4):
        before = store.read_checkpoint(gen)
        p = pop_process(index_dir.parent, "index", "sync", "--batch", "20")
        deadline = time.monotonic() + 30
        while store.read_checkpoint(gen) == before and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.15))  # somewhere inside a batch, a commit or a checkpoint write
        p.kill()  # SIGKILL
        p.wait()
        if store.read_checkpoint(gen) < service.current_seq():
            killed_mid_sync += 1
        # writes keep happening between crashes: updates, deletes, creates
        service.save_many([("merimee", {"REF": f"PA{i:08d}", "TICO": f"Modifié {round_}"})
                           for i in range(round_ * 50, round_ * 50 + 50)], actor="t")
        service.delete("merimee", f"PA{1000 + round_:08d}", actor="t")
        service.save_many(monuments(10, start=5000 + round_ * 10), actor="t")
    assert killed_mid_sync >= 3
    p = pop_process(index_dir.parent, "index", "sync")
    assert p.wait(timeout=120) == 0, p.stderr.read().decode()
    keys = index_keys()
    assert set(keys) == db_keys()
    assert max(keys.values()) == 1
    assert search(SimpleQuery(text="modifié 3")).total == 50
    assert store.check(sample=100)["ok"]


@pytest.mark.django_db(transaction=True)
def test_parallel_rebuild_indexes_every_record_once(index_dir):
    service.save_many(monuments(300), actor="test")
    service.delete("merimee", "PA00000010", actor="test")
    r = store.rebuild(batch=40, workers=2)
    assert r["records"] == 299 and r["workers"] == 2
    keys = index_keys()
    assert set(keys) == db_keys() and max(keys.values()) == 1
    assert store.check(sample=50)["ok"]


@pytest.mark.django_db(transaction=True)
def test_follower_makes_a_saved_record_searchable_within_2_seconds(index_dir):
    store.ensure_current()
    p = pop_process(index_dir.parent, "index", "follow")
    try:
        assert p.stdout.readline()  # started
        time.sleep(0.5)
        service.save("merimee", {"REF": "PA00099999", "TICO": "Pigeonnier de Saint-Thibéry"}, actor="test")
        t0 = time.monotonic()
        while search(SimpleQuery(text="pigeonnier thibery")).total == 0:
            assert time.monotonic() - t0 < 2.0, "not searchable after 2 s"
            time.sleep(0.05)
        # the follower switches to a new generation after a rebuild
        p2 = pop_process(index_dir.parent, "index", "rebuild")
        assert p2.wait(timeout=60) == 0, p2.stderr.read().decode()
        service.save("merimee", {"REF": "PA00099998", "TICO": "Lavoir de Marsillargues"}, actor="test")
        t0 = time.monotonic()
        while search(SimpleQuery(text="lavoir marsillargues")).total == 0:
            assert time.monotonic() - t0 < 5.0, "follower did not switch to the rebuilt index"
            time.sleep(0.05)
    finally:
        p.terminate()
        p.wait(timeout=10)
