"""A customer of a live `deflect serve` without a browser: plain HTTP from a loopback address of its own.

Each customer keeps its cookies (the session that carries the form's CSRF token) and sends from
its own 127.0.0.x address, so the per-client filing limit counts each one separately, as it would
count real customers.
"""

from __future__ import annotations

import html
import http.client
import json
import re
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from tests.helpers import GOOD_PROBLEM, TYPED_PROBLEM, hidden

QUESTION = "Students not receiving points for quiz completions"
API_BODY = {"form": "problem", "subject": f"[HIGH] {QUESTION}", "fields": GOOD_PROBLEM}


@dataclass
class Answer:
    """One HTTP answer and how long it took."""

    status: int
    headers: dict[str, str]
    text: str
    seconds: float

    def json(self) -> dict:
        return json.loads(self.text)


class Customer:
    """One customer's HTTP client against a live server (`url` ends with "/")."""

    def __init__(self, url: str, number: int):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.address = f"127.0.0.{10 + number}"
        self.email = f"admin{number}@springfield.example"  # a mailbox each: confirmation caps count per mailbox
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None, timeout: float = 30
    ) -> Answer:
        """Send one request on a fresh connection; keep the cookies the server sets."""
        headers = {"Content-Type": content_type} if content_type else {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout, source_address=(self.address, 0))
        started = time.monotonic()
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";")[0].partition("=")
            self.cookies[name.strip()] = value
        return Answer(response.status, dict(response.headers), text, time.monotonic() - started)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post_json(self, path: str, body: dict) -> Answer:
        return self.request("POST", path, json.dumps(body).encode(), "application/json")

    def post_form(self, path: str, fields: dict) -> Answer:
        return self.request("POST", path, urlencode(fields, doseq=True).encode(), "application/x-www-form-urlencoded")

    # The customer's steps -----------------------------------------------------------------

    def api_token(self) -> dict:
        """The API's search step: the request with its deflect_token, ready to file."""
        body = dict(API_BODY, email=self.email)
        answer = self.post_json("/support/api/requests", body)
        assert answer.status == 428, answer
        return dict(body, deflect_token=answer.json()["deflect_token"])

    def open_form(self) -> dict:
        """Describe the problem, see the articles, "I still need help": the form's fields, filled in."""
        page = self.get(f"/support/problem/suggestions?{urlencode({'q': QUESTION, 'tag': 'HIGH'})}")
        assert page.status == 200, page
        link = html.unescape(re.search(r'class="button" href="([^"]+)"', page.text).group(1))
        form = self.get(link)
        assert form.status == 200, form
        return self.form_fields(form.text)

    def form_fields(self, page: str) -> dict:
        """A complete request as a form page sends it: the page's hidden tokens and the customer's values."""
        return dict(hidden(page), tag="HIGH", summary=QUESTION, email=self.email, **TYPED_PROBLEM)
