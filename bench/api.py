"""API overhead benchmark: the same queries through /api (Django test client, full middleware stack)
and directly through the engine interface, warm, on an existing data directory.

    POP_DATA_DIR=/work/benchdata/api50k .venv/bin/python bench/api.py [--runs 30]

Prints p50/p95 per query for the engine call, the API call, and the difference (parameter parsing,
validation, serialisation of hits/aggregations, middleware).
"""
from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pop.settings")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from pop.api import params as P  # noqa: E402
from pop.api import views_search as V  # noqa: E402
from pop.search import interface as engine  # noqa: E402

SIMPLE = {
    "home page (all facets)": "size=20",
    "text + all facets": "text=%C3%A9glise&size=20",
    "text + facet filter": "text=ch%C3%A2teau&facets[base][0]=merimee&facets[DENO][0]=ch%C3%A2teau&size=20",
    "sorted by REF, page 2 (from)": "sort[0][REF.keyword]=asc&from=20&size=20",
    "size=2000": "text=peinture&size=2000",
}
ADVANCED = {
    "expert, 3 rules": {"crits": [{"crits": [
        {"fields": "TICO, TITR, TITRE, LEG", "operator": "*", "value": "eglise"},
        {"fields": "DENO", "operator": "∃"},
        {"fields": "REF", "operator": "^", "value": "P", "combinator": "AND"}], "combinator": "AND"}], "size": 20},
}


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def measure(fn, runs):
    fn()  # warm
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    client = Client()
    rows = []
    for name, qs in SIMPLE.items():
        raw = P.decode_query(qs)

        def direct(raw=raw):
            return engine.search(V._simple_query(P.simple_params(raw), raw, with_facets=True))

        def api(qs=qs):
            r = client.get(f"/api/search/simple?{qs}")
            assert r.status_code == 200, r.content[:200]
        rows.append((name, measure(direct, args.runs), measure(api, args.runs)))
    for name, body in ADVANCED.items():
        data = json.dumps(body)

        def direct(body=body):
            return engine.search(V._expert_query(P.advanced_params(body), body))

        def api(data=data):
            r = client.post("/api/search/advanced", data=data, content_type="application/json")
            assert r.status_code == 200, r.content[:200]
        rows.append((name, measure(direct, args.runs), measure(api, args.runs)))
    total = client.get("/api/search/simple?size=0").json()["total"]
    print(f"records in index: {total}; runs per query: {args.runs}")
    print(f"{'query':34} {'engine p50':>10} {'engine p95':>10} {'API p50':>8} {'API p95':>8} {'overhead p50':>12}")
    for name, d, a in rows:
        print(f"{name:34} {pct(d, 50):10.1f} {pct(d, 95):10.1f} {pct(a, 50):8.1f} {pct(a, 95):8.1f} "
              f"{pct(a, 50) - pct(d, 50):12.1f}")


if __name__ == "__main__":
    main()
