"""The search's ranking weights and the title stemmer, chosen by measurement.

Every value here was measured on the sample knowledge base and on a real help center the project
did not write (benchmarks/search_quality.py; the figures are in benchmarks/README.md). Values sit
on a plateau: neighbouring values score about the same. Plain Python, no Whoosh.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    """Field weights (a field at 0 is not searched), BM25F parameters and query-planning weights."""

    title: float = 0.75
    questions: float = 1.0
    tags: float = 1.0
    description: float = 1.0
    body: float = 1.0
    lead: float = 0.4  # the first words of the article
    B: float = 0.75
    K1: float = 1.2
    title_B: float = 0.5
    coordination: float = 0.0
    synonym: float = 0.5  # of the typed words' weight
    correction: float = 0.9  # a corrected misspelling
    common: float = 0.5  # words in more than this share of articles are left out
    compound: float = 1.0  # two typed words searched as one ("chrome books" -> "chromebooks")


def plural_stem(word: str) -> str:
    """Plural-only stemming for titles: 'passwords' -> 'password', 'address' stays."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


# From this many articles a full build analyses in two processes and keeps their two segments:
# half the build time, but queries cost about 1.5x more (benchmarks/README.md), so smaller
# knowledge bases, which build in seconds anyway, keep one process and one segment.
PARALLEL_BUILD = 5000


def writer_options(n_pages: int) -> dict:
    """Writer options for a full build: two processes and two segments for large builds."""
    procs = min(2, os.cpu_count() or 1)
    if n_pages < PARALLEL_BUILD or procs < 2:
        return {}
    return dict(procs=procs, multisegment=True)
