"""Behaviour of the knowledge-base search: a real Whoosh index in tmp_path, no mocks."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from deflect.kb.pages import read_folder
from deflect.ranking import preparation
from deflect.search import SearchIndex, build_index, update_index

ARTICLES = {
    "troubleshooting/sso-sign-in-failures.md": """---
title: Single sign-on sign-in failures
tags: [sso]
questions:
  - saml error after choosing sign in with sso
---
Users see an error instead of the dashboard after the identity provider.

## Symptoms

The sign-in page shows `Audience restriction failed` or `SAML response signature invalid`.

## Cause

The certificate in Orbit does not match the identity provider.

## Fix

Upload the new certificate under Settings, then try to sign in again.
""",
    "faq/points-expiry.md": """---
title: Do points expire?
---
Points never expire unless your organisation turns on expiry. Learners are warned by email
thirty days before their points expire.
""",
    "faq/invoices.md": """---
title: Find and download invoices
---
Invoices are under Billing. Each invoice shows the VAT number and the billing address.
""",
    "legacy/imported.md": """<div class="note">Imported from the old help desk &amp; kept as is.</div>

# Export your learner data

{% hint style="info" %}
Exports include every transaction.
{% endhint %}

Choose **Reports &rarr; Export** and download the spreadsheet.
""",
    "faq/script.md": """---
title: Embedding widgets
---
Never paste `<script>alert("x")</script>` into the widget field; the widget rejects script tags.
""",
}

SYNONYMS = "- sign in, log in, login\n- points, credits\n"


def write_docs(folder: Path, articles: dict[str, str]) -> Path:
    """Write articles into a docs folder and return it."""
    for path, text in articles.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def search_index(tmp_path):
    """A searcher over the articles above, with the writers' synonyms."""
    docs = write_docs(tmp_path / "docs", ARTICLES)
    (tmp_path / "synonyms.yml").write_text(SYNONYMS, encoding="utf-8")
    build_index(read_folder(docs), tmp_path / "index", synonyms_file=tmp_path / "synonyms.yml")
    index = SearchIndex.open(tmp_path / "index")
    yield index
    index.close()


def paths(response) -> list[str]:
    """The paths of a response's results, best first."""
    return [r.path for r in response.results]


def test_a_customer_who_types_cant_log_in_finds_the_sso_sign_in_article(search_index):
    assert paths(search_index.search("cant log in"))[0] == "troubleshooting/sso-sign-in-failures.md"


def test_a_synonym_finds_the_article_that_uses_the_other_word(search_index):
    assert paths(search_index.search("do my credits run out"))[0] == "faq/points-expiry.md"


def test_a_misspelled_word_still_finds_the_article(search_index):
    response = search_index.search("where is my invoce")
    assert paths(response)[0] == "faq/invoices.md"
    assert response.did_you_mean == "where is my invoice"


def test_a_query_that_finds_nothing_offers_did_you_mean_when_it_can(search_index):
    assert search_index.search("qqxxzz").results == []
    assert search_index.search("certifcate").did_you_mean == "certificate"


def test_the_best_section_of_a_long_article_is_linked_by_its_anchor(search_index):
    result = search_index.search("upload the new certificate").results[0]
    assert result.url == "troubleshooting/sso-sign-in-failures/#fix"
    assert result.section == "Fix"


def test_snippets_mark_the_matched_words_and_stay_short(search_index):
    snippet = search_index.search("invoices billing address").results[0].snippet
    assert "<mark>Invoices</mark>" in snippet
    assert len(snippet) < 300


def test_an_article_containing_script_shows_it_as_text_in_the_snippet(search_index):
    snippet = search_index.search("widget script").results[0].snippet
    assert "<script>" not in snippet
    assert "&lt;<mark>script</mark>&gt;" in snippet


def test_a_page_with_no_front_matter_raw_html_and_hint_tags_uses_its_first_heading(search_index):
    result = search_index.search("export spreadsheet").results[0]
    assert (result.path, result.title, result.url) == (
        "legacy/imported.md",
        "Export your learner data",
        "legacy/imported/",
    )
    assert "{%" not in result.snippet and "<div" not in result.snippet


