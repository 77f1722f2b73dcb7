"""Input cleaning and validation rules, read from the registry.

``clean_input`` turns raw input (form, import, API, JSON) into typed record data and collects issues:
errors block the write, warnings do not. Every message is French and names the field's label and code.
Link existence is checked by the write service (it needs the database), through ``link_issues``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pop.catalog import geo
from pop.referentials.geography import DEPARTMENTS, REGIONS, insee_department, normalize_dpt
from pop.schema import Base, Field, S, T
from pop.schema.legacy import legacy_reason
from pop.schema.thesaurus import checked, thesaurus_warning

ERROR, WARNING = "error", "warning"
MAX_VALUES = 1000
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL_RE = re.compile(r"^(https?|ftp)://[^\s/$.?#][^\s]*$", re.I)
KEY_RE = re.compile(r"^[a-z]+/[^\s]+$")  # object-storage key: {base}/{REF}/{file}
MEDIA_PATH_RE = re.compile(r"^[^\s<>\"]+$")  # media fields also hold bare file names and legacy paths
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# UTF-8 text once decoded as Latin-1/Windows-1252 ("Ã©" for é, "â€™" for ’), or the replacement character.
MOJIBAKE_RE = re.compile("Ã[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
                         "|Â[\u00a0-\u00bf]|â€|\ufffd")
ALNUM_RE = re.compile(r"^[0-9A-Za-z]+$")
INSEE_RE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")


@dataclass(frozen=True)
class Issue:
    level: str          # "error" | "warning"
    code: str           # machine code, e.g. "REF_INVALID", "INSEE_DPT_MATCH_FAIL"
    field: str | None
    message: str        # French, names the field

    def as_dict(self) -> dict:
        return {"level": self.level, "code": self.code, "field": self.field, "message": self.message}


def label(field: Field) -> str:
    return f"{field.label} ({field.code})"


def _err(field: Field | None, code: str, text: str) -> Issue:
    return Issue(ERROR, code, field.code if field else None, f"{label(field)} : {text}" if field else text)


def _warn(field: Field | None, code: str, text: str) -> Issue:
    return Issue(WARNING, code, field.code if field else None, f"{label(field)} : {text}" if field else text)


def _text(field: Field, value, issues: list[Issue]) -> str | None:
    """One value as a clean string, or None (with an error) when it cannot be one."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            issues.append(_err(field, "ENCODING", "texte qui n'est pas de l'UTF-8 valide"))
            return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        issues.append(_err(field, "TYPE", f"texte attendu, reçu {type(value).__name__}"))
        return None
    text = str(value)
    # Pure ASCII holds no lone surrogate, no mojibake and is already NFC: those checks are skipped
    # for it (same outcome, faster on bulk loads).
    ascii_only = text.isascii()
    if not ascii_only:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            issues.append(_err(field, "ENCODING", "texte qui n'est pas de l'UTF-8 valide (caractères non codables)"))
            return None
        if MOJIBAKE_RE.search(text):
            issues.append(_err(field, "ENCODING", "caractères mal encodés (fichier lu avec le mauvais encodage ?)"))
            return None
    if CONTROL_RE.search(text):
        issues.append(_err(field, "CONTROL_CHAR", "caractères de contrôle interdits"))
        return None
    text = text.strip() if ascii_only else unicodedata.normalize("NFC", text.strip())
    if len(text) > field.max_length:
        issues.append(_err(field, "TOO_LONG", f"valeur trop longue ({len(text)} caractères, maximum {field.max_length})"))
        return None
    return text


