"""Search engine benchmark: the platform's engine calls and the same queries made directly on the
Tantivy index with no platform code, in the same run, warm; plus rebuild rate and sync lag.

    POP_DATA_DIR=/work/benchdata/full nice -n 5 .venv/bin/python bench/search.py [--runs 30] [--rebuild] [--lag 5]
    POP_DATA_DIR=/work/benchdata/d200k .venv/bin/python bench/search.py --doc-cost 10000   # CPU per record, by half

Queries (each: p50 / p95 in ms over --runs warm runs):
  home facets        no text, every facet of the home page (unfiltered; cached by index version)
  home facets cold   the same with the facet caches bypassed (as after a write on a small index;
                     from 200,000 documents the previous counts are served while they are refreshed)
  simple + facets    free text "église" + 20 hits + every facet
  simple filtered    text + base and type selected (disjunctive facet counts)
  deep keyset page   sorted by REF, a page after a search_after cursor
  expert 3 rules     title contains + type exists + REF starts with, all bases
  expert contains    one "contains" rule over the cross-base title group
  expert compare     a date comparison AND an OR group
  map clusters       every geolocated record, zoom 5 (France)
The "raw" column runs the equivalent Tantivy queries built by hand (tantivy-py only: term /
phrase / regex / range queries, search, key fetch, aggregations), so the ratio is the
platform's own overhead (validation, query building, reading the hits' records from the database
by key, facet assembly).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pop.settings")

import django  # noqa: E402

django.setup()

import tantivy  # noqa: E402

from pop.catalog import service  # noqa: E402
from pop.catalog.models import Record  # noqa: E402
from pop.schema.groups import FACETS, GROUPS_BY_KEY  # noqa: E402
from pop.search import engine, store  # noqa: E402
from pop.search.interface import ExpertQuery, SimpleQuery, map_clusters, search  # noqa: E402
from pop.search.text import analyzers  # noqa: E402

Occur = tantivy.Occur


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def measure(fn, runs):
    fn()
    fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


# ---- raw Tantivy equivalents ---------------------------------------------------------------------
class Raw:
    def __init__(self, gen):
        self.index = tantivy.Index.open(str(gen))
        for name, a in analyzers().items():
            self.index.register_tokenizer(name, a)
        self.schema = self.index.schema
        self.searcher = self.index.searcher()

    def text(self, term):
        s = self.schema
        fields = [("t_10", 10.0), ("t_9", 9.0), ("t_8", 8.0), ("t_7", 7.0), ("t_5", 5.0), ("t_4", 4.0),
                  ("t_3", 3.0), ("t_2", 2.0), ("t_1", 1.0)]
        return tantivy.Query.boolean_query([(Occur.Should, tantivy.Query.boost_query(tantivy.Query.term_query(s, f, term), w))
                                            for f, w in fields])

    def hits(self, q, n=20, **kw):
        res = self.searcher.search(q, n, count=True, **kw)
        keys = [self.searcher.doc(a)["key"][0] for _s, a in res.hits]   # the index stores keys, not views
        return res.count, keys

    def facets(self, q, fields):
        return self.searcher.aggregate(q, {f: {"terms": {"field": f, "size": 10}} for f in fields})


FACET_FIELDS = [("f_" + f.name if f.name != "lieu" else "f_lieu1") for f in FACETS]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--rebuild", action="store_true", help="measure a full rebuild (indexing rate) first")
    ap.add_argument("--lag", type=int, default=5, help="sync-lag samples with a live follower (0: skip)")
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--doc-cost", type=int, default=0, metavar="N",
                    help="only measure, in this process, the CPU per record of documents (read + build + JSON) "
                         "and of Tantivy (add_json + commit, 1 indexing thread) on the first N published records")
    args = ap.parse_args()
    if args.doc_cost:
        return doc_cost(args.doc_cost)
    out = {"records": Record.objects.filter(status="published").count()}
    print(f"records: {out['records']}")
    if args.rebuild:
        r = store.rebuild()
        out["rebuild"] = r
        print(f"rebuild: {r['records']} records in {r['seconds']} s = {r['rate']} records/s")
    elif store.current_gen() is None or store.outdated(store.current_gen()):
        store.sync()
    gen = store.current_gen()
    out["index_bytes"] = sum(p.stat().st_size for p in gen.iterdir() if p.is_file())
    raw = Raw(gen)
    s = raw.schema
    from pop.search.text import analyze_fr
    eglise = raw.text(analyze_fr("église")[0])
    merimee_label = "Patrimoine architectural (Mérimée)"

    def raw_simple_facets(q):
        def run():
            raw.hits(q)
            raw.facets(q, FACET_FIELDS)
        return run

    def raw_filtered():
        base_f = tantivy.Query.term_query(s, "base", "merimee")
        type_f = tantivy.Query.term_query(s, "f_type", "église")
        both = tantivy.Query.boolean_query([(Occur.Must, eglise), (Occur.Must, base_f), (Occur.Must, type_f)])
        raw.hits(both)
        raw.facets(both, [f for f in FACET_FIELDS if f not in ("f_base", "f_type")])
        raw.facets(tantivy.Query.boolean_query([(Occur.Must, eglise), (Occur.Must, type_f)]), ["f_base"])
        raw.facets(tantivy.Query.boolean_query([(Occur.Must, eglise), (Occur.Must, base_f)]), ["f_type"])

    first = search(SimpleQuery(sort="ref", size=20, with_facets=False))
    cursor = first.hits[-1].sort if first.hits else None

    def raw_keyset():
        after = raw.index.parse_query(f"o_ref:>{cursor[0]}")
        raw.hits(after, order_by_field="o_ref", order=tantivy.Order.Asc)

    titre = GROUPS_BY_KEY["titre"].codes
    title_codes = [c for c in titre if f"x_{c}" in [f for f in _field_names(s)]]

    def raw_contains(needle):
        grams = [needle[i:i + 3] for i in range(len(needle) - 2)]
        return tantivy.Query.boolean_query([(Occur.Should, tantivy.Query.phrase_query(s, f"g.{c}", grams)) for c in title_codes])

    def raw_expert3():
        q = tantivy.Query.boolean_query([
            (Occur.Must, raw_contains("eglise")),
            (Occur.Must, tantivy.Query.term_query(s, "has", "DENO")),
            (Occur.Must, raw.index.parse_query("o_ref:[70 TO 70g}"))])   # REF ^ "P": a range on the REF sort key
        raw.hits(q)

    def raw_contains_only():
        raw.hits(raw_contains("moulin"))

    def raw_compare():
        q = tantivy.Query.boolean_query([
            (Occur.Must, tantivy.Query.range_query(s, "n_DMIS", tantivy.FieldType.Float, 20000000.0, None, use_inverted_index=True)),
            (Occur.Must, tantivy.Query.boolean_query([
                (Occur.Should, tantivy.Query.term_query(s, "x_DENO", "eglise")),
                (Occur.Should, tantivy.Query.term_query(s, "x_DENO", "chateau"))]))])
        raw.hits(q)

    def raw_map():
        q = tantivy.Query.term_query(s, "f_geolocalisation", "oui")
        raw.searcher.aggregate(q, {"c": {"histogram": {"field": "cell", "interval": float(4 ** 13), "min_doc_count": 1},
                                         "aggs": {"lat": {"stats": {"field": "lat"}}, "lon": {"stats": {"field": "lon"}}}}})

    expert3 = {"combinator": "AND", "rules": [
        {"field": "group:titre", "operator": "*", "value": "eglise"},
        {"field": "DENO", "operator": "∃"},
        {"field": "REF", "operator": "^", "value": "P"}]}
    contains = {"combinator": "AND", "rules": [{"field": "group:titre", "operator": "*", "value": "moulin"}]}
    compare = {"combinator": "AND", "rules": [
        {"field": "DMIS", "operator": ">=", "value": "2000"},
        {"combinator": "OR", "rules": [{"field": "DENO", "operator": "==", "value": "église"},
                                       {"field": "DENO", "operator": "==", "value": "château"}]}]}

    def home_cold():
        engine._cache.clear()
        engine._home.clear()   # the background-refreshed unfiltered facets too
        search(SimpleQuery(size=20))

    cases = [
        ("home facets", lambda: search(SimpleQuery(size=20)), raw_simple_facets(tantivy.Query.all_query())),
        ("home facets cold", home_cold, raw_simple_facets(tantivy.Query.all_query())),
        ("simple + facets", lambda: (engine._cache.clear(), search(SimpleQuery(text="église", size=20))), raw_simple_facets(eglise)),
        ("simple filtered", lambda: (engine._cache.clear(), search(SimpleQuery(text="église", facets={"base": [merimee_label], "type": ["église"]}))),
         raw_filtered),
        ("deep keyset page", lambda: search(SimpleQuery(sort="ref", size=20, search_after=cursor, with_facets=False)), raw_keyset),
        ("expert 3 rules", lambda: search(ExpertQuery(tree=expert3)), raw_expert3),
        ("expert contains", lambda: search(ExpertQuery(tree=contains)), raw_contains_only),
        ("expert compare", lambda: search(ExpertQuery(tree=compare)), raw_compare),
        ("map clusters z5", lambda: map_clusters(SimpleQuery(), zoom=5), raw_map),
    ]
    out["queries"] = {}
    print(f"{'query':18} {'platform p50':>12} {'p95':>8} {'raw p50':>9} {'p95':>8} {'p95 ratio':>9}")
    for name, platform, rawfn in cases:
        p = measure(platform, args.runs)
        r = measure(rawfn, args.runs)
        row = {"platform_p50": round(statistics.median(p), 2), "platform_p95": round(pct(p, 95), 2),
               "raw_p50": round(statistics.median(r), 2), "raw_p95": round(pct(r, 95), 2)}
        row["ratio_p95"] = round(row["platform_p95"] / row["raw_p95"], 2) if row["raw_p95"] else None
        out["queries"][name] = row
        print(f"{name:18} {row['platform_p50']:>12} {row['platform_p95']:>8} {row['raw_p50']:>9} {row['raw_p95']:>8} {row['ratio_p95']:>9}")
    sizes = {"simple + facets": search(SimpleQuery(text="église", size=0, with_facets=False)).total,
             "expert 3 rules": search(ExpertQuery(tree=expert3, size=0)).total,
             "expert contains": search(ExpertQuery(tree=contains, size=0)).total,
             "map clusters z5": map_clusters(SimpleQuery(), zoom=5)["total"]}
    out["matches"] = sizes
    print("matching records:", sizes)
    if args.lag:
        out["sync_lag_s"] = sync_lag(args.lag)
        print(f"sync lag (save → searchable, live follower): {out['sync_lag_s']}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2, ensure_ascii=False)


def doc_cost(n: int) -> None:
    """CPU per record of the two halves of a rebuild, measured apart (process time includes Tantivy's
    threads). Comparing two versions: run it with PYTHONPATH=<other checkout>/src, same records."""
    import pathlib
    import shutil
    import tempfile

    from pop.search.schema import LAYOUT
    hi = list(Record.objects.filter(status="published").order_by("seq").values_list("seq", flat=True)[n - 1:n])
    if not hi:
        sys.exit(f"fewer than {n} published records")
    c0 = time.process_time()
    docs = store._build_chunk((0, hi[0]))
    c1 = time.process_time()
    tmp = pathlib.Path(tempfile.mkdtemp(dir=os.environ.get("TMPDIR")))
    try:
        index = store.open_index(tmp)
        writer = index.writer(256_000_000, 1)
        for d in docs:
            writer.add_json(d)
        writer.commit()
        writer.wait_merging_threads()
        c2 = time.process_time()
        size = sum(p.stat().st_size for p in tmp.iterdir() if p.is_file())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    k = len(docs)
    print(f"layout {LAYOUT}: {k} records, documents {(c1 - c0) / k * 1e6:.0f} µs/record, "
          f"Tantivy {(c2 - c1) / k * 1e6:.0f} µs/record, total {(c2 - c0) / k * 1e6:.0f} µs/record, "
          f"index {size / k:.0f} B/record, JSON {sum(map(len, docs)) / k:.0f} B/record")


def _field_names(schema):
    # tantivy-py has no schema listing: probe with term queries on the candidate names
    from pop.search.schema import field_codes
    names = []
    for c in field_codes():
        try:
            tantivy.Query.term_query(schema, f"x_{c}", "a")
            names.append(f"x_{c}")
        except ValueError:
            pass
    return names


def sync_lag(samples: int) -> list[float]:
    """Seconds from a committed save to the record being found by search, with `pop index follow` running."""
    follower = subprocess.Popen([sys.executable, "-m", "pop.cli", "index", "follow"], stdout=subprocess.PIPE)
    follower.stdout.readline()
    lags = []
    refs = []
    try:
        time.sleep(1.0)
        for i in range(samples):
            word = f"benchlag{int(time.time())}x{i}"
            ref = f"PA9{int(time.time() * 10) % 10_000_000:07d}"
            refs.append(ref)
            service.save("merimee", {"REF": ref, "TICO": f"Repère {word}"}, actor="bench", channel="system")
            t0 = time.monotonic()
            while search(SimpleQuery(text=word, size=1, with_facets=False)).total == 0:
                if time.monotonic() - t0 > 30:
                    break
                time.sleep(0.02)
            lags.append(round(time.monotonic() - t0, 2))
            time.sleep(1.1)
    finally:
        for ref in refs:
            service.delete("merimee", ref, actor="bench", channel="system")
        time.sleep(1.5)
        follower.terminate()
        follower.wait(timeout=30)
    return lags


if __name__ == "__main__":
    main()
