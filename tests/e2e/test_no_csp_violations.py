"""The security headers break nothing a customer does: no CSP violation along the whole flow, in a real browser.

Through nginx with the documented config (docs/nginx/deflect.conf): the site under its CSP, which
allows Material's inline scripts, and the app under its own, which allows no inline script at
all. Every console message Chromium writes about a Content Security Policy is a failure.
"""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

import pytest
from customer import PROBLEM, REQUEST, STEPS, error_summary
from playwright.sync_api import expect

from deflect.kb.folder import KnowledgeBase
from tests.nginx_front import start_nginx

pytestmark = pytest.mark.e2e

ARTICLE = "Reset your password"


@pytest.fixture(scope="module")
def front(start_deflect, project_kb_copy, tmp_path_factory):
    """nginx with the documented config in front of a `deflect serve` of its own, set up as documented.

    Its own server: the session's is shared by the other browser tests, whose filings count
    against the same per-client limit.
    """
    folder = tmp_path_factory.mktemp("nginx-e2e")
    app = start_deflect(project_kb_copy, folder / "var", env={"DEFLECT_TRUSTED_PROXIES": "127.0.0.1"})
    site = KnowledgeBase.at(project_kb_copy).site_dir(folder / "var")
    shutil.copytree(site, folder / "site")
    nginx = start_nginx(folder / "run", folder / "site", urlsplit(app.url).port)
    yield nginx
    nginx.stop()
    assert app.stop() == 0, app.output()


@pytest.fixture
def violations(page):
    """Every CSP complaint Chromium logs while the test runs (the list is checked by the test)."""
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: found.append(f"page error: {error}"))
    return found


def test_the_deflected_path_through_nginx_has_no_csp_violation(page, front, violations, steps):
    page.goto(front.url)
    search = page.get_by_role("textbox", name="Search")
    search.click()
    expect(page.locator(".md-search-result__meta")).to_have_text("Type to start searching", timeout=15_000)
    search.press_sequentially("forgot password", delay=20)
    page.locator(".md-search-result__link", has_text=ARTICLE).first.click()
    expect(page.get_by_role("heading", level=1, name=ARTICLE)).to_be_visible()
    steps.shot("article")

    with page.expect_response(lambda r: r.url.endswith("/support/api/feedback")) as sent:
        page.get_by_role("button", name="This page was helpful").click()
    assert sent.value.status == 201

    page.get_by_role("complementary", name="Still stuck?").get_by_role("link", name="Contact support").click()
    page.get_by_role("link", name="Ask a question").click()
    with page.expect_response(lambda r: "/support/api/suggest" in r.url):
        page.get_by_label("Describe the problem in one sentence").press_sequentially("I forgot my password", delay=20)
    expect(page.locator("#live-suggestions li").first).to_be_visible()
    steps.shot("live-suggestions")
    page.get_by_role("button", name="Show matching articles").click()
    page.locator("ol.articles > li", has=page.get_by_role("link", name=ARTICLE)).get_by_role(
        "button", name="This solved my problem"
    ).click()
    expect(page.get_by_role("heading", name="Glad that solved it")).to_be_visible()
    expect(page.get_by_role("link", name=ARTICLE)).to_be_visible()
    steps.shot("thanks")
    assert violations == []


def test_the_filing_path_through_nginx_has_no_csp_violation(page, front, customer, violations, steps):
    page.goto(front.url + "support/")
    customer.describe("Report a problem", PROBLEM, tag="HIGH")
    page.get_by_role("button", name="Show matching articles").click()
    page.get_by_role("link", name="I still need help").click()
    # request.js runs: the subject preview follows the summary as it is typed.
    page.get_by_label("Summary", exact=True).fill(PROBLEM + " today")
    expect(page.locator("#subject-preview")).to_have_text(f"[HIGH] {PROBLEM} today")
    customer.fill_request(REQUEST)
    page.get_by_role("button", name="Send request").click()
    expect(error_summary(page).get_by_role("listitem")).to_contain_text("Steps to reproduce")
    steps.shot("refilled")
    customer.fill_request({"Steps to reproduce": STEPS})
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Request received")).to_be_visible()
    steps.shot("confirmation")
    assert violations == []
