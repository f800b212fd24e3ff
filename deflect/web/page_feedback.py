"""`POST /api/feedback` from the site's "Was this page helpful?": recorded for articles of the index only."""

from __future__ import annotations

from flask import jsonify

from deflect.intake import guard, subject
from deflect.web.articles import ArticlesUnavailable, find_article
from deflect.web.json_input import errors, json_body, unicode_errors
from deflect.web.resources import resources

COMMENT_MAX = 1000


def feedback():
    """`POST /api/feedback` from the site's "Was this page helpful?": {"page": "...", "helpful": true},
    and optionally "comment": what the reader missed (at most 1,000 characters, shown on the dashboard).

    `page` is the article's path on the site (the widget sends `location.pathname`); only articles
    of the search index are recorded, so the report cannot be filled with pages that do not exist.
    """
    body, refused = json_body()
    if refused:
        return refused
    if isinstance(body, dict) and unicode_errors(body):
        return errors(422, **unicode_errors(body))
    page = body.get("page") if isinstance(body, dict) else None
    helpful = body.get("helpful") if isinstance(body, dict) else None
    if not isinstance(page, str) or not page.strip() or len(page) > 500 or subject.has_control_characters(page):
        return errors(422, page='page: send the page\'s site path as a string, like "faq/accounts/reset-password/"')
    if not isinstance(helpful, bool):
        return errors(422, helpful="helpful: send true or false")
    comment = body.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > COMMENT_MAX):
        return errors(422, comment=f"comment: send text of at most {COMMENT_MAX} characters, or leave it out")
    held = _personal_data(comment)
    if held:
        return errors(422, comment=held)
    try:
        article = find_article(page)
    except ArticlesUnavailable:
        body, status = errors(
            503, page="page: the help center's articles cannot be checked right now; send it again later"
        )
        return body, status, {"Retry-After": "60"}
    if article is None:
        return errors(
            422,
            page=f"page: {page[:100]!r} is not an article of the help center; send the path of "
            'an article page, like "faq/accounts/reset-password/"',
        )
    text = " ".join(comment.split()) if comment else None  # one line: no control characters reach a report
    resources().quick_store.record_page_feedback(article.url, helpful, text, article.title)  # a busy store: 503 at once
    return jsonify({"ok": True}), 201


def _personal_data(comment: str | None) -> str | None:
    """The fix-it message for a comment that holds personal data or a secret (the policy's guard), else None.

    Comments are kept and shown to the support team; what a reader missed needs no email address,
    phone number or password.
    """
    if not comment:
        return None
    found = guard.scan("comment", comment, resources().policy.guard_rules)
    if not found:
        return None
    return (
        f"comment: it looks like it holds {guard.describe(found[0].kind)}; say what the page was missing "
        "without personal data or passwords (our team cannot answer here: use Contact support for that)"
    )
