"""The words a reader sees on a rendered page, split into its sections (MkDocs' search does the same).

Input: a page's HTML and table of contents (`kb.render.Rendered`). Output: the text before the
first heading, then one section per heading of the table of contents (its title and anchor), and
one section per top-level `<details>` block (a FAQ question: its `<summary>` is the heading, its
anchor is its own id or the heading it is under). Scripts, styles and the headings' permalink
signs are not text; `{% ... %}` / `{{ ... }}` template tags and `{: ...}` attribute lists left
in the prose of a foreign corpus are removed (code keeps them: there they are what was written).
Markdown the renderer left as written (a table not set off by a blank line, Markdown inside a raw
HTML block) is read as the words it stands for: a table's rule rows and pipes, `**` and backticks,
and the braces and pipes of another dialect's `{macro|argument}` are not text, so snippets are
clean; the words stay, so the indexed terms are the same.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from deflect.kb.render import Rendered

HEADINGS = {f"h{n}": n for n in range(1, 7)}
SKIPPED = {"script", "style", "template"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
CODE = {"code", "pre", "kbd", "samp"}
INLINE = {
    "a",
    "abbr",
    "b",
    "bdi",
    "cite",
    "code",
    "del",
    "dfn",
    "em",
    "i",
    "ins",
    "kbd",
    "mark",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "time",
    "u",
    "var",
}
# One line at most: an unclosed "{{" in a foreign page must not swallow the text after it.
TEMPLATE_SYNTAX = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{:?[ \t]*[.#][^{}\n]*\}|\{:[^{}\n]*\}")
TABLE_RULE = re.compile(r"^[ \t]*(?=[|:\- \t]*\|)(?=[|: \t]*-{3})[|:\- \t]+$", re.MULTILINE)
MACRO = re.compile(r"\{([A-Za-z_][\w.-]*\|[^{}\n]*)\}")  # {tab|via-settings}: its words
MARKERS = re.compile(r"\*\*|`")
WORDS = re.compile(r"\w+")
SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
BLANK_LINES = re.compile(r"\s*\n\s*")


@dataclass(frozen=True)
class TextSection:
    """A part of a page: `anchor` is None for the text before the first heading."""

    heading: str
    anchor: str | None
    level: int
    text: str


@dataclass(frozen=True)
class PageText:
    """A rendered page's sections, the first `<h1>` (None when it has none), every id it has, and how
    many of its words are link text (a landing page is mostly links)."""

    sections: list[TextSection]
    first_h1: str | None
    ids: frozenset[str]
    link_words: int = 0  # words of the page's text inside links

    @property
    def words(self) -> int:
        """How many words the page's sections hold (headings not counted)."""
        return sum(len(WORDS.findall(section.text)) for section in self.sections)


def clean_prose(text: str) -> str:
    """Remove template tags and attribute lists from prose; collapse spaces and blank lines."""
    return _spaces(_prose(text))


def _prose(text: str) -> str:
    """Prose without template syntax and without the Markdown a renderer left as written."""
    text = MACRO.sub(lambda m: f" {m.group(1).replace('|', ' ')} ", TEMPLATE_SYNTAX.sub(" ", text))
    return MARKERS.sub("", _without_tables(text))


def _without_tables(text: str) -> str:
    """A Markdown table left as written, as a rendered table reads: its cells, a line each.

    A row is a line that starts with a pipe, or any line with a pipe in a text that has a rule
    row (`| --- | --- |`, or `--- | ---` in a table without outer pipes); rule rows are dropped.
    """
    if "|" not in text:
        return text
    has_rule = TABLE_RULE.search(text) is not None
    lines = []
    for line in text.split("\n"):
        if has_rule and TABLE_RULE.fullmatch(line):
            continue
        if "|" in line and (has_rule or line.lstrip().startswith("|")):
            line = line.replace("|", "\n")
        lines.append(line)
    return "\n".join(lines)


@dataclass
class _Open:
    """The section being read: heading, anchor, level and its text chunks (text, is_code)."""

    heading: str = ""
    anchor: str | None = None
    level: int = 0
    chunks: list[tuple[str, bool]] = field(default_factory=list)
    continued: bool = False  # the rest of a section after a <details> block: kept only with text

    def text(self) -> str:
        """The section's text: template syntax removed from prose, code kept as written."""
        parts = [chunk if is_code else _prose(chunk) for chunk, is_code in _runs(self.chunks)]
        return _spaces("".join(parts))


