"""What a first visit tripped over (issue 12), in Chromium against the session's `deflect serve`.

The feedback widget on an article and its comment box (issue 13: one row per answer, the comment
with the "could be improved" vote or the vote alone when the reader leaves), errors found with the
keyboard (focus, aria, the ring), one summary checked for content, labels in people's words,
suggestions under the box on a phone, the header's way to support at 375 px, one "Still stuck?",
and a confirmation page without internals.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from contrast import focus_ring
from customer import PROBLEM, REQUEST, error_summary
from playwright.sync_api import expect

from deflect.web.page_feedback import COMMENT_MAX

pytestmark = pytest.mark.e2e

ARTICLE = "faq/accounts/reset-password/"
TROUBLESHOOTING = "troubleshooting/points-not-awarded/"
PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}
LIVE_REGIONS = "[aria-live]:not([hidden]), [role=alert]:not([hidden]), [role=status]:not([hidden]), output"
MAX_TABS = 80


COULD_BE_IMPROVED = "This page could be improved"
COMMENT_LABEL = "What were you looking for? (optional)"  # mkdocs.yml, the rating's `comment:` block


def answers_for(served, article: str) -> list[tuple]:
    """The page feedback rows of one article: (helpful, comment), oldest first."""
    with sqlite3.connect(served.data_dir / "deflect.sqlite3") as connection:
        query = "SELECT helpful, comment FROM page_feedback WHERE page = ? ORDER BY id"
        return connection.execute(query, (article,)).fetchall()


def answers_arriving(served, article: str, seconds: float = 10) -> list[tuple]:
    """The article's rows once there is one (a vote sent as the page is left arrives a little later)."""
    deadline = time.monotonic() + seconds
    while not (rows := answers_for(served, article)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return rows


def a_later_answer(page) -> None:
    """Another answer through the app, after anything the page sent as it was left (a second row would be in)."""
    answer = page.request.post(
        "/support/api/feedback", data={"page": "/getting-started/what-is-orbit/", "helpful": True}
    )
    assert answer.status == 201


def feedback_posts(page) -> list[dict]:
    """Every body the page POSTs to api/feedback while it is shown (not those it sends as it is left)."""
    sent: list[dict] = []
    page.on("request", lambda r: sent.append(r.post_data_json) if r.url.endswith("/support/api/feedback") else None)
    return sent


def script_problems(page) -> list[str]:
    """Uncaught errors and console errors from now on."""
    found: list[str] = []
    page.on("pageerror", lambda error: found.append(str(error)))
    page.on("console", lambda message: found.append(message.text) if message.type == "error" else None)
    return found


def open_comment_box(page, article: str):
    """An article, "This page could be improved" clicked: the comment box it opens."""
    page.goto(f"/{article}")
    page.get_by_role("button", name=COULD_BE_IMPROVED).click()
    box = page.get_by_label(COMMENT_LABEL)
    expect(box).to_be_focused()
    return box


def focused_id(page) -> str:
    return page.evaluate("document.activeElement.id")


def open_request_form(page, form: str = "Report a problem", tag: str | None = "HIGH") -> None:
    page.goto("/support/")
    page.get_by_role("link", name=form).click()
    page.get_by_label("Describe the problem in one sentence").fill(PROBLEM)
    if tag:
        page.get_by_role("radio", name=f"[{tag}]").check()
    page.get_by_role("button", name="Show matching articles").click()
    page.get_by_role("link", name="I still need help").click()
    expect(page.get_by_role("button", name="Send request")).to_be_visible()


def controls_in_error(page) -> list[dict]:
    """Every control marked aria-invalid, with the text of what its aria-describedby names."""
    return page.evaluate("""() => [...document.querySelectorAll('[aria-invalid=true]')].map(e => ({
        id: e.id,
        described: (e.getAttribute('aria-describedby') || '').split(' ').filter(Boolean)
            .map(id => (document.getElementById(id) || {}).textContent || '').join(' ')}))""")


# --- 1. "Was this page helpful?" ------------------------------------------------------------


def test_helpful_is_sent_at_once_as_one_row_and_thanked(page, served, steps):
    problems, posts = script_problems(page), feedback_posts(page)
    page.goto(f"/{ARTICLE}")
    widget = page.get_by_role("group", name="Was this page helpful?")
    expect(widget).to_be_visible()
    steps.shot("widget")
    with page.expect_response(lambda r: r.url.endswith("/support/api/feedback")) as sent:
        page.get_by_role("button", name="This page was helpful").click()
    assert sent.value.status == 201
    thanks = page.locator(".md-feedback__note [data-md-value='1']")
    expect(thanks).to_have_text("Thanks for your feedback!")
    expect(thanks).to_be_focused()  # the button pressed is disabled: the keyboard stays in the widget
    expect(page.get_by_label(COMMENT_LABEL)).to_have_count(0)  # no comment box for a helpful page
    steps.shot("thanks")
    assert posts == [{"page": f"/{ARTICLE}", "helpful": True}]
    page.goto(f"/{TROUBLESHOOTING}")  # leaving sends nothing more
    a_later_answer(page)
    assert answers_for(served, ARTICLE) == [(1, None)]
    assert problems == []


# --- Issue 13: the comment box after "This page could be improved" --------------------------


def test_could_be_improved_asks_for_a_comment_and_sends_one_row_with_it(page, served, steps):
    article = "faq/billing/invoices/"
    problems, posts = script_problems(page), feedback_posts(page)
    box = open_comment_box(page, article)
    assert posts == [] and answers_for(served, article) == []  # the vote waits for the comment
    expect(box).to_have_attribute("maxlength", str(COMMENT_MAX))
    expect(box).to_have_accessible_description(re.compile(r"^Please do not include personal data"))
    expect(page.get_by_role("button", name="This page was helpful")).to_be_disabled()  # one answer only
    steps.shot("comment-box")
    box.fill("I was looking for\nhow to get an invoice in euros")
    with page.expect_response(lambda r: r.url.endswith("/support/api/feedback")) as sent:
        page.get_by_role("button", name="Send").click()
    assert sent.value.status == 201
    thanks = page.locator(".md-feedback__note [data-md-value='0']")
    expect(thanks).to_contain_text("Thanks for your feedback!")
    expect(thanks).to_be_focused()
    expect(box).to_have_count(0)
    steps.shot("thanks")
    page.goto(f"/{ARTICLE}")  # leaving after sending sends nothing more
    a_later_answer(page)
    assert answers_for(served, article) == [(0, "I was looking for how to get an invoice in euros")]
    assert len(posts) == 1 and problems == []


def test_a_reader_who_leaves_with_the_comment_box_open_leaves_one_row_without_a_comment(page, served, steps):
    article = "faq/billing/refunds/"
    posts = feedback_posts(page)
    box = open_comment_box(page, article)
    box.fill("half a thought, never sent")
    steps.shot("comment-box")
    assert posts == []
    page.locator("article").get_by_role("link", name="Contact support").click()
    expect(page.get_by_role("heading", name="How can we help?")).to_be_visible()
    assert answers_arriving(served, article) == [(0, None)]  # the vote; what was not sent stays unsent
    a_later_answer(page)
    assert answers_for(served, article) == [(0, None)]  # one row, though the page was hidden, then left


def test_with_the_keyboard_the_box_takes_the_focus_and_an_empty_send_records_the_vote_alone(page, served, steps):
    article = "faq/billing/change-plan/"
    page.goto(f"/{article}")
    page.get_by_role("button", name=COULD_BE_IMPROVED).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label(COMMENT_LABEL)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send")).to_be_focused()
    with page.expect_response(lambda r: r.url.endswith("/support/api/feedback")) as sent:
        page.keyboard.press("Enter")
    assert sent.value.status == 201
    expect(page.locator(".md-feedback__note [data-md-value='0']")).to_be_focused()
    steps.shot("thanks")
    assert answers_for(served, article) == [(0, None)]


def test_a_comment_the_app_refuses_is_explained_in_the_box_and_can_be_sent_again(page, served, steps):
    article = "faq/billing/payment-methods/"
    box = open_comment_box(page, article)
    box.evaluate("box => box.removeAttribute('maxlength')")  # what only a changed page could send
    box.fill("x" * (COMMENT_MAX + 1))
    with page.expect_response(lambda r: r.url.endswith("/support/api/feedback")) as sent:
        page.get_by_role("button", name="Send").click()
    assert sent.value.status == 422
    refusal = page.locator(".deflect-feedback-comment [aria-live]")
    expect(refusal).to_have_text(f"comment: send text of at most {COMMENT_MAX} characters, or leave it out")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_value("x" * (COMMENT_MAX + 1))  # what the reader typed is kept
    expect(box).to_have_accessible_description(re.compile(r"at most 1000 characters"))
    steps.shot("refused", full_page=False)
    assert answers_for(served, article) == []
    box.fill("A shorter comment")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".md-feedback__note [data-md-value='0']")).to_be_visible()
    assert answers_arriving(served, article) == [(0, "A shorter comment")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_open_comment_box_has_no_serious_accessibility_violation_and_rings_of_three_to_one(
    page, served, steps, scheme
):
    page.emulate_media(color_scheme=scheme)
    box = open_comment_box(page, "faq/billing/seat-counts/")
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "slate" if scheme == "dark" else "default")
    rings = [focus_ring(page)]
    page.keyboard.press("Tab")
    rings.append(focus_ring(page))
    assert [r["name"].split(" ")[0] for r in rings] == ["textarea#deflect-feedback-comment", "button"]
    assert all(r["contrast"] >= 3 for r in rings), rings
    box.focus()
    steps.shot(f"comment-box-{scheme}", full_page=False)
    violations = Axe().run(page).response["violations"]
    (steps.folder / "axe.json").write_text(json.dumps(violations, indent=1))
    blocking = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not blocking, [(v["id"], v["help"], [n["target"] for n in v["nodes"][:5]]) for v in blocking]


