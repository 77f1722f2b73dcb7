"""Public pages benchmark: server time of results pages and record pages (warm, full middleware
stack through the Django test client), and the bytes a browser transfers for the home and a
results page (Chromium against gunicorn, static files collected and compressed as in production).

    POP_DATA_DIR=/work/benchdata/full nice -n 10 .venv/bin/python bench/pages.py [--runs 50] [--records 200]
        [--uncached] [--no-weight] [--only records|results|weight]

Record pages are a random sample of published REFs of every base (fixed seed); results pages are
the queries of RESULTS below (list, mosaic and map views, with and without free text and facets,
and the map's cluster requests). ``--uncached`` empties the site's cache before every request.
Prints p50/p95/max in milliseconds, the CPU time of the request and the HTML size, and the bytes
a browser transfers for the home and a results page (``page_weight``: it collects the static
files into POP_DATA_DIR/static, so run it on a data directory you may write to).
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
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from pop.schema import registry  # noqa: E402

ZONE = "41.0,-5.5,51.5,10.0"   # metropolitan France, as the map view opens
EXPERT = ("/recherche/experte?c.0=AND&f.0.0=group:titre&o.0.0=*&v.0.0=eglise"
          "&c.0.1=OR&f.0.1.0=group:departement&o.0.1.0===&v.0.1.0=59&f.0.1.1=group:departement&o.0.1.1===&v.0.1.1=62")
# (view, page name) -> URL: every view with and without free text and facets.
RESULTS = {
    ("list", "search home (all records, every facet)"): "/recherche",
    ("list", "one word"): "/recherche?q=%C3%A9glise",
    ("list", "facets only (base + domain)"): "/recherche?base=joconde&domaine=peinture",
    ("list", "word + base + facet"): "/recherche?q=ch%C3%A2teau&base=merimee&type=ch%C3%A2teau",
    ("list", "word + place facet (département)"): "/recherche?q=%C3%A9glise&lieu=Hauts-de-France%2FNord",
    ("list", "two words, sorted by title"): "/recherche?q=peinture+paysage&sort=title",
    ("list", "page 40, 50 per page"): "/recherche?q=%C3%A9glise&size=50&page=40",
    ("list", "last page (sorted by REF, from the end)"): None,  # filled from the total
    ("list", "expert, nested OR group"): EXPERT,
    ("mosaic", "all records"): "/recherche?view=mosaic",
    ("mosaic", "images only"): "/recherche?view=mosaic&image=oui",
    ("mosaic", "word + base"): "/recherche?q=portrait&base=joconde&view=mosaic",
    ("map", "all records (page)"): "/recherche?view=map",
    ("map", "word + place facet (page)"): "/recherche?q=%C3%A9glise&lieu=Hauts-de-France&view=map",
    ("map", "clusters, all records (carte.json)"): f"/recherche/carte.json?zone={ZONE}&z=5",
    ("map", "clusters, word (carte.json)"): f"/recherche/carte.json?q=%C3%A9glise&zone={ZONE}&z=5",
    ("map", "clusters, facet, zoom 9 (carte.json)"): "/recherche/carte.json?base=merimee&zone=48.6,2.0,49.1,2.7&z=9",
}


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def timed(client, url, uncached: bool = False):
    """Milliseconds of one request; ``uncached`` empties the site's cache first (criteria-less
    results, figures), so the search engine answers every time. Also the CPU time of this process."""
    if uncached:
        cache.clear()
    c0, t0 = time.process_time(), time.perf_counter()
    r = client.get(url)
    ms = (time.perf_counter() - t0) * 1000
    cpu = (time.process_time() - c0) * 1000
    if r.status_code != 200:
        raise SystemExit(f"{url} → {r.status_code}")
    SIZES[url] = len(r.content)
    CPU.setdefault(url, []).append(cpu)
    if url not in TOTALS:
        TOTALS[url] = _total(r)
    return ms


def _total(response) -> str:
    """Result count shown by a results page (or the map data's "total"), for the table."""
    import gzip
    import json
    import re
    body = response.content
    if response.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    if response["Content-Type"].startswith("application/json"):
        return str(json.loads(body).get("total", ""))
    m = re.search(r'id="nombre-resultats"[^>]*>([\d\u202f\xa0 ]+) résultat', body.decode())
    return re.sub(r"\D", "", m.group(1)) if m else ""


SIZES: dict[str, int] = {}
CPU: dict[str, list] = {}
TOTALS: dict[str, str] = {}


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


def server_times(runs: int, records: int, only: str = "", uncached: bool = False):
    c = Client(HTTP_ACCEPT_ENCODING="gzip, deflate, br")  # as browsers ask: the HTML is compressed
    import re
    if only == "records":
        return [], record_times(c, records)
    html = Client().get("/recherche?sort=ref&size=25").content.decode()
    m = re.findall(r'href="\?sort=ref&amp;page=(\d+)"', html)
    RESULTS[("list", "last page (sorted by REF, from the end)")] = f"/recherche?sort=ref&page={max(map(int, m)) if m else 1}"
    print(f"{'view':7} {'results page':45} {'p50':>8} {'p95':>8} {'max':>8} {'CPU p50':>8} {'CPU p95':>8} {'KiB gz':>6} {'results':>9}   "
          f"(ms, {runs} {'uncached' if uncached else 'warm'} runs each)")
    all_results: list[float] = []
    all_cpu: list[float] = []
    by_view: dict[str, list] = {}
    for (view, name), url in RESULTS.items():
        timed(c, url)
        times = [timed(c, url, uncached) for _ in range(runs)]
        all_results += times
        all_cpu += CPU[url][1:]
        by_view.setdefault(view, []).extend(times)
        print(f"{view:7} {name:45} {pct(times, 50):8.1f} {pct(times, 95):8.1f} {max(times):8.1f} "
              f"{pct(CPU[url][1:], 50):8.1f} {pct(CPU[url][1:], 95):8.1f} {SIZES[url] / 1024:6.1f} {TOTALS[url]:>9}")
    for view, times in by_view.items():
        print(f"{view:7} {'ALL':45} {pct(times, 50):8.1f} {pct(times, 95):8.1f} {max(times):8.1f}")
    print(f"{'':7} {'ALL results pages':45} {pct(all_results, 50):8.1f} {pct(all_results, 95):8.1f} {max(all_results):8.1f} "
          f"{pct(all_cpu, 50):8.1f} {pct(all_cpu, 95):8.1f}")
    if only == "results":
        return all_results, []
    return all_results, record_times(c, records)


def record_times(c, records: int):
    """Each sampled record page twice: the first visit (its rows may not be in the database's page
    cache yet) and a second one (warm). Wall and CPU times of this process."""
    urls = sample_refs(records)
    for u in urls[:5]:
        timed(c, u)
    print(f"{'record page':53} {'p50':>8} {'p95':>8} {'max':>8} {'CPU p50':>8} {'CPU p95':>8}")
    all_times = []
    for label in ("first visit", "second visit"):
        rec = [timed(c, u) for u in urls]
        cpu = [CPU[u][-1] for u in urls]
        all_times += rec
        print(f"{'ALL, ' + label + ' (' + str(len(urls)) + ' random, every base)':53} {pct(rec, 50):8.1f} "
              f"{pct(rec, 95):8.1f} {max(rec):8.1f} {pct(cpu, 50):8.1f} {pct(cpu, 95):8.1f}")
        by_base: dict[str, list] = {}
        for u, ms, c_ms in zip(urls, rec, cpu):
            by_base.setdefault(u.split("/")[2], []).append((ms, c_ms))
        for base, pairs in sorted(by_base.items()):
            times, cpus = [t for t, _ in pairs], [c for _, c in pairs]
            print(f"{'  ' + base:53} {pct(times, 50):8.1f} {pct(times, 95):8.1f} {max(times):8.1f} "
                  f"{pct(cpus, 50):8.1f} {pct(cpus, 95):8.1f}")
    return all_times


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
    ap.add_argument("--only", choices=("records", "results", "weight"), default="", help="measure one kind of page")
    ap.add_argument("--uncached", action="store_true", help="empty the site's cache before every timed request")
    args = ap.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.only == "weight":
        page_weight()
        return
    with connection.cursor() as cur:  # MAX(id): COUNT(*) of millions of rows takes seconds on SQLite
        cur.execute("SELECT MAX(id) FROM pop_record")
        n = cur.fetchone()[0] or 0
    print(f"data: {settings.DATA_DIR} — about {n:,} records ({connection.vendor})")
    server_times(args.runs, args.records, args.only, args.uncached)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.no_weight:
        page_weight()


if __name__ == "__main__":
    main()
