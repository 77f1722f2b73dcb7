"""Search fixtures: an index under the test's own data directory, and subprocess helpers."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from pop.search import store


@pytest.fixture
def index_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path / "index"


@pytest.fixture
def sync(index_dir):
    def _sync():
        return store.sync()
    return _sync


def subprocess_env(data_dir: Path) -> dict:
    """Environment for a `pop` subprocess that sees the test database and the test's data directory."""
    sd = connection.settings_dict
    if sd["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{sd['NAME']}"
    else:
        auth = sd["USER"] + (f":{sd['PASSWORD']}" if sd.get("PASSWORD") else "")
        url = f"postgresql://{auth}@{sd['HOST'] or '127.0.0.1'}:{sd['PORT'] or 5432}/{sd['NAME']}"
    env = dict(os.environ, POP_DATA_DIR=str(data_dir), POP_DATABASE_URL=url, PYTHONUNBUFFERED="1")
    return env


def pop_process(data_dir: Path, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pop.cli", *args], env=subprocess_env(data_dir),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
