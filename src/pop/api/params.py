"""Request parameters of the search API: POP's bracket query strings and JSON bodies, validated.

    raw = decode_query("bases[0]=memoire&facets[DOMN][0]=peinture&sort[0][TICO.keyword]=asc")
    # -> {"bases": ["memoire"], "facets": {"DOMN": ["peinture"]}, "sort": [{"TICO.keyword": "asc"}]}
    p = simple_params(raw)          # -> SimpleParams, or ApiError (HTTP 400, French message)
    body = json_body(request.body)  # -> dict, or ApiError
    p = advanced_params(body)       # -> AdvancedParams (the rule tree normalised to nested groups)

Bracket notation is decoded with ``qs-codec``, the Python port of ``qs``: the very library POP's
Express API parses these query strings with, so ``bases[0]=…``, ``facets[F][i]=…``,
``sort[0][F.keyword]=asc``, ``a[]=…`` and repeated keys mean here what they mean there. Its
limits (parameter count, nesting depth, list length) are set strictly and raise instead of
silently truncating. This module only checks types, ranges and names; which fields can be
faceted, sorted or queried is decided by the search engine (``pop.search.interface``), whose
``QueryError`` the views turn into the same 400 answer.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field as dc_field

import orjson
import qs_codec
from django.conf import settings

from pop.api.http import ApiError
from pop.schema import registry
from pop.search import interface as engine

DEFAULT_SIZE = 20
MAX_TEXT = engine.MAX_VALUE_LENGTH   # characters of free text
MAX_VALUE = engine.MAX_VALUE_LENGTH  # characters of one facet value / rule value / search_after value
MAX_RULES = engine.MAX_RULES         # rules in an expert tree
MAX_DEPTH = engine.MAX_DEPTH         # group nesting in an expert tree
MAX_LIST = 100                       # values in one bracket array
MAX_BODY = 64 * 1024                 # bytes of a JSON body

_QS = qs_codec.DecodeOptions(list_limit=MAX_LIST, parameter_limit=300, depth=3, strict_depth=True,
                             raise_on_limit_exceeded=True)

COMBINATORS = {"AND": "AND", "ET": "AND", "OR": "OR", "OU": "OR"}
_INT = re.compile(r"-?[0-9]{1,12}")


def max_size() -> int:
    return int(getattr(settings, "POP_SEARCH_MAX_SIZE", 2000))


def max_offset() -> int:
    """Largest ``from``: deeper pages are reached with ``search_after`` (keyset), which costs the same
    at any depth, whereas an offset makes the engine collect ``from + size`` hits."""
    return int(getattr(settings, "POP_SEARCH_MAX_OFFSET", engine.MAX_OFFSET))


def bad(message: str, code: str = "invalid_parameter") -> ApiError:
    return ApiError(message, code)


# --- decoding ----------------------------------------------------------------------------------

def decode_query(raw: str) -> dict:
    """Bracket query string -> nested dicts/lists of strings; malformed or oversized -> ApiError."""
    if len(raw) > 16_384:
        raise bad("La chaîne de requête est trop longue (16 384 caractères au plus).", "request_too_long")
    try:
        return qs_codec.decode(raw, _QS)
    except (ValueError, IndexError) as exc:
        message = str(exc)
        if "depth" in message:
            raise bad("Paramètres trop imbriqués (3 niveaux de crochets au plus).", "syntax_error") from None
        if "List limit" in message:
            raise bad(f"Liste trop longue ({MAX_LIST} valeurs au plus par paramètre).", "syntax_error") from None
        if "Parameter limit" in message:
            raise bad("Trop de paramètres dans la requête (300 au plus).", "syntax_error") from None
        raise bad("Chaîne de requête mal formée.", "syntax_error") from None


def body_too_large() -> ApiError:
    return bad(f"Corps de requête trop volumineux ({MAX_BODY // 1024} Kio au plus).", "body_too_large")


def json_body(body: bytes) -> dict:
    if len(body) > MAX_BODY:
        raise body_too_large()
    if not body.strip():
        return {}
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise bad("Le corps de la requête n'est pas du JSON valide.", "invalid_json") from None
    if not isinstance(data, dict):
        raise bad("Le corps de la requête doit être un objet JSON.", "invalid_json")
    return data


# --- scalar checks ------------------------------------------------------------------------------

def as_int(name: str, value, default: int, lo: int, hi: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool) or isinstance(value, (list, dict)):
        raise bad(f"« {name} » doit être un entier.")
    if isinstance(value, float):
        if not value.is_integer():
            raise bad(f"« {name} » doit être un entier.")
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        if not _INT.fullmatch(text):
            raise bad(f"« {name} » doit être un entier (reçu « {value[:40]} »).")
        value = int(text)
    if value < lo:
        raise bad(f"« {name} » doit être supérieur ou égal à {lo}.")
    if value > hi:
        raise bad(f"« {name} » doit être inférieur ou égal à {hi}.", "limit_exceeded")
    return value


def as_bool(name: str, value) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "oui", "yes"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "non", "no"):
        return False
    raise bad(f"« {name} » doit valoir true ou false.")


def as_text(name: str, value, limit: int = MAX_VALUE) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        raise bad(f"« {name} » doit être une chaîne de caractères.")
    text = str(value)
    if len(text) > limit:
        raise bad(f"« {name} » est trop long ({limit} caractères au plus).", "limit_exceeded")
    if "\x00" in text:
        raise bad(f"« {name} » contient un caractère interdit.")
    return text


def as_list(name: str, value) -> list:
    """A bracket array (``x[0]=a&x[1]=b`` or ``x[]=a``); a plain ``x=a`` is accepted as one value
    (the live API answers "Expected array"; accepting it is friendlier and unambiguous)."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        out = value
    elif isinstance(value, dict):  # qs keeps non-contiguous or mixed keys as a dict
        if not all(k.isdigit() for k in value):
            raise bad(f"« {name} » doit être une liste (notation {name}[0]=…).")
        out = [value[k] for k in sorted(value, key=int)]
    else:
        out = [value]
    if len(out) > MAX_LIST:
        raise bad(f"« {name} » : {MAX_LIST} valeurs au plus.", "limit_exceeded")
    return out


