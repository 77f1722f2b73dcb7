"""The expert query builder: a rule tree carried in flat URL parameters, so the builder is a plain
HTML form (usable without JavaScript and with the keyboard) and every query is a shareable URL.

Flat parameters (paths are dotted positions, the root group is "0")::

    c.0=AND                 combinator of the group at path 0 (AND | OR)
    f.0.0=group:titre       field of the rule at path 0.0: "group:<key>", "<base>:<CODE>" or "<CODE>"
    o.0.0=*                 operator (see pop.search.interface.OPERATORS)
    v.0.0=usine             value
    c.0.1=OR                a nested group at 0.1 with its rules 0.1.0, 0.1.1…
    base=merimee            bases in scope (repeatable; none = all)

    state = ExpertState.from_query(request.GET)
    state.tree      -> {"combinator": "AND", "rules": [{"field": "group:titre", "operator": "*", "value": "usine"},
                        {"combinator": "OR", "rules": [...]}]}
    state.words()   -> "Titre contient « usine » ET (Département = 59 OU Département = 62)"
    state.query()   -> ExpertQuery
"""
from __future__ import annotations

import re
from functools import lru_cache

from pop.public.searchparams import SearchState
from pop.schema import registry
from pop.schema.groups import CROSS_BASE_GROUPS, GROUPS_BY_KEY, expert_fields
from pop.schema.types import T
from pop.search.interface import MAX_DEPTH, MAX_OFFSET, MAX_RULES, MAX_VALUE_LENGTH, OPERATORS, ExpertQuery

OP_LABELS = {
    "*": "contient", "==": "est égal à", "^": "commence par", "!*": "ne contient pas", "!=": "est différent de",
    "===*": "contient (recherche stricte)", "===": "est égal à (recherche stricte)",
    "===^": "commence par (recherche stricte)", "!==*": "ne contient pas (recherche stricte)",
    "!==": "est différent de (recherche stricte)", ">=": "est supérieur ou égal à", "<=": "est inférieur ou égal à",
    ">": "est supérieur à", "<": "est inférieur à", "∃": "existe", "!∃": "n’existe pas",
}
# How an operator reads inside a sentence ("Département = 59").
OP_WORDS = {"*": "contient", "==": "=", "^": "commence par", "!*": "ne contient pas", "!=": "≠",
            "===*": "contient strictement", "===": "= (strict)", "===^": "commence strictement par",
            "!==*": "ne contient pas strictement", "!==": "≠ (strict)", ">=": "≥", "<=": "≤", ">": ">", "<": "<",
            "∃": "existe", "!∃": "n’existe pas"}
NO_VALUE = ("∃", "!∃")
TEXT_OPS = ("*", "==", "^", "!*", "!=", "===*", "===", "===^", "!==*", "!==", "∃", "!∃")
OPS_BY_KIND = {
    "text": TEXT_OPS,
    "date": ("==", "*", "^", ">=", "<=", ">", "<", "!=", "∃", "!∃"),
    "number": ("==", "!=", ">=", "<=", ">", "<", "∃", "!∃"),
    "ref": ("==", "!=", "^", "*", "∃", "!∃"),
}
KIND_OF_TYPE = {T.DATE: "date", T.NUMBER: "number", T.REF: "ref"}
COMBINATORS = {"AND": "ET", "OR": "OU"}
_PATH = re.compile(r"^0(\.\d{1,2})*$")


def _kind(t: T) -> str:
    return KIND_OF_TYPE.get(t, "text")


# ---------------------------------------------------------------------------------- field catalogue
@lru_cache(maxsize=1)
def field_catalogue() -> dict[str, dict]:
    """value -> {"label", "kind", "field", "base"} for every choosable field: cross-base groups
    ("group:titre") then every public field of every base ("merimee:DENO")."""
    out: dict[str, dict] = {}
    for g in CROSS_BASE_GROUPS:
        kinds = {_kind(b[c].type) for b in registry.bases() for c in g.codes_for(b)}
        out[f"group:{g.key}"] = {"label": g.label, "kind": kinds.pop() if len(kinds) == 1 else "text",
                                 "field": f"group:{g.key}", "base": None}
    for b in registry.bases():
        for f in expert_fields(b):
            out[f"{b.slug}:{f.code}"] = {"label": f"{f.label} ({b.short_label})", "short": f.label,
                                         "kind": _kind(f.type), "field": f.code, "base": b.slug, "code": f.code}
    return out


