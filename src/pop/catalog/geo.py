"""Coordinates: projected COOR/COORM + ZONE → WGS84 POP_COORDONNEES and polygon (pyproj).

Returned shapes: point {"lat": 48.85, "lon": 2.35}; polygon {"type": "Polygon", "coordinates": [[lat, lon], ...]}
(POP's flat lat,lon list, kept for compatibility).
"""
from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

from pyproj import Transformer

# ZONE value (lower-case, spaces removed) -> EPSG code; None = already WGS84 "lon;lat"
ZONES: dict[str, int | None] = {
    "lambert0": 27572, "lambert2": 27572, "lambert2etendu": 27572, "lambertiietendu": 27572,
    "lambert1": 27571, "lambert3": 27573, "lambert4": 27574,
    "lambert93": 2154, "rgf93": 2154, "gausslaborde": 2990, "wgs84": None,
}

METROPOLE = (41.18, 51.54, -9.62, 10.3)  # lat min, lat max, lon min, lon max
# Overseas departments are real positions too (POP only knew metropolitan France).
OVERSEAS = ((15.8, 16.6, -61.9, -60.9), (14.3, 14.95, -61.3, -60.7), (2.0, 6.0, -54.7, -51.5),
            (-21.45, -20.8, 55.1, 55.9), (-13.1, -12.5, 44.9, 45.4))


class CoordinateError(ValueError):
    pass


def zone_epsg(zone: str) -> int | None:
    key = re.sub(r"[\s_\-]", "", unicodedata.normalize("NFKD", (zone or "").strip().lower()).encode("ascii", "ignore").decode())
    if key not in ZONES:
        raise CoordinateError(f"zone de projection inconnue « {zone} » (attendu : Lambert93, Lambert1 à 4, Lambert2 étendu, Gauss Laborde, WGS84)")
    return ZONES[key]


@lru_cache(maxsize=16)
def _transformer(epsg: int) -> Transformer:
    return Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)


def _number(text: str) -> float:
    return float(text.strip().replace(",", ".").replace(" ", ""))


def project_point(xy: str, zone: str) -> dict:
    """'x;y' in ZONE -> {"lat", "lon"}; raises CoordinateError."""
    parts = [p for p in re.split(r"[;,\s]+", (xy or "").strip()) if p] if ";" not in xy else xy.split(";")
    if len(parts) != 2:
        raise CoordinateError(f"coordonnées « {xy} » : deux nombres séparés par « ; » attendus")
    try:
        x, y = _number(parts[0]), _number(parts[1])
    except ValueError as exc:
        raise CoordinateError(f"coordonnées « {xy} » : nombres attendus") from exc
    epsg = zone_epsg(zone)
    if epsg is None:
        lon, lat = x, y
    else:
        lon, lat = _transformer(epsg).transform(x, y)
    point = {"lat": round(lat, 7), "lon": round(lon, 7)}
    if not is_valid(point):
        raise CoordinateError(f"coordonnées « {xy} » ({zone}) hors des limites : latitude {lat:.4f}, longitude {lon:.4f}")
    return point


def project_polygon(text: str, zone: str) -> dict:
    points = [project_point(p, zone) for p in (text or "").split("/") if p.strip()]
    if len(points) < 3:
        raise CoordinateError("un polygone demande au moins trois points « x;y » séparés par « / »")
    return {"type": "Polygon", "coordinates": [[p["lat"], p["lon"]] for p in points]}


def centroid(polygon: dict) -> dict:
    """Area centroid (shoelace) of a lat,lon polygon; falls back to the vertex mean when degenerate."""
    pts = polygon["coordinates"]
    area = cx = cy = 0.0
    for (y0, x0), (y1, x1) in zip(pts, pts[1:] + pts[:1]):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-12:
        return {"lat": sum(p[0] for p in pts) / len(pts), "lon": sum(p[1] for p in pts) / len(pts)}
    return {"lat": cy / (3 * area), "lon": cx / (3 * area)}


def is_valid(point) -> bool:
    """A real position: finite numbers in range, and not the (0, 0) placeholder."""
    if not isinstance(point, dict):
        return False
    lat, lon = point.get("lat"), point.get("lon")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (lat, lon)):
        return False
    if lat == 0 and lon == 0:
        return False
    return -90 <= lat <= 90 and -180 <= lon <= 180


def in_france(point: dict) -> bool:
    lat, lon = point["lat"], point["lon"]
    return any(a <= lat <= b and c <= lon <= d for a, b, c, d in (METROPOLE, *OVERSEAS))


def parse_point(value) -> dict | None:
    """Accepts {"lat","lon"} with numbers or strings (',' decimal) -> point, or None when empty."""
    if value in (None, "", {}):
        return None
    if not isinstance(value, dict):
        raise CoordinateError("position attendue sous la forme {\"lat\": …, \"lon\": …}")
    try:
        lat = _number(str(value.get("lat", ""))) if value.get("lat") not in (None, "") else None
        lon = _number(str(value.get("lon", ""))) if value.get("lon") not in (None, "") else None
    except ValueError as exc:
        raise CoordinateError("latitude et longitude doivent être des nombres") from exc
    if lat is None and lon is None:
        return None
    if lat is None or lon is None:
        raise CoordinateError("latitude et longitude doivent être renseignées ensemble")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise CoordinateError(f"position hors limites (latitude {lat}, longitude {lon})")
    return {"lat": lat, "lon": lon}