@pytest.mark.browser_context_args(**PHONE)
def test_on_a_phone_the_open_comment_box_fits_the_screen(page, served, steps):
    box = open_comment_box(page, "faq/points-and-rewards/leaderboards/")
    send = page.get_by_role("button", name="Send")
    send.scroll_into_view_if_needed()
    steps.shot("comment-box", full_page=False)
    for part in (box, send, page.locator(".deflect-feedback-comment")):
        shape = part.bounding_box()
        assert shape["x"] >= 0 and shape["x"] + shape["width"] <= 375, shape
    assert box.bounding_box()["width"] >= 250  # room to write, not a sliver
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing scrolls sideways


# --- 3. Errors with the keyboard -------------------------------------------------------------


def test_after_a_failed_send_the_keyboard_lands_on_the_summary_whose_links_focus_each_field(page, served, steps):
    open_request_form(page)
    page.get_by_label("Summary", exact=True).fill("help!!!!!!!!!")
    for label, value in REQUEST.items():
        page.get_by_label(label).fill(value)
    page.get_by_label("Contact email").fill("dana.admin@")
    page.get_by_label("Summary", exact=True).press("Enter")  # sent from the keyboard

    summary = error_summary(page)
    expect(summary).to_be_visible()
    assert focused_id(page) == "error-summary"
    steps.shot("error-summary-focused")
    in_error = {c["id"]: c["described"] for c in controls_in_error(page)}
    assert set(in_error) == {"summary-input", "email-input", "steps_to_reproduce"}, in_error
    assert "what is wrong" in in_error["summary-input"] and "Contact email" in in_error["email-input"]
    assert page.locator(LIVE_REGIONS).count() <= 1

    page.keyboard.press("Tab")  # from the summary, the next stop is its first link
    assert page.evaluate("document.activeElement.closest('#error-summary') !== null")
    targets = []
    for link in summary.get_by_role("link").all():
        link.focus()
        page.keyboard.press("Enter")
        targets.append(focused_id(page))
    assert targets == ["summary-input", "email-input", "steps_to_reproduce"]
    steps.shot("field-focused")


