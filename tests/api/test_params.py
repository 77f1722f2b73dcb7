"""The bracket query-string parser and the validation of search parameters (no database)."""
from __future__ import annotations

import pytest

from pop.api import params as P
from pop.api.http import ApiError


def simple(qs: str) -> P.SimpleParams:
    return P.simple_params(P.decode_query(qs))


def test_decode_pop_bracket_syntax():
    raw = P.decode_query("text=ch%C3%A2teau+fort&bases[0]=memoire&bases[1]=joconde&facets[DOMN][0]=peinture"
                         "&facets[DOMN][1]=dessin&filters[hasImage]=true&sort[0][TICO.keyword]=asc"
                         "&search_after[0]=abc&search_after[1]=12&geo=true&from=40&size=20")
    assert raw == {"text": "château fort", "bases": ["memoire", "joconde"], "facets": {"DOMN": ["peinture", "dessin"]},
                   "filters": {"hasImage": "true"}, "sort": [{"TICO.keyword": "asc"}],
                   "search_after": ["abc", "12"], "geo": "true", "from": "40", "size": "20"}


def test_simple_params_normalised():
    p = simple("text=+ch%C3%A2teau+&bases[0]=rose-valland&bases[1]=mnr&bases[2]=merimee&facets[DOMN.keyword][0]=peinture"
               "&filters[hasCoordinates]=true&sort[0][TICO.keyword]=desc&search_after[0]=x&geo=true&from=5&size=7")
    assert p.text == "château"
    assert p.bases == ["mnr", "merimee"]          # aliases resolved, duplicates removed
    assert p.facets == {"DOMN": ["peinture"]}      # ".keyword" dropped
    assert p.filters == {"hasCoordinates": True}
    assert p.sort == [("TICO", "desc")] and p.search_after == ["x"]
    assert p.geo is True and p.offset == 5 and p.size == 7


def test_defaults_and_friendly_forms():
    p = simple("")
    assert (p.text, p.bases, p.facets, p.offset, p.size, p.search_after) == ("", [], {}, 0, 20, [])
    assert simple("bases=merimee").bases == ["merimee"]               # plain value accepted as a 1-item list
    assert simple("bases[]=merimee&bases[]=palissy").bases == ["merimee", "palissy"]
    assert simple("facets[base][0]=memoire").bases == ["memoire"]     # facets[base] == bases
    assert simple("facets[BASE][0]=Photographies%20(M%C3%A9moire)").bases == ["memoire"]  # BASE bucket key
    assert simple("bases[3]=memoire&bases[1]=joconde").bases == ["joconde", "memoire"]   # sparse indices compacted


@pytest.mark.parametrize("qs,code", [
    ("size=1000000000", "limit_exceeded"),
    ("size=-1", "invalid_parameter"),
    ("size=abc", "invalid_parameter"),
    ("size=2.5", "invalid_parameter"),
    ("size=--5", "invalid_parameter"),
    ("size=%D9%A3", "invalid_parameter"),
    ("size=1%200", "invalid_parameter"),
    ("from=-5", "invalid_parameter"),
    ("from=99999999999", "limit_exceeded"),
    ("from=100000001", "limit_exceeded"),
    ("bases[0]=atlantide", "unknown_base"),
    ("filters[hasImage]=peut-etre", "invalid_parameter"),
    ("filters[hasUnicorn]=true", "unknown_filter"),
    ("filters=true", "invalid_parameter"),
    ("facets=peinture", "invalid_parameter"),
    ("facets[DOMN][x]=peinture", "invalid_parameter"),
    ("sort[0][TICO.keyword]=sideways", "invalid_parameter"),
    ("sort[0]=", None),
    ("search_after[0][x]=1", "invalid_search_after"),
    ("a[b][c][d][e]=1", "syntax_error"),
    ("bases[500]=merimee", "syntax_error"),
    ("&".join(f"p{i}=1" for i in range(400)), "syntax_error"),
    ("text=" + "a" * 600, "limit_exceeded"),
    ("text=a%00b", "invalid_parameter"),
    ("geo=maybe", "invalid_parameter"),
])
def test_bad_input_is_a_400_api_error(qs, code):
    if code is None:  # empty values are ignored, not errors
        simple(qs)
        return
    with pytest.raises(ApiError) as info:
        simple(qs)
    assert info.value.status == 400
    assert info.value.code == code
    # the message names the problem: the parameter, or the offending name/value
    key, _, value = qs.partition("=")
    names = {key.split("[")[0], *[part.rstrip("]") for part in key.split("[")[1:]], value}
    assert code == "syntax_error" or any(n and n in info.value.message for n in names), info.value.message


def test_size_cap_follows_settings(settings):
    settings.POP_SEARCH_MAX_SIZE = 50
    assert simple("size=50").size == 50
    with pytest.raises(ApiError):
        simple("size=51")


def test_json_body_errors():
    assert P.json_body(b"") == {}
    for body in (b"{not json", b"[1, 2]", b'"x"', b"\xff\xfe"):
        with pytest.raises(ApiError) as info:
            P.json_body(body)
        assert info.value.code == "invalid_json"
    with pytest.raises(ApiError) as info:
        P.json_body(b'{"a": "' + b"x" * 70_000 + b'"}')
    assert info.value.code == "body_too_large"


