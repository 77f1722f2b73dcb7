"""Text analysis shared by indexing and querying: Tantivy analyzers, folding, trigrams, years.

Analyzers (registered on every opened index, see ``store.open_index``):
- ``fr``  full text: words, lower case, French stop words, French (Snowball) stemming, accent folding;
- ``kw``  keyword form: the whole value, lower case, accent folded (``==``, ``^``, facet search);
- ``raw`` (Tantivy's own) strict form: the value as is (``===``, ``===^``, facet filters);
- ``tri`` contains form: the keyword form cut into overlapping 3-character grams, produced here in
  Python as space-separated grams and split by Tantivy's whitespace tokenizer, because Tantivy's
  n-gram tokenizer gives every gram position 0 and phrase queries need consecutive positions.
"""
from __future__ import annotations

import re
import unicodedata
from array import array
from functools import lru_cache

import tantivy

KW_MAX = 256        # characters kept in keyword / strict forms of a value
TRI_MAX = 512       # characters of a value indexed as trigrams ("contains")
GAP = "\x01"        # never a gram: separates the values of a multi-valued field in the trigram form
END = "\x02\x02"    # end-of-value padding: a 1–2 character needle is the start of some gram


def analyzers() -> dict[str, tantivy.TextAnalyzer]:
    T, F = tantivy.Tokenizer, tantivy.Filter
    return {
        "fr": tantivy.TextAnalyzerBuilder(T.simple()).filter(F.lowercase()).filter(F.stopword("french"))
        .filter(F.stemmer("french")).filter(F.ascii_fold()).filter(F.remove_long(60)).build(),
        "kw": tantivy.TextAnalyzerBuilder(T.raw()).filter(F.lowercase()).filter(F.ascii_fold()).build(),
        "tri": tantivy.TextAnalyzerBuilder(T.whitespace()).build(),
    }


@lru_cache(maxsize=1)
def _query_analyzers():
    return analyzers()


def analyze_fr(text: str) -> list[str]:
    return _query_analyzers()["fr"].analyze(text)


def kw(value: str) -> str:
    """Keyword form of a value exactly as the ``kw`` analyzer indexes it."""
    toks = _query_analyzers()["kw"].analyze(value.strip()[:KW_MAX])
    return toks[0] if toks else ""


_SPECIAL = (("œ", "oe"), ("æ", "ae"), ("ß", "ss"), ("’", "'"), ("ø", "o"), ("đ", "d"), ("ł", "l"))  # no NFKD form


_MARKS = re.compile("[\u0300-\u036f]+")   # the combining diacritics of Latin letters


def fold(text: str) -> str:
    """Lower case, accents removed (Python side: trigrams, sort keys, facet value search).
    Indexing folds every character of every value, so each step is a C call over the whole text:
    NFKD decomposition, removal of the Latin combining diacritics by a regular expression, and of
    any other combining mark (rare scripts) by a translation table built from the remaining characters."""
    text = text.lower()
    if text.isascii():
        return text
    for a, b in _SPECIAL:
        if a in text:
            text = text.replace(a, b)
    text = _MARKS.sub("", unicodedata.normalize("NFKD", text))
    if not text.isascii():
        marks = {ord(c): None for c in set(text) if c > "\x7f" and unicodedata.combining(c)}
        if marks:
            text = text.translate(marks)
    return text


_CONTROLS = {c: " " for c in range(0x20)}
_SPACES = re.compile(r"\s+")
_CODE_SEP = "\x03"   # separates the codes of one document while they are folded together


def _tri_form(needle: str) -> str:
    """A needle as the "contains" form sees it: folded, runs of spaces → '_'; control characters
    count as spaces, so that a needle never holds the GAP / END markers."""
    return "_".join(fold(needle).translate(_CONTROLS).split())


def _grams(f: str) -> str:
    """Space-separated overlapping trigrams of ``f``, built by extended-slice copies (C loops, no
    Python loop per gram): gram i is f[i:i+3], written as 3 characters and a space."""
    n = len(f) - 2
    if n <= 0:
        return ""
    if f.isascii():
        b = f.encode()
        out = bytearray(b" ") * (4 * n)
        out[0::4], out[1::4], out[2::4] = b[:-2], b[1:-1], b[2:]
        return out[:-1].decode()
    a = array("I")
    a.frombytes(f.encode("utf-32-le"))
    out = array("I", [32]) * (4 * n)
    out[0::4], out[1::4], out[2::4] = a[:-2], a[1:-1], a[2:]
    return out.tobytes().decode("utf-32-le")[:-1]


