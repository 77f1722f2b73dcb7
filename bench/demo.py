"""Write throughput of `pop demo` (records stored per second through the write service).

Run by hand (not part of the tests):

    .venv/bin/python bench/demo.py --records 200000 --runs 3 --sqlite
    .venv/bin/python bench/demo.py --records 100000 --runs 3 --postgres postgresql://postgres@127.0.0.1:5432/popbench

Each run is a separate process on an empty database (a fresh SQLite file in a temporary directory,
or the PostgreSQL database dropped and re-created), so runs do not warm each other. For every run
it prints records/s (wall clock), the CPU time per record of the parent process and of the
worker processes (with workers, they generate, compute and store; the parent only dispatches), and the machine's load average; then the median and the spread (min–max).
With both databases, runs alternate (SQLite, PostgreSQL, SQLite, …) and the PostgreSQL/SQLite
ratio is given per pair, so that a change in machine load affects both sides alike.

``--phases`` (with workers) also prints, for each stretch of 100,000 records, where a worker's time
went, in µs per record: computing its batch (generation and ``service.clean_items``, wall and
CPU), waiting for its turn, storing it (``service.save_many``: wall, CPU, system time), and of that
storing, the recomputation of records that earlier batches link to (``service._touch``, with how
many) and the link checks. Stores are serial, so their wall time bounds the load's speed:

    .venv/bin/python bench/demo.py --records 700000 --runs 1 --sqlite --phases
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(args) -> None:
    """Child process: migrate an empty database, load N records, print one JSON line."""
    import time

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pop.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)
    from pop.demo import vocab
    from pop.demo.loader import load

    vocab.places()
    phases = _record_phases() if args.phases else None
    t0, c0 = time.monotonic(), os.times()
    report = load(args.records, seed=args.seed, batch=args.batch, progress=False, workers=args.workers)
    t1, c1 = time.monotonic(), os.times()
    wall = t1 - t0
    print(json.dumps({
        "records": report.stored, "seconds": round(wall, 2), "per_second": round(report.stored / wall),
        "parent_cpu_us": round(((c1.user + c1.system) - (c0.user + c0.system)) / report.stored * 1e6),
        "workers_cpu_us": round(((c1.children_user + c1.children_system) - (c0.children_user + c0.children_system)) / report.stored * 1e6),
        "load": round(os.getloadavg()[0], 1),
    }))
    if phases is not None:
        phases.seek(0)
        _print_phases([json.loads(line) for line in phases])


_phases_out = None   # the file the workers append to (set before they are forked)
_spent = {"touch": 0.0, "touched": 0, "links": 0.0}


def _record_phases():
    """Wraps the workers' batch function (inherited through fork) to time each batch; returns
    the file the workers append one JSON line per batch to."""
    global _phases_out
    import time

    from pop.catalog import service
    from pop.demo import loader

    _phases_out = tempfile.TemporaryFile("w+")
    touch, check_links = service._touch, service._Plan._check_links

    def timed_touch(targets, exclude, illustrated=frozenset()):
        t = time.monotonic()
        touch(targets, exclude, illustrated)
        _spent["touch"] += time.monotonic() - t
        _spent["touched"] += len(targets - exclude)

    def timed_check_links(plan, batch_refs):
        t = time.monotonic()
        check_links(plan, batch_refs)
        _spent["links"] += time.monotonic() - t

    service._touch, service._Plan._check_links, loader._store_batch = timed_touch, timed_check_links, _timed_store_batch
    return _phases_out


def _timed_store_batch(i, bounds):
    """``loader._store_batch``, timed (module level: the pool sends it to the workers by name)."""
    import time

    from pop.demo import loader

    t0, c0 = time.monotonic(), time.process_time()
    cleaned, keys = loader._batch(bounds)
    t1, c1 = time.monotonic(), time.process_time()
    with loader._turns.of(i):
        _spent.update(touch=0.0, touched=0, links=0.0)
        t2, c2, s2 = time.monotonic(), time.process_time(), os.times().system
        created = loader._store(cleaned)
        t3, c3, s3 = time.monotonic(), time.process_time(), os.times().system
    _phases_out.write(json.dumps({"batch": i, "start": bounds[0], "n": len(cleaned), "compute": t1 - t0, "compute_cpu": c1 - c0,
                                  "wait": t2 - t1, "store": t3 - t2, "store_cpu": c3 - c2, "store_sys": s3 - s2, **_spent}) + "\n")
    _phases_out.flush()
    n = len(cleaned)
    del cleaned
    loader._collect(i)
    return n, created, keys


def _print_phases(rows: list[dict], every: int = 100_000) -> None:
    rows.sort(key=lambda r: r["batch"])
    keys = ("compute", "compute_cpu", "wait", "store", "store_cpu", "store_sys", "touch", "links")
    for lo in range(0, rows[-1]["start"] + 1, every) if rows else ():
        part = [r for r in rows if lo <= r["start"] < lo + every]
        n = sum(r["n"] for r in part)
        if n:
            us = {k: round(sum(r[k] for r in part) / n * 1e6, 1) for k in keys}
            print(f"records {lo:,}–{lo + n - 1:,}: " + ", ".join(f"{k} {v}" for k, v in us.items())
                  + f" µs/record; {sum(r['touched'] for r in part):,} records touched", file=sys.stderr)
    n = sum(r["n"] for r in rows)
    print("all: " + ", ".join(f"{k} {sum(r[k] for r in rows):.1f} s" for k in keys)
          + f"; {sum(r['touched'] for r in rows):,} records touched, {n:,} stored", file=sys.stderr)


def spawn(db: str, url: str | None, args) -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="pop-bench-") as tmp:
        env["POP_DATA_DIR"] = tmp
        if db == "postgres":
            import psycopg

            name = url.rsplit("/", 1)[1]
            admin = url.rsplit("/", 1)[0] + "/postgres"
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                conn.execute(f'CREATE DATABASE "{name}"')
            env["POP_DATABASE_URL"] = url
        else:
            env.pop("POP_DATABASE_URL", None)  # SQLite file under the temporary POP_DATA_DIR
        cmd = [sys.executable, __file__, "--one", "--records", str(args.records), "--seed", str(args.seed),
               "--batch", str(args.batch)] + (["--workers", str(args.workers)] if args.workers is not None else []) \
            + (["--phases"] if args.phases else [])
        done = subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True, text=True)
        if args.phases:
            print(done.stderr.strip(), flush=True)
        out = done.stdout
    return json.loads(out.strip().splitlines()[-1])


def summary(label: str, runs: list[dict]) -> None:
    rates = [r["per_second"] for r in runs]
    print(f"{label}: median {statistics.median(rates):.0f} records/s (min {min(rates)}, max {max(rates)}, {len(rates)} runs); "
          f"parent CPU {statistics.median(r['parent_cpu_us'] for r in runs):.0f} µs/record, "
          f"workers CPU {statistics.median(r['workers_cpu_us'] for r in runs):.0f} µs/record")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--batch", type=int, default=5000)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--sqlite", action="store_true")
    p.add_argument("--postgres", metavar="URL", help="a database this benchmark may drop and re-create")
    p.add_argument("--phases", action="store_true", help="time each batch in the workers (see above)")
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        one_run(args)
        return
    targets = ([("sqlite", None)] if args.sqlite or not args.postgres else []) + ([("postgres", args.postgres)] if args.postgres else [])
    results: dict[str, list[dict]] = {db: [] for db, _ in targets}
    ratios = []
    for n in range(args.runs):
        pair = {}
        for db, url in targets:
            r = spawn(db, url, args)
            results[db].append(r)
            pair[db] = r["per_second"]
            print(f"run {n + 1} {db}: {json.dumps(r)}", flush=True)
        if len(pair) == 2:
            ratios.append(pair["postgres"] / pair["sqlite"])
    for db, runs in results.items():
        summary(db, runs)
    if ratios:
        print(f"PostgreSQL/SQLite ratio per run: {', '.join(f'{x:.2f}' for x in ratios)} (median {statistics.median(ratios):.2f})")


if __name__ == "__main__":
    main()
