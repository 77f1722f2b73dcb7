"""Cost of inserting records, revisions and links on SQLite, with and without AUTOINCREMENT on the
ids (migration 0005), on the platform's own table definitions. Run by hand:

    .venv/bin/python bench/sqlite_inserts.py --records 100000 --rounds 2

The definitions are read from a freshly migrated database, then each variant gets a new file with
the same pragmas as the demo load (16 KiB pages, WAL, synchronous=NORMAL, 256 MiB cache) and
receives the same rows in batches of 5,000, one transaction each (foreign keys not checked: the
other tables are not there): ~900 bytes of JSON per record,
one revision per record, 0.8 link per record. Prints µs per record for each table, per round.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

TABLES = ("pop_record", "pop_revision", "pop_link")
WITH = '"id" integer NOT NULL PRIMARY KEY AUTOINCREMENT'
WITHOUT = '"id" integer NOT NULL PRIMARY KEY'


def definitions() -> list[str]:
    """CREATE TABLE / INDEX statements of the three tables, as the migrations leave them."""
    tmp = tempfile.mkdtemp(prefix="pop-bench-")
    os.environ["POP_DATA_DIR"] = tmp
    os.environ.pop("POP_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pop.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)
    con = sqlite3.connect(Path(tmp) / "pop.sqlite3")
    rows = con.execute("SELECT sql FROM sqlite_master WHERE tbl_name IN (?, ?, ?) AND sql IS NOT NULL "
                       "ORDER BY type = 'index'", TABLES).fetchall()
    con.close()
    return [sql for (sql,) in rows]


def run(statements: list[str], records: int, batch: int = 5000) -> dict[str, float]:
    path = Path(tempfile.mkdtemp(prefix="pop-bench-")) / "t.sqlite3"
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in ("page_size=16384", "journal_mode=WAL", "synchronous=NORMAL", "cache_size=-262144"):
        con.execute(f"PRAGMA {pragma}")
    for sql in statements:
        con.execute(sql)
    data = '{"TICO": "' + "x" * 440 + '", "DESC": "' + "y" * 440 + '"}'
    ts = "2026-11-24 10:00:00"
    spent = dict.fromkeys(TABLES, 0.0)
    seq = 0
    for _ in range(0, records, batch):
        rows = [("memoire", f"AP{seq + k:09d}", data, "MAP", "published", ts, ts, seq + k + 1) for k in range(batch)]
        seq += batch
        con.execute("BEGIN IMMEDIATE")
        t = time.perf_counter()
        con.executemany("INSERT INTO pop_record (base, ref, data, producer, status, created_at, updated_at, seq) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        spent["pop_record"] += time.perf_counter() - t
        ids = con.execute("SELECT seq, id FROM pop_record WHERE seq > ?", (seq - batch,)).fetchall()
        t = time.perf_counter()
        con.executemany("INSERT INTO pop_revision (record_id, seq, action, at, user_id, actor, channel, channel_ref, changes) "
                        "VALUES (?, ?, 'create', ?, NULL, 'bench', 'demo', '', NULL)", [(i, s, ts) for s, i in ids])
        spent["pop_revision"] += time.perf_counter() - t
        t = time.perf_counter()
        con.executemany("INSERT INTO pop_link (src_id, field, position, dst_base, dst_ref) VALUES (?, 'LBASE', 0, 'merimee', ?)",
                        [(i, f"PA{(i * 7919) % 10**8:08d}") for _s, i in ids[: batch * 4 // 5]])
        spent["pop_link"] += time.perf_counter() - t
        con.execute("COMMIT")
    con.close()
    return {table: s / records * 1e6 for table, s in spent.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    plain = definitions()
    if any(WITH in sql for sql in plain):
        raise SystemExit("the migrated tables still have AUTOINCREMENT")
    variants = {"AUTOINCREMENT": [sql.replace(WITHOUT, WITH, 1) for sql in plain], "rowid": plain}
    results: dict[str, list[dict]] = {name: [] for name in variants}
    for n in range(args.rounds):   # alternating, so that a change of machine load affects both
        for name, statements in variants.items():
            r = run(statements, args.records)
            results[name].append(r)
            print(f"round {n + 1} {name:13s} " + "  ".join(f"{t} {v:.1f}" for t, v in r.items()) + "  µs/record", flush=True)
    for name, runs in results.items():
        print(f"median {name:13s} " + "  ".join(f"{t} {statistics.median(r[t] for r in runs):.1f}" for t in TABLES))


if __name__ == "__main__":
    main()
