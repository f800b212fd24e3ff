"""The honest ledger: "solved it" withdrawn by a filing within the window, provisional while it is open,
both doors joining their visits, /support/open forwarding only to articles, and retention that
purges visits and emails while the counts of past days stay right."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import threading

import pytest
from click.testing import CliRunner

from deflect.cli import main
from deflect.report.facts import visit_facts
from deflect.report.figures import figures
from deflect.report.period import Period
from deflect.report.retention import LedgerSettings, purge, purge_once_a_day
from deflect.report.tables import as_csv
from deflect.store.sqlite import Store
from tests.helpers import GOOD_PROBLEM

WINDOW = dt.timedelta(hours=24)
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
QUESTION = "Students not receiving points for quiz completions"


def event(kind: str, hours: float, visit: str = "v1", **extra) -> dict:
    row = dict(visit=visit, kind=kind, at=(T0 + dt.timedelta(hours=hours)).isoformat(), form="problem", tag="HIGH")
    row.update(description="quiz points", article_url="", article_title="", results=None, due_at=None)
    return {**row, **extra}


def metrics(events: list[dict], now_hours: float) -> dict:
    totals: dict = {}
    for _day, metric, *_, count in visit_facts(events, WINDOW, T0 + dt.timedelta(hours=now_hours)):
        totals[metric] = totals.get(metric, 0) + count
    return totals


SOLVED = [event("searched", 0, results=1), event("shown", 0, article_url="a/"), event("solved", 0.1, article_url="a/")]


@pytest.mark.parametrize(
    "filed_after, now, expected",
    [
        (None, 1, {"deflected": 1, "provisional": 1, "open": 1}),  # the window is still open
        (None, 30, {"deflected": 1, "confirmed": 1}),  # closed without a filing: confirmed
        (2, 30, {"failed": 1, "withdrawn": 1, "filed": 1, "filed_anyway": 1}),  # filed within 24 h
        (26, 30, {"deflected": 1, "confirmed": 1, "filed": 1, "filed_anyway": 1}),  # filed after the window
    ],
)
def test_a_solved_it_is_withdrawn_only_by_a_filing_of_the_same_visit_within_the_window(filed_after, now, expected):
    filing = [] if filed_after is None else [event("filed", filed_after, case_number="OLR-1")]
    found = metrics(SOLVED + filing, now)
    for key, value in expected.items():
        assert found.get(key) == value, (key, found)
    assert found.get("failed", 0) + found.get("deflected", 0) == 1  # one visit, one outcome


def test_a_filing_of_another_visit_does_not_withdraw_a_deflection():
    found = metrics(SOLVED + [event("filed", 1, visit="v2", case_number="OLR-2")], 30)
    assert found["deflected"] == 1 and found["filed"] == 1 and "failed" not in found


def test_the_api_door_joins_its_428_and_its_filing_in_one_visit(app, client):
    body = {
        "form": "problem",
        "subject": f"[HIGH] {QUESTION}",
        "email": "a@springfield.example",
        "fields": GOOD_PROBLEM,
    }
    step = client.post("/api/requests", json=body)
    assert step.status_code == 428 and step.get_json()["suggestions"]
    filed = client.post("/api/requests", json=dict(body, deflect_token=step.get_json()["deflect_token"]))
    assert filed.status_code == 201
    store = app.extensions["deflect_store"]
    found = figures(store, Period.last_days(30, dt.date.today()), WINDOW, dt.datetime.now(dt.UTC))
    assert found["filed"] == 1 and found["deflections"] == 0
    assert found["articles"][0]["filed_anyway"] == 1  # shown by the 428, then filed anyway
    rows = store.visits_between(T0 - dt.timedelta(days=3650), dt.datetime.now(dt.UTC) + WINDOW)
    assert {r["door"] for r in rows} == {"api"} and len({r["visit"] for r in rows}) == 1


def test_one_browser_is_one_visit_until_it_files(app, client, support):
    page = support.describe().get_data(as_text=True)
    form = re.search(r'<form method="post" action="[^"]*deflected".*?</form>', page, re.S).group(0)
    client.post(
        "/deflected", data={k: html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form)}
    )
    assert support.file().status_code == 303
    support.file(q="Points vanish after the nightly sync in course 7")
    rows = app.extensions["deflect_store"].visits_between(
        T0 - dt.timedelta(days=3650), dt.datetime.now(dt.UTC) + WINDOW
    )
    filings = sorted((r for r in rows if r["kind"] == "filed"), key=lambda r: r["at"])
    solved = next(r for r in rows if r["kind"] == "solved")
    assert filings[0]["visit"] == solved["visit"] != filings[1]["visit"]  # the filing ended the first visit


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/x", "/support/admin/", "javascript:alert(1)"])
def test_open_forwards_only_to_articles_of_the_index(client, url):
    answer = client.get("/open", query_string={"url": url})
    assert answer.status_code == 404 and "Location" not in answer.headers


def test_open_forwards_to_the_article_at_the_address_the_index_gives(client):
    answer = client.get("/open", query_string={"url": "/troubleshooting/points-not-awarded/#fix"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/troubleshooting/points-not-awarded/#fix"
    answer = client.get("/open", query_string={"url": '/troubleshooting/points-not-awarded/#x"><script>'})
    assert answer.headers["Location"] == "/troubleshooting/points-not-awarded/"


def test_the_purge_keeps_the_counts_of_past_days_and_erases_emails(app, client, support):
    store = app.extensions["deflect_store"]
    assert support.file().status_code == 303
    case = store.list_requests()[0]["case_number"]
    today = dt.date.today()
    period, later = Period.last_days(7, today), dt.datetime.now(dt.UTC) + dt.timedelta(days=500)
    before = figures(store, period, WINDOW, later)
    found = purge(store, LedgerSettings(WINDOW, visit_days=400, email_days=90), later)
    assert found["visits"] == 1 and found["emails"] == 1
    assert store.visits_between(T0 - dt.timedelta(days=3650), later) == []
    after = figures(store, period, WINDOW, later)
    for key in ("filed", "deflections", "searches", "over_time", "by_form", "filed_by_form_and_tag"):
        assert after[key] == before[key], key
    assert [a["filed_anyway"] for a in after["articles"]] == [a["filed_anyway"] for a in before["articles"]]
    record = store.get_request(case)
    assert record["email"] == "" and record["name"] == "" and record["purged"]
    assert all(entry.payload == {"purged": True} for entry in store.list_outbox(("failed", "delivered")))


def test_the_daily_purge_runs_once_a_day_across_callers(app):
    store, config = app.extensions["deflect_store"], LedgerSettings(WINDOW, 400, 90)
    now, results = dt.datetime.now(dt.UTC), []
    callers = [threading.Thread(target=lambda: results.append(purge_once_a_day(store, config, now))) for _ in range(4)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert sum(r is not None for r in results) == 1
    assert purge_once_a_day(store, config, now + dt.timedelta(hours=23)) is None
    assert purge_once_a_day(store, config, now + dt.timedelta(hours=24)) is not None


def test_the_report_says_when_a_period_has_no_data_and_names_a_wrong_date(tmp_path, monkeypatch):
    monkeypatch.setenv("DEFLECT_DATA_DIR", str(tmp_path))
    Store.in_data_dir(tmp_path)
    done = CliRunner().invoke(main, ["report", "--since", "2020-01-01", "--until", "2020-01-31", "--json"])
    found = json.loads(done.stdout)
    assert (
        found["no_data"] and found["message"] == "No visits, requests or page feedback from 2020-01-01 to 2020-01-31."
    )
    assert found["deflection_rate"] is None and found["period"]["bucket"] == "day"
    wrong = CliRunner().invoke(main, ["report", "--since", "1 May"])
    assert wrong.exit_code == 2 and "since: '1 May' is not a date: write it as YYYY-MM-DD" in wrong.output


def test_a_csv_cell_never_runs_as_a_spreadsheet_formula():
    found = {
        "articles": [
            {
                "title": '=HYPERLINK("http://evil")',
                "url": "a/",
                **dict.fromkeys(
                    (
                        "shown",
                        "opened",
                        "solved",
                        "confirmed",
                        "failed_deflections",
                        "filed_anyway",
                        "helpful",
                        "not_helpful",
                    ),
                    0,
                ),
            }
        ]
    }
    assert as_csv(found, "articles").splitlines()[1].startswith("\"'=HYPERLINK")


def test_feedback_takes_a_comment_and_refuses_one_too_long(app, client):
    page = "/troubleshooting/points-not-awarded/"
    assert (
        client.post("/api/feedback", json={"page": page, "helpful": False, "comment": "No Canvas\nsteps"}).status_code
        == 201
    )
    too_long = client.post("/api/feedback", json={"page": page, "helpful": False, "comment": "x" * 1001})
    assert too_long.status_code == 422 and "at most 1000 characters" in too_long.get_json()["errors"]["comment"]
    found = figures(
        app.extensions["deflect_store"], Period.last_days(1, dt.date.today()), WINDOW, dt.datetime.now(dt.UTC)
    )
    assert found["articles"][0]["comments"][0]["comment"] == "No Canvas steps"


@pytest.mark.parametrize(
    ("comment", "held"),
    [
        ("Ask dana.admin@springfield.example, she knows", "an email address"),
        ("My password is Hunter2-Orbit-2026 and it still fails", "a password"),
    ],
)
def test_a_comment_holding_personal_data_is_refused_with_the_fix_and_not_kept(app, client, comment, held):
    page = "/troubleshooting/points-not-awarded/"
    reply = client.post("/api/feedback", json={"page": page, "helpful": False, "comment": comment})
    assert reply.status_code == 422
    message = reply.get_json()["errors"]["comment"]
    assert message.startswith("comment: ") and held in message and "without personal data" in message
    found = figures(
        app.extensions["deflect_store"], Period.last_days(1, dt.date.today()), WINDOW, dt.datetime.now(dt.UTC)
    )
    assert found["articles"] == [] or all(not a["comments"] for a in found["articles"])


def test_an_article_only_answered_on_the_site_is_named_by_its_title_on_the_dashboard(app, client):
    """Its title came from the form's visits only: an article never shown there was named by its URL."""
    page = "/faq/billing/seat-counts/"
    assert client.post("/api/feedback", json={"page": page, "helpful": False}).status_code == 201
    found = figures(
        app.extensions["deflect_store"], Period.last_days(1, dt.date.today()), WINDOW, dt.datetime.now(dt.UTC)
    )
    [article] = found["articles"]
    assert article["url"] == "faq/billing/seat-counts/" and article["not_helpful"] == 1
    assert article["title"] == "How learner seats are counted"
