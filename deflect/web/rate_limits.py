"""The per-client limits in words: what counts against them, which one a refused request hit, when to retry.

The Limiter itself is built in one place, deflect/app.py (`_protect`); the scopes here name its
buckets. Filing has two limits, shared by the HTML form and the API: FILING_RATE_LIMIT counts only
requests that were filed (stored with a case number), so a customer fixing mistakes is never
locked out; SUBMISSION_RATE_LIMIT, looser, counts every submission, accepted or not, to stop
validation floods. Searches and feedback keep one bucket per endpoint.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, g, make_response
from flask_limiter import RateLimitExceeded
from werkzeug.wrappers import Response

from deflect.web.errors import error_response

FILING, SUBMISSIONS = "filing", "submissions"  # the shared scopes (buckets) of the two filing limits
SEARCHES, FEEDBACK = "searches", "feedback"
LOGINS, LOGINS_ACCOUNT = "logins", "logins-account"  # the dashboard's failed logins: per address, per account
COUNTED = {
    LOGINS: ("failed login", "failed logins"),
    LOGINS_ACCOUNT: ("failed login", "failed logins"),
    FILING: ("request", "requests"),
    SUBMISSIONS: ("submission", "submissions"),
    SEARCHES: ("search", "searches"),
    FEEDBACK: ("answer", "answers"),
}
ARTICLE = {"hour": "an"}  # "an hour", "a minute", "a day"


def mark_filed(case: str) -> None:
    """Note that this request filed a case: the filing limit counts it."""
    g.filed_case = case


def filed(response: Response) -> bool:
    """Flask-Limiter's `deduct_when` for the filing limit: only a filed request counts."""
    return g.get("filed_case") is not None


def describe(error: RateLimitExceeded) -> str:
    """The limit a request hit, in words: `5 requests a minute from one address`."""
    item = error.limit.limit
    unit = item.GRANULARITY.name
    every = f"{ARTICLE.get(unit, 'a')} {unit}" if item.multiples == 1 else f"every {item.multiples} {unit}s"
    one, many = COUNTED.get(error.limit.scope, ("request", "requests"))
    source = "for one account" if error.limit.scope == LOGINS_ACCOUNT else "from one address"
    return f"{item.amount} {one if item.amount == 1 else many} {every} {source}"


def retry_after() -> int:
    """Seconds until the limit this request hit lets its client in again (what Retry-After says)."""
    limiter = next(iter(current_app.extensions.get("limiter", ())), None)
    current = limiter.current_limit if limiter is not None else None
    return max(1, int(current.reset_at - time.time())) if current else 60


def seconds(wait: int) -> str:
    """A wait in words: `1 second`, `42 seconds`, `about 3 minutes`, `about 20 hours`."""
    if wait >= 2 * 3600:
        return f"about {round(wait / 3600)} hours"
    if wait >= 120:
        return f"about {round(wait / 60)} minutes"
    return f"{wait} second" + ("" if wait == 1 else "s")


def refused(error: RateLimitExceeded):
    """The answer over a limit: a page or JSON (with "limit" and "retry_after") and Retry-After."""
    limit, wait = describe(error), retry_after()
    detail = f"We take at most {limit}. Wait {seconds(wait)}, then try again; for an outage, use the priority hotline."
    response = make_response(error_response(429, detail, limit=limit, retry_after=wait))
    response.headers["Retry-After"] = str(wait)
    return response


def init_app(app: Flask) -> None:
    """Answer a request over a limit with the limit in words and when to try again."""
    app.register_error_handler(RateLimitExceeded, refused)
