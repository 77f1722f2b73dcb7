"""schema.org JSON-LD of a record page (search engines and linked-data clients read it).

    for_record(base, view, title, permalink, image_urls)
    -> {"@context": "https://schema.org", "@type": "VisualArtwork", "name": ..., "identifier": "REF", ...}

Values come from the registry: authors are the fields feeding the "auteur" facet, dates the
"periode" facet, genres the "domaine" facet; the description is the record's longest described text.
"""
from __future__ import annotations

from django.conf import settings

from pop.public import display
from pop.schema import Base
from pop.schema.types import S

# schema.org type of the things each base describes.
SCHEMA_TYPES = {
    "joconde": "VisualArtwork", "mnr": "VisualArtwork", "palissy": "VisualArtwork",
    "merimee": "LandmarksOrHistoricalBuildings", "memoire": "Photograph", "museo": "Museum",
    "enluminures": "Manuscript", "autor": "Person",
}


def for_record(base: Base, view: dict, title: str, permalink: str, image_urls: list[str]) -> dict:
    site = settings.POP_SITE_URL.rstrip("/")
    kind = SCHEMA_TYPES.get(base.slug, "CreativeWork")
    data: dict = {"@context": "https://schema.org", "@type": kind, "@id": permalink, "url": permalink,
                  "name": title, "identifier": view.get("REF", ""),
                  "isPartOf": {"@type": "Dataset", "name": base.label, "url": f"{site}/recherche?base={base.public_slug}"}}
    description = display.first_text(base, view, S.DESCRIPTION) or display.first_text(base, view, S.HISTORY)
    if description:
        data["description"] = description[:1000]
    if image_urls:
        data["image"] = [u if u.startswith("http") else site + u for u in image_urls[:5]]
    if kind != "Person":
        authors = display.facet_values(base, view, "auteur")
        if authors:
            data["creator"] = [{"@type": "Person", "name": a} for a in authors[:10]]
        periods = display.facet_values(base, view, "periode")
        if periods:
            data["temporalCoverage"] = ", ".join(periods[:5])
        genres = display.facet_values(base, view, "domaine")
        if genres:
            data["genre"] = genres[:10]
    geo = view.get("POP_COORDONNEES")
    if isinstance(geo, dict) and isinstance(geo.get("lat"), (int, float)) and isinstance(geo.get("lon"), (int, float)):
        place = {"@type": "GeoCoordinates", "latitude": geo["lat"], "longitude": geo["lon"]}
        if kind in ("LandmarksOrHistoricalBuildings", "Museum"):
            data["geo"] = place
        else:
            data["contentLocation"] = {"@type": "Place", "geo": place}
    credits = [v for r in display.rights(base, view) for v in r["values"]]
    if credits:
        data["creditText"] = " ; ".join(credits[:5])
    return data
