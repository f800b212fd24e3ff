"""Internal links between articles: every target page and `#anchor` must exist."""

from __future__ import annotations

import difflib
import os.path
import re
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from deflect.kb.problems import Problem
from deflect.kb.render import render_markdown
from deflect.kb.rendered_text import page_text

FENCE = re.compile(r"^[ \t]*(```|~~~)")
INLINE_CODE = re.compile(r"`[^`]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$")


def _text_lines(markdown: str):
    """Yield (line number, line) outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(markdown.splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def anchors(markdown: str) -> set[str]:
    """Return the ids a page has once rendered as the site renders it: the anchors of its headings,
    `{#id}` attribute lists, raw HTML ids (the same reading as the search index's sections)."""
    return set(page_text(render_markdown(markdown)).ids)


def links(markdown: str):
    """Yield (line number, target) of every Markdown link outside code."""
    for number, line in _text_lines(markdown):
        line = INLINE_CODE.sub("", line)
        for match in LINK.finditer(line):
            yield number, match.group(1)
        reference = REFERENCE.match(line)
        if reference:
            yield number, reference.group(1)


def check_links(docs_dir: Path, texts: dict[str, str]) -> list[Problem]:
    """Check every internal link of `texts` (docs-relative path -> Markdown body)."""
    problems = []
    heading_ids = {path: anchors(text) for path, text in texts.items()}
    for path, text in texts.items():
        for line, target in links(text):
            message = _broken(path, target, docs_dir, heading_ids)
            if message:
                problems.append(Problem(docs_dir / path, message, line))
    return problems


def _broken(path: str, target: str, docs_dir: Path, heading_ids: dict[str, set[str]]) -> str | None:
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith(("/", "mailto:")):
        return None
    link_path, anchor = unquote(parts.path), unquote(parts.fragment)
    if link_path:
        resolved = (PurePosixPath(path).parent / link_path).as_posix()
        resolved = str(PurePosixPath(*_normalise(resolved)))
        if resolved not in heading_ids and not (docs_dir / resolved).exists():
            close = difflib.get_close_matches(resolved, list(heading_ids), n=1)
            hint = f"did you mean `{_relative(path, close[0])}`?" if close else "check the file name"
            return f"broken link `{target}`: no page `{resolved}` in the docs; {hint}"
    else:
        resolved = path
    if anchor and resolved in heading_ids and anchor not in heading_ids[resolved]:
        close = difflib.get_close_matches(anchor, sorted(heading_ids[resolved]), n=1)
        hint = f"did you mean `#{close[0]}`?" if close else "link to a heading that exists"
        return f"broken anchor `{target}`: `{resolved}` has no heading `#{anchor}`; {hint}"
    return None


def _normalise(path: str) -> list[str]:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return parts


def _relative(from_path: str, to_path: str) -> str:
    """Return the relative link from one docs page to another."""
    return os.path.relpath(to_path, str(PurePosixPath(from_path).parent) or ".").replace("\\", "/")
