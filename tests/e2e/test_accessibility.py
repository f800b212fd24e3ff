"""axe-core scans of the pages a newcomer meets: no serious or critical violation."""

from __future__ import annotations

import json

import pytest
from axe_playwright_python.sync_playwright import Axe
from customer import PROBLEM
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
BLOCKING = ("serious", "critical")


def open_article(page):
    page.goto("/faq/accounts/reset-password/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def open_chooser(page):
    page.goto("/support/")
    expect(page.get_by_role("heading", name="How can we help?")).to_be_visible()


def open_suggestions(page):
    page.goto("/support/problem/")
    page.get_by_label("Describe the problem in one sentence").fill(PROBLEM)
    page.get_by_role("radio", name="[HIGH]").check()
    page.get_by_role("button", name="Show matching articles").click()
    expect(page.get_by_role("heading", name="These articles may answer it")).to_be_visible()


def open_form(page):
    open_suggestions(page)
    page.get_by_role("link", name="I still need help").click()
    expect(page.get_by_role("button", name="Send request")).to_be_visible()


def open_form_with_errors(page):
    open_form(page)
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#error-summary")).to_be_focused()


PAGES = {
    "article": open_article,
    "chooser": open_chooser,
    "suggestions": open_suggestions,
    "form": open_form,
    "form-with-errors": open_form_with_errors,
}


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violations(page, served, steps, name):
    PAGES[name](page)
    steps.shot(name)
    results = Axe().run(page)
    (steps.folder / "axe.json").write_text(json.dumps(results.response["violations"], indent=1))
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    if blocking:
        pytest.fail(
            f"{len(blocking)} serious or critical axe-core violation(s) on the {name} page "
            f"(all of them in {steps.folder / 'axe.json'}):\n"
            + "\n".join(
                f"  {v['impact']}: {v['id']}: {v['help']} ({v['helpUrl']}) at "
                + ", ".join(str(node["target"]) for node in v["nodes"][:5])
                for v in blocking
            ),
            pytrace=False,
        )
