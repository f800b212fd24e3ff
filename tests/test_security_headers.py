"""What the app and the site tell browsers: security headers, no caching of what a customer typed,
and cookies that are Secure over HTTPS (directly or through a trusted proxy) and usable over plain HTTP.
"""

from __future__ import annotations

import re

import pytest
from werkzeug.test import Client

from deflect.web.static_site import StaticSite
from tests.helpers import local, make_app

APP_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def assert_secure_headers(response) -> None:
    """The app's security headers: a CSP with no inline script, no sniffing, no framing, no referrer out."""
    for name, value in APP_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers)
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert policy["default-src"] == "'self'" and policy["form-action"] == "'self'"


def pages_with_what_the_customer_typed(client, support) -> dict[str, object]:
    """Every page of the flow that shows a request or what the customer typed, as the customer meets it."""
    pages = {
        "describe again": client.get("/problem/", query_string={"q": "Points missing for learner 4711"}),
        "suggestions": support.describe(q="Points missing for learner 4711 in course 123"),
    }
    pages["describe with an error"] = client.get("/problem/suggestions", query_string={"q": "x", "tag": "HIGH"})
    pages["form"] = support.open_form()
    pages["form refilled after an error"] = support.file(steps_to_reproduce="")
    pages["form refilled for the guard"] = support.file(impact="Call me on +44 20 7946 0958 about it")
    sent = support.file()
    pages["confirmation"] = client.get(local(sent.headers["Location"]))
    return pages


def test_every_page_showing_what_the_customer_typed_is_never_stored_by_a_cache(client, support):
    pages = pages_with_what_the_customer_typed(client, support)
    assert pages["confirmation"].status_code == 200 and "admin@springfield.example" in pages["confirmation"].text
    assert pages["form refilled after an error"].status_code == 422
    for name, response in pages.items():
        assert response.headers.get("Cache-Control") == "no-store", name
        assert_secure_headers(response)


@pytest.mark.parametrize(
    "url", ["/", "/problem/", "/thanks", "/no/such/page", "/api/suggest?q=password", "/api/forms", "/healthz"]
)
def test_every_page_and_json_answer_has_the_security_headers(client, url):
    response = client.get(url)
    assert_secure_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_api_errors_have_the_security_headers(client):
    response = client.post("/api/requests", json={"form": "problem"})
    assert response.status_code == 422
    assert_secure_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_the_pages_load_only_scripts_and_styles_from_the_apps_static_folder(client, support):
    for response in pages_with_what_the_customer_typed(client, support).values():
        page = response.text
        assert "<style" not in page and " style=" not in page and not re.search(r"\son[a-z]+=", page)
        for script in re.findall(r"<script[^>]*>", page):
            assert re.fullmatch(r'<script src="/support/static/[a-z]+\.js" defer>', script), script


def test_static_files_keep_their_caching_and_get_nosniff(client):
    with client.get("/static/suggest.js") as response:
        response.get_data()
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in response.headers.get("Cache-Control", "")


def session_cookie(response) -> str:
    """The Set-Cookie header of the session (which holds the CSRF token)."""
    [cookie] = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]
    return cookie


def test_over_plain_http_the_session_cookie_is_not_secure_so_local_use_works(client, support):
    cookie = session_cookie(support.describe())
    assert "Secure" not in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_over_https_the_session_cookie_is_secure(client):
    response = client.get(
        "/problem/suggestions",
        base_url="https://localhost",
        query_string={"q": "Students not receiving points for quiz completions", "tag": "HIGH"},
    )
    assert "; Secure" in session_cookie(response)


def test_a_forwarded_https_is_believed_only_from_a_trusted_proxy(kb_dir, kb_index, tmp_path):
    query = {"q": "Students not receiving points for quiz completions", "tag": "HIGH"}
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    untrusted = make_app(kb_dir, tmp_path / "a", kb_index).test_client()
    assert "Secure" not in session_cookie(untrusted.get("/problem/suggestions", query_string=query, headers=headers))
    trusted = make_app(kb_dir, tmp_path / "b", kb_index, DEFLECT_TRUSTED_PROXIES="1").test_client()
    assert "; Secure" in session_cookie(trusted.get("/problem/suggestions", query_string=query, headers=headers))


def test_a_form_sent_over_https_behind_a_trusted_proxy_is_filed(kb_dir, kb_index, tmp_path):
    """The CSRF check passes over HTTPS: Secure cookie, and the same-origin Referer the policy keeps."""
    from tests.helpers import SupportActions

    client = make_app(kb_dir, tmp_path / "var", kb_index, DEFLECT_TRUSTED_PROXIES="1").test_client()
    client.environ_base.update(
        {
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_X_FORWARDED_FOR": "198.51.100.7",
            "HTTP_REFERER": "https://localhost/support/problem/request",
        }
    )
    sent = SupportActions(client).file()
    assert sent.status_code == 303, sent.text
    assert "Request received" in client.get(local(sent.headers["Location"])).text


# --- The static site served by `deflect serve` -------------------------------------------------


@pytest.fixture
def site_client(tmp_path) -> Client:
    root = tmp_path / "site"
    (root / "faq").mkdir(parents=True)
    (root / "index.html").write_text("<h1>Home</h1>")
    (root / "404.html").write_text("<h1>Page not found</h1>")
    (root / "faq" / "index.html").write_text("<h1>FAQ</h1>")
    return Client(StaticSite(root))


@pytest.mark.parametrize("url, status", [("/", 200), ("/faq/", 200), ("/faq", 301), ("/nope/", 404)])
def test_the_site_has_the_headers_that_fit_a_material_site(site_client, url, status):
    response = site_client.get(url, buffered=True)
    assert response.status_code == status
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
