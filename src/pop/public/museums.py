"""The Muséofile directory: every museum with its name, town, department, region and position,
read from the database and cached until the next write (about 1,200 museums: filtering them in
memory is faster than any query).

    directory()  -> [{"ref": "M5031", "name": "Musée des Beaux-Arts", "city": "Lyon", "dpt": "Rhône",
                      "region": "Auvergne-Rhône-Alpes", "lat": 45.76, "lon": 4.83, "key": "musee des beaux-arts lyon …"}]
    matching(items, text, region) -> filtered list
"""
from __future__ import annotations

import unicodedata

from pop.catalog.models import Record
from pop.public import display
from pop.public.caching import by_seq
from pop.schema import registry


def fold(text: str) -> str:
    """Lower case without accents, for accent-insensitive matching."""
    return "".join(c for c in unicodedata.normalize("NFD", text or "").lower() if unicodedata.category(c) != "Mn")


def _first(value) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return str(value or "")


def _compute() -> list[dict]:
    base = registry.get("museo")
    out = []
    rows = Record.objects.filter(base=base.slug, status=Record.PUBLISHED).values_list("ref", "data")
    for ref, data in rows.iterator(chunk_size=2000):
        geo = data.get("POP_COORDONNEES") if isinstance(data.get("POP_COORDONNEES"), dict) else {}
        lat, lon = geo.get("lat"), geo.get("lon")
        ok = isinstance(lat, (int, float)) and isinstance(lon, (int, float)) and (lat, lon) != (0, 0)
        item = {"ref": ref, "name": display.title(base, data), "city": _first(data.get("VILLE_M")),
                "dpt": _first(data.get("DPT")), "region": _first(data.get("REGION")),
                "lat": lat if ok else None, "lon": lon if ok else None}
        item["key"] = fold(" ".join([item["name"], item["city"], item["dpt"], item["region"], ref,
                                     _first(data.get("NOMUSAGE"))]))
        out.append(item)
    out.sort(key=lambda m: fold(m["name"]))
    return out


def directory() -> list[dict]:
    return by_seq("museums", _compute)


def matching(items: list[dict], text: str = "", region: str = "") -> list[dict]:
    words = fold(text).split()
    out = items
    if region:
        out = [m for m in out if m["region"] == region]
    if words:
        out = [m for m in out if all(w in m["key"] for w in words)]
    return out


def regions(items: list[dict]) -> list[str]:
    return sorted({m["region"] for m in items if m["region"]}, key=fold)
