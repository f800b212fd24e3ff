"""The real `deflect serve` while its store is locked by another process or read-only, on each engine.

Filings (API and HTML form, several at once, more than half the server's threads) answer 503
within seconds, never 500; the site and /support/healthz answer within 2 s meanwhile; once the
fault is gone the same requests file, and every email arrives exactly once at a real SMTP server.
A stopped PostgreSQL server: tests/test_store_postgres.py.
"""

from __future__ import annotations

import html
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

from deflect.store.base import StoreBase
from deflect.store.sqlite import Store
from tests.delivery_fixtures import ENGINES
from tests.faults import held_lock, store_read_only
from tests.helpers import TYPED_PROBLEM
from tests.http_customer import Answer, Customer
from tests.loopback import SmtpServer

THREADS = 8  # deflect serve's default
NO_ARTICLE = "Xylophone zeppelin hangar ribbons"


@pytest.fixture(scope="module", params=ENGINES)
def served(request, start_deflect, project_kb_copy, tmp_path_factory):
    """One `deflect serve` per engine with a real SMTP server of its own (case numbers start at 1 on each
    engine); its store (SQLite's file, a PostgreSQL database)."""
    data = tmp_path_factory.mktemp("serve-store-faults") / "var"
    smtp = SmtpServer().start()
    env, store = {"DEFLECT_SMTP_URL": smtp.url}, Store(data / "deflect.sqlite3")
    if request.param == "postgresql":
        from deflect.store.postgres import PostgresStore

        database = request.getfixturevalue("postgres_server")
        env["DEFLECT_DATABASE_URL"] = database.url(database.create_database())
        store = PostgresStore(env["DEFLECT_DATABASE_URL"])
    server = start_deflect(project_kb_copy, data, env=env)
    yield server, store, smtp
    store.close()
    smtp.stop()
    assert server.stop() == 0


def file_all(customers: list[Customer], api: list[dict], forms: list[dict]) -> list[Answer]:
    """Send every filing at once: the API bodies, then the HTML forms (one customer each)."""
    jobs = [(c.post_json, "/support/api/requests", body) for c, body in zip(customers, api)]
    jobs += [(c.post_form, "/support/problem/request", fields) for c, fields in zip(customers[len(api) :], forms)]
    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(lambda job: job[0](job[1], job[2]), jobs))


def site_meanwhile(url: str) -> list[Answer]:
    """The help center, the health check and a suggestions page, asked while the filings wait."""
    visitor = Customer(url, 99)
    time.sleep(0.3)  # the filings are in the server now
    paths = ["/", "/support/healthz", f"/support/problem/suggestions?{urlencode({'q': NO_ARTICLE, 'tag': 'HIGH'})}"]
    return [visitor.get(path) for _ in range(3) for path in paths]


def assert_refused_politely(answers: list[Answer], n_api: int) -> None:
    """503 within 8 s with Retry-After; JSON with a message from the API, the filled form from HTML."""
    for answer in answers:
        assert answer.status == 503, answer
        assert answer.seconds < 8, answer.seconds
        assert int(answer.headers["Retry-After"]) > 0
    for answer in answers[:n_api]:
        assert "nothing was saved" in answer.json()["errors"]["request"]
    for answer in answers[n_api:]:
        page = html.unescape(answer.text)
        assert "We could not save your request just now" in page
        assert all(value in page for value in TYPED_PROBLEM.values())


def refile(customers: list[Customer], api: list[dict], refused: list[Answer]) -> list[str]:
    """Send each refused request again, as is (API) or from the page that came back (form)."""
    cases = []
    for customer, body in zip(customers, api):
        answer = customer.post_json("/support/api/requests", body)
        assert answer.status == 201, answer
        cases.append(answer.json()["case"])
    for customer, answer in zip(customers[len(api) :], refused[len(api) :]):
        sent = customer.post_form("/support/problem/request", customer.form_fields(answer.text))
        assert sent.status == 303, sent
        cases.append(sent.headers["Location"].split("/requests/")[1].split("?")[0])
    return cases


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the outbox"
        time.sleep(0.1)


