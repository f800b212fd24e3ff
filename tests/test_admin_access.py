"""Who sees the dashboard: nobody without a session (every admin URL walked), cookies that scripts and
other sites cannot use, log out that ends a copied cookie too, limits on failed logins, passwords
never kept in clear, and no way to be sent elsewhere after logging in."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from deflect.cli import main
from tests.helpers import hidden, make_app

EMAIL, PASSWORD = "lead@orbit.example", "correct horse battery staple"
DATA = ("Deflection rate", "filed,deflections", "Delivery health")


@pytest.fixture
def admin_app(kb_dir, kb_index, tmp_path, monkeypatch):
    """The app, with an account made by `deflect admin add EMAIL --password-stdin`."""
    monkeypatch.setenv("DEFLECT_DATA_DIR", str(tmp_path / "var"))
    done = CliRunner().invoke(main, ["admin", "add", EMAIL, "--password-stdin"], input=PASSWORD + "\n")
    assert done.exit_code == 0, done.output
    return make_app(kb_dir, tmp_path / "var", kb_index, LOGIN_ACCOUNT_RATE_LIMIT="3 per hour")


def log_in(client, email=EMAIL, password=PASSWORD, base_url=None, **extra):
    page = client.get("/admin/login", base_url=base_url).get_data(as_text=True)
    fields = dict(hidden(page), email=email, password=password, **extra)
    # Over HTTPS Flask-WTF also checks that the form came from this site (its Referer).
    referer = {"Referer": f"{base_url}/admin/login"} if base_url else {}
    return client.post("/admin/login", data=fields, base_url=base_url, headers=referer)


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def admin_urls(app) -> list[tuple[str, str]]:
    """Every admin route with every method it takes, its arguments filled in."""
    samples = {"name": "summary", "kind": "no_results", "number": 1}
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            path = rule.rule.removeprefix("/support")
            for name in rule.arguments:
                path = re.sub(rf"<(\w+:)?{name}>", str(samples[name]), path)
            found += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def test_every_admin_url_without_a_session_answers_the_login_page_never_data(admin_app):
    client = admin_app.test_client()
    urls = admin_urls(admin_app)
    assert len(urls) >= 6, urls  # dashboard, export, template, login (GET, POST), logout
    for method, path in urls:
        answer = client.open(path, method=method)
        body = answer.get_data(as_text=True)
        assert answer.status_code in (200, 400, 401, 403), (method, path, answer.status_code)
        assert not any(word in body for word in DATA), (method, path)
        if method == "GET":
            assert "Log in to the support dashboard" in body, path


def test_a_session_cookie_is_httponly_samesite_and_secure_over_https(admin_app):
    secure = log_in(admin_app.test_client(), base_url="https://localhost/support")
    assert secure.status_code == 303
    cookie = secure.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    plain = log_in(admin_app.test_client()).headers["Set-Cookie"]
    assert "HttpOnly" in plain and "Secure" not in plain  # a local `deflect serve` over HTTP keeps working


def test_log_out_ends_the_session_even_for_a_copied_cookie(admin_app):
    client = admin_app.test_client()
    copied = log_in(client).headers["Set-Cookie"].split(";")[0].partition("=")[2]
    page = client.get("/admin/").get_data(as_text=True)
    assert "Deflection rate" in page
    assert client.post("/admin/logout", data=hidden(page)).status_code == 303
    thief = admin_app.test_client()
    thief.set_cookie("session", copied, domain="localhost", path="/support")
    assert thief.get("/admin/").status_code == 401


def test_the_login_form_needs_its_csrf_token(admin_app):
    answer = admin_app.test_client().post("/admin/login", data={"email": EMAIL, "password": PASSWORD})
    assert answer.status_code == 400 and "Set-Cookie" not in answer.headers


def test_failed_logins_are_limited_per_account_whatever_the_address(admin_app):
    for n in range(3):
        client = from_address(admin_app, f"10.0.0.{n + 1}")
        assert log_in(client, password="wrong password here").status_code == 401
    late = from_address(admin_app, "10.0.0.9")
    refused = log_in(late)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "3 failed logins an hour for one account" in refused.get_data(as_text=True)


def test_failed_logins_are_limited_per_address(kb_dir, kb_index, tmp_path):
    app = make_app(kb_dir, tmp_path / "var", kb_index, LOGIN_RATE_LIMIT="2 per hour")
    client = app.test_client()
    for n in range(2):
        assert log_in(client, email=f"guess{n}@orbit.example").status_code == 401
    assert log_in(client, email="another@orbit.example").status_code == 429


def test_a_good_login_does_not_count_against_the_limit(admin_app):
    client = admin_app.test_client()
    for _ in range(5):
        assert log_in(client).status_code == 303


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/admin/", "/support/admin/../../x", "/elsewhere"]
)
def test_after_logging_in_the_browser_stays_on_the_dashboard(admin_app, target):
    answer = log_in(admin_app.test_client(), next=target)
    assert answer.status_code == 303 and answer.headers["Location"] == "/support/admin/"


def test_a_wrong_password_or_an_unknown_account_get_the_same_answer(admin_app):
    wrong = log_in(admin_app.test_client(), password="not the password").get_data(as_text=True)
    unknown = log_in(admin_app.test_client(), email="nobody@orbit.example").get_data(as_text=True)
    assert "do not match an account" in wrong and "do not match an account" in unknown


def test_the_password_is_never_stored_or_printed_in_clear(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("DEFLECT_DATA_DIR", str(tmp_path))
    done = CliRunner().invoke(main, ["admin", "add", EMAIL, "--password-stdin"], input=PASSWORD + "\n")
    assert done.exit_code == 0 and PASSWORD not in done.output and PASSWORD not in caplog.text
    for file in tmp_path.iterdir():
        assert PASSWORD.encode() not in file.read_bytes(), file
    short = CliRunner().invoke(main, ["admin", "add", EMAIL, "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least 12" in short.output


def test_admin_add_asks_twice_when_no_password_comes_on_stdin(tmp_path, monkeypatch):
    monkeypatch.setenv("DEFLECT_DATA_DIR", str(tmp_path))
    done = CliRunner().invoke(main, ["admin", "add", EMAIL], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert done.exit_code == 0 and "Created lead@orbit.example" in done.output
    listed = CliRunner().invoke(main, ["admin", "list"])
    assert EMAIL in listed.output