def scalar_list(name: str, value) -> list[str]:
    return [as_text(f"{name}[{i}]", v) for i, v in enumerate(as_list(name, value))]


# --- shared parts -------------------------------------------------------------------------------

def parse_bases(value) -> list[str]:
    """Base names (slugs, public slugs or aliases such as ``mnr``) -> registry slugs, deduplicated."""
    out: list[str] = []
    for name in scalar_list("bases", value):
        base = registry.find(name) or registry.by_label(name)
        if base is None:
            raise ApiError(f"Base inconnue : « {name} ». Bases disponibles : {', '.join(registry.public_slugs())}.",
                           "unknown_base")
        if base.slug not in out:
            out.append(base.slug)
    return out


def strip_keyword(name: str) -> str:
    return name[: -len(".keyword")] if name.endswith(".keyword") else name


def parse_sort(value) -> list[tuple[str, str]]:
    """``sort[0][TICO.keyword]=asc`` / ``[{"TICO.keyword": "asc"}]`` / ``["_score"]`` -> [("TICO", "asc")]."""
    out = []
    for i, item in enumerate(as_list("sort", value)):
        if isinstance(item, str):
            item = {item: "desc" if item == "_score" else "asc"}
        if not isinstance(item, dict) or len(item) != 1:
            raise bad(f"« sort[{i}] » doit être de la forme sort[{i}][CHAMP.keyword]=asc|desc.")
        (name, order), = item.items()
        if isinstance(order, dict) and "order" in order:  # {"F.keyword": {"order": "asc"}}
            order = order["order"]
        if not isinstance(order, str) or order.lower() not in ("asc", "desc"):
            raise bad(f"« sort[{i}][{name}] » doit valoir asc ou desc.")
        name = strip_keyword(as_text(f"sort[{i}]", name, 64))
        out.append((name, order.lower()))
    if len(out) > 5:
        raise bad("Cinq critères de tri au plus.", "limit_exceeded")
    return out


def parse_search_after(value) -> list:
    """Keyset cursor: the ``sort`` values of the last hit of the previous page (strings or numbers)."""
    out = []
    for i, item in enumerate(as_list("search_after", value)):
        if isinstance(item, bool) or item is None or isinstance(item, (list, dict)):
            raise bad(f"« search_after[{i}] » doit être une valeur simple (texte ou nombre).", "invalid_search_after")
        if isinstance(item, float) and not math.isfinite(item):
            raise bad(f"« search_after[{i}] » n'est pas un nombre fini.", "invalid_search_after")
        if isinstance(item, str):
            item = as_text(f"search_after[{i}]", item)
        out.append(item)
    if len(out) > 6:
        raise bad("« search_after » : trop de valeurs.", "invalid_search_after")
    return out


def parse_facets(value) -> dict[str, list[str]]:
    """``facets[DOMN][0]=peinture`` -> {"DOMN": ["peinture"]} (names without ``.keyword``)."""
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise bad("« facets » doit être de la forme facets[CHAMP][0]=valeur.")
    out: dict[str, list[str]] = {}
    for name, values in value.items():
        key = strip_keyword(as_text("facets", name, 64))
        if not key:
            raise bad("« facets » : nom de champ vide.")
        vals = [v for v in scalar_list(f"facets[{name}]", values) if v.strip()]
        if vals:  # an empty selection (facets[DOMN]=) selects nothing: ignored
            out.setdefault(key, [])
            out[key] += [v for v in vals if v not in out[key]]
    if len(out) > 20:
        raise bad("« facets » : 20 champs au plus.", "limit_exceeded")
    return out


