"""Markdown (with raw HTML and template tags) turned into plain text, split into sections.

The search index needs the words a reader sees, not the markup: this module strips Markdown
syntax, HTML tags and comments, `{% ... %}` template tags and `{: ...}` attribute lists, decodes
HTML entities, and splits a page at its headings into sections with the anchors MkDocs publishes
(the `toc` extension's slugs, deduplicated the same way).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from markdown.extensions.toc import slugify, unique

FENCE = re.compile(r"^[ \t]*(```|~~~)")
ATX_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
HEADING_ID = re.compile(r"\{[:\s]*#([\w-]+)[^}]*\}\s*$")
SETEXT_UNDERLINE = re.compile(r"^(=+|-+)[ \t]*$")

_CLEANUPS = [
    (re.compile(r"<!--.*?-->", re.DOTALL), " "),
    (re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.DOTALL), " "),
    (re.compile(r"\{:?[ \t]*[.#][^}\n]*\}"), " "),
    (re.compile(r"<(script|style)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE), " "),
    (re.compile(r"<[A-Za-z/!][^>]*>"), " "),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\((?:[^()]|\([^)]*\))*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"^[ \t]*\[[^\]]+\]:[ \t]*\S+.*$", re.MULTILINE), " "),
    (re.compile(r"^[ \t]*(?:!!!|\?\?\?\+?)[ \t]*[\w-]+(?:[ \t]+\"([^\"]*)\")?", re.MULTILINE), r"\1"),
    (re.compile(r"^[ \t]*===[ \t]*\"([^\"]*)\"", re.MULTILINE), r"\1"),
    (re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$", re.MULTILINE), " "),
    (re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+", re.MULTILINE), ""),
    (re.compile(r"^[ \t]*>[ \t]?", re.MULTILINE), ""),
    (re.compile(r"(\*\*|__|~~|\*(?=\S)|(?<=\S)\*)"), ""),
    (re.compile(r"[ \t]*\|[ \t]*"), " | "),
]
CODE = re.compile(r"(^[ \t]*(?:```|~~~)[^\n]*\n.*?^[ \t]*(?:```|~~~)[ \t]*$|`+[^`\n]+?`+)", re.DOTALL | re.MULTILINE)
FENCE_LINE = re.compile(r"^[ \t]*(?:```|~~~)[^\n]*$", re.MULTILINE)
SPACES = re.compile(r"[ \t\r\f\v]+")
BLANK_LINES = re.compile(r"\n\s*\n+")


@dataclass(frozen=True)
class Section:
    """A part of a page under one heading: `anchor` is None for the text before the first heading."""

    heading: str
    anchor: str | None
    level: int
    text: str


def _prose(text: str) -> str:
    """Readable text of Markdown outside code: markup, tags and comments removed, entities decoded."""
    for pattern, replacement in _CLEANUPS:
        text = pattern.sub(replacement, text)
    return html.unescape(text)


def _code(text: str) -> str:
    """Code is shown as written (`<script>` is text there): only the fences and backticks go."""
    return FENCE_LINE.sub(" ", text).strip("`")


def plain_text(markup: str) -> str:
    """Return the readable text of Markdown that may contain raw HTML, entities and template tags."""
    parts = CODE.split(markup)
    text = "".join(_code(part) if i % 2 else _prose(part) for i, part in enumerate(parts))
    text = text.replace("\u00a0", " ")
    text = SPACES.sub(" ", text)
    return BLANK_LINES.sub("\n", text).strip()


def heading_anchor(heading: str, used: set[str]) -> tuple[str, str]:
    """Return (heading text, anchor) as the toc extension publishes them; records the anchor in `used`."""
    custom = HEADING_ID.search(heading)
    text = plain_text(HEADING_ID.sub("", heading) if custom else heading)
    anchor = custom.group(1) if custom else slugify(text, "-")
    return text, unique(anchor, used)


def _heading(lines: list[str], i: int, in_fence: bool) -> tuple[int, str] | None:
    """Return (level, raw heading) when line i starts a heading (ATX or setext) outside code."""
    if in_fence:
        return None
    match = ATX_HEADING.match(lines[i])
    if match:
        return len(match.group(1)), match.group(2)
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    underlined = (
        lines[i].strip() and not lines[i].startswith((" ", "\t", "|", "-", "*")) and SETEXT_UNDERLINE.match(nxt)
    )
    if underlined and (i == 0 or not lines[i - 1].strip()):
        return (1 if nxt.startswith("=") else 2), lines[i].strip()
    return None


def split_sections(markdown_text: str) -> list[Section]:
    """Split a page body at its headings; the text before the first heading is a section too."""
    used: set[str] = set()
    sections, heading, anchor, level, buffer = [], "", None, 0, []
    lines = markdown_text.splitlines()
    in_fence, skip = False, False
    for i, line in enumerate(lines):
        if skip:
            skip = False
            continue
        found = _heading(lines, i, in_fence)
        if FENCE.match(line):
            in_fence = not in_fence
        if found is None:
            buffer.append(line)
            continue
        sections.append(Section(heading, anchor, level, plain_text("\n".join(buffer))))
        level, raw = found
        heading, anchor = heading_anchor(raw, used)
        buffer, skip = [], not ATX_HEADING.match(line)
    sections.append(Section(heading, anchor, level, plain_text("\n".join(buffer))))
    return [s for s in sections if s.heading or s.text]
