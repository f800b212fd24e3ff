"""An article turned into what the search index stores: page fields and sections.

Plain Python (no Whoosh): the search module feeds these records to its writer.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from deflect.kb.pages import Page
from deflect.kb.text import plain_text, split_sections
from deflect.ranking.words import WORD, fold

LEAD_WORDS = 50


@dataclass(frozen=True)
class SectionRecord:
    """One section of an article as indexed: `anchor` is None for the top of the page."""

    heading: str
    anchor: str | None
    text: str


@dataclass(frozen=True)
class ArticleRecord:
    """An article as indexed: its page-level fields and its sections."""

    path: str
    url: str
    title: str
    questions: str
    tags: str
    description: str
    sections: list[SectionRecord]
    lead: str = ""


def _meta_text(value) -> str:
    """Front-matter value (string or list of strings) as text, one item a line."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value if isinstance(v, (str, int, float)))
    return ""


def _sections(page: Page) -> list[SectionRecord]:
    """The page's sections; a heading that repeats the title is the top of the page."""
    records = []
    for section in split_sections(page.markdown):
        top = section.level <= 1 or section.anchor is None
        anchor = None if top else section.anchor
        heading = "" if top else section.heading
        if records and top and records[-1].anchor is None:
            merged = f"{records[-1].text}\n{section.text}".strip()
            records[-1] = SectionRecord("", None, merged)
        else:
            records.append(SectionRecord(heading, anchor, section.text))
    return records or [SectionRecord("", None, "")]


def _lead(sections: list[SectionRecord], words: int = LEAD_WORDS) -> str:
    """The first `words` words of the article's text."""
    text = " ".join(s.text for s in sections[:2])
    return " ".join(text.split()[:words])


def article_record(page: Page) -> ArticleRecord:
    """Return what the index stores for one page."""
    meta = page.meta or {}
    sections = _sections(page)
    return ArticleRecord(
        path=page.path,
        url=page.url,
        title=plain_text(page.title),
        questions=_meta_text(meta.get("questions")),
        tags=_meta_text(meta.get("tags")).replace("-", " "),
        description=_meta_text(meta.get("description")),
        sections=sections,
        lead=_lead(sections),
    )


def record_words(record: ArticleRecord) -> Counter:
    """The distinct folded words of an article, for the spelling vocabulary (one count per article)."""
    parts = [record.title, record.questions, record.tags, record.description]
    parts += [f"{s.heading}\n{s.text}" for s in record.sections]
    return Counter(set(WORD.findall(fold("\n".join(parts)))))
