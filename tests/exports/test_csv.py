"""The CSV writer quotes exactly as the standard ``csv`` module does (QUOTE_MINIMAL), so that any CSV
reader gets every cell back: delimiters, quotes, line breaks, accents, spaces, formula-like text."""
from __future__ import annotations

import csv
import io

import pytest

from pop.exports.writers import csv_encoder

TRICKY = ["", "simple", "Nîmes, Gard", 'dit « le "Grand" »', "ligne 1\nligne 2", "retour\r", "\r\n",
          "a;b", " espaces ", '"', ",", "=SOMME(A1)", "œuvre d'Ève Lœb", "\t", "x" * 300, "1850", "43.16"]


def rows_of_tricky_cells() -> list[list[str]]:
    """Every tricky value in every column position, next to plain and empty cells."""
    n = len(TRICKY)
    return [[TRICKY[(i + j) % n] for j in range(n)] for i in range(n)] + [["plain"] * n, [""] * n]


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_csv_bytes_are_those_of_the_csv_module(delimiter):
    rows = rows_of_tricky_cells()
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    encode = csv_encoder(delimiter)
    assert encode(rows) == buf.getvalue().encode("utf-8")
    assert b"".join(encode(rows[i:i + 5]) for i in range(0, len(rows), 5)) == buf.getvalue().encode("utf-8")
    assert encode([]) == b""


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_csv_cells_read_back_unchanged(delimiter):
    rows = rows_of_tricky_cells()
    text = csv_encoder(delimiter)(rows).decode("utf-8")
    assert list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)) == rows
