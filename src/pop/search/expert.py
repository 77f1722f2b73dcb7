"""Expert search: rule trees validated against the registry and compiled to Tantivy queries.

    {"combinator": "AND", "rules": [
        {"field": "group:titre", "operator": "*", "value": "usine"},
        {"field": "DPT", "base": "merimee", "operator": "==", "value": "34"},
        {"combinator": "OR", "not": false, "rules": [...]}]}

A rule's ``field`` is a field code ("TICO"), a comma-separated list ("TICO, TITR") or a cross-base
group ("group:titre", see ``pop.schema.groups.CROSS_BASE_GROUPS``); ``base`` (optional) restricts
the rule to one base. Only public, queryable fields of the registry are accepted.

How each operator is answered (no operator walks the whole index):
- ``==`` / ``!=``          term of the keyword form ``x_CODE`` (lower case, accents folded);
- ``^``                    prefix automaton on ``x_CODE`` (walks only the matching branch of the term dictionary);
                           for REF (one term per record: « P » alone matches 300,000 terms at 4.8 M records),
                           a range on the ``o_ref`` sort key, a fast field checked per candidate document;
- ``*`` / ``!*``           phrase of consecutive trigrams on ``g.CODE`` (needles of 3+ characters): a few
                           posting-list intersections, whatever the number of records. Needles of 1–2
                           characters fall back to a regular expression on ``x_CODE``'s term dictionary,
                           and so do the computed codes of ``schema.CLOSED_CODES`` (no trigrams: their
                           dictionary holds a few values whatever the number of records);
- ``===`` / ``!==``        term of the strict form ``s_CODE``; ``===^`` prefix automaton on ``s_CODE``;
- ``===*`` / ``!==*``      trigram phrase (candidates, accent-insensitive) AND a regular expression on
                           ``s_CODE``'s term dictionary (exact case and accents);
- ``>= <= > <``            range on ``n_CODE`` (numbers as numbers; dates as YYYYMMDD integers);
- ``∃`` / ``!∃``           term of ``has`` (the codes a record has).
Negations match records of the rule's bases that do not match the positive form.
"""
from __future__ import annotations

import re
from functools import lru_cache

import tantivy

from pop.schema import registry
from pop.schema.groups import GROUPS_BY_KEY, expert_fields
from pop.schema.types import T
from pop.search import schema as S
from pop.search.documents import key_hex
from pop.search.interface import MAX_DEPTH, MAX_RULES, MAX_VALUE_LENGTH, OPERATORS, QueryError
from pop.search.text import date_bounds, kw, number, regex_escape, trigrams

Occur = tantivy.Occur
NEGATIONS = {"!*": "*", "!=": "==", "!==*": "===*", "!==": "===", "!∃": "∃"}
COMPARISONS = (">=", "<=", ">", "<")
ALIASES = {"=": "==", "!==^": None}


@lru_cache(maxsize=None)
def _public_codes(base_slug: str | None) -> frozenset[str]:
    if base_slug:
        return frozenset(f.code for f in expert_fields(registry.get(base_slug)))
    return frozenset(S.field_codes())


def resolve_fields(spec, base_slug: str | None) -> list[str]:
    """Field codes of a rule (validated)."""
    if not isinstance(spec, str) or not spec.strip():
        raise QueryError("Chaque règle doit indiquer un champ.", "missing_field")
    return list(_resolve_fields(spec, base_slug))


@lru_cache(maxsize=4096)
def _resolve_fields(spec: str, base_slug: str | None) -> tuple[str, ...]:
    allowed = _public_codes(base_slug)
    spec = spec.strip()
    if spec.startswith("group:"):
        group = GROUPS_BY_KEY.get(spec[6:])
        if group is None:
            raise QueryError(f"Groupe de champs inconnu : « {spec[6:]} ».", "unknown_field", spec)
        bases = [registry.get(base_slug)] if base_slug else registry.bases()
        codes = [c for b in bases for c in group.codes_for(b)]
        codes = [c for c in dict.fromkeys(codes) if c in allowed]
        if not codes:
            raise QueryError(f"Le groupe « {group.label} » n'a aucun champ dans cette base.", "unknown_field", spec)
        return tuple(codes)
    codes = [c.strip() for c in spec.split(",") if c.strip()]
    if len(codes) > 32:
        raise QueryError("Trop de champs dans une même règle (32 au plus).", "too_many_fields", spec)
    for c in codes:
        if c.endswith(".keyword"):
            c = c[:-8]
        if c not in allowed:
            where = f" dans la base « {registry.get(base_slug).short_label} »" if base_slug else ""
            raise QueryError(f"Champ inconnu ou non interrogeable{where} : « {c} ».", "unknown_field", c)
    return tuple(c[:-8] if c.endswith(".keyword") else c for c in codes)