def clean_value(field: Field, value, issues: list[Issue]):
    """Typed value for one field ("" / [] / None clear it)."""
    if field.type is T.GEOPOINT:
        try:
            return geo.parse_point(value)
        except geo.CoordinateError as exc:
            issues.append(_err(field, "COORDINATES", str(exc)))
            return None
    if field.multi:
        if value is None:
            return []
        if isinstance(value, (str, bytes)):
            value = value.decode("utf-8", "strict") if isinstance(value, bytes) and _utf8(value) else value
            if isinstance(value, bytes):
                issues.append(_err(field, "ENCODING", "texte qui n'est pas de l'UTF-8 valide"))
                return []
            value = value.split(";")
        if not isinstance(value, (list, tuple)):
            issues.append(_err(field, "TYPE", f"liste de valeurs attendue, reçu {type(value).__name__}"))
            return []
        if len(value) > MAX_VALUES:
            issues.append(_err(field, "TOO_MANY", f"trop de valeurs ({len(value)}, maximum {MAX_VALUES})"))
            return []
        out = []
        for item in value:
            text = _text(field, item, issues)
            if text:
                out.append(text)
        return out
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            value = value[0]
        elif not value:
            value = ""
        else:
            issues.append(_err(field, "TYPE", "une seule valeur attendue, reçu une liste"))
            return ""
    if value is None:
        return ""
    text = _text(field, value, issues)
    if text is None:
        return ""
    if field.type is T.NUMBER and text:
        try:
            return float(text.replace(",", "."))
        except ValueError:
            issues.append(_err(field, "TYPE", f"nombre attendu, reçu « {text[:40]} »"))
            return ""
    return text


