"""The search's ranking weights and the title stemmer, chosen by measurement.

Every value here was measured on the sample knowledge base and on two real help centers the project
did not write (benchmarks/search_quality.py; the figures are in benchmarks/README.md). Values sit
on a plateau: neighbouring values score about the same. Plain Python, no Whoosh.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    """Field weights (a field at 0 is not searched), BM25 parameters and query-planning weights."""

    title: float = 0.75
    questions: float = 1.0
    tags: float = 1.0
    description: float = 1.0
    body: float = 1.0
    B: float = 0.75
    K1: float = 1.2
    title_B: float = 0.5
    synonym: float = 0.5  # of the typed words' weight
    correction: float = 0.9  # a corrected misspelling
    common: float = 0.5  # words in more than this share of articles rank but never select
    compound: float = 1.0  # two typed words searched as one ("chrome books" -> "chromebooks")
    candidates: int = 20  # articles the page query passes to section scoring
    section: float = 1.0  # weight of the best section's score, added to the page's
    section_K1: float = 1.2
    section_B: float = 0.75
    section_heading: float = 1.0  # a heading term counts this many times as a text term


def plural_stem(word: str) -> str:
    """Plural-only stemming for titles: 'passwords' -> 'password', 'address' stays."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word
