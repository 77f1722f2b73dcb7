"""Index directories, the live-index pointer, the checkpoint; sync, rebuild and check.

Layout under ``settings.DATA_DIR / "index"``::

    CURRENT                      name of the live generation (replaced atomically by rename)
    gen-<ns>/                    a Tantivy index
    gen-<ns>/checkpoint.json     {"seq": N}: every change with seq <= N is in this generation

Crash safety. ``sync`` reads the changes after the checkpoint in ``seq`` order, and for each record
deletes its document by key (``base/REF``) then adds its current public view (tombstones: delete
only); it commits Tantivy, *then* writes the checkpoint (temporary file, fsync, rename). Applying a
record is idempotent (it re-reads the record's current state), so:
- killed before the commit: Tantivy discards the uncommitted batch; the checkpoint is unchanged;
- killed between the commit and the checkpoint: the batch is applied again on restart, giving the
  same documents (delete-by-key removes the first copy);
- killed while writing the checkpoint: the rename is atomic, the old checkpoint stays.
The checkpoint never runs ahead of the index, and writers commit ``seq`` values in increasing order
(see ``pop.catalog.models.ChangeCounter``), so nothing is lost and nothing is duplicated.

Rebuild builds ``gen-<new>`` beside the live one (no deletes needed: records are read up to the seq
taken at start, later changes are applied by a catch-up sync), then writes CURRENT atomically;
readers notice the new name on their next search and reopen. Only one process may write a
generation (Tantivy's writer lock): ``pop serve`` runs one follower (``pop index follow``).
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import time
from collections import deque
from itertools import islice
from pathlib import Path

import orjson
import tantivy
from django.conf import settings

from pop.catalog.models import Record
from pop.catalog.reading import read_records
from pop.schema import V
from pop.search import documents
from pop.search.schema import build_schema, fingerprint
from pop.search.text import analyzers

BATCH = 1000
WRITER_HEAP = 256_000_000
# A rebuild writes every record: each time the writer's heap fills, Tantivy flushes a segment, and
# segments are merged (again and again) while indexing. 256 MB makes ~8 segments per 200,000
# records, ~190 for 4.8 M; 2 GB (1 GB per indexing thread) makes 8 times fewer, so fewer merge
# passes. Measured at 200,000 records: 32 MB 986 µs/record (64 flushes, merged) against 527 at
# 256 MB; 2 GB 541 against 524 (no merge at that size either way; peak RSS 1.17 GB instead of 0.57).
REBUILD_HEAP = 2_000_000_000


class IndexBusy(RuntimeError):
    """Another process holds the writer lock of this generation."""


def root() -> Path:
    return Path(settings.DATA_DIR) / "index"


def current_gen() -> Path | None:
    try:
        name = (root() / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    path = root() / name
    return path if name and path.is_dir() else None


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{random.randrange(1 << 30)}.tmp")
    with open(tmp, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def set_current(gen: Path) -> None:
    _atomic_write(root() / "CURRENT", gen.name)


def new_gen() -> Path:
    root().mkdir(parents=True, exist_ok=True)
    gen = root() / f"gen-{time.time_ns()}"
    gen.mkdir()
    (gen / "schema.txt").write_text(fingerprint())
    return gen


def gen_fingerprint(gen: Path) -> str | None:
    try:
        return (gen / "schema.txt").read_text().strip()
    except FileNotFoundError:
        return None


def open_index(gen: Path) -> tantivy.Index:
    """The generation's index, created with ``build_schema()`` when the directory holds none yet.
    Every reader and writer opens it here (with the analyzers). An existing index is opened with the
    schema it was created with (its meta.json): the same as ``build_schema()`` while the fingerprint
    (``schema.txt``) matches, which every caller checks (``outdated``)."""
    if (gen / "meta.json").exists():
        index = tantivy.Index.open(str(gen))
    else:
        index = tantivy.Index(build_schema(), path=str(gen), reuse=True)
    for name, analyzer in analyzers().items():
        index.register_tokenizer(name, analyzer)
    return index


def read_checkpoint(gen: Path) -> int:
    try:
        return int(json.loads((gen / "checkpoint.json").read_text())["seq"])
    except FileNotFoundError:
        return 0


def write_checkpoint(gen: Path, seq: int) -> None:
    _atomic_write(gen / "checkpoint.json", json.dumps({"seq": seq, "at": time.time()}))


def ensure_current() -> Path:
    """The live generation, created empty when there is none yet."""
    gen = current_gen()
    if gen is None:
        gen = new_gen()
        open_index(gen)
        write_checkpoint(gen, 0)
        set_current(gen)
    return gen


def _digest(js: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(js, digest_size=8).digest(), "little") >> 1   # fits an i64 too


def json_docs(records) -> list[str]:
    """Index documents (JSON text) of the published records among ``records`` (``Record`` instances
    or ``Row`` tuples). JSON (orjson, then parsed in Rust) costs less than building tantivy.Document
    objects in Python. Each document ends with ``h``, the digest of everything before it, which
    ``check`` compares with a fresh build."""
    published = [r for r in records if r.status == Record.PUBLISHED]
    out = []
    build, dumps, digest = documents.build, orjson.dumps, _digest
    for r, view in zip(published, read_records(published, V.PUBLIC)):
        js = dumps(build(r.base, r.id, view, r.updated_at))
        out.append(f'{js[:-1].decode()},"h":{digest(js)}}}')
    return out


def read_sources(keys: list[str]) -> dict[str, dict]:
    """``base/REF`` -> what a hit returns (``documents.source``), read from the database (the truth):
    one statement for the records, one for their links. A key whose record was deleted or unpublished
    since the last sync (the index follows within about a second) gets only its REF and base label."""
    from django.db.models import Q
    by_base: dict[str, list[str]] = {}
    for k in keys:
        b, _, ref = k.partition("/")
        by_base.setdefault(b, []).append(ref)
    if not by_base:
        return {}
    cond = Q()
    for b, refs in by_base.items():
        cond |= Q(base=b, ref__in=refs)
    recs = list(Record.objects.filter(cond, status=Record.PUBLISHED).only("id", "base", "ref", "data"))
    out = {f"{r.base}/{r.ref}": documents.source(r.base, v) for r, v in zip(recs, read_records(recs, V.PUBLIC))}
    for k in keys:
        if k not in out:
            b, _, ref = k.partition("/")
            out[k] = documents.source(b, {"REF": ref})
    return out


class Row:
    """What indexing needs of a record, read with one SQL statement (no model instances, data
    decoded by orjson): the attributes ``read_records`` and ``documents.build`` use."""

    __slots__ = ("id", "base", "ref", "data", "updated_at", "status")

    def __init__(self, id, base, ref, data, updated_at):  # noqa: A002 - the record's id
        self.id, self.base, self.ref, self.data, self.updated_at = id, base, ref, data, updated_at
        self.status = Record.PUBLISHED


def read_rows(lo: int, hi: int) -> list[Row]:
    """Published records with lo < seq <= hi, in seq order."""
    from django.db import connection
    data = "data::text" if connection.vendor == "postgresql" else "data"
    sql = (f"SELECT id, base, ref, {data}, updated_at FROM {Record._meta.db_table} "
           "WHERE status = %s AND seq > %s AND seq <= %s ORDER BY seq")
    with connection.cursor() as cur:
        cur.execute(sql, [Record.PUBLISHED, lo, hi])
        rows = cur.fetchall()
    loads = orjson.loads
    return [Row(i, b, r, loads(d) if isinstance(d, (str, bytes)) else d, u) for i, b, r, d, u in rows]


class GenWriter:
    """The single writer of one generation."""

    def __init__(self, gen: Path, heap: int = WRITER_HEAP, threads: int = 0):
        self.gen = gen
        self.index = open_index(gen)
        self.schema = self.index.schema
        try:
            self.writer = self.index.writer(heap, threads)
        except ValueError as exc:
            raise IndexBusy(f"l'index {gen.name} est déjà ouvert en écriture par un autre processus ({exc})") from exc
        self.checkpoint = read_checkpoint(gen)

    def apply(self, records: list[Record], *, delete_first: bool = True) -> None:
        if delete_first:
            for r in records:
                self.writer.delete_documents_by_term("key", f"{r.base}/{r.ref}")
        for doc in json_docs(records):
            self.writer.add_json(doc)

    def commit(self, seq: int) -> None:
        self.writer.commit()
        self.checkpoint = seq
        write_checkpoint(self.gen, seq)

    def close(self) -> None:
        try:
            self.writer.wait_merging_threads()
        except Exception:  # noqa: BLE001 - closing after a failed commit
            pass
        self.writer = None

    def sync(self, batch: int = BATCH, max_batches: int | None = None) -> int:
        """Applies every change after the checkpoint; returns the number of records applied."""
        done = 0
        n = 0
        while max_batches is None or n < max_batches:
            recs = list(Record.objects.filter(seq__gt=self.checkpoint).order_by("seq")[:batch])
            if not recs:
                break
            self.apply(recs)
            self.commit(recs[-1].seq)
            done += len(recs)
            n += 1
        return done


def outdated(gen: Path | None) -> bool:
    """True when the generation was built for another schema (registry or layout changed)."""
    return gen is not None and gen_fingerprint(gen) != fingerprint()


def sync(batch: int = BATCH) -> int:
    """Applies pending changes; rebuilds first when the live index has an outdated schema."""
    if outdated(current_gen()):
        return rebuild()["records"]
    gen = ensure_current()
    if read_checkpoint(gen) == 0 and Record.objects.filter(status=Record.PUBLISHED).count() >= PARALLEL_FROM:
        return rebuild()["records"]  # a first fill: parallel document builders, one commit
    w = GenWriter(gen, heap=64_000_000, threads=1)
    try:
        return w.sync(batch)
    finally:
        w.close()


PARALLEL_FROM = 20_000   # records: below this, a rebuild builds documents in-process
AHEAD = 3                # batches built in advance per worker during a parallel rebuild


def _seq_chunks(upto: int, batch: int):
    """(lo, hi] seq ranges of about ``batch`` published records each."""
    bounds = list(Record.objects.filter(status=Record.PUBLISHED, seq__lte=upto).order_by("seq")
                  .values_list("seq", flat=True)[batch - 1::batch])
    lo = 0
    for hi in bounds:
        yield lo, hi
        lo = hi
    if lo < upto:
        yield lo, upto


def _default_signals() -> None:
    """Forked builders must stop on SIGTERM/SIGINT even if the parent installed its own handlers."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _build_chunk(bounds) -> list[str]:
    """Worker process: JSON documents of the published records with lo < seq <= hi."""
    lo, hi = bounds
    return json_docs(read_rows(lo, hi))


