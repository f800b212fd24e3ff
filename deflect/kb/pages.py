"""Markdown pages as the site publishes them: path, URL, title, front matter and text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from deflect.kb.problems import InvalidFile
from deflect.kb.render import Rendered
from deflect.kb.yaml_source import YamlSource

FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?(?:---|\.\.\.)[ \t]*\r?\n?", re.DOTALL)
FIRST_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


@dataclass(frozen=True)
class Page:
    """One article: `path` relative to the docs folder (forward slashes), `url` as published.

    `rendered` is the HTML and table of contents MkDocs produced (`deflect build`); None for a page
    read from a folder, which the search index renders itself (`kb.render.render_markdown`).
    """

    path: str
    url: str
    title: str
    markdown: str
    meta: dict = field(default_factory=dict)
    rendered: Rendered | None = None


def is_article(meta: dict) -> bool:
    """An article is any page not excluded from search (`search: {exclude: true}`)."""
    search = meta.get("search")
    return not (isinstance(search, dict) and search.get("exclude") is True)


def split_front_matter(text: str) -> tuple[dict, str]:
    """Return (front matter, body); a page without valid front matter has an empty mapping."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = YamlSource.parse(match.group(1) or "", "front matter", first_line=2).data or {}
    except InvalidFile:
        return {}, text
    if not isinstance(meta, dict):
        return {}, text
    return meta, text[match.end() :]


def body_on_file_lines(text: str) -> str:
    """The page's Markdown body with its front matter replaced by as many empty lines, so that a line
    number found in the body is the line in the file, as a writer's editor shows it."""
    meta, body = split_front_matter(text)
    front = text[: len(text) - len(body)] if meta else ""
    return "\n" * front.count("\n") + body


def page_url(path: str) -> str:
    """Return the URL MkDocs publishes for a docs-relative path (`use_directory_urls: true`)."""
    posix = PurePosixPath(path)
    if posix.stem in ("index", "README"):
        parent = str(posix.parent)
        return "" if parent == "." else parent + "/"
    parent = "" if str(posix.parent) == "." else f"{posix.parent}/"
    return f"{parent}{posix.stem}/"


def page_title(meta: dict, body: str, path: str) -> str:
    """Title from front matter `title`, else the first `# ` heading, else the file name."""
    title = meta.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    match = FIRST_HEADING.search(body)
    if match:
        return match.group(1).strip()
    stem = PurePosixPath(path).stem
    if stem in ("index", "README") and str(PurePosixPath(path).parent) != ".":
        stem = PurePosixPath(path).parent.name
    return stem.replace("-", " ").replace("_", " ").strip().capitalize()


def read_page(docs_dir: Path, file: Path) -> Page:
    """Read one Markdown file of a docs folder; front matter is optional."""
    path = file.relative_to(docs_dir).as_posix()
    text = file.read_text(encoding="utf-8", errors="replace")
    meta, body = split_front_matter(text)
    return Page(path=path, url=page_url(path), title=page_title(meta, body, path), markdown=body, meta=meta)


def read_folder(docs_dir: str | Path) -> list[Page]:
    """Read every Markdown file under `docs_dir`, in sorted path order."""
    docs_dir = Path(docs_dir)
    files = sorted(p for p in docs_dir.rglob("*") if p.suffix.lower() in (".md", ".markdown") and p.is_file())
    return [read_page(docs_dir, file) for file in files]
