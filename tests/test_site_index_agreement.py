"""The site and the search index are built from the same pages: same articles, titles, URLs, and the
index's sections have the built pages' anchors, headings and text."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from deflect.kb.folder import KnowledgeBase
from deflect.kb.pages import is_article, read_folder
from deflect.search import SearchIndex, build_index
from deflect.site.build import build_site

ROOT = Path(__file__).resolve().parent.parent
TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
ARTICLE = re.compile(r'<article class="md-content__inner[^"]*">(.*?)</article>', re.DOTALL)
HEADING = re.compile(r"<(h[1-6]|summary)\b[^>]*>(.*?)</\1>", re.DOTALL)
NOISE = re.compile(r'<(script|style)\b.*?</\1>|<a class="headerlink"[^>]*>.*?</a>', re.DOTALL)
WORDS = re.compile(r"\w+")
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


def words(fragment: str) -> str:
    """The words of an HTML fragment, one space apart (tags, scripts and permalink signs dropped)."""
    return " ".join(WORDS.findall(html.unescape(re.sub(r"<[^>]+>", " ", NOISE.sub(" ", fragment)))))


def article_html(site_dir: Path, url: str) -> str:
    """The article part of a built page (Material's `md-content__inner`)."""
    return ARTICLE.search((site_dir / url / "index.html").read_text(encoding="utf-8")).group(1)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The sample knowledge base built as `deflect build` does: site, index, and the open index."""
    folder = tmp_path_factory.mktemp("built")
    kb = KnowledgeBase.at(ROOT / "kb")
    pages = build_site(kb, folder / "site")
    build_index(pages, folder / "index", synonyms_file=kb.synonyms_file)
    index = SearchIndex.open(folder / "index")
    yield kb, folder / "site", index
    index.close()


def test_every_article_of_the_built_site_is_in_the_index_with_the_same_title_and_url(built):
    kb, site_dir, index = built
    indexed = {url: (path, title) for path, title, url in index.documents()}
    published = published_articles(site_dir, kb.docs)
    assert set(indexed) == set(published)
    for url, (path, title) in indexed.items():
        expected = published[url]
        assert title == expected, (path, title, expected)
        assert (ROOT / "kb" / "docs" / path).is_file()


def test_the_indexed_sections_have_the_anchors_headings_and_text_of_the_built_pages(built):
    _, site_dir, index = built
    for path, _, url in index.documents():
        page = article_html(site_dir, url)
        ids = set(re.findall(r'\bid="([^"]+)"', page))
        headings = {words(text) for _, text in HEADING.findall(page)}
        text = words(page)
        for heading, anchor, section_text in index.sections(path):
            assert anchor is None or anchor in ids, (path, anchor)
            assert not heading or words(heading) in headings, (path, heading)
            assert words(html.escape(section_text)) in text, (path, heading)


def test_indexing_the_docs_folder_reads_the_same_sections_as_the_site_build(built, tmp_path):
    kb, _, site_index = built
    pages = [page for page in read_folder(kb.docs) if "<!-- deflect:" not in page.markdown]  # policy tables: site only
    build_index(pages, tmp_path / "index")
    folder_index = SearchIndex.open(tmp_path / "index")
    try:
        for path, _, _ in folder_index.documents():
            assert folder_index.sections(path) == site_index.sections(path), path
    finally:
        folder_index.close()