def _runs(chunks: list[tuple[str, bool]]):
    """Join adjacent chunks of the same kind, so a template tag split across chunks is whole."""
    run, kind = [], None
    for chunk, is_code in chunks:
        if is_code != kind and run:
            yield "".join(run), kind
            run = []
        run.append(chunk)
        kind = is_code
    if run:
        yield "".join(run), kind


def _spaces(text: str) -> str:
    """Collapse runs of spaces and of blank lines."""
    return BLANK_LINES.sub("\n", SPACES.sub(" ", text)).strip()


class _SectionParser(HTMLParser):
    """Splits a page's HTML at the headings of its table of contents and its `<details>` blocks."""

    def __init__(self, toc):
        super().__init__(convert_charrefs=True)
        self.titles = {entry.anchor: entry.title for entry in toc}
        self.sections: list[TextSection] = []
        self.ids: set[str] = set()
        self.first_h1: str | None = None
        self.current = self.under = _Open()  # `under`: the heading a <details> block is under
        self.heading: _Open | None = None  # a heading being read
        self.summary: _Open | None = None  # a <summary> being read
        self.skipping = self.code = self.details = self.link = self.link_words = 0

    def _close(self) -> None:
        text, current = self.current.text(), self.current
        if text or (current.heading and not current.continued):
            self.sections.append(TextSection(current.heading, current.anchor, current.level, text))

    def _open(self, section: _Open) -> None:
        self._close()
        self.current = section

    def _add(self, text: str) -> None:
        target = self.summary or self.heading or self.current
        target.chunks.append((text, self.code > 0))

    def _skips(self, tag: str, attributes: dict) -> bool:
        return tag in SKIPPED or (tag == "a" and "headerlink" in (attributes.get("class") or "").split())

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if self.skipping or self._skips(tag, attributes):
            self.skipping += tag not in VOID
            return
        if tag in HEADINGS and attributes.get("id") in self.titles and not self.details:
            self.heading = _Open(self.titles[attributes["id"]], attributes["id"], HEADINGS[tag])
        elif tag == "details":
            self._start_details(attributes.get("id"))
        elif tag == "summary" and self.details == 1:
            self.summary = _Open()
        elif tag == "img" and attributes.get("alt"):
            self._add(f" {attributes['alt']} ")
        self.code += tag in CODE and tag not in VOID
        self.link += tag == "a"
        if tag not in INLINE:
            self._add("\n")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.skipping:
            self.skipping -= 1
            return
        self.code -= tag in CODE and self.code > 0
        self.link -= tag == "a" and self.link > 0
        if tag not in INLINE:
            self._add("\n")
        if tag in HEADINGS and self.heading is not None:
            self._end_heading(HEADINGS[tag])
        elif tag == "summary" and self.summary is not None:
            self.current.heading, self.summary = self.summary.text(), None
        elif tag == "details" and self.details:
            self._end_details()

    def handle_data(self, data):
        if not self.skipping:
            self._add(data)
            if self.link and not (self.heading or self.summary):
                self.link_words += len(WORDS.findall(data))

    def _end_heading(self, level: int) -> None:
        heading, self.heading = self.heading, None
        text = heading.text() or clean_prose(heading.heading)
        if level == 1 and self.first_h1 is None:
            self.first_h1 = text
        self._open(_Open(text, heading.anchor, level))
        self.under = _Open(text, heading.anchor, level)

    def _start_details(self, anchor: str | None) -> None:
        self.details += 1
        if self.details == 1:
            self._open(_Open("", anchor or self.under.anchor, self.under.level + 1))

    def _end_details(self) -> None:
        self.details -= 1
        if self.details == 0:
            self._open(_Open(self.under.heading, self.under.anchor, self.under.level, continued=True))


def page_text(rendered: Rendered) -> PageText:
    """The sections, first `<h1>` and ids of a rendered page."""
    parser = _SectionParser(rendered.toc)
    parser.feed(rendered.html)
    parser.close()
    parser._close()
    return PageText(parser.sections, parser.first_h1, frozenset(parser.ids), parser.link_words)


def plain_text(fragment: str) -> str:
    """The readable text of a small HTML or plain-text fragment (a title): entities decoded."""
    return clean_prose(re.sub(r"<[A-Za-z/!][^>]*>", " ", html.unescape(fragment)))