def rebuild(batch: int = 2000, progress=None, workers: int | None = None) -> dict:
    """Builds a new generation from the database and makes it live. Returns figures.

    Large rebuilds build documents in ``workers`` forked processes (reading the database and
    building JSON in parallel) while this process feeds Tantivy's indexing threads."""
    from pop.catalog.service import current_seq
    t0 = time.monotonic()
    gen = new_gen()
    w = GenWriter(gen, heap=REBUILD_HEAP)
    upto = current_seq()
    count = 0
    total = Record.objects.filter(status=Record.PUBLISHED, seq__lte=upto).count()
    if workers is None:
        workers = max(1, (os.cpu_count() or 1)) if total >= PARALLEL_FROM else 0
    try:
        chunks = list(_seq_chunks(upto, batch))
        if workers:
            import multiprocessing

            from django.db import connections
            connections.close_all()  # children open their own connections
            pool = multiprocessing.get_context("fork").Pool(workers, initializer=_default_signals)
            try:
                # At most AHEAD batches per worker wait for the writer: when Tantivy is the slower
                # half, built documents must not pile up in memory (imap's queue is unbounded).
                todo = iter(chunks)
                pending = deque(pool.apply_async(_build_chunk, (b,)) for b in islice(todo, workers * AHEAD))
                while pending:
                    docs = pending.popleft().get()
                    nxt = next(todo, None)
                    if nxt is not None:
                        pending.append(pool.apply_async(_build_chunk, (nxt,)))
                    for d in docs:
                        w.writer.add_json(d)
                    count += len(docs)
                    if progress:
                        progress(count)
                pool.close()  # let the workers finish instead of terminating them
            finally:
                pool.terminate()
                pool.join()
        else:
            for bounds in chunks:
                docs = _build_chunk(bounds)
                for d in docs:
                    w.writer.add_json(d)
                count += len(docs)
                if progress:
                    progress(count)
        w.commit(upto)
        build_s = time.monotonic() - t0
        caught_up = w.sync()
        set_current(gen)
        caught_up += w.sync()
    except BaseException:
        w.close()
        shutil.rmtree(gen, ignore_errors=True)
        raise
    w.close()
    _remove_old(keep={gen.name})
    return {"generation": gen.name, "records": count, "seconds": round(build_s, 2),
            "rate": round(count / build_s) if build_s else 0, "caught_up": caught_up, "workers": workers}