def test_every_focus_ring_on_the_form_reaches_three_to_one(page, served, steps):
    open_request_form(page)
    page.get_by_role("button", name="Send request").click()  # errors: the summary's links too
    weak, seen = [], set()
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        ring = focus_ring(page)
        if ring["name"] in seen:
            continue
        seen.add(ring["name"])
        if ring["contrast"] < 3:
            weak.append(f"{ring['name']}: {ring['contrast']}:1 ({ring['color']} on {ring['layers'][:2]})")
        if ring["name"].startswith("button") and "Send request" in ring["name"]:
            break
    steps.shot("last-focused")
    assert len(seen) > 15 and weak == [], weak


def test_the_help_centers_focus_rings_reach_three_to_one(page, served, steps):
    page.goto(f"/{TROUBLESHOOTING}")
    weak, seen = [], set()
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        ring = focus_ring(page)
        if ring["name"].startswith("body"):  # past the last link: the browser's own chrome
            break
        if ring["name"] not in seen and ring["contrast"] < 3:
            weak.append(
                f"{ring['name']}: {ring['contrast']}:1 ({ring['style']} {ring['width']} {ring['color']} on {ring['layers'][:3]})"
            )
        seen.add(ring["name"])
    steps.shot("article")
    assert len(seen) > 20 and weak == [], weak


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_without_javascript_the_error_summary_is_focused_and_its_links_reach_the_field(page, served, steps):
    page.goto("/support/problem/suggestions?q=URGENT+PLEASE+HELP&tag=HIGH")
    summary = error_summary(page)
    expect(summary).to_contain_text("Students not receiving points for quiz completions")  # support.yml's example
    assert focused_id(page) == "error-summary"
    assert page.locator(LIVE_REGIONS).count() <= 1
    steps.shot("step-one-refused")
    summary.get_by_role("link").first.focus()
    page.keyboard.press("Enter")
    assert focused_id(page) == "q"
    expect(page.get_by_label("Describe the problem in one sentence")).to_have_attribute("aria-invalid", "true")


