"""Public pages benchmark: server time of results pages and record pages (warm, full middleware
stack through the Django test client), and the bytes a browser transfers for the home and a
results page (Chromium against gunicorn, static files collected and compressed as in production).

    POP_DATA_DIR=/work/benchdata/full nice -n 10 .venv/bin/python bench/pages.py [--runs 50] [--records 200] [--no-weight]

Record pages are a random sample of published REFs of every base (fixed seed); results pages are
the queries of RESULTS below. Prints p50/p95 in milliseconds and the transferred bytes per page.
"""
from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pop.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from pop.schema import registry  # noqa: E402

RESULTS = {
    "home of the search (all records, facets)": "/recherche",
    "one word": "/recherche?q=%C3%A9glise",
    "word + base + facet": "/recherche?q=ch%C3%A2teau&base=merimee&type=ch%C3%A2teau",
    "two words, sorted by title": "/recherche?q=peinture+paysage&sort=title",
    "page 40, 50 per page": "/recherche?q=%C3%A9glise&size=50&page=40",
    "mosaic with images only": "/recherche?view=mosaic&image=oui",
    "last page (sorted by REF, from the end)": None,  # filled from the total
    "expert, nested OR group": "/recherche/experte?c.0=AND&f.0.0=group:titre&o.0.0=*&v.0.0=eglise"
                               "&c.0.1=OR&f.0.1.0=group:departement&o.0.1.0===&v.0.1.0=59&f.0.1.1=group:departement&o.0.1.1===&v.0.1.1=62",
}


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def timed(client, url):
    t0 = time.perf_counter()
    r = client.get(url)
    ms = (time.perf_counter() - t0) * 1000
    if r.status_code != 200:
        raise SystemExit(f"{url} → {r.status_code}")
    return ms


def sample_refs(n: int) -> list[str]:
    """n record page URLs spread over the bases, drawn by id range (no ORDER BY RANDOM() on millions)."""
    rng = random.Random(7)
    urls = []
    per_base = max(1, n // len(registry.bases()))
    with connection.cursor() as cur:
        for b in registry.bases():
            cur.execute("SELECT MIN(id), MAX(id) FROM pop_record WHERE base = %s", [b.slug])
            lo, hi = cur.fetchone()
            if lo is None:
                continue
            got = 0
            for _ in range(per_base * 20):
                if got >= per_base:
                    break
                cur.execute("SELECT ref FROM pop_record WHERE base = %s AND status = 'published' AND id >= %s "
                            "ORDER BY id LIMIT 1", [b.slug, rng.randint(lo, hi)])
                row = cur.fetchone()
                if row:
                    urls.append(f"/notice/{b.public_slug}/{row[0]}")
                    got += 1
    rng.shuffle(urls)
    return urls


def server_times(runs: int, records: int, only: str = ""):
    c = Client()
    import re
    if only == "records":
        return [], record_times(c, records)
    html = c.get("/recherche?sort=ref&size=25").content.decode()
    m = re.findall(r'href="\?sort=ref&amp;page=(\d+)"', html)
    RESULTS["last page (sorted by REF, from the end)"] = f"/recherche?sort=ref&page={max(map(int, m)) if m else 1}"
    print(f"{'results page':45} {'p50':>8} {'p95':>8}   (ms, {runs} warm runs each)")
    all_results = []
    for name, url in RESULTS.items():
        timed(c, url)
        times = [timed(c, url) for _ in range(runs)]
        all_results += times
        print(f"{name:45} {pct(times, 50):8.1f} {pct(times, 95):8.1f}")
    print(f"{'ALL results pages':45} {pct(all_results, 50):8.1f} {pct(all_results, 95):8.1f}")
    if only == "results":
        return all_results, []
    return all_results, record_times(c, records)


def record_times(c, records: int):
    urls = sample_refs(records)
    for u in urls[:5]:
        timed(c, u)
    rec = [timed(c, u) for u in urls]
    print(f"{'record pages (' + str(len(urls)) + ' random, every base)':45} {pct(rec, 50):8.1f} {pct(rec, 95):8.1f}")
    by_base: dict[str, list] = {}
    for u, ms in zip(urls, rec):
        by_base.setdefault(u.split("/")[2], []).append(ms)
    for base, times in by_base.items():
        print(f"{'  ' + base:45} {pct(times, 50):8.1f} {pct(times, 95):8.1f}")
    return rec


def page_weight():
    """Bytes transferred (compressed bodies + headers) for home and a results page, first visit."""
    from playwright.sync_api import sync_playwright
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, POP_MAP_TILE_URL="/tuiles/{z}/{x}/{y}.png")
    subprocess.run([sys.executable, "-m", "pop.cli", "collectstatic", "--noinput", "-v0"], env=env, cwd=root, check=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--no-control-socket", "pop.wsgi:application", "--bind", f"127.0.0.1:{port}",
                               "--workers", "2"], env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"])
            for name, url in (("home", "/"), ("results (list)", "/recherche?q=%C3%A9glise")):
                ctx = b.new_context()
                page = ctx.new_page()
                sizes = []
                page.on("requestfinished", lambda req: sizes.append((req.url, req.sizes())))
                page.goto(f"http://127.0.0.1:{port}{url}")
                page.wait_for_load_state("networkidle")
                total = sum(s["responseBodySize"] + s["responseHeadersSize"] for _, s in sizes)
                html = sum(s["responseBodySize"] for u, s in sizes if u.endswith(url) or u.endswith(url + "/"))
                print(f"{name:20} {len(sizes):3} requests, {total / 1024:7.1f} KiB transferred (HTML {html / 1024:.1f} KiB)")
                ctx.close()
            b.close()
    finally:
        server.terminate()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--records", type=int, default=200)
    ap.add_argument("--no-weight", action="store_true")
    ap.add_argument("--only", choices=("records", "results"), default="", help="measure one kind of page")
    args = ap.parse_args()
    with connection.cursor() as cur:  # MAX(id): COUNT(*) of millions of rows takes seconds on SQLite
        cur.execute("SELECT MAX(id) FROM pop_record")
        n = cur.fetchone()[0] or 0
    print(f"data: {settings.DATA_DIR} — about {n:,} records ({connection.vendor})")
    server_times(args.runs, args.records, args.only)
    if not args.no_weight:
        page_weight()


if __name__ == "__main__":
    main()
