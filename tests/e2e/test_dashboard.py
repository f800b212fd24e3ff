"""The support lead's dashboard in a real browser: nothing without logging in; once logged in, every
chart drawn by the app's own Chart.js under the app's CSP, the tables beside them, and no serious
axe-core violation on the login page or the dashboard."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from axe_playwright_python.sync_playwright import Axe
from customer import PROBLEM
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

EMAIL, PASSWORD = "lead@orbit.example", "a long browser password"
CHARTS = ("rate-over-time", "rate-by-form", "rate-by-tag", "filed-over-time", "filed-by-form-and-tag")


@pytest.fixture(scope="module")
def account(served):
    """An account made the documented way: `deflect admin add EMAIL --password-stdin`."""
    environment = {**os.environ, "DEFLECT_DATA_DIR": str(served.data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "deflect", "admin", "add", EMAIL, "--password-stdin"],
        input=PASSWORD + "\n",
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return EMAIL


@pytest.fixture
def problems(page):
    """Every CSP complaint and script error the browser reports while the test runs."""
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: found.append(f"page error: {error}"))
    return found


def log_in(page, email: str = EMAIL, password: str = PASSWORD) -> None:
    page.goto("/support/admin/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def a_deflected_visit(page) -> None:
    """One customer through the browser: step 2, an article opened, "This solved my problem"."""
    page.goto("/support/problem/")
    page.get_by_label("Describe the problem in one sentence").fill(PROBLEM)
    page.get_by_role("radio", name="[HIGH]").check()
    page.get_by_role("button", name="Show matching articles").click()
    first = page.locator("ol.articles > li").first
    with page.context.expect_page() as opened:
        first.get_by_role("link").click()
    opened.value.close()
    first.get_by_role("button", name="This solved my problem").click()
    expect(page.get_by_role("heading", name="Glad that solved it")).to_be_visible()


def test_without_logging_in_the_dashboard_shows_only_the_login(page, served, account, steps):
    for path in ("/support/admin/", "/support/admin/export/articles.csv", "/support/admin/?days=7"):
        answer = page.goto(path)
        assert answer.status == 401
        expect(page.get_by_role("heading", name="Log in to the support dashboard")).to_be_visible()
        assert "Deflection rate" not in page.content()
    steps.shot("login")
    log_in(page, password="not the password at all")
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    assert "Deflection rate" not in page.content()
    steps.shot("refused")


def test_the_dashboard_draws_every_chart_beside_its_table(page, served, account, steps, problems):
    a_deflected_visit(page)
    log_in(page)
    expect(page.get_by_role("heading", name="Support dashboard")).to_be_visible()
    for table in CHARTS:
        expect(page.locator(f"canvas[data-chart-for={table}][data-drawn=true]")).to_have_count(1)
        expect(page.locator(f"table#{table}")).to_be_visible()
    drawn = page.evaluate(
        """ids => ids.map(id => {
            const canvas = document.querySelector(`canvas[data-chart-for=${id}]`);
            const chart = window.Chart.getChart(canvas);
            const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let inked = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked++;
            return {id, datasets: chart ? chart.data.datasets.length : 0, width: canvas.width, inked};
        })""",
        list(CHARTS),
    )
    for chart in drawn:
        assert chart["datasets"] >= 1 and chart["width"] > 100 and chart["inked"] > 500, chart
    assert int(page.locator("#deflections").inner_text()) >= 1
    expect(page.locator("table#articles")).to_contain_text("Opened")
    steps.shot("dashboard")
    page.locator("#over-time-title").scroll_into_view_if_needed()
    page.screenshot(path=steps.folder / "charts-in-view.png")
    page.get_by_label("Last 7 days").check()
    page.get_by_role("button", name="Show").click()
    expect(page.locator("canvas[data-chart-for=rate-over-time][data-drawn=true]")).to_have_count(1)
    steps.shot("last-7-days")
    assert problems == []

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to the support dashboard")).to_be_visible()
    assert page.goto("/support/admin/").status == 401


def test_a_readers_comment_from_the_help_center_is_shown_on_the_dashboard_as_text(page, served, account, steps):
    comment = "Nothing about <b>x</b> & seats for <script>alert(1)</script> guests"
    page.goto("/faq/accounts/two-factor-authentication/")
    page.get_by_role("button", name="This page could be improved").click()
    page.get_by_label("What were you looking for? (optional)").fill(comment)
    with page.expect_response(lambda r: r.url.endswith("/support/api/feedback")) as sent:
        page.get_by_role("button", name="Send").click()
    assert sent.value.status == 201
    log_in(page)
    shown = page.locator("ul.comments li", has_text=comment)
    expect(shown).to_have_count(1)
    expect(shown).to_contain_text("not helpful:")
    expect(page.locator("ul.comments b, ul.comments script")).to_have_count(0)  # shown, never rendered
    shown.scroll_into_view_if_needed()
    steps.shot("comment-on-the-dashboard", full_page=False)


@pytest.mark.parametrize("where", ["login", "dashboard"])
def test_no_serious_accessibility_violations_on_the_dashboard(page, served, account, steps, where):
    if where == "dashboard":
        log_in(page)
        expect(page.locator("canvas[data-drawn=true]").first).to_be_visible()
    else:
        page.goto("/support/admin/login")
    steps.shot(where)
    violations = Axe().run(page).response["violations"]
    (steps.folder / "axe.json").write_text(json.dumps(violations, indent=1))
    blocking = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not blocking, [(v["id"], v["help"], [n["target"] for n in v["nodes"][:5]]) for v in blocking]


@pytest.mark.browser_context_args(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
def test_on_a_phone_the_dashboard_fits_and_its_wide_tables_scroll_inside_it(page, served, account, steps):
    """The tables of the form/tag pair widened the page to 578 px, so a phone zoomed the whole dashboard out."""
    a_deflected_visit(page)
    log_in(page)
    expect(page.locator("canvas[data-chart-for=rate-by-form][data-drawn=true]")).to_have_count(1)
    assert page.evaluate("[window.innerWidth, document.documentElement.scrollWidth]") == [375, 375]
    wide = page.locator(".scroll:has(table#articles)")
    assert wide.evaluate("e => e.scrollWidth > e.clientWidth")  # the articles' ten columns scroll in their box
    page.locator("#by-form-title").scroll_into_view_if_needed()
    steps.shot("phone-rates", full_page=False)
