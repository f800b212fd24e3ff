"""The filing done with the keyboard alone, and again in a phone-sized window."""

from __future__ import annotations

import pytest
from customer import PROBLEM, REQUEST, STEPS, error_summary, layout_problems, unlabelled_fields
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
MAX_TABS = 120


def tab_to(page, target) -> None:
    """Press Tab until `target` has the focus (fails after MAX_TABS presses)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"{target} never received the focus after {MAX_TABS} presses of Tab")


def test_filing_with_the_keyboard_only(page, served, steps):
    page.goto("/support/")
    steps.shot("chooser")
    tab_to(page, page.get_by_role("link", name="Report a problem"))
    page.keyboard.press("Enter")

    tab_to(page, page.get_by_label("Describe the problem in one sentence"))
    page.keyboard.type(PROBLEM)
    assert unlabelled_fields(page) == []
    steps.shot("described")
    tab_to(page, page.get_by_role("button", name="Show matching articles"))
    page.keyboard.press("Space")

    expect(page.get_by_role("heading", name="These articles may answer it")).to_be_visible()
    steps.shot("suggestions")
    tab_to(page, page.get_by_role("link", name="I still need help"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("button", name="Send request")).to_be_visible()
    assert unlabelled_fields(page) == []
    for label, value in {**REQUEST, "Steps to reproduce": STEPS}.items():
        tab_to(page, page.get_by_label(label))
        page.keyboard.type(value)
    steps.shot("filled")
    tab_to(page, page.get_by_role("button", name="Send request"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Request received")).to_be_visible()
    expect(page.locator("#case-number")).not_to_be_empty()
    steps.shot("confirmation")


@pytest.mark.browser_context_args(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
def test_filing_on_a_phone(page, served, customer, steps):
    def check(step: str) -> None:
        assert page.evaluate("window.innerWidth") == 375
        steps.shot(step)
        assert layout_problems(page) == [], step

    customer.open_chooser()
    check("chooser")
    customer.describe("Report a problem", PROBLEM, tag="HIGH")
    check("described")
    page.get_by_role("button", name="Show matching articles").click()
    expect(page.get_by_role("heading", name="These articles may answer it")).to_be_visible()
    check("suggestions")
    page.get_by_role("link", name="I still need help").click()
    customer.fill_request(REQUEST)
    page.get_by_role("button", name="Send request").click()
    expect(error_summary(page).get_by_role("listitem")).to_contain_text("Steps to reproduce")
    check("missing-steps")
    customer.fill_request({"Steps to reproduce": STEPS})
    check("completed")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Request received")).to_be_visible()
    check("confirmation")
