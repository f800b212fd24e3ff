"""The candidate articles of a query scored from what the index stores for them (plain Python).

The page query finds a few dozen candidate articles; only those are scored here, so the cost does
not grow with the knowledge base:

- their sections, each by BM25: a long page (a hub page, an FAQ with many questions) holds the
  answer in one section, which scoring the page as a whole dilutes; the best section's score is
  added to the page's;
- the query's common words (found in most articles), which rank but never select: BM25 in each
  field, as the index would score them, without reading their long posting lists.

Stored terms are the index's own (analysed) terms, space-separated with a space at each end, so a
term's frequency is one `str.count`. A stored section is (heading, anchor, text, heading terms,
text terms, length in terms).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from deflect.ranking.results import NO_SECTION, Candidate
from deflect.ranking.tuning import Tuning


@dataclass(frozen=True)
class SectionStats:
    """How many sections the index holds and their total length in terms (for BM25's average)."""

    sections: int = 0
    length: int = 0

    @property
    def average(self) -> float:
        """The average section length in terms (1 for an empty index)."""
        return self.length / self.sections if self.sections else 1.0

    def plus(self, sections: list, sign: int = 1) -> SectionStats:
        """These statistics with `sections` (stored tuples) added, or removed when `sign` is -1."""
        return SectionStats(self.sections + sign * len(sections), self.length + sign * sum(s[5] for s in sections))


@dataclass(frozen=True)
class FieldTerm:
    """A common query word's term in one field: its weight (field x query weight) and the field's
    idf and average length, as the index computes them."""

    field: str
    term: str
    weight: float
    idf: float
    average: float
    B: float


@dataclass(frozen=True)
class QueryPart:
    """One subquery of a plan: how many articles may match it, the engine's query, its words and weight."""

    frequency: int
    query: object
    words: tuple[str, ...]
    weight: float


@dataclass
class QueryParts:
    """A query's parts and the weight of each body term (query weight x idf, the highest when a
    term repeats), which scores the sections. A part matching more than `common` of the articles
    only ranks the candidates the others select (when every part is that common, the rarest selects)."""

    doc_count: int
    common: float
    parts: list[QueryPart] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)

    def add(self, part: QueryPart, terms: list[tuple[str, int]]) -> None:
        """Add a part, with the body term and document frequency of each of its words."""
        self.parts.append(part)
        for term, df in terms:
            weight = part.weight * idf(df, self.doc_count)
            self.weights[term] = max(weight, self.weights.get(term, 0.0))

    def split(self) -> tuple[list[QueryPart], list[QueryPart]]:
        """(selecting, ranking-only) parts."""
        limit = self.common * self.doc_count
        ranking = sorted((p for p in self.parts if p.frequency > limit), key=lambda p: p.frequency)
        selecting = [p for p in self.parts if p.frequency <= limit] or ranking[:1]
        return selecting, [p for p in ranking if p not in selecting]


def idf(doc_frequency: int, doc_count: int) -> float:
    """BM25's inverse document frequency (always positive: a word in most articles weighs little)."""
    return math.log(1 + (doc_count - doc_frequency + 0.5) / (doc_frequency + 0.5))


def packed_terms(terms: list[str]) -> str:
    """Terms as stored for counting: space-separated, with a space at each end."""
    return f" {' '.join(terms)} " if terms else " "


def bm25(tf: float, length: float, average: float, K1: float, B: float) -> float:
    """BM25's term-frequency part (times idf and weight makes a term's score)."""
    return tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))


def needles(weights: dict[str, float]) -> list[tuple[str, float]]:
    """Query terms {term: weight x idf} as (what to count in packed terms, weight)."""
    return [(f" {term} ", weight) for term, weight in weights.items()]


def section_score(section, terms: list[tuple[str, float]], average: float, tuning: Tuning) -> float:
    """BM25 of one stored section for the query's `needles`."""
    _, _, _, heading, text, length = section
    score = 0.0
    for needle, weight in terms:
        tf = text.count(needle) + tuning.section_heading * heading.count(needle)
        if tf:
            score += weight * bm25(tf, length, average, tuning.section_K1, tuning.section_B)
    return score


def best_section(
    sections: list, terms: list[tuple[str, float]], stats: SectionStats, tuning: Tuning
) -> tuple[int, float]:
    """Index and score of the section that answers best for the query's `needles` (the first one
    when none matches)."""
    best, best_score = 0, 0.0
    for i, section in enumerate(sections):
        score = section_score(section, terms, stats.average, tuning)
        if score > best_score:
            best, best_score = i, score
    return best, best_score


def _field_tf(data: dict, field: str, term: str) -> tuple[int, int]:
    """(frequency of a term, length) of one stored field; the body is the sections together."""
    needle = f" {term} "
    if field == "body":
        sections = data["sections"]
        return sum(s[3].count(needle) + s[4].count(needle) for s in sections), sum(s[5] for s in sections)
    packed = data["fields"][field]
    return packed.count(needle), packed.count(" ") - 1


def optional_score(data: dict, terms: list[FieldTerm], K1: float) -> float:
    """The score the common words add to an article: BM25 in each field that has them."""
    score = 0.0
    for term in terms:
        tf, length = _field_tf(data, term.field, term.term)
        if tf:
            score += term.weight * term.idf * bm25(tf, length, term.average, K1, term.B)
    return score


def scored(
    path: str, page_score: float, data: dict, terms, optional: list[FieldTerm], stats: SectionStats, tuning: Tuning
) -> Candidate:
    """A candidate scored in full: its page score (the engine's), its common words' and its best
    section's, from its stored `data`; the Candidate has that section."""
    index, section_score = best_section(data["sections"] or [NO_SECTION], terms, stats, tuning)
    score = page_score + optional_score(data, optional, tuning.K1) + tuning.section * section_score
    return Candidate.of(path, data, index, score, section_score)
