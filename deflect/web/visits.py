"""The ledger's visits as the doors know them: a browser's lives in its session (the first-party cookie
that already holds the CSRF token), a program's in its search-step token; nothing else identifies one.

A browser starts a new visit when it has none, when its visit filed a request, or when it was idle
longer than the deflection window. Records are best effort: a store that is down skips them.
"""

from __future__ import annotations

import time

from flask import current_app, session

from deflect.report.retention import LedgerSettings, ledger_settings
from deflect.settings import setting
from deflect.store.ledger import new_visit
from deflect.web.articles import Article, site_relative
from deflect.web.resources import best_effort

SESSION_KEY = "visit"
SETTINGS = ("DEFLECT_DEFLECTION_WINDOW_HOURS", "DEFLECT_VISIT_RETENTION_DAYS", "DEFLECT_EMAIL_RETENTION_DAYS")


def ledger() -> LedgerSettings:
    """The app's deflection window and retention ages (checked at start)."""
    return current_app.extensions["deflect_ledger"]


def browser_visit() -> str:
    """This browser's visit: the one it is in, else a new one."""
    now, held = int(time.time()), session.get(SESSION_KEY)
    idle = ledger().window.total_seconds()
    fresh = isinstance(held, dict) and isinstance(held.get("id"), str) and now - int(held.get("seen") or 0) < idle
    visit = held["id"] if fresh else new_visit()
    session[SESSION_KEY] = {"id": visit, "seen": now}
    return visit


def end_browser_visit() -> None:
    """The visit filed a request: the next search is a new visit."""
    session.pop(SESSION_KEY, None)


def record_search(visit: str, door: str, form: str, tag: str, description: str, articles: list[dict]) -> None:
    """A search step of a visit: what it searched, and the articles shown (their site-relative URLs)."""
    shown = [(site_relative(a["url"]) or a["url"], a["title"]) for a in articles]
    best_effort(
        lambda store: store.record_search(visit, door=door, form=form, tag=tag, description=description, articles=shown)
    )


def record_article(visit: str, kind: str, article: Article) -> None:
    """A visit opened an article (`opened`) or said it solved the problem (`solved`)."""
    best_effort(lambda store: store.record_visit_event(visit, kind, article.url, article.title))


def init_app(app) -> None:
    """Check the ledger's settings at start: a wrong one stops the app with the variable and the fix."""
    values = {name: str(app.config.get(name) or setting(name).default) for name in SETTINGS}
    app.extensions["deflect_ledger"] = ledger_settings(values)
