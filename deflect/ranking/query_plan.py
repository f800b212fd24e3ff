"""A customer's query turned into weighted words, before any index is asked (plain Python).

Filler words are dropped (`words`), words the index does not know are corrected
(`spelling`), two typed words the articles write as one are joined (`compounds`), and the
writers' synonyms add alternatives. The search module turns the plan into index queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from deflect.ranking.compounds import joined_pairs
from deflect.ranking.spelling import Speller
from deflect.ranking.synonyms import Synonyms
from deflect.ranking.tuning import Tuning
from deflect.ranking.words import content_words, query_words


@dataclass(frozen=True)
class Word:
    """One word to search for, at a weight (a correction or a joined compound weighs less)."""

    text: str
    weight: float


@dataclass(frozen=True)
class Alternatives:
    """A synonym term of the query: any of these phrases (every word of a phrase), at a weight."""

    phrases: tuple[tuple[str, ...], ...]
    weight: float


@dataclass
class QueryPlan:
    """What to search for: the typed words (corrected, joined), synonyms, and a correction to offer."""

    words: list[Word] = field(default_factory=list)
    alternatives: list[Alternatives] = field(default_factory=list)
    did_you_mean: str | None = None


def _corrections(words: list[str], known: Callable[[str], bool], speller: Speller) -> dict[str, str]:
    """Corrections for the words the index does not know."""
    found = {}
    for word in words:
        if not known(word):
            correction = speller.correct(word)
            if correction:
                found[word] = correction
    return found


def plan_query(
    query: str, known: Callable[[str], bool], speller: Speller, synonyms: Synonyms, tuning: Tuning
) -> QueryPlan:
    """Drop filler words, correct unknown words, join words typed apart, add synonyms."""
    words = query_words(query)
    content = content_words(words)
    corrections = _corrections(content, known, speller)
    plan = QueryPlan([Word(corrections.get(w, w), tuning.correction if w in corrections else 1.0) for w in content])
    if tuning.compound:
        plan.words += [Word(w, tuning.compound) for w in joined_pairs(words, speller.vocabulary)]
    corrected = [corrections.get(w, w) for w in words]
    for _, _, phrases in synonyms.alternatives(corrected):
        kept = tuple(tuple(content_words(list(p))) for p in phrases)
        plan.alternatives.append(Alternatives(tuple(p for p in kept if p), tuning.synonym))
    plan.did_you_mean = " ".join(corrected) if corrections else None
    return plan