def rule(field="TICO", op="*", value="usine", **kw):
    return {"fields": field, "operator": op, "value": value, **kw}


def test_advanced_pop_body_with_one_group():
    p = P.advanced_params({"bases": ["memoire"], "crits": [{"crits": [
        {"base": "memoire", "fields": "TICO, SUJET, TITRE, LEG", "operator": "*", "value": "usine"}], "combinator": "AND"}],
        "size": 20, "from": 0, "search_after": ["a", 3], "sort": [{"NUM.keyword": "asc"}]})
    assert p.bases == ["memoire"] and p.size == 20 and p.search_after == ["a", 3] and p.sort == [("NUM", "asc")]
    assert p.tree == P.Group("AND", [P.Rule(["TICO", "SUJET", "TITRE", "LEG"], "*", "usine", "memoire")])


def test_advanced_flat_body_and_binds_tighter_than_or():
    # a AND b OR c AND d  ==  (a AND b) OR (c AND d)
    crits = [rule(value="a"), rule(value="b", combinator="AND"), rule(value="c", combinator="OR"),
             rule(value="d", combinator="ET")]
    tree = P.advanced_params({"crits": crits}).tree
    assert tree.combinator == "OR"
    assert [[r.value for r in g.children] for g in tree.children] == [["a", "b"], ["c", "d"]]
    # POP's first rule borrows the second's combinator: a OR b
    tree = P.advanced_params({"crits": [rule(value="a", combinator="AND"), rule(value="b", combinator="OU")]}).tree
    assert tree.combinator == "OR" and [r.value for r in tree.children] == ["a", "b"]


def test_advanced_nested_groups():
    body = {"crits": [rule(value="a"), {"combinator": "OR", "crits": [rule(value="b"), {"crits": [
        rule(value="c"), rule(field="DPT", op="==", value="34", base="merimee")], "combinator": "AND"}]}]}
    tree = P.advanced_params(body).tree
    assert tree.combinator == "AND"
    a, group = tree.children
    assert a.value == "a" and group.combinator == "OR"
    b, inner = group.children
    assert b.value == "b" and inner.combinator == "AND" and inner.children[1].base == "merimee"


def nested(depth):
    node = rule()
    for _ in range(depth):
        node = {"crits": [node], "combinator": "AND"}
    return {"crits": [node]}


@pytest.mark.parametrize("body,code", [
    ({}, "invalid_criterion"),
    ({"crits": []}, "invalid_criterion"),
    ({"crits": "TICO=usine"}, "invalid_criterion"),
    ({"crits": [42]}, "invalid_criterion"),
    ({"crits": [rule(op="LIKE")]}, "unknown_operator"),
    ({"crits": [rule(op=None)]}, "unknown_operator"),
    ({"crits": [rule(field="")]}, "invalid_criterion"),
    ({"crits": [rule(field=12)]}, "invalid_criterion"),
    ({"crits": [rule(value={"$gt": 1})]}, "invalid_parameter"),
    ({"crits": [rule(value="x" * 1000)]}, "limit_exceeded"),
    ({"crits": [rule(base="atlantide")]}, "unknown_base"),
    ({"crits": [rule(script="drop")]}, "invalid_criterion"),
    ({"crits": [rule(combinator="XOR"), rule()]}, "invalid_combinator"),
    ({"crits": [rule()] * 100}, "limit_exceeded"),
    (nested(P.MAX_DEPTH + 1), "tree_too_deep"),
    ({"crits": [rule()], "size": "20; DROP"}, "invalid_parameter"),
    ({"crits": [rule()], "size": True}, "invalid_parameter"),
    ({"crits": [rule()], "size": 10**9}, "limit_exceeded"),
    ({"crits": [rule()], "from": -1}, "invalid_parameter"),
    ({"crits": [rule()], "search_after": [{"a": 1}]}, "invalid_search_after"),
    ({"crits": [rule()], "search_after": "abc"}, None),
    ({"crits": [rule()], "sort": [{"TICO.keyword": 1}]}, "invalid_parameter"),
    ({"crits": [rule()], "bases": [1]}, "unknown_base"),
    ({"crits": [rule()], "bases": [None]}, "invalid_parameter"),
])
def test_advanced_bad_bodies(body, code):
    if code is None:
        P.advanced_params(body)
        return
    with pytest.raises(ApiError) as info:
        P.advanced_params(body)
    assert info.value.code == code, info.value.message


def test_depth_limit_is_inclusive():
    P.advanced_params(nested(P.MAX_DEPTH - 1))


@pytest.mark.parametrize("value,expected", [
    ("-5.2,41.3,9.6,51.1", (-5.2, 41.3, 9.6, 51.1)),
    (["1", "2", "3", "4"], (1.0, 2.0, 3.0, 4.0)),
    (None, None),
])
def test_bbox(value, expected):
    assert P.parse_bbox(value) == expected


@pytest.mark.parametrize("value", ["1,2,3", "a,b,c,d", "0,95,1,96", "0,10,1,5", "nan,1,2,3", "inf,1,2,3"])
def test_bad_bbox(value):
    with pytest.raises(ApiError) as info:
        P.parse_bbox(value)
    assert info.value.code == "invalid_bbox"