def field_options(bases: list[str]) -> list[dict]:
    """<optgroup> structure of the field select: common groups first, then per base (the bases in
    scope, or all)."""
    cat = field_catalogue()
    groups = [{"label": "Champs communs à toutes les bases",
               "options": [(k, v["label"], v["kind"]) for k, v in cat.items() if v["base"] is None]}]
    for b in registry.bases():
        if bases and b.slug not in bases:
            continue
        opts = sorted(((k, f"{v['short']} ({v['code']})", v["kind"]) for k, v in cat.items() if v["base"] == b.slug),
                      key=lambda o: o[1].lower())
        groups.append({"label": f"Champs de la base {b.short_label}", "options": opts})
    return groups


def resolve_field(value: str) -> dict | None:
    cat = field_catalogue()
    if value in cat:
        return cat[value]
    if value.startswith("group:"):
        return None
    for b in registry.bases():  # a bare code: the first base that has it
        key = f"{b.slug}:{value}"
        if key in cat:
            return {**cat[key], "base": None, "label": cat[key]["short"]}
    return None


# ---------------------------------------------------------------------------------- flat <-> tree
def _key(path: str) -> tuple[int, ...]:
    return tuple(int(p) for p in path.split("."))


class ExpertState(SearchState):
    tree: dict

    @classmethod
    def from_query(cls, qd) -> "ExpertState":
        s = cls()
        s.tree = {"combinator": "AND", "rules": []}
        s._parse_bases(qd)
        s.tree = s._parse_tree(qd)
        s._parse_display(qd)
        s._warn_unknown(qd, {"action"}, prefixes=("c.", "f.", "o.", "v.", "n."))
        return s

    def _parse_tree(self, qd) -> dict:
        m = self.messages
        groups: dict[str, dict] = {"0": {"combinator": "AND", "rules": [], "_children": {}}}
        rules: dict[str, dict] = {}
        for key in qd.keys():
            if key[:2] not in ("c.", "f.", "n.") or not _PATH.match(key[2:]):
                continue
            path = key[2:]
            if len(path.split(".")) > MAX_DEPTH + 1:
                m.append(f"Les groupes sont imbriqués sur plus de {MAX_DEPTH} niveaux : les plus profonds ont été ignorés.")
                continue
            if key.startswith("c."):
                comb = qd.get(key, "AND").upper()
                if comb not in COMBINATORS:
                    m.append("Un groupe doit combiner ses règles par ET ou OU : ET a été retenu.")
                    comb = "AND"
                groups.setdefault(path, {"rules": [], "_children": {}})["combinator"] = comb
                if qd.get(f"n.{path}") in ("1", "on", "true"):
                    groups[path]["not"] = True
            elif key.startswith("f."):
                if len(rules) >= MAX_RULES:
                    m.append(f"Une requête experte compte au plus {MAX_RULES} règles : les suivantes ont été ignorées.")
                    continue
                rules[path] = self._parse_rule(qd, path)
        # attach every node to its parent, creating missing intermediate groups
        for path in list(groups) + list(rules):
            parts = path.split(".")
            for n in range(1, len(parts)):
                ancestor = ".".join(parts[:n])
                if ancestor in rules:  # a rule cannot hold children: drop the orphan
                    break
                groups.setdefault(ancestor, {"combinator": "AND", "rules": [], "_children": {}})
        nodes: dict[str, dict] = {**groups, **rules}
        for path in sorted(nodes, key=_key):
            if path == "0":
                continue
            parent = path.rsplit(".", 1)[0]
            if parent in groups:
                groups[parent]["_children"][path] = nodes[path]
        for path in sorted(groups, key=_key):
            groups[path].setdefault("combinator", "AND")

        def build(g: dict) -> dict:
            out = {"combinator": g.get("combinator", "AND"), "rules": []}
            if g.get("not"):
                out["not"] = True
            for path in sorted(g["_children"], key=_key):
                child = g["_children"][path]
                out["rules"].append(build(child) if "_children" in child else child)
            return out
        return build(groups["0"])

    def _parse_rule(self, qd, path: str) -> dict:
        m = self.messages
        field_value = qd.get(f"f.{path}", "").strip()
        info = resolve_field(field_value)
        op = qd.get(f"o.{path}", "*")
        value = "".join(ch for ch in qd.get(f"v.{path}", "") if ch.isprintable()).strip()
        if len(value) > MAX_VALUE_LENGTH:
            m.append(f"Une valeur dépassait {MAX_VALUE_LENGTH} caractères : elle a été réduite.")
            value = value[:MAX_VALUE_LENGTH]
        if info is None:
            if field_value:
                m.append(f"Le champ « {field_value[:60]} » n'existe pas : choisissez un champ dans la liste.")
            rule = {"field": "", "operator": op if op in OPERATORS else "*", "value": value}
            return rule
        allowed = OPS_BY_KIND[info["kind"]]
        if op not in allowed:
            if op:
                m.append(f"L'opérateur « {op[:10]} » ne s'applique pas au champ « {info['label']} » : "
                         f"« {OP_LABELS[allowed[0]]} » a été retenu.")
            op = allowed[0]
        rule = {"field": info["field"], "operator": op}
        if info.get("base"):
            rule["base"] = info["base"]
        if op not in NO_VALUE:
            rule["value"] = value
        return rule

    # ---------------------------------------------------------------------- editing
    def apply(self, action: str) -> bool:
        """Apply a builder button: "ajouter-regle:0.1", "ajouter-groupe:0", "supprimer:0.2".
        Returns False when the action is not understood."""
        verb, _, path = (action or "").partition(":")
        if not _PATH.match(path or "-"):
            return False
        idx = [int(p) for p in path.split(".")[1:]]
        node = self.tree
        parents = []
        for i in idx:
            rules = node.get("rules") if isinstance(node, dict) else None
            if rules is None or i >= len(rules):
                return False
            parents.append((node, i))
            node = rules[i]
        if verb == "ajouter-regle" and "rules" in node:
            if self._count(self.tree) >= MAX_RULES:
                self.messages.append(f"Une requête experte compte au plus {MAX_RULES} règles.")
                return True
            node["rules"].append({"field": "group:titre", "operator": "*", "value": ""})
            return True
        if verb == "ajouter-groupe" and "rules" in node:
            if len(idx) + 1 >= MAX_DEPTH:
                self.messages.append(f"Les groupes ne peuvent pas être imbriqués sur plus de {MAX_DEPTH} niveaux.")
                return True
            node["rules"].append({"combinator": "OR", "rules": [{"field": "group:titre", "operator": "*", "value": ""}]})
            return True
        if verb == "supprimer" and parents:
            parent, i = parents[-1]
            del parent["rules"][i]
            return True
        return False

    def _count(self, node) -> int:
        return sum(self._count(r) if "rules" in r else 1 for r in node.get("rules", []))

    # ---------------------------------------------------------------------- output
    def pruned(self, node=None) -> dict:
        """The tree without incomplete rules (no field, or no value where one is needed) and
        without empty groups: what is actually run."""
        node = self.tree if node is None else node
        out = {"combinator": node.get("combinator", "AND"), "rules": []}
        if node.get("not"):
            out["not"] = True
        for r in node.get("rules", []):
            if "rules" in r:
                sub = self.pruned(r)
                if sub["rules"]:
                    out["rules"].append(sub)
            elif r.get("field") and (r["operator"] in NO_VALUE or str(r.get("value", "")).strip()):
                out["rules"].append(r)
        return out

    @property
    def is_empty(self) -> bool:
        return not self.pruned()["rules"]

    def query(self, **overrides) -> ExpertQuery:
        kw = dict(tree=self.pruned(), bases=tuple(self.bases), sort=self.sort, order=self.order or None,
                  size=self.size, offset=min(self.offset, MAX_OFFSET))
        kw.update({k: v for k, v in overrides.items() if k in ExpertQuery.__dataclass_fields__})
        return ExpertQuery(**kw)

    def words(self, node=None, top=True) -> str:
        node = self.pruned() if node is None else node
        parts = []
        for r in node.get("rules", []):
            if "rules" in r:
                inner = self.words(r, top=False)
                if inner:
                    parts.append(inner if len(r["rules"]) == 1 and not r.get("not") else f"({inner})")
                    if r.get("not"):
                        parts[-1] = f"NON {parts[-1]}"
            else:
                parts.append(rule_words(r))
        return f" {COMBINATORS[node.get('combinator', 'AND')]} ".join(parts)

    def _own_params(self) -> dict:
        d: dict = {"base": list(self.bases)}
        d.update(flatten(self.tree))
        return d

    def rows(self) -> list[dict]:
        """The tree as a flat list of builder rows in display order (groups open and close),
        for the template: {"kind": "group-start"|"rule"|"group-end", "path", "depth", ...}."""
        out: list[dict] = []

        def walk(node, path, depth):
            out.append({"kind": "group-start", "path": path, "id": path.replace(".", "-"), "depth": depth,
                        "combinator": node.get("combinator", "AND"),
                        "negated": bool(node.get("not")), "is_root": path == "0"})
            for i, r in enumerate(node.get("rules", [])):
                p = f"{path}.{i}"
                if "rules" in r:
                    walk(r, p, depth + 1)
                else:
                    key = f"{r['base']}:{r['field']}" if r.get("base") else r.get("field", "")
                    info = resolve_field(key) or {}
                    out.append({"kind": "rule", "path": p, "id": p.replace(".", "-"), "depth": depth + 1, "field": key,
                                "operator": r.get("operator", "*"), "value": r.get("value", ""),
                                "kind_of_field": info.get("kind", "text")})
            out.append({"kind": "group-end", "path": path, "depth": depth, "is_root": path == "0"})
        walk(self.tree, "0", 0)
        return out