# --- 4 and 5. One summary; labels in people's words -----------------------------------------


def test_the_summary_is_asked_once_and_the_conditional_field_names_the_other_fields_label(page, served, steps):
    open_request_form(page)
    expect(page.get_by_label("Problem summary")).to_have_count(0)
    expect(page.get_by_label("Summary", exact=True)).to_have_value(PROBLEM)
    version = page.locator("#field-lms_version")
    expect(version).to_be_hidden()
    page.get_by_label("Learning platform", exact=True).select_option("Moodle")
    expect(version).to_be_visible()
    expect(version).to_contain_text("only if Learning platform is Moodle, Canvas, Blackboard, Brightspace or Another")
    assert "lms is" not in version.inner_text()
    not_covered = page.get_by_role("heading", name="What support does not cover")
    assert not_covered.bounding_box()["y"] < page.get_by_label("Contact email").bounding_box()["y"]
    steps.shot("form")


def test_a_form_with_one_tag_has_no_tag_picker(page, served, steps):
    open_request_form(page, "Ask a question", tag=None)
    expect(page.get_by_label("Tag", exact=True)).to_have_count(0)
    expect(page.locator("#subject-preview")).to_have_text(f"[QUESTION] {PROBLEM}")
    steps.shot("question-form")


# --- 6 and 7. On a phone ---------------------------------------------------------------------


@pytest.mark.browser_context_args(**PHONE)
def test_on_a_phone_the_live_suggestions_appear_right_under_the_description_box(page, served, steps):
    page.goto("/support/problem/")
    box = page.get_by_label("Describe the problem in one sentence")
    box.press_sequentially("students not receiving points for quizzes", delay=15)
    first = page.locator("#live-suggestions li").first
    expect(first).to_be_visible()
    steps.shot("typing")
    under, typed = page.locator("#live-suggestions").bounding_box(), box.bounding_box()
    assert 0 <= under["y"] - (typed["y"] + typed["height"]) < 40, (typed, under)
    assert first.bounding_box()["y"] < 740  # on the screen while the keyboard is up


@pytest.mark.browser_context_args(**PHONE)
def test_on_a_phone_the_header_keeps_contact_support_and_a_troubleshooting_article_says_still_stuck_once(
    page, served, steps
):
    page.goto(f"/{TROUBLESHOOTING}")
    contact = page.locator(".md-header").get_by_role("link", name="Contact support")
    expect(contact).to_be_visible()
    box = contact.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375 and box["width"] >= 24
    steps.shot("article")
    expect(page.get_by_role("heading", name="Still stuck?")).to_have_count(1)
    button = page.locator("article").get_by_role("link", name="Contact support")
    expect(button).to_have_attribute("href", re.compile(r"from=troubleshooting(%2F|/)points-not-awarded"))
    contact.click()
    expect(page.get_by_role("heading", name="How can we help?")).to_be_visible()


# --- 2 and 8. The confirmation --------------------------------------------------------------


def test_the_confirmation_page_names_no_setting_or_path_and_gives_times_in_support_hours(page, served, steps):
    open_request_form(page)
    for label, value in REQUEST.items():
        page.get_by_label(label).fill(value)
    page.get_by_label("Steps to reproduce").fill("1. Learner 4711 finishes quiz 88\n2. The balance stays at 140")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Request received")).to_be_visible()
    steps.shot("confirmation")
    text = page.locator("main").inner_text()
    assert "DEFLECT_" not in text and ".eml" not in text and str(served.data_dir) not in text
    assert "First response within 8 support hours, by" in " ".join(text.split())
    assert f"on its way to {REQUEST['Contact email']}" in text
    due = re.search(r"by (\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d [\w/]+);", text).group(1)
    case = page.locator("#case-number").inner_text().strip()
    [mail] = served.smtp.wait_for(lambda r: r.message["Subject"] == f"[{case}] We received your request")
    body = " ".join(mail.message.get_content().split())
    assert f"within 8 support hours (by {due})" in body  # the same time, in the same zone
    assert f"Help center: {served.url}" in body  # a whole link, where `deflect serve` listens
    [copy] = served.smtp.wait_for(lambda r: r.message["X-Deflect-Case"] == case)
    said = copy.message.get_content().replace("\r\n", "\n")
    shown = re.findall(r"^- .* \((\S+)\)$", said.split("Articles shown before filing:")[1], re.M)
    assert shown and all(link.startswith(served.url) for link in shown), said  # articles a support agent can open
