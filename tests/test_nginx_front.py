"""deflect behind a real nginx running docs/nginx/deflect.conf: the set-up docs/deploy.md documents.

nginx (Debian's) serves the built site and proxies /support/ to a real `deflect serve` that trusts
it (DEFLECT_TRUSTED_PROXIES=127.0.0.1). Clients come from loopback addresses of their own
(127.0.0.2, 127.0.0.3, ...), so per-client limits are per real client, as behind a real proxy.
"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import ssl
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from deflect.kb.folder import KnowledgeBase
from deflect.web.headers import CONTENT_SECURITY_POLICY
from tests.helpers import GOOD_FIELDS
from tests.nginx_front import self_signed_certificate, start_nginx
from tests.slow_clients import Client, Slowloris, answer_time, forged_forwarded_statuses, raw_request, status_of

ARTICLE = "faq/accounts/reset-password/"


@pytest.fixture(scope="module")
def app_server(start_deflect, project_kb_copy, tmp_path_factory):
    """`deflect serve` trusting the proxy on 127.0.0.1 to say who the client is."""
    data = tmp_path_factory.mktemp("behind-nginx") / "var"
    server = start_deflect(project_kb_copy, data, env={"DEFLECT_TRUSTED_PROXIES": "127.0.0.1"})
    server.port = urlsplit(server.url).port
    server.site = KnowledgeBase.at(project_kb_copy).site_dir(data)
    yield server
    assert server.stop() == 0, server.output()


@pytest.fixture(scope="module")
def front(app_server, tmp_path_factory):
    """nginx with the documented config, serving a copy of the built site that holds two symlinks out."""
    folder = tmp_path_factory.mktemp("nginx")
    site = folder / "site"
    shutil.copytree(app_server.site, site)
    private = folder / "private"
    (private / "keys").mkdir(parents=True)
    (private / "secret.txt").write_text("SECRET-4711")
    (private / "keys" / "index.html").write_text("KEYS-4711")
    (site / "leak.txt").symlink_to(private / "secret.txt")
    (site / "leak").symlink_to(private / "keys")
    nginx = start_nginx(folder / "run", site, app_server.port)
    nginx.site = site
    yield nginx
    nginx.stop()


@pytest.fixture
def client(front):
    opened = []

    def open_client(source: str = "127.0.0.1") -> Client:
        opened.append(Client(front.port, source))
        return opened[-1]

    yield open_client
    for each in opened:
        each.close()


# --- The site ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/" + ARTICLE, "/search/search_index.json"])
def test_site_files_are_served_from_site_with_the_site_headers(front, client, path):
    status, headers, body = client().request("GET", path)
    file = front.site / path.lstrip("/") / ("index.html" if path.endswith("/") else "")
    assert status == 200 and body == file.read_bytes()
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy and "script-src 'self'" in policy


def test_a_missing_page_gets_the_sites_own_404_page(front, client):
    status, headers, body = client().request("GET", "/no/such/page/")
    assert status == 404 and body == (front.site / "404.html").read_bytes()
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_a_folder_url_without_its_slash_is_redirected(client):
    status, headers, _ = client().request("GET", "/" + ARTICLE.rstrip("/"))
    assert status == 301 and headers["Location"].endswith("/" + ARTICLE)


@pytest.mark.parametrize("path", ["/leak.txt", "/leak/", "/leak/index.html", "/leak"])
def test_a_symlink_out_of_the_site_is_never_followed(front, client, path):
    status, _, body = client().request("GET", path)
    assert status == 404 and body == (front.site / "404.html").read_bytes()
    assert b"4711" not in body


# --- The app behind it ---------------------------------------------------------------------------


def test_the_app_is_proxied_with_only_its_own_stricter_headers(client):
    status, headers, body = client().request("GET", "/support/")
    assert status == 200 and b"How can we help?" in body
    assert headers.get_all("Content-Security-Policy") == [CONTENT_SECURITY_POLICY]
    assert headers.get_all("X-Frame-Options") == ["DENY"]
    assert headers["Cache-Control"] == "no-store"
    assert client().request("GET", "/support")[0] == 301


def test_a_request_is_filed_through_the_proxy(client):
    customer = client("127.0.0.2")
    request = {
        "form": "question",
        "subject": "[QUESTION] How do I give bonus points for early quizzes",
        "email": "admin@springfield.example",
        "fields": GOOD_FIELDS["question"],
    }
    status, _, body = customer.request("POST", "/support/api/requests", request)
    assert status == 428, body
    token = json.loads(body)["deflect_token"]
    status, _, body = customer.request("POST", "/support/api/requests", dict(request, deflect_token=token))
    assert status == 201, body
    assert json.loads(body)["case"]


def test_the_sites_feedback_widget_reaches_the_app_for_articles_only(client):
    widget = client("127.0.0.3")
    assert widget.request("POST", "/support/api/feedback", {"page": "/" + ARTICLE, "helpful": True})[0] == 201
    assert widget.request("POST", "/support/api/feedback", {"page": "/no/such/page/", "helpful": False})[0] == 422


def session_cookie(headers) -> str:
    [cookie] = [value for value in headers.get_all("Set-Cookie") or [] if value.startswith("session=")]
    return cookie


SUGGESTIONS = "/support/problem/suggestions?q=Students+not+receiving+points+for+quiz+completions&tag=HIGH"


def test_over_plain_http_through_nginx_the_session_cookie_is_not_secure(client):
    status, headers, _ = client("127.0.0.4").request("GET", SUGGESTIONS)
    assert status == 200 and "Secure" not in session_cookie(headers)


def test_over_https_through_nginx_the_session_cookie_is_secure(app_server, front, tmp_path):
    """nginx terminates TLS and says so in X-Forwarded-Proto; deflect believes it from 127.0.0.1 only."""
    certificate = self_signed_certificate(tmp_path)
    tls_front = start_nginx(tmp_path / "run", front.site, app_server.port, tls=certificate)
    try:
        connection = http.client.HTTPSConnection(
            "127.0.0.1", tls_front.port, timeout=10, context=ssl.create_default_context(cafile=certificate[0])
        )
        connection.request("GET", SUGGESTIONS)
        response = connection.getresponse()
        response.read()
        connection.close()
    finally:
        tls_front.stop()
    assert response.status == 200 and "; Secure" in session_cookie(response.headers)


# --- Slow and greedy clients stop at nginx --------------------------------------------------------


def established_connections(port: int) -> int:
    """TCP connections established to `port` on this machine (Linux: /proc/net/tcp)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            count += state == "01" and int(local.rsplit(":", 1)[1], 16) == port
    return count


