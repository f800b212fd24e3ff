"""Section-aware lexical ranking: headings are searchable, the one section that answers lifts a long
page, and words found in most articles rank but never select. A real index in tmp_path, no mocks;
built without the semantic model, since these are the lexical engine's rules."""

from __future__ import annotations

import pytest

from deflect.kb.pages import read_folder
from deflect.search import SearchIndex, Tuning, build_index

BILLING_FAQ = """# Billing questions

Answers to the questions we hear most about paying for the service.

??? question "Which cards do you accept?"
    Visa, Mastercard and American Express. We do not take cheques.

??? question "Can I pay by bank transfer?"
    Yes, on the yearly plan. Ask for an invoice first.

??? question "Do you charge sales tax?"
    Tax is added at checkout where the law asks for it.

??? question "Can I get a refund for unused seats?"
    Unused seats are refunded to the card you paid with within ten days.

??? question "When does my plan renew?"
    Every plan renews on the day you first paid, each month or each year.

??? question "How do I change the billing contact?"
    An owner changes it under Settings, then Billing contact.
"""

TEAM_GUIDE = """# Team administration guide

Owners add people, remove people and manage seats. Each seat is one person. A refund policy
exists for some plans; read the terms. Unused features stay available. Seats are counted monthly.

## Adding people

Invite people by email. They join the team when they accept. Seats grow with each person.

## Removing people

Remove a person from the team page. Their work stays. The seat is freed at once.

## Roles

Owners, admins and members have different rights. Only owners see billing.
"""

SSO_SETUP = """# Single sign-on

Connect your identity provider so that staff sign in with their work account.

## Rotate the signing certificate

Upload the new file from your provider, then remove the old one after a day.

## Map groups to roles

Each provider group becomes a role in the workspace.
"""

OTHERS = ["Reset your password", "Export your data", "Connect the calendar", "Set up notifications"]


def build(tmp_path, articles: dict[str, str], tuning: Tuning | None = None) -> SearchIndex:
    """Index these articles (plus a few unrelated ones) and open the index."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for i, title in enumerate(OTHERS):
        (docs / f"other-{i}.md").write_text(
            f"# {title}\n\nHow to {title.lower()}: open settings and follow the steps.\n"
        )
    for path, text in articles.items():
        (docs / path).write_text(text, encoding="utf-8")
    build_index(read_folder(docs), tmp_path / "index", semantic=False)  # the lexical engine's ranking
    return SearchIndex.open(tmp_path / "index", tuning=tuning)


@pytest.fixture
def faq_index(tmp_path):
    index = build(tmp_path, {"billing-faq.md": BILLING_FAQ, "team-guide.md": TEAM_GUIDE, "sso.md": SSO_SETUP})
    yield index
    index.close()


def paths(response) -> list[str]:
    return [r.path for r in response.results]


def test_a_word_found_only_in_a_heading_finds_the_article_and_links_that_section(faq_index):
    result = faq_index.search("rotate certificate").results[0]
    assert result.path == "sso.md"
    assert (result.url, result.section) == ("sso/#rotate-the-signing-certificate", "Rotate the signing certificate")


def test_the_faq_question_that_answers_outranks_a_page_that_mentions_the_words_thinly_everywhere(faq_index):
    response = faq_index.search("refund for unused seats")
    assert paths(response)[:2] == ["billing-faq.md", "team-guide.md"]
    assert "<mark>refunded</mark> to the card" in response.results[0].snippet


def test_without_the_best_section_the_thin_page_would_win(tmp_path):
    # The case above is decided by section fusion: scored as whole pages, the order flips.
    index = build(tmp_path, {"billing-faq.md": BILLING_FAQ, "team-guide.md": TEAM_GUIDE}, Tuning(section=0.0))
    try:
        assert paths(index.search("refund for unused seats"))[:2] == ["team-guide.md", "billing-faq.md"]
    finally:
        index.close()


COMMON = {
    f"space-{i}.md": f"# Space {name}\n\nEvery workspace has {name}. The workspace owner decides.\n"
    for i, name in enumerate(["members", "channels", "guests", "themes", "storage"])
}
COMMON["archive.md"] = "# Archive old projects\n\nArchive a project to hide it. Archived projects stay searchable.\n"
COMMON["archive-workspace.md"] = "# Archive a workspace\n\nArchive the workspace when the team ends.\n"


@pytest.fixture
def common_index(tmp_path):
    index = build(tmp_path, COMMON)
    yield index
    index.close()


def test_a_word_in_most_articles_ranks_the_articles_but_does_not_select_them(common_index):
    # "workspace" is in 6 of the 11 articles: it lifts the archive article that has it, and brings in
    # none of the five articles that have only it.
    assert paths(common_index.search("archive workspace")) == ["archive-workspace.md", "archive.md"]


def test_a_query_of_common_words_only_still_finds_articles(common_index):
    found = paths(common_index.search("workspace", limit=10))
    assert len(found) == 6 and "archive.md" not in found


def test_the_lexical_ranking_is_one_call_with_a_candidate_count_for_fusion_with_another_ranking(faq_index):
    ranking = faq_index.lexical("refund for unused seats", count=3)
    assert [c.path for c in ranking.candidates] == ["billing-faq.md", "team-guide.md"]
    best = ranking.candidates[0]
    assert best.heading == "Can I get a refund for unused seats?" and best.score > ranking.candidates[1].score
    other = faq_index.candidate("sso.md", section=1, score=0.5)
    result = faq_index.result(other, ranking.highlight)
    assert (result.url, result.score) == ("sso/#rotate-the-signing-certificate", 0.5)
    assert faq_index.candidate("missing.md") is None