FILTERS = ("hasImage", "hasCoordinates")


def parse_filters(value) -> dict[str, bool]:
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise bad("« filters » doit être de la forme filters[hasImage]=true.")
    out = {}
    for name, v in value.items():
        if name not in FILTERS:
            raise bad(f"Filtre inconnu : « {name} ». Filtres disponibles : {', '.join(FILTERS)}.", "unknown_filter")
        flag = as_bool(f"filters[{name}]", v)
        if flag is not None:
            out[name] = flag
    return out


# --- simple search --------------------------------------------------------------------------------

@dataclass
class SimpleParams:
    text: str = ""
    bases: list[str] = dc_field(default_factory=list)
    facets: dict[str, list[str]] = dc_field(default_factory=dict)
    filters: dict[str, bool] = dc_field(default_factory=dict)
    sort: list[tuple[str, str]] = dc_field(default_factory=list)
    search_after: list = dc_field(default_factory=list)
    geo: bool = False
    offset: int = 0
    size: int = DEFAULT_SIZE


def page_params(raw: dict) -> tuple[int, int]:
    size = as_int("size", raw.get("size"), DEFAULT_SIZE, 0, max_size())
    try:
        offset = as_int("from", raw.get("from"), 0, 0, max_offset())
    except ApiError as exc:
        if exc.code == "limit_exceeded":
            exc.message += " Pour aller plus loin, paginez avec « search_after » et un tri (sort)."
        raise
    return offset, size


def simple_params(raw: dict) -> SimpleParams:
    facets = parse_facets(raw.get("facets"))
    bases = parse_bases(raw.get("bases"))
    for key in [k for k in facets if k.lower() == "base"]:  # facets[base][0]=memoire == bases[0]=memoire
        bases += [b for b in parse_bases(facets.pop(key)) if b not in bases]
    offset, size = page_params(raw)
    return SimpleParams(
        text=as_text("text", raw.get("text") or "", MAX_TEXT).strip(),
        bases=bases, facets=facets, filters=parse_filters(raw.get("filters")),
        sort=parse_sort(raw.get("sort")), search_after=parse_search_after(raw.get("search_after")),
        geo=bool(as_bool("geo", raw.get("geo"))), offset=offset, size=size,
    )


# --- expert search --------------------------------------------------------------------------------

@dataclass
class Rule:
    fields: list[str]          # field codes (a field group is several)
    operator: str
    value: str
    base: str | None = None    # registry slug, or None for every base


@dataclass
class Group:
    combinator: str            # AND | OR
    children: list  # of Rule | Group


@dataclass
class AdvancedParams:
    tree: Group
    bases: list[str] = dc_field(default_factory=list)
    facets: dict[str, list[str]] = dc_field(default_factory=dict)
    filters: dict[str, bool] = dc_field(default_factory=dict)
    sort: list[tuple[str, str]] = dc_field(default_factory=list)
    search_after: list = dc_field(default_factory=list)
    geo: bool = False
    offset: int = 0
    size: int = DEFAULT_SIZE
    aggregations: bool = True


