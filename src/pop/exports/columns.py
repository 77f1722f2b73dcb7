"""The columns of an export and how a public record view becomes one row of them.

    layout = Layout.build(["merimee", "palissy"], fields=None)   # display fields, union, BASE column
    layout.columns          -> [Column("BASE", "Nom de la base"), Column("REF", ...), ..., LIEN_NOTICE, MANIFESTE_IIIF]
    layout.cells("merimee", "PA00078014", view)   -> ["Patrimoine architectural (Mérimée)", "PA00078014", ...]
    layout.record("merimee", "PA00078014", view)  -> {"BASE": ..., "REF": ..., "DENO": ["château"], ...}  (JSON Lines)

Column sets, all read from the schema registry (no field list lives here):
- ``display`` (default): REF, the title and subtitle fields, the fields feeding a facet or searched
  as full text, and the geographic position — what the record's card and page put forward;
- ``all``: every public field;
- a chosen list of field codes. A code that exists but is public in none of the exported bases is
  refused (400 naming it): restricted and internal fields never come out, whatever is asked. A row
  reads a record's public view or its decoded stored data (with derived links merged in), and only
  ever reads the base's public fields (per-base plans hold public codes only; the IIIF column sees
  the public image fields only), so a field public in one base and restricted in another only ever
  shows the public base's values.

Several bases: the union of their columns in registry order, with the base's name (the registry's
``BASE`` field) as first column. Multi-valued fields are joined with `` ; ``; a position is split
into latitude / longitude number columns; numbers and ISO dates are typed values for XLSX/ODS.
The last two columns link to the record page and to its IIIF manifest (when it has images).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import partial
from urllib.parse import quote

import orjson
from django.conf import settings
from django.urls import reverse

from pop.catalog.reading import image_paths
from pop.exports.errors import ExportError
from pop.schema import Base, registry
from pop.schema.types import Field, T, V

SEPARATOR = " ; "
LINK_KEY = "LIEN_NOTICE"
IIIF_KEY = "MANIFESTE_IIIF"
MAX_FIELDS = 1000
FIELD_SETS = {"display": "display", "affichage": "display", "defaut": "display", "default": "display",
              "all": "all", "tous": "all", "tout": "all"}
_ABSENT = "\x00"   # a key no record view has: the column stays empty for that base
_URL_SAFE = re.compile(r"^[A-Za-z0-9_.~-]+$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_INTEGER = re.compile(r"^-?\d{1,15}$")
_DECIMAL = re.compile(r"^-?\d{1,15}([.,]\d{1,12})?$")


@dataclass(frozen=True)
class Column:
    key: str            # field code, "CODE.sub" for a sub-field, or LIEN_NOTICE / MANIFESTE_IIIF
    label: str          # French label from the registry
    kind: str = "text"  # text | number | date | url

    @property
    def header(self) -> str:
        """Header cell: label and code, e.g. « Dénomination de l'édifice [DENO] »."""
        return f"{self.label} [{self.key}]"


# --- value conversion -------------------------------------------------------------------------

def _item_text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):  # derived link entries (MEMOIRE): the linked record's REF
        return str(value.get("ref") or orjson.dumps(value).decode())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def as_text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        try:
            return SEPARATOR.join(value)   # a list of strings: the common case
        except TypeError:
            return SEPARATOR.join(_item_text(v) for v in value if v is not None)
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return _item_text(value)


def _empty(value) -> bool:
    """What a record view leaves out (``reading.visible``): None, "", [] and {}."""
    return value is None or value == "" or value == [] or value == {}


def _text(value):
    """A text cell from a value that is not a string: lists joined, numbers written; empty → None."""
    if value.__class__ is list:
        if not value:
            return None
        try:
            return SEPARATOR.join(value)   # a list of strings: the common case
        except TypeError:
            return as_text(value)
    return None if value == {} else as_text(value)


def _csv_text(value) -> str:
    """A CSV cell from a value that is not a string: "" when empty."""
    return "" if value is None else (_text(value) or "")


def _number_text(value) -> str:
    """A CSV cell from a position's coordinate (a number, or None): written as the csv module would."""
    return "" if value is None else str(value)


