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


def _fold_table() -> dict:
    """Lower-cased Latin letters with diacritics (U+00C0–U+024F) and ligatures → ASCII."""
    table = {}
    for cp in range(0xC0, 0x250):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if base != ch and base.isascii():
            table[cp] = base.lower()
    table.update({ord("œ"): "oe", ord("Œ"): "oe", ord("æ"): "ae", ord("Æ"): "ae", ord("ß"): "ss",
                  ord("’"): "'", ord("ø"): "o", ord("Ø"): "o", ord("đ"): "d", ord("ł"): "l"})
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lower case, accents removed (Python side: trigrams, sort keys, facet value search).
    A translation table (C speed) rather than per-character Unicode decomposition: indexing folds
    every character of every value."""
    text = text.lower().translate(_FOLD)
    if not text.isascii():  # rare scripts / combining marks: the slow, complete path
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text


def trigram_text(values: list[str]) -> str:
    """Space-separated overlapping trigrams of the folded values (spaces inside a value become '_')."""
    parts = []
    for v in values:
        f = "_".join(fold(v.strip()[:TRI_MAX]).split()) + END
        parts.append(" ".join([f[i:i + 3] for i in range(len(f) - 2)]))
    return f" {GAP} ".join(parts)


def trigrams(needle: str) -> list[str]:
    f = "_".join(fold(needle.strip()).split())
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
