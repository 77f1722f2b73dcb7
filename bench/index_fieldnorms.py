"""Tantivy's side of indexing alone, with the index schema as built (layout 7: fieldnorms only where a
score uses them) against the same schema with every fieldnorm (Tantivy's defaults). Run by hand on a
demo database:

    POP_DATA_DIR=/work/benchdata/200k .venv/bin/python bench/index_fieldnorms.py --docs 50000 --rounds 2

The documents are built once (``store.json_docs``, as a rebuild does), then indexed into a new
directory per run with the rebuild's writer (2 GB heap, 2 threads, one commit), schemas alternating.
Prints the process CPU per document (Python's ``add_json`` plus Tantivy's threads), the index size
and the fieldnorm bytes.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def index_once(schema, docs: list[str], analyzers: dict) -> tuple[float, int, int]:
    import tantivy

    from pop.search.store import REBUILD_HEAP

    path = Path(tempfile.mkdtemp(prefix="pop-bench-"))
    try:
        index = tantivy.Index(schema, path=str(path))
        for name, analyzer in analyzers.items():
            index.register_tokenizer(name, analyzer)
        t0 = time.process_time()
        writer = index.writer(REBUILD_HEAP, 2)
        for doc in docs:
            writer.add_json(doc)
        writer.commit()
        writer.wait_merging_threads()
        cpu = time.process_time() - t0
        files = list(path.iterdir())
        return cpu, sum(f.stat().st_size for f in files), sum(f.stat().st_size for f in files if f.suffix == ".fieldnorm")
    finally:
        shutil.rmtree(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=50_000)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pop.settings")
    import django

    django.setup()
    from pop.search import schema as S
    from pop.search import store
    from pop.search.text import analyzers

    from pop.catalog.models import Record

    seqs = Record.objects.filter(status=Record.PUBLISHED).order_by("seq").values_list("seq", flat=True)
    upto = seqs[min(args.docs, seqs.count()) - 1]
    docs = store.json_docs(store.read_rows(0, upto))   # the first N published records, in seq order
    schemas = {"every fieldnorm": S._full_schema(), "layout 7": S.build_schema()}
    cpu: dict[str, list[float]] = {name: [] for name in schemas}
    for n in range(args.rounds):
        for name, schema in schemas.items():
            seconds, size, norms = index_once(schema, docs, analyzers())
            cpu[name].append(seconds / len(docs) * 1e6)
            print(f"round {n + 1} {name:15s} {cpu[name][-1]:.0f} µs/document, index {size / 1e6:.1f} MB, "
                  f"fieldnorms {norms / 1e6:.1f} MB ({len(docs)} documents)", flush=True)
    for name, values in cpu.items():
        print(f"median {name:15s} {statistics.median(values):.0f} µs/document")


if __name__ == "__main__":
    main()