def _printable(text: str) -> str:
    """A key as it can be shown in a message (lone surrogates and controls escaped, never re-raised)."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


# How clean_input types each exact field code of a base (see ``_input_plan``).
_SINGLE, _MULTI, _OTHER = 1, 2, 0
_SLOW = object()
_INPUT_PLANS: dict[str, dict] = {}


def _input_plan(base: Base) -> dict:
    """code -> (field, kind) for the settable fields of ``base``, None for the fields that input
    cannot set (ignored). Built once per base, so that typing a record costs one dict lookup per field."""
    plan = _INPUT_PLANS.get(base.slug)
    if plan is None:
        plan = {}
        for f in base.fields:
            if not f.settable:
                plan[f.code] = None
            elif f.type is T.GEOPOINT or f.type is T.NUMBER:
                plan[f.code] = (f, _OTHER, f.max_length)
            else:
                plan[f.code] = (f, _MULTI if f.multi else _SINGLE, f.max_length)
        _INPUT_PLANS[base.slug] = plan
    return plan


# Typed texts of the strings seen last (a pure function of the string): bulk input repeats the
# same non-ASCII values (communes, regions, vocabulary terms) over and over, and typing them runs
# a regular expression and a Unicode normalisation. Emptied when full, so memory stays bounded.
_TYPED_TEXTS: dict[str, str | bool] = {}
_TYPED_TEXTS_MAX = 50_000


def _fast_text(value: str, max_length: int) -> str | None:
    """What ``_text`` returns for a plain printable string that passes every check, or None when
    the value needs the full path (controls, tabs, odd spaces, mojibake, too long: it reports them).
    A printable string holds no control character and no lone surrogate, and pure ASCII is NFC."""
    text = _TYPED_TEXTS.get(value)
    if text is None:
        if not value.isprintable():
            text = False
        elif value.isascii():
            text = value.strip()
        elif MOJIBAKE_RE.search(value) is None:
            text = unicodedata.normalize("NFC", value.strip())
        else:
            text = False
        if len(_TYPED_TEXTS) >= _TYPED_TEXTS_MAX:
            _TYPED_TEXTS.clear()
        _TYPED_TEXTS[value] = text
    return text if text is not False and len(text) <= max_length else None


def _fast_list(values: list, max_length: int) -> list[str] | None:
    """What ``clean_value`` returns for a multi-valued field given plain strings, or None."""
    if len(values) > MAX_VALUES:
        return None
    out = []
    for item in values:
        if type(item) is not str:
            return None
        if item.isascii() and item.isprintable():
            text = item.strip()
            if len(text) > max_length:
                return None
        else:
            text = _fast_text(item, max_length)
            if text is None:
                return None
        if text:
            out.append(text)
    return out


def clean_input(base: Base, raw: dict) -> tuple[dict, list[Issue]]:
    """Typed values for the settable fields present in ``raw`` (computed fields are ignored)."""
    issues: list[Issue] = []
    if not isinstance(raw, dict):
        return {}, [Issue(ERROR, "TYPE", None, "Une notice doit être un objet {code: valeur}.")]
    data: dict = {}
    plan = _input_plan(base)
    for code, value in raw.items():
        step = plan.get(code, _SLOW)
        if step is None:  # a computed or derived field: never taken from input
            continue
        if step is not _SLOW:
            field, kind, max_length = step
            if kind == _SINGLE and type(value) is str:
                if value.isascii() and value.isprintable():  # the common case, inlined
                    text = value.strip()
                    if len(text) <= max_length:
                        data[code] = text
                        continue
                else:
                    text = _fast_text(value, max_length)
                    if text is not None:
                        data[code] = text
                        continue
            elif kind == _MULTI and (type(value) is list or type(value) is str):
                if type(value) is list and len(value) == 1:  # most multi-valued fields hold one value
                    item = value[0]
                    if type(item) is str:
                        text = item.strip() if item.isascii() and item.isprintable() else _fast_text(item, max_length)
                        if text and len(text) <= max_length:
                            data[code] = [text]
                            continue
                out = _fast_list(value if type(value) is list else value.split(";"), max_length)
                if out is not None:
                    data[code] = out
                    continue
            data[code] = clean_value(field, value, issues)  # the full path reports what is wrong
            continue
        if not isinstance(code, str):
            issues.append(Issue(ERROR, "UNKNOWN_FIELD", None, f"Nom de champ invalide : {code!r}."))
            continue
        field = base.field(code.strip())
        if field is None:
            code = _printable(code)
            if "." in code and base.field(code.split(".")[0]) and base.field(code.split(".")[0]).subfields:
                parent = base.field(code.split(".")[0])
                data.setdefault("__sub__", {}).setdefault(parent.code, {})[code.split(".", 1)[1]] = value
                continue
            legacy, replacement = legacy_reason(base.slug, code.strip())
            if legacy:
                hint = f" ({replacement})" if replacement else ""
                issues.append(Issue(WARNING, "LEGACY_FIELD", code,
                                    f"Champ « {code[:60]} » ancien, ignoré pour la base {base.short_label}{hint}."))
            else:
                issues.append(Issue(ERROR, "UNKNOWN_FIELD", code[:60],
                                    f"Champ inconnu « {code[:60]} » pour la base {base.short_label}."))
            continue
        if not field.settable:
            continue
        data[field.code] = clean_value(field, value, issues)
    for code, parts in data.pop("__sub__", {}).items():
        field = base[code]
        if field.settable:
            data[code] = clean_value(field, parts, issues)
    return data, issues


_RULE_PLANS: dict[str, tuple] = {}
_EMAIL, _URL, _DATE, _GEO = 1, 2, 3, 4


def _rule_plan(base: Base) -> tuple:
    """The fields of ``base`` (in registry order) that the per-field loop of ``check_record`` can
    report on — required, recommended, e-mail, URL, date, geopoint or thesaurus-checked — each as
    (field, code, required, warning when empty, kind, thesaurus). Skipping the others and deciding each
    field's checks once gives the same issues in the same order, several times faster (bulk loads)."""
    plan = _RULE_PLANS.get(base.slug)
    if plan is None:
        rows = []
        for f in base.fields:
            kind = (_EMAIL if f.type is T.EMAIL else _URL if f.type is T.URL
                    else _DATE if f.type is T.DATE and f.settable else _GEO if f.type is T.GEOPOINT and f.settable else None)
            # only thesauri the platform has a list of can give a warning
            thesaurus = f.thesaurus if f.thesaurus and f.type is T.TEXT and checked(f.thesaurus) else None
            if f.required or f.recommended or kind or thesaurus:
                # the warning an empty recommended field gives, made once (issues are immutable)
                empty = _warn(f, f"{f.code}_EMPTY", "champ recommandé vide") if f.recommended else None
                rows.append((f, f.code, f.required and f.code != "REF", empty, kind, thesaurus))
        plan = _RULE_PLANS[base.slug] = tuple(rows)
    return plan


