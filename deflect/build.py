"""`deflect build`: the site and the search index from the same pages, in one step."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deflect.kb import KnowledgeBase


@dataclass(frozen=True)
class Built:
    """What a build produced: how many articles, and where the site and the index are."""

    articles: int
    site_dir: Path
    index_dir: Path


def build_all(kb: KnowledgeBase, data_dir: Path) -> Built:
    """Run `mkdocs build --strict`, then index exactly the pages it published."""
    from deflect.search import build_index
    from deflect.site import build_site

    site_dir, index_dir = kb.site_dir(data_dir), kb.index_dir(data_dir)
    pages = build_site(kb, site_dir)
    build_index(pages, index_dir, synonyms_file=kb.synonyms_file if kb.synonyms_file.exists() else None)
    return Built(len(pages), site_dir, index_dir)
