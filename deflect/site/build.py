"""`deflect build`: a real `mkdocs build`, then the search index from exactly the pages it published.

The search index is built from what `build_site` returns, so the site and the index cannot drift:
same pages, same titles, same URLs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from deflect.kb.folder import KnowledgeBase
from deflect.kb.pages import Page, is_article

if TYPE_CHECKING:  # the search module (Whoosh) is imported only when a build runs
    from deflect.ranking.index_folder import IndexBuilt

HOOKS_FILE = Path(__file__).with_name("hooks.py")

_collecting: list[Page] | None = None


def collect(page: Page) -> None:
    """Called by the build hooks for each page MkDocs renders (ignored outside build_site)."""
    if _collecting is not None:
        _collecting.append(page)


def load_site_config(kb: KnowledgeBase, site_dir: Path | None = None, strict: bool = False):
    """Load the KB's MkDocs config with its docs folder and deflect's build hooks."""
    from mkdocs.config import load_config

    options = {"docs_dir": str(kb.docs), "hooks": [str(HOOKS_FILE)], "strict": strict}
    if site_dir is not None:
        options["site_dir"] = str(site_dir)
    return load_config(config_file=str(kb.mkdocs_file), **options)


def build_site(kb: KnowledgeBase, site_dir: Path, strict: bool = True) -> list[Page]:
    """Build the site into `site_dir` and return its article pages in build order.

    With `strict`, any MkDocs warning (a broken link, a page missing from the nav, an unknown
    policy directive) fails the build, as `mkdocs build --strict` does.
    """
    from mkdocs.commands.build import build
    from mkdocs.exceptions import Abort

    global _collecting
    config = load_site_config(kb, site_dir, strict)
    counter = _WarningCounter()
    logging.getLogger("mkdocs").addHandler(counter)
    _collecting = []
    try:
        build(config)
        pages, _collecting = _collecting, None
    finally:
        _collecting = None
        logging.getLogger("mkdocs").removeHandler(counter)
    if strict and counter.count:
        raise Abort(f"Aborted with {counter.count} warnings in strict mode!")
    return [page for page in pages if is_article(page.meta)]


class _WarningCounter(logging.Handler):
    """Counts MkDocs warnings (mkdocs.commands.build does the same for `--strict`)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@dataclass(frozen=True)
class Built:
    """What a build produced: how many articles, and where the site and the index are."""

    articles: int  # in the index: the pages built, without landing pages
    site_dir: Path
    index_dir: Path
    index: IndexBuilt | None = None  # its mode: "lexical" or "lexical + semantic (model ...)"


def build_all(kb: KnowledgeBase, data_dir: Path, semantic: bool | None = None) -> Built:
    """Run `mkdocs build --strict`, then index exactly the pages it published.

    `semantic=False` builds a lexical index only; None lets DEFLECT_SEMANTIC decide.
    """
    from deflect.search import build_index

    site_dir, index_dir = kb.site_dir(data_dir), kb.index_dir(data_dir)
    pages = build_site(kb, site_dir)
    synonyms = kb.synonyms_file if kb.synonyms_file.exists() else None
    index = build_index(pages, index_dir, synonyms_file=synonyms, semantic=semantic)
    return Built(index.articles, site_dir, index_dir, index)  # landing pages are not articles
