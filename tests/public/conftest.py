"""Public-site fixtures: the demo-like catalogue of tests/public/dataset.py, indexed in the test's
own data directory (search index, images and caches never touch the repository's var/)."""
from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from pop.search import store
from . import dataset


@pytest.fixture
def catalogue(db, settings, tmp_path):
    """The dataset written through the write service, the index synced; returns the (base, REF) set."""
    settings.DATA_DIR = tmp_path
    cache.clear()
    refs = dataset.create(with_images=False)
    store.sync()
    return refs


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def reindex():
    def _sync():
        store.sync()
        cache.clear()
    return _sync
