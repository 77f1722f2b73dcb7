"""GET/POST /api/search/map: server-side clusters from the engine's map_clusters."""
from __future__ import annotations

import json

import pytest

from pop.catalog.reading import public_record

from .test_search import get, published

pytestmark = pytest.mark.django_db


def geolocated() -> dict:
    out = {}
    for base, ref in published():
        point = public_record(base, ref).get("POP_COORDONNEES")
        if point:
            out[(base, ref)] = point
    return out


def check_map(data):
    assert set(data) == {"took", "total", "zoom", "clusters", "records"}
    assert sum(c["count"] for c in data["clusters"]) == data["total"]
    for c in data["clusters"]:
        assert set(c) == {"lat", "lon", "count", "bbox"}
        west, south, east, north = c["bbox"]
        assert south <= c["lat"] <= north and west <= c["lon"] <= east
    return data


def test_all_geolocated_records(client, indexed):
    expected = geolocated()
    data = check_map(get(client, "/api/search/map?zoom=2"))
    assert data["total"] == len(expected) and data["zoom"] == 2
    assert {(r["base"], r["ref"]): {"lat": r["lat"], "lon": r["lon"]} for r in data["records"]} == expected
    # Lyon (museum and the Joconde object) and Lunel are distinct clusters when zoomed in
    data = check_map(get(client, "/api/search/map?zoom=8"))
    assert sorted(c["count"] for c in data["clusters"]) == [1, 2]


def test_bbox_and_filters(client, indexed):
    lyon = "bbox=4.7,45.7,4.9,45.8"  # west,south,east,north
    data = check_map(get(client, f"/api/search/map?{lyon}&zoom=12"))
    assert {r["ref"] for r in data["records"]} == {"M5031", "000PE001028"}
    data = check_map(get(client, f"/api/search/map?{lyon}&bases[0]=joconde"))
    assert [r["ref"] for r in data["records"]] == ["000PE001028"] and data["total"] == 1
    data = check_map(get(client, "/api/search/map?text=ch%C3%A2teau&zoom=22"))  # deep zooms clamp to the finest grid
    assert [r["ref"] for r in data["records"]] == ["PA00078014"] and data["zoom"] == 18


def test_expert_query_on_the_map(client, indexed):
    body = {"crits": [{"fields": "DENO", "operator": "==", "value": "château"}], "bbox": "-5,41,10,52", "zoom": 5}
    r = client.post("/api/search/map", data=json.dumps(body), content_type="application/json")
    assert r.status_code == 200 and r["Access-Control-Allow-Origin"] == "*"
    data = check_map(r.json())
    assert data["total"] == 1 and data["records"][0]["ref"] == "PA00078014"


@pytest.mark.parametrize("qs", ["bbox=1,2,3", "bbox=a,b,c,d", "bbox=0,80,1,10", "zoom=-1", "zoom=x", "bbox=0,0,999,1"])
def test_bad_map_parameters(client, indexed, qs):
    r = client.get(f"/api/search/map?{qs}")
    assert r.status_code == 400 and r.json()["error"]["message"]
