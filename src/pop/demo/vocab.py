"""Vocabularies for the demo generator.

Reads ``pop/referentials/data/vocabularies.json`` (the lists the thesaurus checks use: domains,
denominations, protections…) and the communes of ``communes.csv`` (through
``pop.referentials.geography``). A key missing from the JSON file falls back to the small built-in
list below, so that the generator always works; when the file has the key, its values win, so the
generated records pass the thesaurus checks without warnings.

Communes are precomputed once with their Lambert-93 position (pyproj, vectorised) so that the
generator can write COOR "x;y" + ZONE like the real Mérimée/Palissy records.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from pop.referentials.geography import DEPARTMENTS, REGIONS, communes as _communes
from pop.schema.thesaurus import VOCAB_FILE

# Built-in fallbacks (French), used only for keys that vocabularies.json lacks.
FALLBACK: dict[str, list[str]] = {
    "joconde_domains": ["peinture", "sculpture", "dessin", "estampe", "photographie", "archéologie", "arts décoratifs",
                        "céramique", "orfèvrerie", "mobilier", "textile", "numismatique", "ethnologie", "art moderne"],
    "joconde_denominations": ["tableau", "statue", "statuette", "dessin", "estampe", "vase", "assiette", "monnaie",
                              "fibule", "chapiteau", "buste", "médaille", "plat", "coffret", "tapisserie", "photographie"],
    "merimee_denominations": ["église", "chapelle", "château", "maison", "ferme", "moulin", "croix", "pont", "manoir",
                              "hôtel", "abbaye", "prieuré", "lavoir", "fontaine", "calvaire", "presbytère", "mairie",
                              "école", "usine", "demeure", "immeuble", "théâtre", "gare", "cimetière", "jardin"],
    "palissy_denominations": ["retable", "statue", "tableau", "calice", "ciboire", "autel", "chaire à prêcher",
                              "cloche", "verrière", "stalle", "fonts baptismaux", "lutrin", "orgue", "croix de procession",
                              "bannière de procession", "confessionnal", "tabernacle", "reliquaire", "ostensoir", "lampe de sanctuaire"],
    "protections": ["classé MH", "inscrit MH", "classé au titre objet", "inscrit au titre objet", "label Architecture contemporaine remarquable"],
}

# Lists the generator needs besides the thesaurus ones (not in vocabularies.json's documented keys).
SAINTS = ["Saint-Martin", "Saint-Pierre", "Notre-Dame", "Saint-Étienne", "Saint-Jean-Baptiste", "Saint-Nicolas",
          "Saint-Germain", "Saint-Rémi", "Saint-Denis", "Sainte-Marie-Madeleine", "Saint-Michel", "Saint-Laurent",
          "Saint-Sulpice", "Saint-Hilaire", "Sainte-Croix", "Saint-Vincent", "Saint-Barthélemy", "Saint-Georges"]
CENTURIES = ["11e siècle", "12e siècle", "13e siècle", "14e siècle", "15e siècle", "16e siècle", "17e siècle",
             "18e siècle", "19e siècle", "20e siècle"]
QUARTERS = ["1er quart", "2e quart", "3e quart", "4e quart", "1re moitié", "2e moitié"]
FIRST_NAMES = ["Jean", "Pierre", "Jacques", "Nicolas", "Louis", "François", "Antoine", "Claude", "Charles", "Henri",
               "Marie", "Jeanne", "Anne", "Catherine", "Madeleine", "Élisabeth", "Marguerite", "Camille", "Eugène", "Paul"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
              "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
              "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "Fontaine", "Rousseau", "Blanc"]
PAINTERS = ["Corot Jean-Baptiste Camille", "Poussin Nicolas", "Delacroix Eugène", "Courbet Gustave", "Ingres Jean-Auguste-Dominique",
            "Fragonard Jean-Honoré", "Chardin Jean-Siméon", "Watteau Antoine", "Boucher François", "David Jacques-Louis",
            "Millet Jean-François", "Monet Claude", "Pissarro Camille", "Le Nain Louis", "La Tour Georges de",
            "Vouet Simon", "Greuze Jean-Baptiste", "Géricault Théodore", "Daubigny Charles-François", "Rousseau Théodore",
            "anonyme", "anonyme"]
ARCHITECTS = ["Mansart François", "Gabriel Ange-Jacques", "Viollet-le-Duc Eugène", "Le Vau Louis", "Soufflot Jacques-Germain",
              "Garnier Charles", "Labrouste Henri", "Perret Auguste", "Guimard Hector", "Baltard Victor"]
FUNCTIONS = ["architecte", "peintre", "sculpteur", "orfèvre", "photographe", "maître verrier", "ébéniste", "graveur",
             "fondeur de cloches", "facteur d'orgues", "entrepreneur", "ingénieur"]
TECHNIQUES = ["huile sur toile", "huile sur bois", "aquarelle", "pierre calcaire taillée", "marbre", "bronze fondu",
              "bois sculpté, peint, doré", "terre cuite", "faïence", "argent repoussé", "gravure sur cuivre", "pastel",
              "fusain", "plâtre", "verre soufflé", "laine tissée"]
MATERIALS = ["calcaire", "granite", "grès", "brique", "pierre de taille", "moellon", "pan de bois", "béton", "enduit", "silex"]
ROOFS = ["ardoise", "tuile plate", "tuile creuse", "tuile mécanique", "zinc", "chaume", "lave", "cuivre"]
STATES = ["bon état", "état moyen", "mauvais état", "restauré", "désaffecté", "vestiges"]
OWNERS = ["propriété de la commune", "propriété privée", "propriété de l'État", "propriété du département",
          "propriété d'une association", "propriété d'un établissement public"]
JOCONDE_STATUSES = ["propriété de l'État", "propriété de la commune", "propriété du département", "dépôt de l'État",
                    "propriété d'une association"]
SUBJECTS = ["Vierge à l'Enfant", "Crucifixion", "portrait", "paysage", "nature morte", "scène de genre", "Annonciation",
            "saint Jean-Baptiste", "scène mythologique", "scène biblique", "ornement à forme végétale", "vue d'architecture",
            "bataille", "scène de chasse", "allégorie"]
VIEWS = ["Vue d'ensemble", "Façade principale", "Élévation nord", "Élévation sud", "Vue intérieure vers le chœur",
         "Détail du portail", "Détail de la charpente", "Vue aérienne", "Vue de volume depuis le sud-est", "Détail du décor sculpté",
         "Plan du rez-de-chaussée", "Vue générale de face", "Vue de trois quarts", "Détail de la signature", "Revers"]
MUSEUM_KINDS = ["Musée des Beaux-Arts", "Musée d'Art et d'Histoire", "Musée municipal", "Musée archéologique",
                "Musée des Arts décoratifs", "Musée départemental", "Écomusée", "Musée de la Marine", "Musée d'Histoire naturelle"]
MUSEUM_THEMES = ["Beaux-Arts", "Archéologie nationale", "Arts décoratifs", "Ethnologie", "Histoire", "Art moderne et contemporain",
                 "Sciences de la nature", "Techniques et industrie", "Art religieux", "Arts graphiques"]
MNR_PREFIXES = (("MNR", "peinture", "Tableau"), ("OAR", "objet d'art", "Objet d'art"), ("RFR", "sculpture", "Sculpture"),
                ("REC", "dessin", "Dessin"), ("AEG", "antiquités égyptiennes", "Statuette"))
MNR_PLACES = ["Paris ; musée du Louvre ; département des Peintures", "Paris ; musée d'Orsay", "Lyon ; musée des Beaux-Arts",
              "Besançon ; musée des beaux-arts et d'archéologie", "Rouen ; musée des Beaux-Arts", "Strasbourg ; musée des Beaux-Arts",
              "Dijon ; musée des Beaux-Arts", "Paris ; musée du Louvre ; département des Objets d'art"]
MANUSCRIPTS = ["Heures à l'usage de Rome", "Heures à l'usage de Bayeux", "Bréviaire", "Missel", "Psautier", "Bible",
               "Graduel", "Antiphonaire", "Roman de la Rose", "Grandes Chroniques de France", "Légende dorée", "Pontifical"]
LIBRARIES = ["Aurillac - BM", "Lyon - BM", "Rouen - BM", "Troyes - Médiathèque", "Tours - BM", "Valenciennes - BM",
             "Avignon - BM", "Besançon - BM", "Dijon - BM", "Amiens - Bibliothèques d'Amiens Métropole"]
DECOR_SUBJECTS = ["Saint Christophe portant l'Enfant Jésus", "Annonciation", "Nativité", "Adoration des mages", "Calendrier : janvier",
                  "Crucifixion", "Pentecôte", "Vierge de pitié", "David en prière", "Initiale ornée", "Évangéliste saint Luc"]
PHOTOGRAPHERS = ["Richard, Christian", "Heuzé, Henri", "Durand, Jean-Luc", "Mieusement, Médéric", "Lefèvre-Pontalis, Eugène",
                 "Bernard, Philippe", "Roux, Michel", "Thibaut, Denis"]


def _load() -> dict:
    if not VOCAB_FILE.exists():
        return {}
    try:
        data = json.loads(VOCAB_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@lru_cache(maxsize=1)
def _vocab() -> dict:
    return _load()


def raw(key: str):
    """The value of ``key`` in vocabularies.json as stored (lists of objects, dicts…), or None."""
    return _vocab().get(key)


def terms_or(key: str, fallback: list[str]) -> list[str]:
    """``terms(key)`` when vocabularies.json has it, else ``fallback``."""
    return terms(key) or list(fallback)


def terms(key: str) -> list[str]:
    """The vocabulary ``key``: from vocabularies.json when present (non-empty list of strings), else the fallback."""
    values = _vocab().get(key)
    if isinstance(values, dict):  # tolerate {"terms": [...]} or {term: info}
        values = values.get("terms") or list(values)
    if isinstance(values, list):
        out = [v for v in values if isinstance(v, str) and v.strip()]
        if out:
            return out
    return list(FALLBACK.get(key, []))


@dataclass(frozen=True)
class Place:
    insee: str
    name: str
    dpt: str
    department: str
    region: str
    lat: float
    lon: float
    x93: float   # Lambert-93 (EPSG:2154) easting
    y93: float   # Lambert-93 northing


# A handful of real communes, used only when communes.csv is absent (lat/lon from IGN).
_FALLBACK_COMMUNES = (
    ("75056", "Paris", "75", 48.8566, 2.3522), ("69123", "Lyon", "69", 45.7640, 4.8357),
    ("13055", "Marseille", "13", 43.2965, 5.3698), ("31555", "Toulouse", "31", 43.6047, 1.4442),
    ("33063", "Bordeaux", "33", 44.8378, -0.5792), ("44109", "Nantes", "44", 47.2184, -1.5536),
    ("67482", "Strasbourg", "67", 48.5734, 7.7521), ("34172", "Montpellier", "34", 43.6108, 3.8767),
    ("35238", "Rennes", "35", 48.1173, -1.6778), ("21231", "Dijon", "21", 47.3220, 5.0415),
    ("10003", "Aix-en-Othe", "10", 48.2236, 3.7358), ("34145", "Lunel", "34", 43.6754, 4.1357),
    ("86270", "Thollet", "86", 46.4214, 1.1242), ("15014", "Aurillac", "15", 44.9264, 2.4396),
    ("25056", "Besançon", "25", 47.2378, 6.0241), ("76540", "Rouen", "76", 49.4431, 1.0993),
    ("37261", "Tours", "37", 47.3941, 0.6848), ("26362", "Valence", "26", 44.9334, 4.8924),
    ("29019", "Brest", "29", 48.3904, -4.4861), ("59350", "Lille", "59", 50.6292, 3.0573),
)


@lru_cache(maxsize=1)
def places() -> tuple[Place, ...]:
    """All communes (sorted by INSEE code, so the order is stable) with region, department and Lambert-93."""
    from pyproj import Transformer

    rows = [(c.insee, c.name, c.dpt, c.lat, c.lon) for c in _communes().values() if c.dpt in DEPARTMENTS]
    if not rows:
        rows = list(_FALLBACK_COMMUNES)
    rows.sort()
    to93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    xs, ys = to93.transform([r[4] for r in rows], [r[3] for r in rows])
    out = []
    for (insee, name, dpt, lat, lon), x, y in zip(rows, xs, ys):
        dep, reg = DEPARTMENTS[dpt]
        out.append(Place(insee, name, dpt, dep, reg, lat, lon, float(x), float(y)))
    return tuple(out)


def metropolitan(place: Place) -> bool:
    return len(place.dpt) == 2


__all__ = ["terms", "places", "Place", "REGIONS"]
