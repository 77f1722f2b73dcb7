"""The state of a results page, read from (and written back to) its URL.

    state = SearchState.from_query(request.GET)
    state.messages        # French notices about ignored input ("La base « foo » n'existe pas…")
    state.query()         # -> pop.search.interface.SimpleQuery
    state.url(page=3)     # -> "?q=château&base=merimee&page=3"

URL parameters (every page state lives in the URL, so any page can be shared):
  q                 free text
  base              base slug (repeatable)
  <facet name>      facet value (repeatable), facet names from pop.schema.groups.FACETS
  view              list | mosaic | map
  sort, order       one of interface.SORTS; asc | desc
  size, page        page size (one of PAGE_SIZES) and page number (from 1)
  apres             keyset cursor for pages beyond interface.MAX_OFFSET
  plus              facet whose value list is extended ("voir plus"; repeatable)
  filtre-<facet>    substring restricting the values listed for a facet
  zone, z           map view: "south,west,north,east" and zoom level
Anything else is ignored with a message; nothing here raises.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from pop.schema import registry
from pop.schema.groups import FACETS, FACETS_BY_NAME
from pop.search.interface import MAX_OFFSET, MAX_VALUE_LENGTH, SORTS, SimpleQuery

VIEWS = {"list": "Liste", "mosaic": "Mosaïque", "map": "Carte"}
SORT_LABELS = {"relevance": "Pertinence", "title": "Titre", "date": "Date", "ref": "Référence",
               "modified": "Dernière modification"}
PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_SIZE = 25
FACET_SIZE = 10
FACET_SIZE_MORE = 50
MAX_VALUES_PER_FACET = 50
IGNORED = {"csrfmiddlewaretoken", "recherche", "rang", "utm_source", "utm_medium", "utm_campaign"}
FILTER_FACETS = tuple(f.name for f in FACETS if f.name != "base")
DISPLAY_KEYS = {"view", "sort", "order", "size", "page", "apres", "zone", "z"}


def _clean(value: str, messages: list, what: str) -> str:
    cleaned = "".join(ch for ch in value if ch.isprintable() or ch in "\t ").strip()
    if cleaned != value.strip():
        messages.append(f"{what} contenait des caractères invisibles ou de contrôle : ils ont été retirés.")
    value = cleaned
    if len(value) > MAX_VALUE_LENGTH:
        messages.append(f"{what} était trop long : il a été réduit à {MAX_VALUE_LENGTH} caractères.")
        value = value[:MAX_VALUE_LENGTH]
    return value


def _int(value, default: int) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


@dataclass
class SearchState:
    text: str = ""
    bases: list[str] = field(default_factory=list)            # base slugs
    filters: dict[str, list[str]] = field(default_factory=dict)
    view: str = "list"
    sort: str = "relevance"
    order: str = ""
    size: int = DEFAULT_SIZE
    page: int = 1
    after: list | None = None
    more: list[str] = field(default_factory=list)
    facet_filter: dict[str, str] = field(default_factory=dict)
    zone: tuple[float, float, float, float] | None = None
    zoom: int | None = None
    messages: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ parsing
    @classmethod
    def from_query(cls, qd) -> "SearchState":
        s = cls()
        m = s.messages
        s.text = _clean(qd.get("q", ""), m, "Le texte recherché")
        s._parse_bases(qd)
        for facet in FILTER_FACETS:
            values = [_clean(v, m, f"Le filtre « {FACETS_BY_NAME[facet].label} »") for v in qd.getlist(facet)]
            values = list(dict.fromkeys(v for v in values if v))[:MAX_VALUES_PER_FACET]
            if values:
                s.filters[facet] = values
        s.more = [f for f in qd.getlist("plus") if f in FACETS_BY_NAME]
        for facet in FACETS_BY_NAME:
            sub = qd.get(f"filtre-{facet}", "")
            if sub.strip():
                s.facet_filter[facet] = _clean(sub, m, "La recherche dans les valeurs")[:100]
        s._parse_display(qd)
        known = {"q", "plus", *FILTER_FACETS}
        s._warn_unknown(qd, known, prefixes=("filtre-",))
        return s

    def _parse_bases(self, qd) -> None:
        for name in qd.getlist("base"):
            base = registry.find(name)
            if base is None:
                self.messages.append(f"La base « {name[:60]} » n'existe pas : ce filtre a été ignoré.")
            elif base.slug not in self.bases:
                self.bases.append(base.slug)

    def _parse_display(self, qd) -> None:
        """View, sort, page size, page, cursor and map zone: shared by simple and expert search."""
        m = self.messages
        view = qd.get("view", "list")
        if view in VIEWS:
            self.view = view
        else:
            m.append(f"La vue « {view[:40]} » n'existe pas : la liste est affichée.")
        sort = qd.get("sort", "relevance")
        if sort in SORTS:
            self.sort = sort
        else:
            m.append(f"Le tri « {sort[:40]} » n'existe pas : les résultats sont triés par pertinence.")
        order = qd.get("order", "")
        if order in ("asc", "desc"):
            self.order = order
        elif order:
            m.append("L'ordre de tri doit être « asc » ou « desc » : l'ordre par défaut est utilisé.")
        if "size" in qd:
            size = _int(qd.get("size"), DEFAULT_SIZE)
            if size in PAGE_SIZES:
                self.size = size
            else:
                m.append(f"Le nombre de résultats par page doit être l'une des valeurs "
                         f"{', '.join(map(str, PAGE_SIZES))} : {DEFAULT_SIZE} par page sont affichés.")
        if "page" in qd:
            page = _int(qd.get("page"), 1)
            if page is None or page < 1:
                m.append("Le numéro de page doit être un nombre entier positif : la première page est affichée.")
            elif page > 10_000_000:
                m.append("Ce numéro de page n'existe pas : la première page est affichée.")
            else:
                self.page = page
        if qd.get("apres"):
            try:
                after = json.loads(qd["apres"])
                if not isinstance(after, list) or len(after) > 4 or any(isinstance(x, (dict, list)) for x in after):
                    raise ValueError
                self.after = after
            except ValueError:
                m.append("Le curseur de pagination est invalide : il a été ignoré.")
        if qd.get("zone"):
            try:
                south, west, north, east = (float(x) for x in qd["zone"].split(","))
                if not (-90 <= south <= north <= 90 and -180 <= west <= 180 and -180 <= east <= 180):
                    raise ValueError
                self.zone = (south, west, north, east)
            except ValueError:
                m.append("La zone de carte est invalide : la France entière est affichée.")
        if qd.get("z"):
            z = _int(qd.get("z"), 5)
            self.zoom = z if z is not None and 0 <= z <= 20 else None

    def _warn_unknown(self, qd, known: set, prefixes: tuple = ()) -> None:
        known = known | DISPLAY_KEYS | {"base"}
        for key in qd.keys():
            if key in known or key in IGNORED or key.startswith(prefixes or ("\0",)):
                continue
            self.messages.append(f"Le paramètre « {key[:60]} » n'est pas un filtre connu : il a été ignoré.")

    # ------------------------------------------------------------------ query building
    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def facets_for_query(self) -> dict[str, list[str]]:
        out = dict(self.filters)
        if self.bases:
            out["base"] = list(self.bases)
        return out

    def query(self, **overrides) -> SimpleQuery:
        kw = dict(text=self.text, bases=tuple(self.bases), facets=dict(self.filters), sort=self.sort,
                  order=self.order or None, size=self.size, offset=min(self.offset, MAX_OFFSET),
                  facet_size=FACET_SIZE_MORE if self.more else FACET_SIZE, facet_filter=dict(self.facet_filter))
        kw.update(overrides)
        return SimpleQuery(**kw)

    @property
    def is_empty(self) -> bool:
        return not (self.text or self.bases or self.filters)

    # ------------------------------------------------------------------ URL writing
    def _own_params(self) -> dict:
        d = {"q": self.text, "base": list(self.bases), **{k: list(v) for k, v in self.filters.items()},
             "plus": list(self.more)}
        for k, v in self.facet_filter.items():
            d[f"filtre-{k}"] = v
        return d

    def params(self, **changes) -> list[tuple[str, str]]:
        """The URL parameters of this state with ``changes`` applied; defaults are left out.
        Changing anything but the page returns to page 1."""
        d = self._own_params()
        d.update({"view": self.view, "sort": self.sort, "order": self.order, "size": self.size, "page": self.page})
        if self.view == "map" and self.zone:
            d["zone"] = ",".join(f"{x:.5f}" for x in self.zone)
            d["z"] = self.zoom
        if "page" not in changes and set(changes) - {"view", "plus"}:
            d["page"] = 1
        d.update(changes)
        defaults = {"view": "list", "sort": "relevance", "size": DEFAULT_SIZE, "page": 1, "order": ""}
        out = []
        for k, v in d.items():
            if v is None or v == "" or v == [] or defaults.get(k, object()) == v:
                continue
            for item in v if isinstance(v, list) else [v]:
                out.append((k, str(item)))
        return out

    def url(self, **changes) -> str:
        params = self.params(**changes)
        return "?" + urlencode(params) if params else "?"

    @property
    def params_for_map(self) -> str:
        """Query string of the search itself (no page, view or zone), for the map's data requests."""
        return urlencode([(k, v) for k, v in self.params() if k not in ("page", "view", "zone", "z", "plus")
                          and not k.startswith("filtre-")])

    def without(self, key: str, value: str | None = None) -> str:
        """URL of this state without one filter value (or the whole text / base)."""
        if key == "q":
            return self.url(q="")
        if key == "base":
            return self.url(base=[b for b in self.bases if b != value])
        return self.url(**{key: [v for v in self.filters.get(key, []) if v != value]})

    def toggle(self, key: str, value: str) -> str:
        if key == "base":
            current = list(self.bases)
        else:
            current = list(self.filters.get(key, []))
        current = [v for v in current if v != value] if value in current else [*current, value]
        return self.url(**{key: current})

    def hidden_inputs(self, *skip: str) -> list[tuple[str, str]]:
        """(name, value) pairs to repeat the state in a GET form, without the ``skip`` keys."""
        return [(k, v) for k, v in self.params() if k not in skip and k != "page"]