def as_number(value):
    """A number for a spreadsheet cell, or the text when the value is not a plain number."""
    if isinstance(value, bool):
        return as_text(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.match(text):
            return int(text)
        if _DECIMAL.match(text):
            return float(text.replace(",", "."))
    return as_text(value)


def as_date(value):
    """A date cell for an ISO date (YYYY-MM-DD), a number for a bare year, else the text."""
    if isinstance(value, str):
        m = _ISO_DATE.match(value)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return value
        if _INTEGER.match(value) and len(value.lstrip("-")) <= 4:
            return int(value)
        return value
    return as_text(value)


def _sub(name: str, value):
    if isinstance(value, dict):
        v = value.get(name)
        return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None
    return None


def _kind(f: Field) -> str:
    if f.multi:
        return "text"
    return {T.NUMBER: "number", T.DATE: "date", T.URL: "url"}.get(f.type, "text")


def _converter(f: Field):
    if f.multi or f.type in (T.POLYGON, T.OBJECT):
        return as_text
    if f.type is T.NUMBER:
        return as_number
    if f.type is T.DATE:
        return as_date
    return as_text


def field_columns(f: Field) -> list[tuple[Column, str, object]]:
    """(column, field code, converter) for one field: one column, or one per sub-field of a position."""
    if f.type is T.GEOPOINT and f.subfields:
        names = {"lat": "latitude", "lon": "longitude"}
        return [(Column(f"{f.code}.{s}", f"{f.label} — {names.get(s, s)}", "number"), f.code, partial(_sub, s))
                for s in f.subfields]
    return [(Column(f.code, f.label, _kind(f)), f.code, _converter(f))]


# --- column choice ----------------------------------------------------------------------------

def display_fields(base: Base) -> list[Field]:
    """The fields a record's card and page put forward, in registry order (REF first)."""
    keep = {"REF", *base.title_fields, *base.subtitle_fields}
    out = [f for f in base.public_fields if not f.deprecated and f.code != "REF" and (
        f.code in keep or f.facet or f.weight > 0 or f.type is T.GEOPOINT)]
    return [base["REF"], *out]


def parse_field_spec(value) -> str | list[str]:
    """``None``/"" → "display"; "display"/"all" (or French aliases); "TICO,DENO" / ["TICO", "DENO"] → codes."""
    if value is None or value == "" or value == []:
        return "display"
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise ExportError("« fields » doit être une liste de codes de champs séparés par des virgules, "
                          "ou « display » / « all ».", "invalid_fields")
    codes: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise ExportError("« fields » doit être une liste de codes de champs.", "invalid_fields")
        for part in item.split(","):
            part = part.strip()
            if part:
                codes.append(part)
    if len(codes) == 1 and codes[0].lower() in FIELD_SETS:
        return FIELD_SETS[codes[0].lower()]
    if not codes:
        return "display"
    if len(codes) > MAX_FIELDS:
        raise ExportError(f"Trop de champs demandés ({MAX_FIELDS} au plus).", "invalid_fields")
    return list(dict.fromkeys(c.upper() for c in codes))


def _safe(code: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in code[:60])


def check_codes(codes: list[str], bases: list[Base]) -> None:
    """Refuse unknown codes and codes public in none of ``bases`` (naming the field)."""
    names = ", ".join(b.short_label for b in bases)
    for code in codes:
        if code in (LINK_KEY, IIIF_KEY):
            continue
        anywhere = [f for _, f in registry.all_fields() if f.code == code]
        if not anywhere:
            raise ExportError(f"Champ inconnu : « {_safe(code)} ».", "unknown_field", field=_safe(code))
        here = [b[code] for b in bases if code in b]
        if any(f.visibility is V.PUBLIC for f in here):
            continue
        if here or not any(f.visibility is V.PUBLIC for f in anywhere):
            raise ExportError(f"Le champ « {code} » n'est pas public : il ne peut pas être exporté.",
                              "restricted_field", field=code)
        raise ExportError(f"Le champ « {code} » n'existe pas dans les bases exportées ({names}).",
                          "unknown_field", field=code)


# --- layout -----------------------------------------------------------------------------------

class Layout:
    """Columns of one export and the per-base plans turning a record view into a row."""

    def __init__(self, bases: list[Base], spec: str | list[str], site_url: str | None = None):
        order = {slug: i for i, slug in enumerate(registry.slugs())}
        self.bases = sorted({b.slug: b for b in bases}.values(), key=lambda b: order[b.slug])
        if not self.bases:
            raise ExportError("Aucune base à exporter.", "empty_export")
        self.spec = spec
        self.mixed = len(self.bases) > 1
        if isinstance(spec, list):
            check_codes(spec, self.bases)
        site = (site_url if site_url is not None else settings.POP_SITE_URL).rstrip("/")
        self.columns: list[Column] = []
        self.json_codes: list[str] = []
        plans: dict[str, list] = {b.slug: [] for b in self.bases}
        chosen: list[tuple[str, Field]] = []   # (code, representative field), union in registry order
        seen: set[str] = set()
        if self.mixed:
            chosen.append(("BASE", self.bases[0]["BASE"]))
            seen.add("BASE")
        for base in self.bases:
            for f in self._fields(base):
                if f.code not in seen:
                    seen.add(f.code)
                    chosen.append((f.code, f))
        if isinstance(spec, list):  # a chosen list keeps the asked order
            rank = {c: i for i, c in enumerate(spec)}
            chosen.sort(key=lambda cf: (cf[0] != "BASE" or not self.mixed, rank.get(cf[0], -1)))
        for code, rep in chosen:
            self.json_codes.append(code)
            for col, _, _ in field_columns(rep):
                self.columns.append(col)
        n_fields = len(self.columns)
        self.columns.append(Column(LINK_KEY, "Lien vers la notice", "url"))
        self.columns.append(Column(IIIF_KEY, "Manifeste IIIF des images", "url"))
        # Plans: (code, converter) per column; converter None = text (a string goes through as is,
        # the common case, without a function call). The base name is a constant of the base. Only
        # public fields enter a plan: rows may be built from a record's whole stored data.
        text_plans: dict[str, list] = {b.slug: [] for b in self.bases}
        self._consts: dict[str, list] = {b.slug: [] for b in self.bases}
        for base in self.bases:
            plan, text_plan = plans[base.slug], text_plans[base.slug]
            for code, rep in chosen:
                f = base.field(code)
                subs = field_columns(rep)   # the representative field decides the columns and their types
                if f is None or f.visibility is not V.PUBLIC:
                    plan.extend([(_ABSENT, None)] * len(subs))
                    text_plan.extend([(_ABSENT, None)] * len(subs))
                elif code == "BASE":
                    self._consts[base.slug].append((len(plan), base.label))
                    plan.append((_ABSENT, None))
                    text_plan.append((_ABSENT, None))
                else:
                    plan.extend((code, None if conv is as_text else conv) for _, _, conv in subs)
                    text_plan.extend((code, conv if col.kind == "number" and "." in col.key else None)
                                     for col, _, conv in subs)
            assert len(plan) == n_fields
        self._plans = plans
        self._text_plans = text_plans
        self._cell_fns: dict = {}
        self._text_fns: dict = {}
        self._link_fns: dict = {}
        self._json = {b.slug: [c for c, _ in chosen if b.field(c) is not None and b[c].visibility is V.PUBLIC]
                      for b in self.bases}
        # Field codes each base's views must hold: the columns, the JSON Lines keys, and the image
        # fields deciding the IIIF manifest column (a source reads only these, public ones only).
        self.codes: dict[str, tuple[str, ...]] = {}
        for base in self.bases:
            wanted = {code for code, _ in plans[base.slug] if code != _ABSENT}
            wanted.update(self._json[base.slug])
            wanted.update(base.image_fields)
            self.codes[base.slug] = tuple(f.code for f in base.fields if f.code in wanted and f.visibility is V.PUBLIC)
        self._links = {}
        for base in self.bases:
            page = reverse("public:notice", args=[base.public_slug, "REFREF"])
            manifest = reverse("iiif-manifest", args=[base.slug, "REFREF"])
            images = tuple(c for c in base.image_fields if base[c].visibility is V.PUBLIC)
            self._links[base.slug] = (base, site + page.replace("REFREF", "{}"), site + manifest.replace("REFREF", "{}"),
                                      images)

    @classmethod
    def build(cls, bases, fields=None, site_url: str | None = None) -> "Layout":
        return cls([registry.get(b) if isinstance(b, str) else b for b in bases], parse_field_spec(fields), site_url)

    def _fields(self, base: Base) -> list[Field]:
        if self.spec == "display":
            return display_fields(base)
        if self.spec == "all":
            return list(base.public_fields)
        return [base[c] for c in self.spec if c in base and base[c].visibility is V.PUBLIC]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def links(self, base_slug: str, ref: str, view: dict) -> tuple[str, str]:
        """(record page URL, IIIF manifest URL or "") of a record; the manifest column depends on
        the base's public image fields only, whatever else ``view`` holds."""
        return self._link_fn(base_slug)(ref, view)

    def _link_fn(self, base_slug: str):
        """The (REF, data) → links function of a base, built once."""
        fn = self._link_fns.get(base_slug)
        if fn is None:
            fn = self._link_fns[base_slug] = self._build_link_fn(base_slug)
        return fn

    def _build_link_fn(self, base_slug: str):
        base, page, manifest, images = self._links[base_slug]
        page, manifest, url_safe = page.format, manifest.format, _URL_SAFE.match

        def links(ref: str, data: dict) -> tuple[str, str]:
            r = ref if url_safe(ref) else quote(ref, safe="")
            return page(r), (manifest(r) if image_paths(base, {c: data.get(c) for c in images}) else "")
        return links

    def _compile(self, plan, base_slug: str, text: bool):
        """The function (REF, data) → row of one base and one kind of row (cells, or CSV text cells
        when ``text``), generated once from its plan: one list display with an expression per
        column, no loop nor call per plain string or list of strings (the most common cells) —
        several times cheaper than interpreting the plan on each row. ``data`` is a public view or a
        record's decoded stored data: only the plan's codes (public fields) are read.

        Lists are joined inline on the assumption that they hold strings; a row where one does not
        (numbers, MEMOIRE entries) raises TypeError and is built again by the general expressions."""
        env = {"_text": _text, "_empty": _empty, "_csv_text": _csv_text, "_number_text": _number_text,
               "_join": SEPARATOR.join, "_links": self._link_fn(base_slug)}
        consts = dict(self._consts[base_slug])
        fast, general = [], []
        for i, (code, conv) in enumerate(plan):
            get = f"(v := get({code!r}))"
            if i in consts:
                env[f"k{i}"] = consts[i]
                fast.append(f"k{i}")
                general.append(f"k{i}")
            elif code == _ABSENT:
                fast.append('""' if text else "None")
                general.append(fast[-1])
            elif conv is None and text:
                fast.append(f'(v if {get}.__class__ is str else (_join(v) if v.__class__ is list else '
                            f'"" if v is None else _csv_text(v)))')
                general.append(f"(v if {get}.__class__ is str else _csv_text(v))")
            elif conv is None:
                fast.append(f"(v if {get} is None or v.__class__ is str else ((_join(v) if v else None) if "
                            f"v.__class__ is list else _text(v)))")
                general.append(f"(v if {get} is None or v.__class__ is str else _text(v))")
            else:
                env[f"c{i}"] = conv
                general.append(f'("" if _empty({get}) else _number_text(c{i}(v)))' if text else
                               f"(None if _empty({get}) else c{i}(v))")
                if isinstance(conv, partial) and conv.func is _sub:   # a position's coordinate, inline
                    number = f"{get}.__class__ is dict and ((x := v.get({conv.args[0]!r})).__class__ is float or x.__class__ is int)"
                    fast.append(f'(str(x) if {number} else "")' if text else f"(x if {number} else None)")
                else:
                    fast.append(general[-1])
        src = ("def row(ref, data):\n    get = data.get\n    try:\n"
               f"        return [{', '.join([*fast, '*_links(ref, data)'])}]\n"
               "    except TypeError:\n"
               f"        return [{', '.join([*general, '*_links(ref, data)'])}]\n")
        exec(compile(src, f"<export row {base_slug}>", "exec"), env)   # noqa: S102 - code built above from registry codes (repr'd)
        return env["row"]

    def cells(self, base_slug: str, ref: str, data: dict) -> list:
        """One spreadsheet row: str / int / float / date / None per column. ``data``: the record's
        public view or its decoded stored data (only public fields are read)."""
        fn = self._cell_fns.get(base_slug) or self._cell_fns.setdefault(
            base_slug, self._compile(self._plans[base_slug], base_slug, False))
        return fn(ref, data)

    def text_cells(self, base_slug: str, ref: str, data: dict) -> list[str]:
        """One CSV row: every cell as text ("" when empty), numbers written as the csv module writes
        them. ``data`` as for ``cells``."""
        fn = self._text_fns.get(base_slug) or self._text_fns.setdefault(
            base_slug, self._compile(self._text_plans[base_slug], base_slug, True))
        return fn(ref, data)

    def record(self, base_slug: str, ref: str, view: dict) -> dict:
        """One JSON Lines object: field codes → values as in the record (lists and positions kept).
        ``view`` as ``data`` for ``cells``: only the base's public fields are read."""
        out = {}
        for code in self._json[base_slug]:
            if code == "BASE" and self.mixed:
                out["BASE"] = self._links[base_slug][0].label
                continue
            value = view.get(code)
            if not _empty(value):
                out[code] = value
        out[LINK_KEY], iiif = self.links(base_slug, ref, view)
        if iiif:
            out[IIIF_KEY] = iiif
        return out

    def describe(self) -> list[dict]:
        return [{"code": c.key, "label": c.label, "type": c.kind} for c in self.columns]