def _remove_old(keep: set[str]) -> None:
    """Removes generations other than the live one and ``keep`` (processes that still have an old
    generation open keep reading their open files; they switch on their next search)."""
    live = current_gen()
    for p in root().glob("gen-*"):
        if p.name in keep or (live and p.name == live.name):
            continue
        # never remove a generation being built right now by another rebuild (younger than us)
        if max(keep, default="") < p.name:
            continue
        shutil.rmtree(p, ignore_errors=True)


def follow(interval: float = 0.5, stop=lambda: False, log=print) -> None:
    """Keeps the live generation in sync; switches when a rebuild replaces it."""
    w: GenWriter | None = None
    while not stop():
        try:
            gen = ensure_current()
            if outdated(gen):
                if w is not None:
                    w.close()
                    w = None
                log("index : schéma modifié, reconstruction")
                rebuild()
                continue
            if w is None or w.gen != gen:
                if w is not None:
                    w.close()
                    w = None
                w = GenWriter(gen, heap=64_000_000, threads=1)
            if w.sync(max_batches=20) == 0:
                time.sleep(interval)
        except IndexBusy as exc:
            log(f"index : {exc} ; nouvel essai")
            w = None
            time.sleep(interval * 4)
        except Exception as exc:  # noqa: BLE001 - a follower must survive database hiccups
            from django.db import close_old_connections
            log(f"index : erreur de suivi ({exc!r}) ; nouvel essai")
            close_old_connections()
            if w is not None:
                try:
                    w.writer.rollback()
                except Exception:  # noqa: BLE001
                    w.close()
                    w = None
            time.sleep(interval * 4)
    if w is not None:
        w.close()


