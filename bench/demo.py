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
               "--batch", str(args.batch)] + (["--workers", str(args.workers)] if args.workers is not None else [])
        out = subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout
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
