"""Migrations that edit SQLite table definitions in place (no table copy), on a database of their
own (a SQLite file, whichever database the suite runs on)."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path


def migrate(db: Path, *target: str) -> None:
    env = dict(os.environ, POP_DATABASE_URL=f"sqlite:///{db}", POP_DATA_DIR=str(db.parent))
    proc = subprocess.run([sys.executable, "-m", "pop.cli", "migrate", "--skip-checks", *target], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]


def definition(con: sqlite3.Connection, table: str) -> str:
    return con.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()[0]


def add_record(con: sqlite3.Connection, ref: str, seq: int) -> int:
    cur = con.execute("INSERT INTO pop_record (base, ref, data, producer, status, created_at, updated_at, seq) "
                      "VALUES ('merimee', ?, '{}', '', 'published', '2026-01-01', '2026-01-01', ?)", [ref, seq])
    con.execute("INSERT INTO pop_revision (record_id, seq, action, at, actor, channel, channel_ref) "
                "VALUES (?, ?, 'create', '2026-01-01', 'test', 'manual', '')", [cur.lastrowid, seq])
    con.execute("INSERT INTO pop_link (src_id, field, position, dst_base, dst_ref) VALUES (?, 'REFP', 0, 'merimee', 'PA1')",
                [cur.lastrowid])
    con.commit()
    return cur.lastrowid


def test_ids_without_autoincrement_keep_rows_and_keep_growing(tmp_path):
    db = tmp_path / "pop.sqlite3"
    migrate(db, "catalog", "0004")
    con = sqlite3.connect(db)
    first = [add_record(con, f"PA{n:08d}", 1000 + n) for n in range(3)]
    con.close()

    migrate(db)
    con = sqlite3.connect(db)
    for table in ("pop_record", "pop_link", "pop_revision"):
        assert "AUTOINCREMENT" not in definition(con, table)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute("SELECT id, ref FROM pop_record ORDER BY id").fetchall() == [(i, f"PA{n:08d}") for n, i in enumerate(first)]
    assert con.execute("SELECT COUNT(*) FROM pop_revision").fetchone() == (3,)
    later = add_record(con, "PA00000009", 2000)
    assert later > max(first)
    con.close()

    migrate(db, "catalog", "0004")  # and back: AUTOINCREMENT again, counting on from the largest id
    con = sqlite3.connect(db)
    assert "AUTOINCREMENT" in definition(con, "pop_record")
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert add_record(con, "PA00000010", 2001) == later + 1
    con.close()
