"""The change sequence (Record.seq) under concurrent writers, on SQLite and PostgreSQL.

A follower that repeatedly reads ``seq > checkpoint`` must see every committed change exactly once,
in increasing order, and end with the same state as the database: no number is handed out twice, none
is skipped, and a number never becomes visible before a smaller one.
"""
from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connections

from pop.catalog import service
from pop.catalog.models import Record, Revision

WRITERS = 4
WRITES_PER_WRITER = 20


def _run_in_thread(fn, errors: list):
    def target():
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            errors.append(exc)
        finally:
            connections.close_all()  # each thread has its own connection; close it here
    t = threading.Thread(target=target)
    t.start()
    return t


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_a_follower():
    service.save("merimee", {"REF": "PA00000000", "TICO": "Amorce"}, actor="test")  # counter row exists
    start = service.current_seq()
    shared = [f"PA9900000{i}" for i in range(3)]
    service.save_many([("merimee", {"REF": r, "TICO": "Partagé"}) for r in shared], actor="test")

    done = threading.Event()
    errors: list = []
    committed: list[int] = []           # seq values returned to writers
    lock = threading.Lock()

    def writer(w: int):
        rnd = random.Random(w)
        for n in range(WRITES_PER_WRITER):
            ref = f"PA{w:02d}{n:06d}"
            choice = rnd.random()
            if choice < 0.2:
                results = [service.save("merimee", {"REF": rnd.choice(shared), "TICO": f"Partagé {w}-{n}"}, actor=f"w{w}")]
            elif choice < 0.35:
                results = service.save_many([("merimee", {"REF": ref, "TICO": f"Lot {w}-{n}"}),
                                             ("palissy", {"REF": f"PM{w:02d}{n:06d}", "TICO": "Objet", "REFA": [ref]})],
                                            actor=f"w{w}")
            else:
                results = [service.save("merimee", {"REF": ref, "TICO": f"Notice {w}-{n}"}, actor=f"w{w}")]
                if choice > 0.9:
                    results.append(service.delete("merimee", ref, actor=f"w{w}"))
            with lock:
                committed.extend(r.seq for r in results if r.seq is not None)

    seen: list[tuple[int, str, str, str]] = []
    passes: list[int] = []  # reads that found changes while writers were running

    def follower():
        checkpoint = start
        while True:
            finished = done.is_set()  # read before querying: the last pass happens after every commit
            rows = list(Record.objects.filter(seq__gt=checkpoint).order_by("seq").values_list("seq", "base", "ref", "status"))
            if rows and not finished:
                passes.append(len(rows))
            for row in rows:
                seen.append(row)
            if rows:
                checkpoint = rows[-1][0]
            if finished:
                return
            time.sleep(0.002)

    follow = _run_in_thread(follower, errors)
    writers = [_run_in_thread(lambda w=w: writer(w), errors) for w in range(WRITERS)]
    for t in writers:
        t.join(timeout=120)
    done.set()
    follow.join(timeout=60)
    assert not errors, errors
    assert not any(t.is_alive() for t in writers + [follow])

    assert len(passes) > 2, "the follower never read while writers were running"
    end = service.current_seq()
    seqs = [s for s, *_ in seen]
    # strictly increasing: nothing seen twice, never out of order
    assert seqs == sorted(set(seqs))
    # every number handed out was committed exactly once (no gap, no duplicate): revisions carry the
    # numbers of writes, the rest are the Mérimée buildings touched by their Palissy objects
    revision_seqs = set(Revision.objects.filter(seq__gt=start).values_list("seq", flat=True))
    assert len(set(committed)) == len(committed)
    assert set(committed) <= revision_seqs
    assert len(revision_seqs) == Revision.objects.filter(seq__gt=start).count()
    assert {b for s, b, _r, _st in seen if s not in revision_seqs} <= {"merimee"}  # touched buildings only
    # the follower's final view is the database: every record's latest change was seen
    final = {(b, r): (s, st) for s, b, r, st in Record.objects.filter(seq__gt=start).values_list("seq", "base", "ref", "status")}
    last_seen = {}
    for s, b, r, st in seen:
        last_seen[(b, r)] = (s, st)
    assert last_seen == final
    assert max(seqs) == end
    # numbers are dense: every value in (start, end] was used by a write or a touch, none skipped
    used = revision_seqs | set(seqs)
    assert used == set(range(start + 1, end + 1))
    assert any(st == "deleted" for _s, st in final.values())  # tombstones are followed like any change


@pytest.mark.django_db(transaction=True)
def test_a_rejected_batch_takes_no_number():
    service.save("merimee", {"REF": "PA00000000", "TICO": "Amorce"}, actor="test")
    before = service.current_seq()
    with pytest.raises(service.WriteRejected):
        service.save_many([("merimee", {"REF": "PA00000001", "TICO": "Bon"}), ("merimee", {"REF": "mauvais"})], actor="test")
    assert service.current_seq() == before
    res = service.save("merimee", {"REF": "PA00000001", "TICO": "Bon"}, actor="test")
    assert res.seq == before + 1
