"""Regions, departments and communes of France.

DEPARTMENTS: {"01": ("Ain", "Auvergne-Rhône-Alpes"), ..., "2A": ("Corse-du-Sud", "Corse"), "976": (...)}
communes(): {"75056": Commune(insee="75056", name="Paris", dpt="75", lat=48.8566, lon=2.3522), ...}
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data"

REGIONS = (
    "Auvergne-Rhône-Alpes", "Bourgogne-Franche-Comté", "Bretagne", "Centre-Val de Loire", "Corse",
    "Grand Est", "Guadeloupe", "Guyane", "Hauts-de-France", "Île-de-France", "La Réunion", "Martinique",
    "Mayotte", "Normandie", "Nouvelle-Aquitaine", "Occitanie", "Pays de la Loire",
    "Provence-Alpes-Côte d'Azur",
)

_ARA, _BFC, _BRE, _CVL, _COR, _GES = REGIONS[0:6]
_HDF, _IDF, _NOR, _NAQ, _OCC, _PDL, _PAC = ("Hauts-de-France", "Île-de-France", "Normandie",
                                            "Nouvelle-Aquitaine", "Occitanie", "Pays de la Loire",
                                            "Provence-Alpes-Côte d'Azur")

DEPARTMENTS: dict[str, tuple[str, str]] = {
    "01": ("Ain", _ARA), "02": ("Aisne", _HDF), "03": ("Allier", _ARA), "04": ("Alpes-de-Haute-Provence", _PAC),
    "05": ("Hautes-Alpes", _PAC), "06": ("Alpes-Maritimes", _PAC), "07": ("Ardèche", _ARA), "08": ("Ardennes", _GES),
    "09": ("Ariège", _OCC), "10": ("Aube", _GES), "11": ("Aude", _OCC), "12": ("Aveyron", _OCC),
    "13": ("Bouches-du-Rhône", _PAC), "14": ("Calvados", _NOR), "15": ("Cantal", _ARA), "16": ("Charente", _NAQ),
    "17": ("Charente-Maritime", _NAQ), "18": ("Cher", _CVL), "19": ("Corrèze", _NAQ), "2A": ("Corse-du-Sud", _COR),
    "2B": ("Haute-Corse", _COR), "21": ("Côte-d'Or", _BFC), "22": ("Côtes-d'Armor", _BRE), "23": ("Creuse", _NAQ),
    "24": ("Dordogne", _NAQ), "25": ("Doubs", _BFC), "26": ("Drôme", _ARA), "27": ("Eure", _NOR),
    "28": ("Eure-et-Loir", _CVL), "29": ("Finistère", _BRE), "30": ("Gard", _OCC), "31": ("Haute-Garonne", _OCC),
    "32": ("Gers", _OCC), "33": ("Gironde", _NAQ), "34": ("Hérault", _OCC), "35": ("Ille-et-Vilaine", _BRE),
    "36": ("Indre", _CVL), "37": ("Indre-et-Loire", _CVL), "38": ("Isère", _ARA), "39": ("Jura", _BFC),
    "40": ("Landes", _NAQ), "41": ("Loir-et-Cher", _CVL), "42": ("Loire", _ARA), "43": ("Haute-Loire", _ARA),
    "44": ("Loire-Atlantique", _PDL), "45": ("Loiret", _CVL), "46": ("Lot", _OCC), "47": ("Lot-et-Garonne", _NAQ),
    "48": ("Lozère", _OCC), "49": ("Maine-et-Loire", _PDL), "50": ("Manche", _NOR), "51": ("Marne", _GES),
    "52": ("Haute-Marne", _GES), "53": ("Mayenne", _PDL), "54": ("Meurthe-et-Moselle", _GES), "55": ("Meuse", _GES),
    "56": ("Morbihan", _BRE), "57": ("Moselle", _GES), "58": ("Nièvre", _BFC), "59": ("Nord", _HDF),
    "60": ("Oise", _HDF), "61": ("Orne", _NOR), "62": ("Pas-de-Calais", _HDF), "63": ("Puy-de-Dôme", _ARA),
    "64": ("Pyrénées-Atlantiques", _NAQ), "65": ("Hautes-Pyrénées", _OCC), "66": ("Pyrénées-Orientales", _OCC),
    "67": ("Bas-Rhin", _GES), "68": ("Haut-Rhin", _GES), "69": ("Rhône", _ARA), "70": ("Haute-Saône", _BFC),
    "71": ("Saône-et-Loire", _BFC), "72": ("Sarthe", _PDL), "73": ("Savoie", _ARA), "74": ("Haute-Savoie", _ARA),
    "75": ("Paris", _IDF), "76": ("Seine-Maritime", _NOR), "77": ("Seine-et-Marne", _IDF), "78": ("Yvelines", _IDF),
    "79": ("Deux-Sèvres", _NAQ), "80": ("Somme", _HDF), "81": ("Tarn", _OCC), "82": ("Tarn-et-Garonne", _OCC),
    "83": ("Var", _PAC), "84": ("Vaucluse", _PAC), "85": ("Vendée", _PDL), "86": ("Vienne", _NAQ),
    "87": ("Haute-Vienne", _NAQ), "88": ("Vosges", _GES), "89": ("Yonne", _BFC), "90": ("Territoire de Belfort", _BFC),
    "91": ("Essonne", _IDF), "92": ("Hauts-de-Seine", _IDF), "93": ("Seine-Saint-Denis", _IDF),
    "94": ("Val-de-Marne", _IDF), "95": ("Val-d'Oise", _IDF), "971": ("Guadeloupe", "Guadeloupe"),
    "972": ("Martinique", "Martinique"), "973": ("Guyane", "Guyane"), "974": ("La Réunion", "La Réunion"),
    "976": ("Mayotte", "Mayotte"),
}
DEPARTMENT_BY_NAME = {name: code for code, (name, _r) in DEPARTMENTS.items()}


def department_name(code: str) -> str | None:
    entry = DEPARTMENTS.get(normalize_dpt(code))
    return entry[0] if entry else None


def department_region(code: str) -> str | None:
    entry = DEPARTMENTS.get(normalize_dpt(code))
    return entry[1] if entry else None


def normalize_dpt(code: str) -> str:
    code = (code or "").strip().upper()
    if len(code) == 1 and code.isdigit():
        code = "0" + code
    return code


def department_of(value: str) -> tuple[str, str] | None:
    """(department name, region) of a department code ("59", "2A") or name ("Nord"), None if unknown."""
    code = normalize_dpt(value)
    if code in DEPARTMENTS:
        return DEPARTMENTS[code]
    code = DEPARTMENT_BY_NAME.get(value.strip())
    return DEPARTMENTS[code] if code else None


# Paths of the hierarchical place facet (région → département → commune), one rule for the index
# and the record pages: a department sits under its region, a commune under the record's first
# known department (communes are ambiguous without one).
COMMUNE_MAX = 100   # characters of a commune kept in a path


def department_path(department: tuple[str, str]) -> str:
    """"Région/Département" of a ``department_of`` result."""
    name, region = department
    return f"{region}/{name}"


def commune_path(first_department: tuple[str, str], commune: str) -> str:
    """"Région/Département/Commune" of a commune of a record whose first known department is given."""
    return f"{department_path(first_department)}/{commune[:COMMUNE_MAX]}"


def insee_department(insee: str) -> str:
    """Department code an INSEE commune code belongs to ("97411" -> "974", "2A004" -> "2A")."""
    insee = (insee or "").strip().upper()
    return insee[:3] if insee.startswith("97") else insee[:2]


@dataclass(frozen=True)
class Commune:
    insee: str
    name: str
    dpt: str
    lat: float
    lon: float

    @property
    def region(self) -> str:
        return DEPARTMENTS[self.dpt][1]

    @property
    def department(self) -> str:
        return DEPARTMENTS[self.dpt][0]


@lru_cache(maxsize=1)
def communes() -> dict[str, Commune]:
    path = DATA / "communes.csv"
    out: dict[str, Commune] = {}
    if not path.exists():
        return out
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out[row["insee"]] = Commune(row["insee"], row["name"], row["dpt"], float(row["lat"]), float(row["lon"]))
    return out
