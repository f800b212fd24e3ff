"""Markdown rendered the way the site renders it: HTML and a table of contents with MkDocs' anchors.

`deflect build` gets both from MkDocs itself (`page.content`, `page.toc`, see `deflect/site/hooks.py`);
`deflect index --docs DIR` has no mkdocs.yml, so it renders each page here with Python-Markdown and
the core extensions the site uses (`SITE_EXTENSIONS`, the ones in the project's mkdocs.yml). Either
way the search documents are extracted from the HTML by `rendered_text`, one extractor for both.
"""

from __future__ import annotations

import html
import importlib.util
import logging
import threading
from dataclasses import dataclass

import markdown

log = logging.getLogger(__name__)

# The site's Markdown extensions (mkdocs.yml `markdown_extensions`, plus MkDocs' own `toc` and
# `tables`); a test keeps this list equal to mkdocs.yml's.
SITE_EXTENSIONS = (
    "admonition",
    "attr_list",
    "def_list",
    "md_in_html",
    "tables",
    "toc",
    "pymdownx.details",
    "pymdownx.superfences",
    "pymdownx.tabbed",
)
EXTENSION_CONFIGS = {"toc": {"permalink": True}, "pymdownx.tabbed": {"alternate_style": True}}


@dataclass(frozen=True)
class TocEntry:
    """One heading of a page's table of contents: `title` is plain text, `anchor` its id."""

    level: int
    anchor: str
    title: str


@dataclass(frozen=True)
class Rendered:
    """A page as the site shows it: its HTML and its table of contents, in page order."""

    html: str
    toc: tuple[TocEntry, ...]


def _available(name: str) -> bool:
    """Whether an extension can be loaded (the pymdownx ones come with Material for MkDocs)."""
    module = name if "." in name else f"markdown.extensions.{name}"
    return importlib.util.find_spec(module.split(".")[0]) is not None


def _extensions() -> list[str]:
    """The site's extensions that are installed; `fenced_code` when superfences is not."""
    names = [name for name in SITE_EXTENSIONS if _available(name)]
    return names if "pymdownx.superfences" in names else [*names, "fenced_code"]


_local = threading.local()


def _converter() -> markdown.Markdown:
    """This thread's Markdown converter (a converter is reused, never shared between threads)."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        configs = {name: config for name, config in EXTENSION_CONFIGS.items() if name in _extensions()}
        converter = _local.converter = markdown.Markdown(extensions=_extensions(), extension_configs=configs)
    return converter


def flatten_toc(tokens, title_of, children_of) -> tuple[TocEntry, ...]:
    """A nested table of contents as a flat tuple in page order (titles unescaped to plain text)."""
    entries = []
    for token in tokens:
        level, anchor, title = title_of(token)
        entries.append(TocEntry(level, anchor, html.unescape(title)))
        entries.extend(flatten_toc(children_of(token), title_of, children_of))
    return tuple(entries)


def render_markdown(text: str, name: str = "a page") -> Rendered:
    """Render a page's Markdown (front matter already removed) as the site does.

    A page Python-Markdown cannot render (a foreign corpus may hold anything: lists nested a
    thousand deep exceed its recursion limit) becomes its text as written, so one page never
    stops a whole index build; `name` says which page in the warning.
    """
    converter = _converter()
    converter.reset()
    try:
        body = converter.convert(text)
    except Exception as error:
        log.warning("%s cannot be rendered as Markdown (%s); indexing its text as written", name, type(error).__name__)
        _local.converter = None
        return Rendered(f"<p>{html.escape(text)}</p>", ())
    toc = flatten_toc(
        getattr(converter, "toc_tokens", []), lambda t: (t["level"], t["id"], t["name"]), lambda t: t["children"]
    )
    return Rendered(body, toc)