def _sample_records(sample: int, upto_seq: int) -> list[Record]:
    """About ``sample`` random published records (random ids between the smallest and largest:
    no ORDER BY RANDOM() over millions of rows)."""
    from django.db.models import Max, Min
    bounds = Record.objects.aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        return []
    rng = random.Random()
    qs = Record.objects.filter(status=Record.PUBLISHED, seq__lte=upto_seq)
    if bounds["hi"] - bounds["lo"] < sample * 3:
        recs = list(qs.filter(id__gte=bounds["lo"], id__lte=bounds["hi"]))
    else:
        recs = list(qs.filter(id__in={rng.randint(bounds["lo"], bounds["hi"]) for _ in range(sample * 3)}))
    rng.shuffle(recs)
    return recs[:sample]


def check(sample: int = 200, wait: float = 5.0) -> dict:
    """Compares database and live index: counts per base, then ``sample`` random records' indexed
    documents against a fresh build (their digests). Returns {"ok": bool, "problems": [...], ...}."""
    from collections import Counter

    from django.db.models import Count

    from pop.catalog.service import current_seq
    problems: list[str] = []
    gen = current_gen()
    if gen is None:
        return {"ok": False, "problems": ["aucun index (lancer « pop index sync »)"], "bases": {}}
    deadline = time.monotonic() + wait
    while read_checkpoint(gen) < current_seq() and time.monotonic() < deadline:
        time.sleep(0.2)
    cp, head = read_checkpoint(gen), current_seq()
    if cp < head:
        problems.append(f"index en retard : point de reprise {cp} < séquence {head}")
    index = open_index(gen)
    index.reload()
    searcher = index.searcher()
    db = Counter(dict(Record.objects.filter(status=Record.PUBLISHED).values("base").annotate(n=Count("id"))
                      .values_list("base", "n")))
    agg = searcher.aggregate(tantivy.Query.all_query(), {"b": {"terms": {"field": "base", "size": 100}}})
    ix = Counter({b["key"]: b["doc_count"] for b in agg["b"]["buckets"]})
    bases = {}
    for slug in sorted(set(db) | set(ix)):
        bases[slug] = {"db": db.get(slug, 0), "index": ix.get(slug, 0)}
        if db.get(slug, 0) != ix.get(slug, 0):
            problems.append(f"{slug} : {db.get(slug, 0)} notices en base, {ix.get(slug, 0)} dans l'index")
    recs = _sample_records(sample, cp) if sample else []
    expected = [orjson.loads(js)["h"] for js in json_docs(recs)]
    for r, h in zip(recs, expected):
        res = searcher.search(tantivy.Query.term_query(index.schema, "key", f"{r.base}/{r.ref}"), 2)
        if res.count != 1:
            problems.append(f"{r.base}/{r.ref} : {res.count} document(s) dans l'index au lieu de 1")
            continue
        if searcher.doc(res.hits[0][1]).to_dict().get("h") != [h]:
            problems.append(f"{r.base}/{r.ref} : contenu indexé différent de la base")
    return {"ok": not problems, "problems": problems, "bases": bases, "checkpoint": cp, "seq": head,
            "generation": gen.name, "sampled": len(recs)}
