"""The issue's check, through the public HTTP doors of a real `deflect serve`: a known mix of visits,
then `deflect report --json` and the dashboard (after `deflect admin add`) show the same counts.

Three visits say "This solved my problem", one says it and then files, two file without saying it:
filed 3, deflections 3, failed deflections 1, rate 50 %. Besides: a search that finds nothing, an
article opened through the app, page feedback with a comment.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import subprocess
import sys
import time
from urllib.parse import urlencode

import pytest

from deflect.store.sqlite import Store
from tests.helpers import hidden
from tests.http_customer import QUESTION, Customer

NOTHING = "Zorbly quaxel fremtangs keep vrolling sideways"
EMAIL, PASSWORD = "lead@orbit.example", "twelve or more characters"
ARTICLE = "troubleshooting/points-not-awarded/"


def deflect(data_dir, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run the `deflect` command on the server's data dir."""
    environment = {**os.environ, "DEFLECT_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "deflect", *args]
    return subprocess.run(command, input=stdin, env=environment, capture_output=True, text=True, check=False)


def search(customer: Customer, q: str = QUESTION) -> str:
    page = customer.get(f"/support/problem/suggestions?{urlencode({'q': q, 'tag': 'HIGH'})}")
    assert page.status == 200, page
    return page.text


def solved(customer: Customer, page: str) -> None:
    """Press "This solved my problem" on the first article."""
    form = re.search(r'<form method="post" action="([^"]*deflected)".*?</form>', page, re.S)
    fields = {k: html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(0))}
    assert customer.post_form(html.unescape(form.group(1)), fields).status == 302


def file(customer: Customer, page: str) -> None:
    """ "I still need help", then send the complete request."""
    link = html.unescape(re.search(r'class="button" href="([^"]+)"', page).group(1))
    form = customer.get(link)
    answer = customer.post_form("/support/problem/request", customer.form_fields(form.text))
    assert answer.status == 303, answer.text[:500]


def delivered(data_dir, timeout: float = 30) -> None:
    """Wait until the served app's outbox has sent (here: written to var/mail/) every message."""
    store, deadline = Store.in_data_dir(data_dir), time.monotonic() + timeout
    while store.list_outbox(("pending",)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not store.list_outbox(("pending",)), "the outbox did not deliver the mix's messages"


@pytest.fixture(scope="module")
def mix(start_deflect, project_kb_copy, tmp_path_factory):
    """The served app after the known mix of visits, each customer from an address of its own."""
    data_dir = tmp_path_factory.mktemp("ledger") / "var"
    server = start_deflect(project_kb_copy, data_dir, env={"DEFLECT_WEBHOOK_URL": ""})
    customers = (Customer(server.url, n) for n in range(1, 30))
    for _ in range(3):
        one = next(customers)
        solved(one, search(one))
    solved_then_filed = next(customers)
    page = search(solved_then_filed)
    solved(solved_then_filed, page)
    file(solved_then_filed, page)
    for _ in range(2):
        one = next(customers)
        file(one, search(one))
    nothing = next(customers)
    assert "No article matches this yet" in search(nothing, NOTHING)
    reader = next(customers)
    link = html.unescape(
        re.search(r'<ol class="articles">\s*<li class="article">\s*<a href="([^"]+)"', search(reader)).group(1)
    )
    assert reader.get(link).status == 302
    comment = {"page": "/" + ARTICLE, "helpful": False, "comment": "Nothing about Canvas quizzes"}
    assert reader.post_json("/support/api/feedback", comment).status == 201
    assert reader.post_json("/support/api/feedback", {"page": "/" + ARTICLE, "helpful": True}).status == 201
    assert deflect(data_dir, "admin", "add", EMAIL, "--password-stdin", stdin=PASSWORD + "\n").returncode == 0
    delivered(data_dir)  # the response-target figures change while the outbox still delivers
    yield server, data_dir, next(customers)
    assert server.stop() == 0, server.output()


def test_the_json_report_counts_the_mix_as_the_issue_says(mix):
    _, data_dir, _ = mix
    done = deflect(data_dir, "report", "--json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    counts = {k: found[k] for k in ("filed", "deflections", "failed_deflections", "deflection_rate")}
    assert counts == {"filed": 3, "deflections": 3, "failed_deflections": 1, "deflection_rate": 0.5}
    assert found["provisional_deflections"] == 3  # the 24 h window of each is still open
    assert found["no_data"] is False and found["period"]["days"] == 30
    [nothing] = found["content_gaps"]["no_results"]
    assert nothing["descriptions"] == [{"text": NOTHING.lower(), "count": 1}]
    [filed_anyway] = found["content_gaps"]["filed_anyway"]
    assert filed_anyway["count"] == 3 and filed_anyway["descriptions"][0]["text"] == QUESTION.lower()
    article = next(a for a in found["articles"] if a["url"] == ARTICLE)
    assert article["opened"] >= 1 and article["helpful"] == 1 and article["not_helpful"] == 1
    assert article["comments"][0]["comment"] == "Nothing about Canvas quizzes"
    top = found["articles"][0]
    assert top["filed_anyway"] == 3 and top["solved"] == 4 and top["failed_deflections"] == 1


def test_the_dashboard_shows_the_same_figures_as_the_report(mix):
    _, data_dir, lead = mix
    login = lead.get("/support/admin/")
    assert login.status == 401 and "Deflection rate" not in login.text
    fields = dict(hidden(login.text), email=EMAIL, password=PASSWORD, next="/support/admin/")
    assert lead.post_form("/support/admin/login", fields).status == 303
    page = lead.get("/support/admin/")
    assert page.status == 200
    shown = {
        name: re.search(rf'<dd id="{name}">([^<]+)</dd>', page.text).group(1)
        for name in ("filed", "deflections", "failed", "rate")
    }
    assert shown == {"filed": "3", "deflections": "3", "failed": "1", "rate": "50 %"}
    assert "3 deflections &divide; (3 deflections + 3 filed requests)" in page.text
    assert html.escape(NOTHING.lower()) in page.text and "Nothing about Canvas quizzes" in page.text
    summary = next(csv.DictReader(io.StringIO(lead.get("/support/admin/export/summary.csv").text)))
    report = next(csv.DictReader(io.StringIO(deflect(data_dir, "report", "--csv").stdout)))
    assert summary == report and summary["deflection_rate"] == "0.5"
