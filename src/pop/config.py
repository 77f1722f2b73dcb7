"""Environment configuration with safe defaults (read once, used by settings and the CLI).

POP_DATABASE_URL  default: sqlite file var/pop.sqlite3 (WAL mode)
POP_DATA_DIR      default: var/ (search index, media, exports, dumps)
POP_SECRET_KEY    default: generated once and kept in var/secret_key
POP_DEBUG         default: off
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on", "oui"}


def data_dir() -> Path:
    path = Path(os.environ.get("POP_DATA_DIR") or (PROJECT_DIR / "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    return os.environ.get("POP_DATABASE_URL") or f"sqlite:///{data_dir() / 'pop.sqlite3'}"


def secret_key() -> str:
    key = os.environ.get("POP_SECRET_KEY")
    if key:
        return key
    path = data_dir() / "secret_key"
    if not path.exists():
        # Several processes may start on a new data directory at once (server workers): the key is
        # written in full to a file of this process's own, then linked into place, which fails if
        # another process got there first. Nobody ever reads a half-written key, and all read the same.
        tmp = path.with_name(f".secret_key.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links: a complete key still, renamed into place
            if not path.exists():
                os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def debug() -> bool:
    return _truthy(os.environ.get("POP_DEBUG"))


def env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default
