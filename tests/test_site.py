"""The knowledge-base site, built by a real `mkdocs build --strict` from kb/."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import quote

import pytest

from deflect.kb.folder import KnowledgeBase
from deflect.site.build import build_site
from tests.helpers import PROJECT, copy_kb


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The project's knowledge base, built once for this module."""
    site_dir = tmp_path_factory.mktemp("site")
    with pytest.MonkeyPatch.context() as env:
        env.delenv("DEFLECT_SITE_URL", raising=False)  # built as a fresh clone is: no public URL set
        pages = build_site(KnowledgeBase.at(PROJECT / "kb"), site_dir)
    return site_dir, pages


def html_of(site_dir: Path, url: str) -> str:
    return (site_dir / url / "index.html").read_text(encoding="utf-8")


def test_the_sample_knowledge_base_has_at_least_thirty_articles(built):
    _, pages = built
    assert len(pages) >= 30
    sections = {page.path.split("/")[0] for page in pages}
    assert {"getting-started", "faq", "troubleshooting", "integrations", "support-guide"} <= sections


def test_every_article_ends_with_one_still_stuck_and_a_contact_link_that_remembers_the_page(built):
    """Issue 12: a troubleshooting article's own "Still stuck?" section is the only one; the theme adds its button."""
    site_dir, pages = built
    for page in pages:
        html = html_of(site_dir, page.url)
        assert len(re.findall(r"<h2[^>]*>Still stuck\?", html)) == 1, page.path
        assert f'href="/support/?from={quote(page.url)}">Contact support</a>' in html, page.path
        box = re.search(r'<aside class="deflect-still-stuck".*?</aside>', html, re.S)
        assert bool(box) is (not page.path.startswith("troubleshooting/")), page.path


def test_the_header_offers_contact_support_on_every_page(built):
    site_dir, pages = built
    for page in pages:
        assert 'class="deflect-header-contact"' in html_of(site_dir, page.url), page.path


def test_articles_have_edit_button_feedback_widget_and_theme_toggle(built):
    site_dir, pages = built
    html = html_of(site_dir, pages[0].url)
    assert "edit/main/kb/docs/" + pages[0].path in html
    assert 'name="feedback"' in html and "Was this page helpful?" in html
    assert 'data-md-color-scheme="slate"' in html or "__palette" in html
    assert "/support/api/feedback" in html


def test_troubleshooting_articles_share_one_shape(built):
    site_dir, pages = built
    troubleshooting = [p for p in pages if p.path.startswith("troubleshooting/")]
    assert len(troubleshooting) >= 5
    for page in troubleshooting:
        headings = re.findall(r"^## (.+)$", page.markdown, re.M)
        assert headings == ["Symptoms", "Cause", "Fix", "Still stuck?"], page.path


def test_the_tags_index_lists_the_tags_of_the_articles(built):
    site_dir, _ = built
    html = html_of(site_dir, "tags/")
    assert "moodle" in html and "points" in html


def test_policy_pages_show_the_targets_of_support_yml(built):
    site_dir, _ = built
    text = unescape(html_of(site_dir, "support-guide/priorities-and-response-times/"))
    assert "deflect:" not in text
    assert "30 minutes" in text  # enterprise critical response, from kb/support.yml


def test_changing_a_response_target_in_support_yml_changes_the_built_page(tmp_path):
    kb = copy_kb(tmp_path)
    support = kb.support_file.read_text()
    assert "critical: { response: 30m, resolution: 4h }" in support
    kb.support_file.write_text(support.replace("critical: { response: 30m,", "critical: { response: 45m,"))
    build_site(kb, tmp_path / "site")
    text = unescape((tmp_path / "site/support-guide/priorities-and-response-times/index.html").read_text())
    assert "45 minutes" in text
    assert "30 minutes" not in text


def test_the_support_url_can_point_to_another_host(tmp_path):
    kb = copy_kb(tmp_path)
    config = kb.mkdocs_file.read_text().replace(
        "support_url: /support/", "support_url: https://help.example.com/support/"
    )
    kb.mkdocs_file.write_text(config)
    build_site(kb, tmp_path / "site")
    html = (tmp_path / "site/faq/billing/invoices/index.html").read_text()
    assert 'href="https://help.example.com/support/?from=faq/billing/invoices/"' in html
    header = re.search(r'<a href="([^"]*)" class="deflect-header-contact"', html).group(1)
    assert header == "https://help.example.com/support/?from=faq/billing/invoices/"  # issue 12: not /support/
    assert 'href="/support/' not in html


def test_without_a_public_url_no_page_names_a_local_address(built):
    """Issue 12: canonical links and the sitemap come from DEFLECT_SITE_URL; unset, there are none."""
    site_dir, pages = built
    for page in pages:
        assert "127.0.0.1" not in html_of(site_dir, page.url) and 'rel="canonical"' not in html_of(site_dir, page.url)
    assert "<loc>" not in (site_dir / "sitemap.xml").read_text()


def test_the_public_url_from_the_environment_is_the_canonical_url_and_the_sitemaps(tmp_path, monkeypatch):
    monkeypatch.setenv("DEFLECT_SITE_URL", "https://help.orbit-rewards.example/")
    kb = copy_kb(tmp_path)
    build_site(kb, tmp_path / "site")
    html = (tmp_path / "site/faq/billing/invoices/index.html").read_text()
    assert '<link rel="canonical" href="https://help.orbit-rewards.example/faq/billing/invoices/">' in html
    locations = re.findall(r"<loc>([^<]+)</loc>", (tmp_path / "site/sitemap.xml").read_text())
    assert locations and all(url.startswith("https://help.orbit-rewards.example/") for url in locations)


def test_the_feedback_widget_is_only_on_pages_the_app_records_feedback_for(built, tmp_path):
    """Search never suggests a home or landing page, and the app refuses feedback for it: no widget there."""
    site_dir, pages = built
    assert 'name="feedback"' not in html_of(site_dir, "")
    assert all(
        'name="feedback"' in html_of(site_dir, page.url)
        for page in pages
        if page.path.count("/") and not page.path.endswith("index.md")
    )
    example = tmp_path / "early-education"
    build_site(KnowledgeBase.at(PROJECT / "examples" / "early-education"), example)
    assert 'name="feedback"' not in html_of(example, "")  # its home page has no `search: exclude`