class _TreeReader:
    """Normalises POP's crit lists into nested groups with proper precedence.

    A list whose items carry their own ``combinator`` (POP's flat builder: each rule says how it
    joins the previous one, the first borrows the second's) is read as ``r1 c2 r2 c3 r3 …`` with
    AND binding tighter than OR. A group ``{"crits": [...], "combinator": "OR"}`` joins its items
    with its own combinator unless they carry theirs."""

    def __init__(self):
        self.rules = 0

    def group(self, crits, combinator, depth: int, path: str) -> Group:
        if depth > MAX_DEPTH:
            raise bad(f"Arbre de critères trop profond ({MAX_DEPTH} niveaux de groupes au plus).", "tree_too_deep")
        if not isinstance(crits, list):
            raise bad(f"« {path} » doit être une liste de critères.", "invalid_criterion")
        if not crits:
            raise bad(f"« {path} » : groupe de critères vide.", "invalid_criterion")
        default = self.combinator(combinator, path)
        items, links = [], []
        for i, crit in enumerate(crits):
            sub = f"{path}[{i}]"
            if not isinstance(crit, dict):
                raise bad(f"« {sub} » doit être un objet (règle ou groupe).", "invalid_criterion")
            if "crits" in crit:  # a nested group: its combinator joins its own items
                items.append(self.group(crit["crits"], crit.get("combinator"), depth + 1, f"{sub}.crits"))
                links.append(None)
            else:
                items.append(self.rule(crit, sub))
                own = crit.get("combinator")
                links.append(self.combinator(own, sub) if own not in (None, "") else None)
        if all(link is None for link in links[1:]):
            return items[0] if len(items) == 1 and isinstance(items[0], Group) else Group(default, items)
        # POP's flat builder: item i's combinator links it to item i-1 (the first one's is
        # irrelevant). Evaluate with AND binding tighter than OR: split into OR-ed runs of AND.
        runs: list[list] = [[items[0]]]
        for node, link in zip(items[1:], links[1:]):
            if (link or default) == "OR":
                runs.append([node])
            else:
                runs[-1].append(node)
        terms = [run[0] if len(run) == 1 else Group("AND", run) for run in runs]
        return Group("OR", terms) if len(terms) > 1 else Group("AND", terms)

    @staticmethod
    def combinator(value, path: str) -> str:
        if value is None or value == "":
            return "AND"
        if not isinstance(value, str) or value.strip().upper() not in COMBINATORS:
            raise bad(f"« {path}.combinator » doit valoir AND ou OR.", "invalid_combinator")
        return COMBINATORS[value.strip().upper()]

    def rule(self, crit: dict, path: str) -> Rule:
        self.rules += 1
        if self.rules > MAX_RULES:
            raise bad(f"Trop de critères ({MAX_RULES} au plus).", "limit_exceeded")
        unknown = set(crit) - {"base", "fields", "field", "operator", "value", "combinator"}
        if unknown:
            raise bad(f"« {path} » : clé inconnue « {sorted(unknown)[0]} ».", "invalid_criterion")
        fields = crit.get("fields", crit.get("field"))
        if isinstance(fields, str):
            fields = [f.strip() for f in fields.split(",")]
        if not isinstance(fields, list) or not fields or not all(isinstance(f, str) and f.strip() for f in fields):
            raise bad(f"« {path}.fields » doit nommer au moins un champ (codes séparés par des virgules).", "invalid_criterion")
        fields = list(dict.fromkeys(strip_keyword(f.strip()) for f in fields))
        if len(fields) > 40:
            raise bad(f"« {path}.fields » : 40 champs au plus.", "limit_exceeded")
        operator = crit.get("operator")
        if not isinstance(operator, str) or operator not in engine.OPERATORS:
            shown = operator if isinstance(operator, str) else repr(operator)
            raise bad(f"Opérateur inconnu « {shown} » dans « {path} ».", "unknown_operator")
        value = crit.get("value", "")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        value = as_text(f"{path}.value", "" if value is None else value)
        base = crit.get("base")
        slug = None
        if base not in (None, ""):
            found = registry.find(as_text(f"{path}.base", base, 32))
            if found is None:
                raise ApiError(f"Base inconnue « {base} » dans « {path} ».", "unknown_base")
            slug = found.slug
        return Rule(fields=fields, operator=operator, value=value, base=slug)


def advanced_params(body: dict) -> AdvancedParams:
    """Validated expert query from a POST body (POP's flat body or nested groups)."""
    crits = body.get("crits", body.get("query"))
    if crits is None:
        raise bad("Le corps doit contenir « crits » : une liste de règles ou de groupes.", "invalid_criterion")
    tree = _TreeReader().group(crits, body.get("combinator"), 1, "crits")
    facets = parse_facets(body.get("facets"))
    bases = parse_bases(body.get("bases"))
    for key in [k for k in facets if k.lower() == "base"]:
        bases += [b for b in parse_bases(facets.pop(key)) if b not in bases]
    offset, size = page_params(body)
    aggregations = as_bool("aggregations", body.get("aggregations"))
    return AdvancedParams(
        tree=tree, bases=bases, facets=facets,
        filters=parse_filters(body.get("filters")), sort=parse_sort(body.get("sort")),
        search_after=parse_search_after(body.get("search_after")), geo=bool(as_bool("geo", body.get("geo"))),
        offset=offset, size=size, aggregations=aggregations is not False,
    )


# --- map ------------------------------------------------------------------------------------------

def parse_bbox(value) -> tuple[float, float, float, float] | None:
    """``bbox=west,south,east,north`` (or a 4-item bracket array) in degrees."""
    if value is None or value == "":
        return None
    parts = value.split(",") if isinstance(value, str) else as_list("bbox", value)
    if len(parts) != 4:
        raise bad("« bbox » doit contenir 4 nombres : ouest,sud,est,nord.", "invalid_bbox")
    try:
        west, south, east, north = (float(p) for p in parts)
    except (TypeError, ValueError):
        raise bad("« bbox » doit contenir 4 nombres : ouest,sud,est,nord.", "invalid_bbox") from None
    if not all(math.isfinite(v) for v in (west, south, east, north)) or not (
            -180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        raise bad("« bbox » hors limites (longitudes -180…180, latitudes -90…90, sud ≤ nord).", "invalid_bbox")
    return west, south, east, north
