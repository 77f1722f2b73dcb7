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
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def debug() -> bool:
    return _truthy(os.environ.get("POP_DEBUG"))


def env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default