def check_record(base: Base, data: dict) -> list[Issue]:
    """Rules on the merged record (stored values + input): required, REF, consistency, warnings."""
    issues: list[Issue] = []
    ref = data.get("REF") or ""
    ref_field = base["REF"]
    if not ref:
        issues.append(_err(ref_field, "REF_EMPTY", "champ obligatoire vide"))
    elif not base.ref_regex.match(ref):
        issues.append(_err(ref_field, "REF_INVALID", f"« {ref[:64]} » ne respecte pas le format attendu ({base.ref_help})"))
    get = data.get
    for field, code, required, empty_warning, kind, thesaurus in _rule_plan(base):
        value = get(code)
        if value is None or (not value and isinstance(value, (str, list, dict))):  # None, "", [], {}
            if required:
                issues.append(_err(field, f"{code}_EMPTY", "champ obligatoire vide"))
            elif empty_warning is not None:
                issues.append(empty_warning)
            continue
        values = value if isinstance(value, list) else [value]
        if kind is None:
            pass
        elif kind == _EMAIL:
            for v in values:
                if not EMAIL_RE.match(v):
                    issues.append(_warn(field, f"{code}_INVALID_EMAIL", f"« {v[:60]} » n'est pas une adresse électronique"))
        elif kind == _URL:
            issues += _url_warnings(field, values)
        elif kind == _DATE:
            for v in values:
                if not any(c.isdigit() for c in v):
                    issues.append(_warn(field, f"{code}_INVALID_DATE", f"« {v[:60]} » ne contient aucune date"))
        elif geo.is_valid(value) and not geo.in_france(value):
            issues.append(_warn(field, f"{code}_NOT_IN_FRANCE",
                                f"position (latitude {value['lat']}, longitude {value['lon']}) hors de France"))
        if thesaurus is not None:
            for v in values:
                message = thesaurus_warning(thesaurus, v)
                if message:
                    issues.append(_warn(field, f"{code}_THESAURUS", message))
    if base.slug in ("merimee", "palissy", "memoire"):
        issues += _location_rules(base, data)
    if base.slug in ("merimee", "palissy"):
        for a, b in (("PROT", "DPRO"), ("COM", "WCOM"), ("ADRS", "WADRS")):
            if b in base and data.get(b) and not data.get(a):
                issues.append(_warn(base[a], f"{a}_REQUIRED_FOR_{b}", f"à renseigner puisque {base[b].label} ({b}) l'est"))
        if ref and not ref.isalnum():
            issues.append(_warn(ref_field, "REF_INVALID_ALNUM", "la référence ne doit contenir que des lettres et des chiffres"))
    if base.slug == "memoire":
        issues += _memoire_rules(base, data)
    return issues


def _url_warnings(field: Field, values: list[str]) -> list[Issue]:
    """Links (sources, external sites) must be absolute web addresses; media fields (images, PDFs)
    also hold object-storage keys, legacy paths and bare file names, but never spaces or markup."""
    out = []
    media = field.section is S.MEDIA
    for v in values:
        ok = (KEY_RE.match(v) or URL_RE.match(v) or MEDIA_PATH_RE.match(v)) if media else URL_RE.match(v)
        if not ok:
            what = "un chemin ou une adresse de fichier valide" if media else "une adresse web valide (http:// ou https://)"
            out.append(_warn(field, f"{field.code}_INVALID_URL", f"« {v[:60]} » n'est pas {what}"))
    return out


# Issues of _location_rules per (base, the values it reads): records of one place (a building's
# photos, an inventory's campaign) repeat the same values. Emptied when full (bounded memory).
_LOCATION_MEMO: dict[tuple, tuple[Issue, ...]] = {}
_LOCATION_MEMO_MAX = 20_000
_LOCATION_FIELDS = ("DPT", "INSEE", "INSEE2", "REG", "PAYS")


