"""The search step shared by the pages and the API: suggestions, tokens, where the customer came from."""

from __future__ import annotations

import re

from flask import current_app
from markupsafe import Markup, escape

from deflect.forms.model import Form
from deflect.intake import search_token
from deflect.web.resources import best_effort, resources

FROM_PAGE = re.compile(r"^[\w./#%-]{1,300}$")
QUERY_MAX = 500
SAFE_SNIPPET = re.compile(r"</?mark>|&(?:[a-z]+|#\d+);")


def safe_snippet(snippet: str) -> Markup:
    """The search module's snippet (escaped, with <mark>), re-escaped if it holds anything else."""
    if "<" in SAFE_SNIPPET.sub("", snippet) or ">" in SAFE_SNIPPET.sub("", snippet):
        return Markup(escape(snippet))
    return Markup(snippet)


def article_url(url: str) -> str:
    """An article's link on the site: the site's base URL plus its site-relative URL."""
    base = current_app.config["SITE_URL"]
    return base.rstrip("/") + "/" + url.lstrip("/")


def suggestions(query: str, record_gap: bool = True) -> tuple[list[dict], str | None]:
    """The best articles for a description, as dicts (title, url, snippet, score), and a correction."""
    query = query[:QUERY_MAX]
    results, did_you_mean = resources().search(query, current_app.config["SUGGESTION_LIMIT"])
    found = [
        {
            "title": r.title,
            "url": article_url(r.url),
            "snippet": str(safe_snippet(r.snippet)),
            "score": round(float(r.score), 4),
        }
        for r in results
    ]
    if not found and record_gap:
        record_content_gap(query, did_you_mean)
    return found, did_you_mean


def record_content_gap(query: str, did_you_mean: str | None) -> None:
    """Count a description no article answers (best effort; not while the search itself is down)."""
    if query.strip() and not resources().search_down:
        best_effort(lambda store: store.record_content_gap(query, 0, did_you_mean))


def issue_token(description: str, form_id: str, visit: str | None = None) -> str:
    """A token saying the suggestions for this description were just shown, for this form (and visit)."""
    return search_token.issue(current_app.config["SECRET_KEY"], description, form_id, visit)


def check_token(token: object, description: str, form_id: str) -> search_token.Verdict:
    """Whether a token allows filing this description on this form, and the use id the store records."""
    token = token if isinstance(token, str) and len(token) < 1000 else None
    return search_token.verify(
        current_app.config["SECRET_KEY"], token, description, form_id, current_app.config["TOKEN_MAX_AGE"]
    )


def token_problem(token: object, description: str, form_id: str) -> str | None:
    """Why a token does not allow filing this description on this form (None when it does)."""
    return check_token(token, description, form_id).problem


def from_page(value: object) -> str | None:
    """The article the customer came from (`?from=`), if it looks like a site path."""
    if not isinstance(value, str) or len(value) > 300 or not FROM_PAGE.match(value) or ".." in value or "//" in value:
        return None
    return value.lstrip("/") or None


def is_urgent(tag: str) -> bool:
    """True when the tag is of the most urgent of several priorities (CRITICAL): articles go beside the form.

    A process with a single priority has no outage class, so its customers see the articles first.
    """
    policy = resources().policy
    found = policy.tag(tag)
    return bool(found and len(policy.priorities) > 1 and found.priority == policy.priorities[0].id)


def targets_table(form: Form) -> list[dict]:
    """The response and resolution targets per tag (rows) and plan (columns) for the form's tags."""
    policy = resources().policy
    rows = []
    for tag in form.tags:
        cells = []
        for plan in policy.plans:
            target = policy.target(tag, plan.id)
            cells.append(
                {
                    "plan": plan.id,
                    "response": str(target.response) if target else "",
                    "resolution": str(target.resolution) if target else "",
                }
            )
        rows.append({"tag": tag, "priority": policy.priority(policy.tag(tag).priority).name, "cells": cells})
    return rows