def trigram_text(values: list[str]) -> str:
    """Trigrams of the folded values (``tri`` analyzer input), spaces as '_'. Each value ends with
    END; values are separated by GAP: grams across a value boundary contain a control character,
    which no needle has (``_tri_form``), so a phrase of needle grams never spans two values."""
    return _grams(_SPACES.sub("_", fold((END + GAP).join([v[:TRI_MAX] for v in values]) + END)))


def trigram_texts(groups: list[list[str]]) -> list[str]:
    """``trigram_text`` of each group of (stripped) values of one document, in one pass: the groups
    are folded and cut into grams together (a handful of C calls per document instead of per value),
    then each group's grams are sliced out (every gram is 3 characters and a space)."""
    segs = [(END + GAP).join([v[:TRI_MAX] for v in vals]) + END for vals in groups]
    parts = _SPACES.sub("_", fold(_CODE_SEP.join(segs))).split(_CODE_SEP)
    if len(parts) != len(groups):   # a value holding the separator itself: one group at a time
        return [trigram_text(vals) for vals in groups]
    grams = _grams(_CODE_SEP.join(parts))
    out = []
    o = 0
    for p in parts:
        n = len(p)
        out.append(grams[4 * o:4 * (o + n - 2) - 1])
        o += n + 1
    return out


def trigrams(needle: str) -> list[str]:
    f = _tri_form(needle)
    return [f[i:i + 3] for i in range(len(f) - 2)]


_REGEX_META = set("\\.+*?()|[]{}^$#&-~")


def regex_escape(text: str) -> str:
    """Escapes the characters the Rust regex syntax treats as meta characters."""
    return "".join("\\" + c if c in _REGEX_META else c for c in text)


# ---- years ---------------------------------------------------------------------------------
_YEAR = re.compile(r"(?<!\d)(1\d{3}|20\d{2}|[5-9]\d{2})(?!\d)")
_CENTURY = re.compile(r"(?<![\w])(\d{1,2}|[IVXL]{1,6})\s*(?:e|è|eme|ème|er)\s+(?:si[eè]cle|s\.)", re.I)
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50}


def _roman(s: str) -> int:
    total, prev = 0, 0
    for ch in reversed(s.upper()):
        v = _ROMAN[ch]
        total = total - v if v < prev else total + v
        prev = max(prev, v)
    return total


def years(values: list[str]) -> list[int]:
    """Years mentioned in date / period values: "1850", "17e siècle" (→ 1600 and 1699), "XVe siècle"."""
    out: list[int] = []
    for v in values:
        if not isinstance(v, str):
            if isinstance(v, (int, float)) and 0 < v < 2200:
                out.append(int(v))
            continue
        out += [int(y) for y in _YEAR.findall(v)]
        for m in _CENTURY.finditer(v):
            c = m.group(1)
            n = int(c) if c.isdigit() else _roman(c)
            if 1 <= n <= 21:
                out += [(n - 1) * 100, (n - 1) * 100 + 99]
    return out


# ---- numbers and dates (expert comparisons) -----------------------------------------------
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ].*)?$")
_FR = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_NUM = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def date_bounds(value: str) -> tuple[int, int] | None:
    """A date as (first, last) YYYYMMDD integers: "2019" → (20190000, 20199999), "03/05/2019" → 20190503."""
    v = value.strip()
    m = _ISO.match(v)
    if m:
        y, mo, d = m.group(1), m.group(2), m.group(3)
        if d:
            n = int(y) * 10000 + int(mo) * 100 + int(d)
            return n, n
        if mo:
            return int(y) * 10000 + int(mo) * 100, int(y) * 10000 + int(mo) * 100 + 99
        return int(y) * 10000, int(y) * 10000 + 9999
    m = _FR.match(v)
    if m:
        n = int(m.group(3)) * 10000 + int(m.group(2)) * 100 + int(m.group(1))
        return n, n
    return None


def number(value: str) -> float | None:
    v = value.strip().replace("\u202f", "").replace(" ", "")
    if _NUM.match(v):
        return float(v.replace(",", "."))
    return None
