"""Configuration from the environment: the generated secret key."""
from __future__ import annotations

import multiprocessing
import os

from pop import config


def _key_after(barrier, data_dir: str, out) -> None:
    os.environ.pop("POP_SECRET_KEY", None)
    os.environ["POP_DATA_DIR"] = data_dir
    barrier.wait()
    out.put(config.secret_key())


def test_processes_starting_together_read_one_full_key(tmp_path):
    """Server workers starting at once on a new data directory all get the same, complete key (an
    empty one made every request of a worker fail)."""
    ctx = multiprocessing.get_context("fork")
    for attempt in range(10):
        data_dir = tmp_path / f"d{attempt}"
        data_dir.mkdir()
        barrier, out = ctx.Barrier(6), ctx.Queue()
        procs = [ctx.Process(target=_key_after, args=(barrier, str(data_dir), out)) for _ in range(6)]
        for p in procs:
            p.start()
        keys = [out.get(timeout=30) for _ in procs]
        for p in procs:
            p.join(30)
        assert len(set(keys)) == 1 and len(keys[0]) >= 50
        assert (data_dir / "secret_key").read_text().strip() == keys[0]
        assert oct((data_dir / "secret_key").stat().st_mode & 0o777) == "0o600"
        assert [p.name for p in data_dir.iterdir()] == ["secret_key"]  # no temporary file left


def test_a_key_is_created_where_hard_links_are_refused(tmp_path, monkeypatch):
    def refuse(src, dst):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setenv("POP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("POP_SECRET_KEY", raising=False)
    monkeypatch.setattr(os, "link", refuse)
    key = config.secret_key()
    assert len(key) >= 50 and config.secret_key() == key
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]
