"""What a search returns: the articles found, best first, and a correction of misspelled words."""

from __future__ import annotations

from dataclasses import dataclass, field


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