def _base_of(rule: dict) -> str | None:
    b = rule.get("base")
    if b in (None, ""):
        return None
    if not isinstance(b, str) or registry.find(b) is None:
        raise QueryError(f"Base inconnue dans une règle : « {b} ».", "unknown_base", "base")
    return registry.get(b).slug


def _children(node: dict):
    rules = node.get("rules", node.get("crits"))
    if not isinstance(rules, list):
        raise QueryError("Un groupe doit contenir une liste de règles (« rules »).", "invalid_tree")
    return rules


def _is_group(node: dict) -> bool:
    return "rules" in node or "crits" in node


def validate(tree, bases=()) -> int:
    """Checks a tree; returns its number of rules. Raises QueryError (French) on any problem."""
    count = [0]

    def walk(node, depth):
        if not isinstance(node, dict):
            raise QueryError("Chaque élément de la requête experte doit être un objet (règle ou groupe).", "invalid_tree")
        if depth > MAX_DEPTH:
            raise QueryError(f"Requête trop imbriquée : {MAX_DEPTH} niveaux de groupes au plus.", "too_deep")
        if _is_group(node):
            comb = node.get("combinator", "AND")
            if not isinstance(comb, str) or comb.upper() not in ("AND", "OR"):
                raise QueryError(f"Combinateur inconnu : « {comb} » (AND ou OR attendu).", "unknown_combinator")
            if not isinstance(node.get("not", False), bool):
                raise QueryError("« not » doit être vrai ou faux.", "invalid_tree")
            for child in _children(node):
                walk(child, depth + 1)
            return
        count[0] += 1
        if count[0] > MAX_RULES:
            raise QueryError(f"Trop de règles : {MAX_RULES} au plus.", "too_many_rules")
        op = node.get("operator")
        if op not in OPERATORS:
            raise QueryError(f"Opérateur inconnu : « {op} ». Opérateurs possibles : {' '.join(OPERATORS)}.",
                             "unknown_operator", str(op)[:50])
        base = _base_of(node)
        codes = resolve_fields(node.get("field", node.get("fields")), base)
        if op in ("∃", "!∃"):
            return
        value = node.get("value")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise QueryError(f"Valeur manquante ou invalide pour l'opérateur « {op} ».", "invalid_value", ",".join(codes))
        value = str(value)
        if not value.strip():
            raise QueryError(f"Valeur vide pour l'opérateur « {op} ».", "invalid_value", ",".join(codes))
        if len(value) > MAX_VALUE_LENGTH:
            raise QueryError(f"Valeur trop longue (au plus {MAX_VALUE_LENGTH} caractères).", "value_too_long", ",".join(codes))
        if op in COMPARISONS and _bounds(value, codes) is None:
            raise QueryError(f"« {value} » n'est ni un nombre ni une date : l'opérateur « {op} » compare des nombres ou des dates.",
                             "invalid_value", ",".join(codes))

    if isinstance(tree, dict) and not _is_group(tree):
        tree = {"combinator": "AND", "rules": [tree]}
    walk(tree, 0)
    for b in bases or ():
        if not isinstance(b, str) or registry.find(b) is None:
            raise QueryError(f"Base inconnue : « {b} ».", "unknown_base", "bases")
    return count[0]


def _is_date_field(codes) -> bool:
    return any(T.DATE in S.field_codes()[c] for c in codes)


def _bounds(value: str, codes) -> tuple[float, float] | None:
    """(low, high) numeric bounds of a comparison value for these fields."""
    if _is_date_field(codes):
        b = date_bounds(value)
        return (float(b[0]), float(b[1])) if b else None
    n = number(value)
    if n is not None:
        return n, n
    b = date_bounds(value)
    return (float(b[0]), float(b[1])) if b else None


def _gram_query(code: str, grams: list[str]) -> tantivy.Query:
    schema = S.build_schema()
    if len(grams) == 1:
        return tantivy.Query.term_query(schema, f"g.{code}", grams[0])
    return tantivy.Query.phrase_query(schema, f"g.{code}", grams)


def _kw_pattern(value: str) -> str:
    """Regular expression of a needle's keyword form in which any run of spaces matches any run of
    spaces, as the trigram form treats them ("contains" answered by the term dictionary)."""
    return r"\s+".join(regex_escape(w) for w in kw(value).split())


_REF_PREFIX = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")   # where the keyword form and the sort key agree


@lru_cache(maxsize=1)
def _parser() -> tantivy.Index:
    """An empty in-memory index of the same schema: it parses the range this module writes itself
    (hex digits only; tantivy-py builds ranges on text fields through the query parser alone)."""
    return tantivy.Index(S.build_schema())


