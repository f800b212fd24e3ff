"""What a search returns: the articles found, best first, and a correction of misspelled words.

Also what a ranking hands to another (the lexical ranking's candidates, for fusion with the
semantic one) and how a candidate becomes the Result a customer sees: its best section's link
and snippet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from deflect.ranking.snippets import make_snippet

NO_SECTION = ("", None, "", " ", " ", 0)  # stands for the sections of an empty page


@dataclass(frozen=True)
class Result:
    """One article found: `url` has '#anchor' when one section answers best; `snippet` is safe HTML."""

    path: str
    title: str
    url: str
    score: float
    snippet: str
    section: str | None = None


@dataclass(frozen=True)
class SearchResponse:
    """The articles found for a query, best first, and a corrected query when words were misspelled."""

    query: str
    results: list[Result] = field(default_factory=list)
    did_you_mean: str | None = None


@dataclass(frozen=True)
class Candidate:
    """An article the lexical ranking found: its score (page + best section) and that section.

    `section` indexes the article's stored sections; `anchor` is None for the top of the page;
    `section_score` is 0 when no section has a word of the query (the page matched elsewhere).
    """

    path: str
    score: float
    section: int
    anchor: str | None
    heading: str
    data: dict = field(repr=False, compare=False, default_factory=dict)
    section_score: float = 0.0

    @classmethod
    def of(cls, path: str, data: dict, section: int, score: float, section_score: float = 0.0) -> Candidate | None:
        """An article (its stored data) with one of its sections; None when it has no such section."""
        sections = data["sections"] or [NO_SECTION]
        if not 0 <= section < len(sections):
            return None
        heading, anchor = sections[section][:2]
        return cls(path, score, section, anchor, heading, data, section_score)


@dataclass(frozen=True)
class LexicalRanking:
    """The lexical engine's candidates for a query, best first, with the terms to highlight."""

    query: str
    candidates: list[Candidate]
    highlight: frozenset[str]
    did_you_mean: str | None = None


def article_result(candidate: Candidate, score: float, matches: Callable[[str], str | None]) -> Result:
    """The Result of one candidate: title, URL (with its section's anchor), snippet from that section.

    `matches(word)` gives the highlighted term of a word of the text, or None.
    """
    data = candidate.data
    sections = data["sections"] or [NO_SECTION]
    heading, anchor, text = sections[candidate.section][:3]
    url, section = data["url"], None
    if anchor and len(sections) >= 3:
        url, section = f"{url}#{anchor}", heading
    if not text.strip():
        text = next((s[2] for s in sections[candidate.section :] if s[2].strip()), heading)
    return Result(candidate.path, data["title"], url, round(score, 4), make_snippet(text, matches), section)
