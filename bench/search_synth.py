"""Builds a large *synthetic* index for query benchmarks when no database of that size exists yet:
the documents of an existing database (built by the platform's own code, ``store.json_docs``)
are replicated with new keys and sort-key ids until ``--docs`` documents are indexed.

    POP_DATA_DIR=/work/benchdata/search50k .venv/bin/python bench/search_synth.py \\
        --out /work/benchdata/synth4800k --docs 4800000

Then: ``POP_DATA_DIR=/work/benchdata/synth4800k .venv/bin/python bench/search.py --lag 0``.
Caveat (stated in docs/benchmarks.md): the copies share their values, so facet vocabularies are
those of the source database (fewer distinct authors/places than real data); per-document costs
(posting lists, aggregations over matching documents) are those of the target size.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pop.settings")

import django  # noqa: E402

django.setup()

import orjson  # noqa: E402

from pop.catalog.models import Record  # noqa: E402
from pop.catalog.service import current_seq  # noqa: E402
from pop.search import store  # noqa: E402
from pop.search.schema import fingerprint  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True, help="data directory of the synthetic index")
    ap.add_argument("--docs", type=int, default=4_800_000)
    args = ap.parse_args()
    src = []
    recs = list(Record.objects.filter(status=Record.PUBLISHED).order_by("seq"))
    for i in range(0, len(recs), 2000):
        src += [orjson.loads(d) for d in store.json_docs(recs[i:i + 2000])]
    print(f"{len(src)} source documents", flush=True)
    out = Path(args.out) / "index"
    out.mkdir(parents=True, exist_ok=True)
    gen = out / f"gen-{time.time_ns()}"
    gen.mkdir()
    (gen / "schema.txt").write_text(fingerprint())
    index = store.open_index(gen)
    writer = index.writer(1_000_000_000, 2)
    t0 = time.monotonic()
    n, copy = 0, 0
    while n < args.docs:
        for d in src:
            if n >= args.docs:
                break
            if copy:
                d = dict(d)
                d["key"] = f"{d['key']}~{copy}"
                for s in ("o_title", "o_ref", "o_date", "o_modified"):
                    head, rid = d[s].rsplit(".", 1)
                    d[s] = f"{head}.{int(rid, 16) + copy * 10_000_000:012x}"
            writer.add_json(orjson.dumps(d).decode())
            n += 1
        copy += 1
        print(f"{n} documents, {n / (time.monotonic() - t0):.0f}/s", flush=True)
        if copy % 10 == 0:  # usable at any point: commit every 10 copies
            writer.commit()
            (gen / "checkpoint.json").write_text(orjson.dumps({"seq": current_seq(), "docs": n}).decode())
            (out / "CURRENT").write_text(gen.name)
    writer.commit()
    writer.wait_merging_threads()
    (gen / "checkpoint.json").write_text(orjson.dumps({"seq": current_seq(), "docs": n}).decode())
    (out / "CURRENT").write_text(gen.name)
    print(f"done: {n} documents in {time.monotonic() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