def _ref_prefix(value: str) -> tantivy.Query | None:
    """REF starts with ``value``, as a range over ``o_ref`` (hex of the folded REF, see
    ``documents.hexkey``): ``[hex, hex + "g")`` (``documents.key_hex``) holds exactly the keys starting with that hex. A
    fast-field range costs little inside a conjunction, where the union of every matching REF's
    postings costs tens of milliseconds for a short prefix. None for values outside plain REF
    characters (the prefix automaton answers them)."""
    v = value.strip()
    if not _REF_PREFIX.match(v):
        return None
    h = key_hex(v)
    return _parser().parse_query(f"o_ref:[{h} TO {h}g}}")


def _positive(op: str, code: str, value: str) -> tantivy.Query:
    schema = S.build_schema()
    text_ok = S.is_text_code(code)
    if op == "∃":
        return tantivy.Query.term_query(schema, "has", code)
    if op in COMPARISONS:
        lo, hi = _bounds(value, [code])
        R = tantivy.Query.range_query
        F = tantivy.FieldType.Float
        field = f"n_{code}"
        if op == ">=":
            return R(schema, field, F, lo, None, use_inverted_index=True)
        if op == ">":
            return R(schema, field, F, hi, None, include_lower=False, use_inverted_index=True)
        if op == "<=":
            return R(schema, field, F, None, hi, use_inverted_index=True)
        return R(schema, field, F, None, lo, include_upper=False, use_inverted_index=True)
    if not text_ok:
        n = number(value)
        return (tantivy.Query.term_query(schema, f"n_{code}", n) if n is not None and op in ("==", "===")
                else tantivy.Query.empty_query())
    if op == "==":
        return tantivy.Query.term_query(schema, f"x_{code}", kw(value))
    if op == "===":
        return tantivy.Query.term_query(schema, f"s_{code}", value.strip()[:256])
    if op == "^":
        if code == "REF" and (q := _ref_prefix(value)) is not None:
            return q
        return tantivy.Query.regex_query(schema, f"x_{code}", regex_escape(kw(value)) + ".*")
    if op == "===^":
        return tantivy.Query.regex_query(schema, f"s_{code}", regex_escape(value.strip()) + ".*")
    grams = trigrams(value) if S.has_trigrams(code) else []
    if op == "*":
        if not grams:
            return tantivy.Query.regex_query(schema, f"x_{code}", ".*" + _kw_pattern(value) + ".*")
        return _gram_query(code, grams)
    if op == "===*":
        exact = tantivy.Query.regex_query(schema, f"s_{code}", ".*" + regex_escape(value.strip()) + ".*")
        if not grams:
            return exact
        return tantivy.Query.boolean_query([(Occur.Must, _gram_query(code, grams)), (Occur.Must, exact)])
    raise QueryError(f"Opérateur inconnu : « {op} ».", "unknown_operator")


def _base_filter(base: str | None, bases) -> tantivy.Query | None:
    slugs = [base] if base else [registry.get(b).slug for b in bases or ()]
    if not slugs:
        return None
    schema = S.build_schema()
    return (tantivy.Query.term_query(schema, "base", slugs[0]) if len(slugs) == 1
            else tantivy.Query.term_set_query(schema, "base", slugs))


def compile_rule(rule: dict, bases=()) -> tantivy.Query:
    op = rule["operator"]
    base = _base_of(rule)
    codes = resolve_fields(rule.get("field", rule.get("fields")), base)
    value = "" if op in ("∃", "!∃") else str(rule.get("value"))
    pos_op = NEGATIONS.get(op, op)
    parts = [_positive(pos_op, c, value) for c in codes]
    q = parts[0] if len(parts) == 1 else tantivy.Query.boolean_query([(Occur.Should, p) for p in parts])
    scope = _base_filter(base, bases)
    if op in NEGATIONS:
        inner = [(Occur.Must, scope if scope is not None else tantivy.Query.all_query()), (Occur.MustNot, q)]
        return tantivy.Query.boolean_query(inner)
    if base:
        return tantivy.Query.boolean_query([(Occur.Must, q), (Occur.Must, tantivy.Query.const_score_query(scope, 0.0))])
    return q


def compile_tree(tree, bases=()) -> tantivy.Query:
    validate(tree, bases)
    if isinstance(tree, dict) and not _is_group(tree):
        tree = {"combinator": "AND", "rules": [tree]}

    def walk(node) -> tantivy.Query | None:
        if not _is_group(node):
            return compile_rule(node, bases)
        subs = [q for q in (walk(c) for c in _children(node)) if q is not None]
        if not subs:
            q = tantivy.Query.all_query()
        elif len(subs) == 1:
            q = subs[0]
        else:
            occ = Occur.Should if str(node.get("combinator", "AND")).upper() == "OR" else Occur.Must
            q = tantivy.Query.boolean_query([(occ, s) for s in subs])
        if node.get("not"):
            q = tantivy.Query.boolean_query([(Occur.Must, tantivy.Query.all_query()), (Occur.MustNot, q)])
        return q

    return walk(tree)