def options_html(groups: list[dict]) -> str:
    """The <optgroup>/<option> markup of the field select, rendered once per page (it is repeated
    for every rule); ``select_option`` marks the chosen one."""
    from django.utils.html import escape
    parts = []
    for g in groups:
        parts.append(f'<optgroup label="{escape(g["label"])}">')
        parts += [f'<option value="{escape(v)}" data-kind="{k}">{escape(label)}</option>' for v, label, k in g["options"]]
        parts.append("</optgroup>")
    return "".join(parts)


def select_option(html: str, value: str) -> str:
    from django.utils.html import escape
    needle = f'<option value="{escape(value)}" '
    return html.replace(needle, needle + "selected ", 1) if value else html


def flatten(tree: dict, path: str = "0") -> dict[str, str]:
    out = {f"c.{path}": tree.get("combinator", "AND")}
    if tree.get("not"):
        out[f"n.{path}"] = "1"
    for i, r in enumerate(tree.get("rules", [])):
        p = f"{path}.{i}"
        if "rules" in r:
            out.update(flatten(r, p))
        else:
            out[f"f.{p}"] = f"{r['base']}:{r['field']}" if r.get("base") else r.get("field", "")
            out[f"o.{p}"] = r.get("operator", "*")
            if r.get("operator") not in NO_VALUE:
                out[f"v.{p}"] = str(r.get("value", ""))
    return out


def field_label(rule: dict) -> str:
    key = f"{rule['base']}:{rule['field']}" if rule.get("base") else rule.get("field", "")
    info = resolve_field(key)
    if info:
        return info["label"]
    if key.startswith("group:") and key[6:] in GROUPS_BY_KEY:
        return GROUPS_BY_KEY[key[6:]].label
    return key


def rule_words(rule: dict) -> str:
    op = rule.get("operator", "*")
    text = f"{field_label(rule)} {OP_WORDS.get(op, op)}"
    if op in NO_VALUE:
        return text
    value = str(rule.get("value", ""))
    return f"{text} {value}" if op in ("==", "!=", ">=", "<=", ">", "<") and value.replace(".", "").isdigit() \
        else f"{text} « {value} »"
