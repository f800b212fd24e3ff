"""The site and the search index are built from the same pages: same articles, titles and URLs."""

from __future__ import annotations

import html
import re
from pathlib import Path

from deflect.kb.folder import KnowledgeBase
from deflect.kb.pages import is_article, read_folder
from deflect.search import SearchIndex, build_index
from deflect.site.build import build_site

ROOT = Path(__file__).resolve().parent.parent
TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
NOT_ARTICLES = ("404.html", "search/", "assets/")


def site_name() -> str:
    """The site name that MkDocs appends to every page title."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    return re.search(r"^site_name:\s*(.+)$", text, re.MULTILINE).group(1).strip()


def published_articles(site_dir: Path, docs: Path) -> dict[str, str]:
    """{url: title} for every article page of the built site, read from its HTML.

    Landing pages (`search: {exclude: true}` in their source's front matter) are not articles.
    """
    landing = {page.url for page in read_folder(docs) if not is_article(page.meta)}
    suffix = f" - {html.escape(site_name())}"
    found = {}
    for page in site_dir.rglob("index.html"):
        relative = page.relative_to(site_dir).as_posix()
        if relative.startswith(NOT_ARTICLES):
            continue
        url = relative[: -len("index.html")]
        if url in landing:
            continue
        title = TITLE.search(page.read_text(encoding="utf-8")).group(1).strip()
        found[url] = html.unescape(title.removesuffix(suffix))
    return found


def test_every_article_of_the_built_site_is_in_the_index_with_the_same_title_and_url(tmp_path):
    kb = KnowledgeBase.at(ROOT / "kb")
    pages = build_site(kb, tmp_path / "site")
    build_index(pages, tmp_path / "index", synonyms_file=kb.synonyms_file)
    index = SearchIndex.open(tmp_path / "index")
    try:
        indexed = {url: (path, title) for path, title, url in index.documents()}
    finally:
        index.close()
    published = published_articles(tmp_path / "site", kb.docs)
    assert set(indexed) == set(published)
    for url, (path, title) in indexed.items():
        expected = published[url]
        assert title == expected, (path, title, expected)
        assert (ROOT / "kb" / "docs" / path).is_file()