def test_a_slowloris_is_held_and_cut_by_nginx_and_never_reaches_the_app(front, app_server):
    before = established_connections(app_server.port)
    attack = Slowloris("127.0.0.1", front.port, count=110, every=5, source="127.0.0.9").start()
    try:
        deadline = time.monotonic() + 13  # client_header_timeout 10s, and a margin
        timings = []
        while time.monotonic() < deadline:
            timings.append(answer_time(front.url + "support/healthz"))
            timings.append(answer_time(front.url + ARTICLE))
            assert established_connections(app_server.port) <= before + 20  # nginx's keep-alive pool, not 110
            time.sleep(0.5)
        assert max(timings) < 2.0
        assert attack.closed_by_server() == 110
    finally:
        attack.stop()


def test_a_huge_body_is_refused_by_nginx_before_it_is_sent(front):
    head = (
        b"POST /support/api/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 300000000\r\n\r\n"
    )
    started = time.monotonic()
    response = raw_request("127.0.0.1", front.port, head, body=b"{", wait=5, source="127.0.0.10")
    assert status_of(response) == 413 and b"Server: nginx" in response
    assert time.monotonic() - started < 5


def test_requests_in_progress_are_limited_per_client_address(front, client):
    """20 requests at once from one address (here: bodies that never come); the 21st gets 429, others are served."""
    head = (
        b"POST /support/api/feedback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n"
    )
    hogs = [
        socket.create_connection(("127.0.0.1", front.port), timeout=5, source_address=("127.0.0.11", 0))
        for _ in range(20)
    ]
    try:
        for hog in hogs:
            hog.sendall(head)
        time.sleep(0.5)
        assert client("127.0.0.11").request("GET", "/support/healthz")[0] == 429
        assert client("127.0.0.12").request("GET", "/support/healthz")[0] == 200
    finally:
        for hog in hogs:
            hog.close()


# --- Rate limits count per real client behind the proxy -------------------------------------------


def suggest_until_limited(customer: Client, most: int = 130, headers: dict | None = None) -> int:
    """Ask for suggestions until the app answers 429; return how many were answered 200."""
    for answered in range(most):
        status, _, body = customer.request("GET", "/support/api/suggest?q=password", headers=headers)
        if status == 429:
            return answered
        assert status == 200, body
    return most


def test_two_clients_behind_the_proxy_have_separate_buckets(client):
    assert suggest_until_limited(client("127.0.0.20")) == 120
    assert client("127.0.0.21").request("GET", "/support/api/suggest?q=password")[0] == 200


def test_behind_the_proxy_a_forged_forwarded_for_does_not_change_the_bucket(client):
    forger = client("127.0.0.22")
    assert suggest_until_limited(forger, headers={"X-Forwarded-For": "198.51.100.1"}) == 120
    for n in range(2, 5):
        status = forger.request(
            "GET", "/support/api/suggest?q=password", headers={"X-Forwarded-For": f"198.51.100.{n}"}
        )[0]
        assert status == 429


def test_a_client_that_bypasses_the_proxy_cannot_claim_a_forwarded_address(app_server):
    """deflect trusts 127.0.0.1 only: a forged X-Forwarded-For from anyone else is ignored."""
    statuses = forged_forwarded_statuses(app_server.port, "127.0.0.23")
    assert statuses.count(200) == 120 and statuses[-1] == 429
