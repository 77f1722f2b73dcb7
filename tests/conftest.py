"""Shared fixtures. The database is SQLite or PostgreSQL depending on POP_DATABASE_URL (scripts/test.sh)."""
from __future__ import annotations

import signal

import pytest

from pop.catalog import service

_HANDLED = [s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGQUIT", None)) if s is not None]


@pytest.fixture(autouse=True)
def _restore_signal_handlers():
    """A command run in-process (django-tasks-db's `db_worker`, `index follow`) installs SIGTERM/SIGINT
    handlers that would outlive its test: processes forked later (the parallel index rebuild's pool)
    inherit them, ignore the pool's SIGTERM and hang the suite. Each test gets the handlers back."""
    saved = {s: signal.getsignal(s) for s in _HANDLED}
    yield
    for s, handler in saved.items():
        if signal.getsignal(s) is not handler and handler is not None:
            signal.signal(s, handler)


@pytest.fixture
def save(db):
    """save(base, data, **kw) through the write service."""
    def _save(base, data, **kw):
        return service.save(base, data, **kw)
    return _save


@pytest.fixture
def sample_graph(db):
    """A small consistent graph: a museum, a Joconde object, a monument, an object in it, a photo."""
    service.save_many([
        ("museo", {"REF": "M5031", "NOMOFF": "Musée des Beaux-Arts de Lyon", "VILLE_M": "Lyon", "DPT": "Rhône",
                   "REGION": "Auvergne-Rhône-Alpes", "POP_COORDONNEES": {"lat": 45.7670, "lon": 4.8340}}),
        ("merimee", {"REF": "PA00078014", "TICO": "Château de Lunel", "DENO": ["château"], "DPT": ["34"],
                     "INSEE": ["34145"], "COM": ["Lunel"], "REG": ["Occitanie"], "COOR": "0794409;6291409", "ZONE": "Lambert93"}),
    ], actor="test")
    service.save_many([
        ("joconde", {"REF": "000PE001028", "INV": "A 1", "MUSEO": "M5031", "DOMN": ["peinture"], "STAT": ["propriété de l'État"],
                     "TITR": "Portrait de femme", "AUTR": ["Corot Jean-Baptiste Camille"]}),
        ("palissy", {"REF": "PM34000001", "TICO": "Retable du maître-autel", "REFA": ["PA00078014"], "DPT": ["34"], "INSEE": ["34145"]}),
        ("memoire", {"REF": "AP34R000001", "LBASE": ["PA00078014"], "IMG": "memoire/AP34R000001/vue.jpg", "LEG": "Vue d'ensemble"}),
    ], actor="test")