def assert_sent_exactly_once(smtp: SmtpServer, store: StoreBase, cases: list[str]) -> None:
    """Every email the outbox holds for these cases (a support copy each at least) arrives once."""
    wait_for(lambda: all(e.status != "pending" for e in store.list_outbox() if e.case_number in cases))
    queued = [e for e in store.list_outbox() if e.case_number in cases and e.channel in ("support", "customer")]
    assert {e.case_number for e in queued if e.channel == "support"} == set(cases)
    assert {e.status for e in queued} == {"delivered"}
    smtp.wait_for(lambda r: any(case in r.message["Message-ID"] for case in cases), count=len(queued))
    time.sleep(2)  # anything sent twice would arrive now
    received = sorted(i for i in smtp.message_ids() if any(case in i for case in cases))
    assert received == sorted(e.payload["message_id"] for e in queued)


def test_a_locked_store_answers_503_within_seconds_while_the_site_keeps_answering(served):
    server, store, smtp = served
    customers = [Customer(server.url, n) for n in range(9)]  # more filings than the server has threads
    api = [c.api_token() for c in customers[:6]]
    forms = [c.open_form() for c in customers[6:]]
    site: list[Answer] = []
    visitor = threading.Thread(target=lambda: site.extend(site_meanwhile(server.url)))
    with held_lock(store):
        visitor.start()
        refused = file_all(customers, api, forms)
        visitor.join(30)
    assert_refused_politely(refused, len(api))
    assert [a.status for a in site] == [200] * 9
    assert max(a.seconds for a in site) < 2, [round(a.seconds, 2) for a in site]
    assert_sent_exactly_once(smtp, store, refile(customers, api, refused))


def test_a_read_only_store_answers_503_and_the_form_comes_back_filled(served):
    server, store, smtp = served
    customers = [Customer(server.url, 20 + n) for n in range(2)]
    api, forms = [customers[0].api_token()], [customers[1].open_form()]
    with store_read_only(store):
        refused = file_all(customers, api, forms)
    assert_refused_politely(refused, 1)
    assert_sent_exactly_once(smtp, store, refile(customers, api, refused))
    assert "Traceback" not in server.output()


@pytest.fixture
def served_on_postgres(start_deflect, project_kb_copy, tmp_path, postgres_server, postgres_url):
    """A `deflect serve` on a PostgreSQL database, with a real SMTP server; its store."""
    from deflect.store.postgres import PostgresStore

    smtp = SmtpServer().start()
    env = {"DEFLECT_SMTP_URL": smtp.url, "DEFLECT_DATABASE_URL": postgres_url}
    server = start_deflect(project_kb_copy, tmp_path / "var", env=env)
    store = PostgresStore(postgres_url)
    yield server, store, smtp
    store.close()
    smtp.stop()
    assert server.stop() == 0


def test_a_stopped_database_server_answers_503_within_seconds_and_filings_go_on_after_its_restart(
    served_on_postgres, postgres_server
):
    server, store, smtp = served_on_postgres
    customers = [Customer(server.url, 40 + n) for n in range(9)]  # more filings than the server has threads
    api = [c.api_token() for c in customers[:6]]
    forms = [c.open_form() for c in customers[6:]]
    site: list[Answer] = []
    visitor = threading.Thread(target=lambda: site.extend(site_meanwhile(server.url)))
    postgres_server.stop()
    try:
        visitor.start()
        refused = file_all(customers, api, forms)
        visitor.join(30)
    finally:
        postgres_server.start()
    assert_refused_politely(refused, len(api))
    assert {a.json()["retry_after"] for a in refused[: len(api)]} == {10}  # "down": a restart takes seconds
    assert [a.status for a in site] == [200] * 9
    assert max(a.seconds for a in site) < 2, [round(a.seconds, 2) for a in site]
    assert_sent_exactly_once(smtp, store, refile(customers, api, refused))
    assert "Traceback" not in server.output()