def _location_rules(base: Base, data: dict) -> tuple[Issue, ...]:
    """Department, commune and region consistency (``_location_issues``), remembered per values."""
    key = [base.slug]
    for code in _LOCATION_FIELDS:
        value = data.get(code)
        if type(value) is list:
            value = tuple(value)
        elif value is not None and type(value) is not str:
            return tuple(_location_issues(base, data))  # not typed as usual: not remembered
        key.append(value)
    key = tuple(key)
    issues = _LOCATION_MEMO.get(key)
    if issues is None:
        if len(_LOCATION_MEMO) >= _LOCATION_MEMO_MAX:
            _LOCATION_MEMO.clear()
        issues = _LOCATION_MEMO[key] = tuple(_location_issues(base, data))
    return issues


def _location_issues(base: Base, data: dict) -> list[Issue]:
    issues: list[Issue] = []
    dpts = [normalize_dpt(d) for d in data.get("DPT") or []]
    if "DPT" in base:
        for d in dpts:
            if len(d) < 2:
                issues.append(_err(base["DPT"], "DPT_LENGTH_2", f"« {d} » : un code de département a au moins 2 caractères"))
            elif d not in DEPARTMENTS:
                issues.append(_warn(base["DPT"], "DPT_UNKNOWN", f"« {d[:20]} » n'est pas un code de département connu"))
    insee_code = "INSEE" if data.get("INSEE") or "INSEE2" not in base else "INSEE2"
    if insee_code in base:
        for insee in data.get(insee_code) or []:
            if len(insee) != 5 or not INSEE_RE.match(insee):
                issues.append(_err(base[insee_code], "INSEE_LENGTH_5", f"« {insee} » : un code INSEE a 5 caractères"))
            elif dpts and insee_department(insee) not in dpts:
                issues.append(_err(base[insee_code], f"{insee_code}_DPT_MATCH_FAIL",
                                   f"le code INSEE « {insee} » ne correspond à aucun département de la notice ({', '.join(dpts)})"))
    check_reg = base.slug != "memoire" or not data.get("PAYS") or any(p.strip().lower() == "france" for p in data["PAYS"])
    if "REG" in base and check_reg:
        for reg in data.get("REG") or []:
            if reg not in REGIONS:
                issues.append(_warn(base["REG"], "REG_INVALID", f"« {reg[:60]} » n'est pas une des 18 régions"))
    return issues


@lru_cache(maxsize=1)
def _lbase_prefixes() -> tuple[str, ...]:
    """REF prefixes a Mémoire LBASE value may start with: the link targets' producer prefixes."""
    from pop.catalog.producers import SEED  # local import: producers imports the registry only

    return tuple(sorted({p for _label, b, ps in SEED if b in ("merimee", "palissy", "autor") for p in ps}, key=len, reverse=True))


def _memoire_rules(base: Base, data: dict) -> list[Issue]:
    issues: list[Issue] = []
    prefixes = _lbase_prefixes()
    for v in data.get("LBASE") or []:
        if not v.startswith(prefixes):
            issues.append(_warn(base["LBASE"], "LBASE_INVALID",
                                f"« {v[:64]} » ne commence pas par un préfixe connu ({', '.join(sorted(prefixes))})"))
        elif len(v) != 10 and next(p for p in prefixes if v.startswith(p)) in ("PA", "IA", "EA", "PM", "IM", "EM"):
            issues.append(_warn(base["LBASE"], "LBASE_LENGTH_EXACT_10",
                                f"« {v[:64]} » : une référence Mérimée ou Palissy a 10 caractères"))
    for code in ("NUMTI", "NUMP"):
        v = data.get(code)
        if code in base and v and not ALNUM_RE.match(v):
            issues.append(_warn(base[code], f"{code}_INVALID_ALNUM", f"« {v[:60]} » ne doit contenir que des lettres et des chiffres"))
    return issues


def coordinate_issue(base: Base, code: str, exc: Exception) -> Issue:
    return _err(base[code], "COORDINATES", str(exc))


def link_issue(field: Field, ref: str, level: str = ERROR) -> Issue:
    targets = ", ".join(field.links_to)
    text = f"la notice liée « {ref[:64]} » n'existe pas (base {targets})"
    return _err(field, f"{field.code}_REF_NOT_FOUND", text) if level == ERROR else _warn(field, f"{field.code}_REF_NOT_FOUND", text)
