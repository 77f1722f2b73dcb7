"""IIIF fixtures: a media store and derivatives under the test's own directory, synthetic images,
records that own them (through the write service)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import pyvips
from django.db import connection

from pop.catalog import service
from pop.iiif import rights
from pop.iiif.storage import media_storage

REPO = Path(__file__).resolve().parents[2]
VALIDATOR_IMAGE = REPO.parent / "shared" / "standards" / "67352ccc-d1b0-11e1-89ae-279075081939.png"
IIIF_SCHEMA = REPO.parent / "shared" / "standards" / "iiif_3_0.json"


def quadrants(width: int, height: int) -> pyvips.Image:
    """Four flat colour quadrants: red (top-left), green (top-right), blue (bottom-left), white."""
    x = pyvips.Image.xyz(width, height)
    left = x[0] < width // 2
    top = x[1] < height // 2
    red, green, blue, white = [255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]
    top_row = left.ifthenelse(red, green)
    bottom_row = left.ifthenelse(blue, white)
    return top.ifthenelse(top_row, bottom_row).cast("uchar").copy(interpretation="srgb")


def jpeg_bytes(width: int = 1200, height: int = 800) -> bytes:
    return quadrants(width, height).jpegsave_buffer(Q=95)


def png_bytes(width: int = 600, height: int = 400) -> bytes:
    return quadrants(width, height).pngsave_buffer()


@pytest.fixture
def media(settings, tmp_path):
    """Media store + derivatives + tile cache under tmp_path; rights read fresh on every request."""
    settings.DATA_DIR = tmp_path
    settings.POP_IIIF_RIGHTS_TTL = 0
    rights._cache.clear()
    return media_storage()


@pytest.fixture
def image_record(db, media):
    """image_record(base, ref, key, data=None, **fields) -> key: stores the file and a record owning it."""
    def _make(base: str, ref: str, key: str, data: bytes | None = None, **fields):
        media.put(key, data if data is not None else jpeg_bytes())
        record = {"REF": ref, **fields}
        field = {"memoire": "IMG", "joconde": "IMG", "mnr": "VIDEO", "enluminures": "VIDEO", "museo": "PHOTO"}[base]
        record[field] = key if base in ("memoire", "museo") else [key]
        if base == "joconde":
            service.save("museo", {"REF": "M0001", "NOMOFF": "Musée d'essai"}, actor="test")
            record.setdefault("INV", "INV 1")
            record.setdefault("MUSEO", "M0001")
            record.setdefault("DOMN", ["peinture"])
            record.setdefault("STAT", ["propriété de l'État"])
        service.save(base, record, actor="test")
        return key
    return _make


@pytest.fixture
def free_image(image_record):
    return image_record("memoire", "AP00000001", "memoire/AP00000001/vue.jpg", LEG="Vue générale",
                        COPY="© Jeanne Martin", DIFF="oui")


@pytest.fixture
def restricted_image(image_record):
    return image_record("memoire", "AP00000002", "memoire/AP00000002/grande.jpg", jpeg_bytes(3000, 2000),
                        LEG="Grande vue", COPY="© Ministère de la Culture",
                        DIFF="reproduction soumise à autorisation du titulaire des droits d'exploitation")


@pytest.fixture
def private_image(image_record):
    return image_record("memoire", "AP00000003", "memoire/AP00000003/cachee.jpg", LEG="Cachée",
                        COPY="© X", DIFF="non")


def ident(key: str) -> str:
    return quote(key, safe="")


def url(key: str, rest: str = "info.json") -> str:
    return f"/iiif/3/{ident(key)}/{rest}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def subprocess_env(data_dir: Path) -> dict:
    sd = connection.settings_dict
    if sd["ENGINE"].endswith("sqlite3"):
        db_url = f"sqlite:///{sd['NAME']}"
    else:
        auth = sd["USER"] + (f":{sd['PASSWORD']}" if sd.get("PASSWORD") else "")
        db_url = f"postgresql://{auth}@{sd['HOST'] or '127.0.0.1'}:{sd['PORT'] or 5432}/{sd['NAME']}"
    return dict(os.environ, POP_DATA_DIR=str(data_dir), POP_DATABASE_URL=db_url, PYTHONUNBUFFERED="1",
                POP_IIIF_RIGHTS_TTL="0")


@pytest.fixture
def gunicorn_server(settings):
    """gunicorn_server() -> "127.0.0.1:PORT": a real gunicorn serving the test database and DATA_DIR."""
    procs = []
    logs: list[Path] = []

    def _start(workers: int = 2) -> str:
        port = free_port()
        # The server's log goes to a file (a pipe nobody reads would block it once full); a failing
        # test shows its tail through _start.log_tail().
        log = Path(settings.DATA_DIR) / f"gunicorn-{port}.log"
        logs.append(log)
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--no-control-socket", "-b", f"127.0.0.1:{port}", "-w", str(workers),
                 "pop.wsgi:application"],
                env=subprocess_env(Path(settings.DATA_DIR)), stdout=out, stderr=subprocess.STDOUT)
        procs.append(proc)
        deadline = time.time() + 30
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return f"127.0.0.1:{port}"
            if proc.poll() is not None:
                raise RuntimeError(log.read_text(errors="replace"))
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def log_tail(chars: int = 4000) -> str:
        return "\n".join(log.read_text(errors="replace")[-chars:] for log in logs if log.exists())

    _start.log_tail = log_tail
    yield _start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
