"""An article turned into what the search index stores: page fields and sections.

The text is what the site shows: the page's rendered HTML and table of contents (MkDocs' own for
`deflect build`, Python-Markdown with the site's extensions otherwise), read by `kb.rendered_text`.
Plain Python (no Whoosh): the search module passes its analyser (text -> indexed terms) and feeds
the stored articles to its writer. A stored section is (heading, anchor, text, heading terms,
text terms, length in terms), the terms packed for counting (`candidate_scoring.packed_terms`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from deflect.kb.pages import Page, is_article
from deflect.kb.render import render_markdown
from deflect.kb.rendered_text import PageText, page_text, plain_text
from deflect.ranking.candidate_scoring import packed_terms
from deflect.ranking.words import WORD, fold

PAGE_FIELDS = ("title", "questions", "tags", "description")
INDEX_PAGES = ("index", "README")  # a folder's landing page, as MkDocs publishes it
OWN_WORDS = 20  # a folder's index page with fewer words outside its links is a landing page


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

    @property
    def body(self) -> str:
        """Every word the page shows under its title: headings and text, in page order."""
        return "\n".join(f"{s.heading}\n{s.text}" if s.heading else s.text for s in self.sections)


def _meta_text(value) -> str:
    """Front-matter value (string or list of strings) as text, one item a line."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value if isinstance(v, (str, int, float)))
    return ""


def _sections(text: PageText) -> list[SectionRecord]:
    """The page's sections; the top of the page (and a heading that is its title) has no anchor."""
    top = {s.anchor for s in text.sections if s.level <= 1}
    records: list[SectionRecord] = []
    for section in text.sections:
        anchor = None if section.anchor in top else section.anchor
        heading = "" if section.level <= 1 else section.heading
        if records and not heading and anchor is None and records[-1].anchor is None and not records[-1].heading:
            records[-1] = SectionRecord("", None, f"{records[-1].text}\n{section.text}".strip())
        else:
            records.append(SectionRecord(heading, anchor, section.text))
    return records or [SectionRecord("", None, "")]


def rendered_page_text(page: Page) -> PageText:
    """The page's text as the site shows it (MkDocs' HTML, else the page rendered here)."""
    return page_text(page.rendered or render_markdown(page.markdown, page.path))


def _title(page: Page, text: PageText) -> str:
    """MkDocs' title for a built page; else front matter `title`, the first `<h1>`, the file name."""
    title = (page.meta or {}).get("title")
    if page.rendered is None and not (isinstance(title, str) and title.strip()) and text.first_h1:
        return text.first_h1
    return plain_text(page.title)


def is_landing_page(path: str, text: PageText) -> bool:
    """Whether a page is a landing page, never suggested as an article: the home page (the docs
    folder's own index.md or README.md) or a folder's index page that is mostly a list of links
    (fewer words outside its links than in them, or under OWN_WORDS)."""
    posix = PurePosixPath(path)
    if posix.stem not in INDEX_PAGES:
        return False
    own = text.words - text.link_words
    return str(posix.parent) == "." or own < OWN_WORDS or own < text.link_words


def is_suggested(page: Page) -> bool:
    """Whether search suggests this page: an article (not excluded from search) and no landing page.
    Only a folder's index page is read for that (the others cannot be landing pages)."""
    if not is_article(page.meta or {}):
        return False
    return PurePosixPath(page.path).stem not in INDEX_PAGES or not is_landing_page(page.path, rendered_page_text(page))


def article_record(page: Page, text: PageText | None = None) -> ArticleRecord:
    """Return what the index stores for one page (`text`: its rendered text, when read already)."""
    meta = page.meta or {}
    text = text or rendered_page_text(page)
    return ArticleRecord(
        path=page.path,
        url=page.url,
        title=_title(page, text),
        questions=_meta_text(meta.get("questions")),
        tags=_meta_text(meta.get("tags")).replace("-", " "),
        description=_meta_text(meta.get("description")),
        sections=_sections(text),
    )


def record_words(record: ArticleRecord) -> Counter:
    """The distinct folded words of an article, for the spelling vocabulary (one count per article)."""
    parts = [record.title, record.questions, record.tags, record.description, record.body]
    return Counter(set(WORD.findall(fold("\n".join(parts)))))


@dataclass(frozen=True)
class StoredArticle:
    """One article ready for the index: the engine's document (each field as its analysed terms,
    space-separated, and the stored data), its spelling words and its record."""

    document: dict
    words: dict[str, int]
    record: ArticleRecord


def stored_sections(record: ArticleRecord, analyse: Callable[..., list[str]]) -> list[tuple]:
    """The sections as stored: heading, anchor, text, heading terms, text terms, length in terms."""
    stored = []
    for section in record.sections:
        heading, text = analyse(section.heading), analyse(section.text)
        terms = (packed_terms(heading), packed_terms(text), len(heading) + len(text))
        stored.append((section.heading, section.anchor, section.text, *terms))
    return stored


def stored_article(page: Page, analyse: Callable[..., list[str]]) -> StoredArticle | None:
    """What the index stores for one page; None for a page left out of search (front matter
    `search: {exclude: true}`) and for a landing page (`is_landing_page`).

    `analyse(text, light=False)` gives a text's indexed terms (`light`: the title's analysis).
    """
    if not is_article(page.meta or {}):
        return None
    text = rendered_page_text(page)
    if is_landing_page(page.path, text):
        return None
    record = article_record(page, text)
    sections = stored_sections(record, analyse)
    packed = {name: packed_terms(analyse(getattr(record, name), name == "title")) for name in PAGE_FIELDS}
    fields = {name: terms.strip() for name, terms in packed.items()}
    fields["body"] = " ".join(f"{s[3].strip()} {s[4].strip()}".strip() for s in sections)
    data = dict(title=record.title, url=record.url, sections=sections, fields=packed)
    return StoredArticle(dict(path=record.path, data=data, **fields), dict(record_words(record)), record)
