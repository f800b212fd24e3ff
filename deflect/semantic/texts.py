"""Which texts of an article the model embeds: its page-level fields and its sections.

An article is found by its best passage (the highest cosine to the query), so each passage should
say one thing: the title with the description, each front-matter question (customers' own words)
and each section, headed by the article's title and the section's heading. A section longer than
the model reads (256 word pieces) is cut into overlapping windows, so its end is not lost. A title
with no description is no passage of its own: it heads every section already, and alone, a short
title matched short queries too easily (benchmarks/README.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from deflect.ranking.documents import ArticleRecord

PAGE = -1  # the section index of page-level passages (title, description, questions)
WINDOW_WORDS = 150  # about 200 word pieces: inside the model's 256
WINDOW_STEP = 120


@dataclass(frozen=True)
class Passage:
    """One text to embed: `section` is the index of the article's section, or PAGE."""

    section: int
    text: str

    @property
    def key(self) -> str:
        """The text's hash: what the cache and the stored vectors are keyed by."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:32]


def _windows(text: str) -> list[str]:
    """The text in overlapping windows of WINDOW_WORDS words (one window when it is short)."""
    words = text.split()
    if len(words) <= WINDOW_WORDS:
        return [" ".join(words)]
    starts = range(0, len(words) - WINDOW_WORDS + WINDOW_STEP, WINDOW_STEP)
    return [" ".join(words[start : start + WINDOW_WORDS]) for start in starts]


def passages(record: ArticleRecord) -> list[Passage]:
    """The passages of one article, page-level first, then each section's windows."""
    title, description = record.title.strip(), record.description.strip()
    found = [Passage(PAGE, f"{title}. {description}")] if description else []
    found += [Passage(PAGE, question.strip()) for question in record.questions.splitlines() if question.strip()]
    for index, section in enumerate(record.sections):
        heading = f"{title}: {section.heading}" if section.heading else title
        found += [Passage(index, f"{heading}. {window}") for window in _windows(section.text) if window]
    return found
