"""What a rebuild costs per record, step by step, and how fast Tantivy alone can index the same
documents: the ceiling of `pop index rebuild` on this machine whatever the platform code does.
Run by hand on a demo database:

    POP_DATA_DIR=<demo data dir> .venv/bin/python bench/index_ceiling.py --docs 30000 --rounds 2

1. Platform side, one process: CPU per record to read the rows (one SQL statement per 2,000),
   build the public views, build the index documents, encode them as JSON and digest them.
2. Tantivy side: the JSON documents indexed into a new directory by the rebuild's writer (same heap
   and 2 threads, one commit, merges waited for), CPU of the process (Python's ``add_json`` call and
   Tantivy's threads). First the documents as they are, then without one family of fields after
   another, to show what each family of the index costs:
   ``g`` (trigrams: « contient »), ``t_*`` (full text), ``x_*``/``s_*`` (keyword and strict forms:
   == ^ === facets by field), ``n_*`` (numbers and dates: >= <= > <); what is left is the
   cross-base core (key, base, facets, place, years, map, sort keys, ``has``, digest).
For every line, ``max/s`` is the number of records per second the machine's cores could index
if that CPU time per record were the only work (cores × 10⁶ / µs).
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

FAMILIES = (("g", ("g",)), ("t_*", ("t_",)), ("x_*, s_*", ("x_", "s_")), ("n_*", ("n_",)))


def arguments() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=30_000, help="records read from the database (at least)")
    ap.add_argument("--rounds", type=int, default=2, help="measures of each step and each variant")
    return ap.parse_args()


def main() -> None:
    args = arguments()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pop.settings")
    import django
    import orjson

    django.setup()

    from pop.catalog.reading import read_records
    from pop.catalog.service import current_seq
    from pop.schema import V
    from pop.search import documents, store

    from index_fieldnorms import index_once   # this directory: the same writer, heap and threads

    from pop.search.schema import build_schema
    from pop.search.text import analyzers

    cores = os.cpu_count() or 1
    chunks = []
    for bounds in store._seq_chunks(current_seq(), 2000):
        chunks.append(bounds)
        if len(chunks) * 2000 >= args.docs:
            break
    steps: dict[str, list[float]] = {k: [] for k in ("read rows", "public views", "documents", "JSON", "digest")}
    for _ in range(args.rounds):
        t = time.process_time()
        rows = [r for b in chunks for r in store.read_rows(*b)]
        steps["read rows"].append(time.process_time() - t)
        t = time.process_time()
        views = list(read_records(rows, V.PUBLIC))
        steps["public views"].append(time.process_time() - t)
        t = time.process_time()
        docs = [documents.build(r.base, r.id, v, r.updated_at) for r, v in zip(rows, views)]
        steps["documents"].append(time.process_time() - t)
        t = time.process_time()
        encoded = [orjson.dumps(d) for d in docs]
        steps["JSON"].append(time.process_time() - t)
        t = time.process_time()
        final = [f'{js[:-1].decode()},"h":{store._digest(js)}}}' for js in encoded]
        steps["digest"].append(time.process_time() - t)
    n = len(rows)
    print(f"{n} records, {args.rounds} rounds, {cores} cores; CPU µs per record, median (min–max)")
    total = 0.0
    for name, secs in steps.items():
        us = [s / n * 1e6 for s in secs]
        total += statistics.median(us)
        print(f"  platform  {name:<14} {statistics.median(us):7.1f} ({min(us):.1f}–{max(us):.1f})")
    print(f"  platform  {'all':<14} {total:7.1f}   max/s {cores * 1e6 / total:,.0f}")

    variants = [("as built", final)]
    dropped: tuple[str, ...] = ()
    for label, prefixes in FAMILIES:
        dropped += prefixes
        keep = dropped
        variants.append((f"without {label}" if len(variants) == 1 else f"… and {label}",
                         [orjson.dumps({k: v for k, v in d.items() if not k.startswith(keep)}).decode() for d in docs]))
    results: dict[str, list[tuple[float, int]]] = {label: [] for label, _ in variants}
    for _ in range(args.rounds):   # variants alternate within each round
        for label, variant in variants:
            cpu, size, _norms = index_once(build_schema(), variant, analyzers())
            results[label].append((cpu, size))
    for label, runs in results.items():
        us = [cpu / n * 1e6 for cpu, _size in runs]
        med = statistics.median(us)
        print(f"  tantivy   {label:<22} {med:7.1f} ({min(us):.1f}–{max(us):.1f})   max/s {cores * 1e6 / med:>8,.0f}"
              f"   index {runs[-1][1] / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