def test_update_index_replaces_changed_and_removes_deleted_articles_in_place(tmp_path, search_index):
    docs = tmp_path / "docs"
    (docs / "faq/invoices.md").write_text("---\ntitle: Receipts\n---\nReceipts are emailed monthly.\n")
    folder_before = (tmp_path / "index").resolve()
    changed = [p for p in read_folder(docs) if p.path == "faq/invoices.md"]
    update_index(tmp_path / "index", changed, ["faq/points-expiry.md"])
    assert (tmp_path / "index").resolve() == folder_before
    fresh = SearchIndex.open(tmp_path / "index")
    try:
        assert paths(fresh.search("receipts emailed")) == ["faq/invoices.md"]
        assert "faq/points-expiry.md" not in paths(fresh.search("points expire"))
    finally:
        fresh.close()


def test_a_rebuild_is_swapped_in_and_picked_up_by_an_open_index(tmp_path, search_index):
    assert search_index.search("invoices").results
    docs = write_docs(tmp_path / "docs2", {"new.md": "# Parking permits\n\nPermits for the car park.\n"})
    old_folder = (tmp_path / "index").resolve()
    build_index(read_folder(docs), tmp_path / "index")
    assert (tmp_path / "index").resolve() != old_folder and not old_folder.exists()
    search_index._checked = 0  # skip the once-a-second check interval
    assert paths(search_index.search("parking permit")) == ["new.md"]


def test_one_index_serves_many_threads(search_index):
    found, errors = [], []

    def worker():
        try:
            for _ in range(5):
                found.append(paths(search_index.search("invoices"))[0])
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and set(found) == {"faq/invoices.md"}


def test_two_typed_words_also_find_the_article_that_writes_them_as_one(tmp_path):
    docs = write_docs(
        tmp_path / "docs",
        {
            "chromebooks.md": "# Classroom laptops\n\nSchools can program boards from Chromebooks.\n",
            "books.md": "# Reading list\n\nBooks about electronics, chrome plating and more books.\n",
        },
    )
    build_index(read_folder(docs), tmp_path / "index")
    index = SearchIndex.open(tmp_path / "index")
    try:
        assert paths(index.search("school chrome books"))[0] == "chromebooks.md"
    finally:
        index.close()


def test_pages_excluded_from_search_are_left_out_of_builds_and_updates(tmp_path):
    hidden = "---\ntitle: Internal tags page\nsearch:\n  exclude: true\n---\nInvoices tag list.\n"
    docs = write_docs(tmp_path / "docs", {"faq/invoices.md": ARTICLES["faq/invoices.md"], "tags.md": hidden})
    build_index(read_folder(docs), tmp_path / "index")
    (docs / "faq/invoices.md").write_text(hidden.replace("Internal tags page", "Invoices"), encoding="utf-8")
    index = SearchIndex.open(tmp_path / "index")
    try:
        assert [p for p, _, _ in index.documents()] == ["faq/invoices.md"]
        update_index(tmp_path / "index", [p for p in read_folder(docs) if p.path == "faq/invoices.md"], [])
    finally:
        index.close()
    fresh = SearchIndex.open(tmp_path / "index")
    try:
        assert fresh.documents() == []
    finally:
        fresh.close()


def test_an_index_of_another_format_is_refused_with_the_command_that_rebuilds_it(tmp_path):
    build_index(read_folder(write_docs(tmp_path / "docs", {"a.md": "# A\n\nText.\n"})), tmp_path / "index")
    (tmp_path / "index" / "deflect-index.json").unlink()  # as an index written before sections were stored
    with pytest.raises(ValueError, match="run `deflect build`"):
        SearchIndex.open(tmp_path / "index")


def test_a_large_build_prepared_in_two_processes_indexes_the_same_as_one_process(tmp_path, monkeypatch):
    docs = write_docs(tmp_path / "docs", ARTICLES)
    build_index(read_folder(docs), tmp_path / "one")
    monkeypatch.setattr(preparation, "PARALLEL_BUILD", 1)  # as for a knowledge base of thousands of articles
    build_index(read_folder(docs), tmp_path / "two")
    one, two = SearchIndex.open(tmp_path / "one"), SearchIndex.open(tmp_path / "two")
    try:
        assert two.documents() == one.documents()
        assert [two.sections(p) for p, _, _ in two.documents()] == [one.sections(p) for p, _, _ in one.documents()]
        assert two.search("upload the new certificate") == one.search("upload the new certificate")
    finally:
        one.close()
        two.close()
