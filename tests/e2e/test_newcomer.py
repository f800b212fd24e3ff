"""A newcomer's two paths through the help center, in a real browser against the real server.

Deflected: the site, its search, an article, "Contact support", the matching article, "This solved
my problem". Filed: the suggestions, "I still need help", a missing field, the case number, and
both emails arriving at a real SMTP server.
"""

from __future__ import annotations

import pytest
from customer import PROBLEM, REQUEST, STEPS, error_summary
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

ARTICLE = "Reset your password"
ARTICLE_PATH = "faq/accounts/reset-password/"


def test_deflected_by_an_article(page, served, customer, steps):
    page.goto(served.url)
    expect(page.get_by_role("link", name="Contact support").first).to_be_visible()
    steps.shot("home")

    search = page.get_by_role("textbox", name="Search")
    search.click()
    # Material's search worker says "Initializing search" until its index is loaded.
    expect(page.locator(".md-search-result__meta")).to_have_text("Type to start searching", timeout=15_000)
    search.press_sequentially("forgot password", delay=20)
    result = page.locator(".md-search-result__link", has_text=ARTICLE).first
    expect(result).to_be_visible()
    steps.shot("site-search")
    result.click()
    expect(page.get_by_role("heading", level=1, name=ARTICLE)).to_be_visible()
    steps.shot("article")

    page.get_by_role("complementary", name="Still stuck?").get_by_role("link", name="Contact support").click()
    expect(page.get_by_role("heading", name="How can we help?")).to_be_visible()
    assert f"from={ARTICLE_PATH.replace('/', '%2F')}" in page.url or f"from={ARTICLE_PATH}" in page.url
    steps.shot("chooser")

    query = "I forgot my password and cannot log in"
    customer.describe("Ask a question", query)
    steps.shot("described")
    page.get_by_role("button", name="Show matching articles").click()
    expect(page.get_by_role("heading", name="These articles may answer it")).to_be_visible()
    assert ARTICLE in customer.article_titles()[:3], customer.article_titles()
    steps.shot("suggestions")

    page.locator("ol.articles > li", has=page.get_by_role("link", name=ARTICLE)).get_by_role(
        "button", name="This solved my problem"
    ).click()
    expect(page.get_by_role("heading", name="Glad that solved it")).to_be_visible()
    expect(page.get_by_role("link", name=ARTICLE)).to_be_visible()
    steps.shot("thanks")

    recorded = [d for d in served.store().list_deflections() if d["query"] == query]
    assert len(recorded) == 1, served.store().list_deflections()
    assert recorded[0]["article_url"].endswith(ARTICLE_PATH)
    assert recorded[0]["from_page"] == ARTICLE_PATH


def test_filed_request_arrives(page, served, customer, steps):
    customer.open_chooser()
    steps.shot("chooser")
    customer.describe("Report a problem", PROBLEM, tag="HIGH")
    page.get_by_role("button", name="Show matching articles").click()
    expect(page.get_by_role("heading", name="These articles may answer it")).to_be_visible()
    assert customer.article_titles(), "no article suggested"
    steps.shot("suggestions")

    page.get_by_role("link", name="I still need help").click()
    expect(page.get_by_label("Summary", exact=True)).to_have_value(PROBLEM)
    steps.shot("form")
    customer.fill_request(REQUEST)
    page.get_by_role("button", name="Send request").click()

    errors = error_summary(page).get_by_role("listitem")
    expect(errors).to_have_count(1)
    expect(errors).to_contain_text("Steps to reproduce")
    expect(page.get_by_label("Steps to reproduce")).to_have_attribute("aria-invalid", "true")
    for label, value in REQUEST.items():
        expect(page.get_by_label(label)).to_have_value(value)
    expect(page.get_by_label("Summary", exact=True)).to_have_value(PROBLEM)
    expect(page.get_by_label("Tag", exact=True)).to_have_value("HIGH")
    steps.shot("missing-steps")

    customer.fill_request({"Steps to reproduce": STEPS})
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Request received")).to_be_visible()
    case = page.locator("#case-number").inner_text().strip()
    assert case
    steps.shot("confirmation")

    mail = served.smtp.wait_for(
        lambda r: case in r.message["Subject"] + r.message.get_body(("plain",)).get_content(), count=2
    )
    to_customer = [r.message for r in mail if REQUEST["Contact email"] in r.rcpt_tos]
    to_support = [r.message for r in mail if REQUEST["Contact email"] not in r.rcpt_tos]
    assert len(to_customer) == 1 and len(to_support) == 1, [(r.message["Subject"], r.rcpt_tos) for r in mail]
    assert to_support[0]["Subject"].startswith(f"[HIGH] {PROBLEM}")
    assert "quiz 88 in course 123" in to_support[0].get_body(("plain",)).get_content()
