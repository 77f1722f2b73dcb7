"""Highlighted selections of the home page, read from a JSON file named by
``settings.POP_HOME_SELECTIONS`` (default: ``pop/public/data/selections.json``), so curators change
them without touching templates or code.

File shape::

    [{"title": "Châteaux de la Loire", "description": "…",
      "query": {"q": "château", "base": ["merimee"], "lieu": ["Centre-Val de Loire"]}}, ...]

``query`` holds the URL parameters of the results page (values may be strings or lists).
An unreadable file is logged and yields no selection (the home page still renders).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

log = logging.getLogger("pop.public")
DEFAULT = Path(__file__).parent / "data" / "selections.json"


def load() -> list[dict]:
    path = Path(getattr(settings, "POP_HOME_SELECTIONS", "") or DEFAULT)
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("sélections de l'accueil illisibles (%s) : %s", path, exc)
        return []
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not item.get("title"):
            continue
        query = item.get("query") if isinstance(item.get("query"), dict) else {}
        params = [(k, v) for k, vs in query.items() for v in (vs if isinstance(vs, list) else [vs])]
        out.append({"title": str(item["title"]), "description": str(item.get("description", "")),
                    "url": reverse("public:results") + ("?" + urlencode(params) if params else "")})
    return out
