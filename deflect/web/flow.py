"""Steps 1 and 2: choose a form, describe the problem, see the matching articles first."""

from __future__ import annotations

import re

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_limiter import RateLimitExceeded

from deflect.forms.model import Form
from deflect.intake import subject
from deflect.web import metrics, rate_limits
from deflect.web.articles import ArticlesUnavailable, find_article
from deflect.web.errors import error_response
from deflect.web.resources import best_effort, resources
from deflect.web.searchstep import article_url, from_page, is_urgent, issue_token, suggestions
from deflect.web.visits import browser_visit, record_article, record_search

bp = Blueprint("flow", __name__)
SECTION = re.compile(r"^[\w-]{1,100}$")


def form_or_404(form_id: str) -> Form:
    """The form with this id, or a 404 page."""
    form = resources().forms.get(form_id)
    if form is None:
        abort(404)
    return form


@bp.get("/")
def chooser():
    """The chooser: one entry per form, and the links that send the customer elsewhere."""
    forms = resources().forms
    return render_template(
        "chooser.html", forms=forms.forms, links=forms.contact_links, from_page=from_page(request.args.get("from"))
    )


def describe_errors(form: Form, description: str, tag: str) -> dict[str, str]:
    """Step 1's checks: a description that can be a subject summary, and a tag the form offers."""
    policy = resources().policy
    found = [
        subject.summary_problem(
            " ".join(description.split()), policy.subject_min, policy.subject_max, policy.subject_example
        )
    ]
    if len(form.tags) > 1 or tag:
        found.append(
            subject.tag_problem(tag or None, list(form.tags), description, policy.subject_example, form.default_tag)
        )
    return {
        ("q" if e.part == "summary" else "tag"): e.message.replace("Subject: the summary", "Your description")
        for e in found
        if e
    }


@bp.get("/<form_id>/")
def describe(form_id: str):
    """Step 1: describe the problem in a sentence (it becomes the subject summary)."""
    form = form_or_404(form_id)
    tag = request.args.get("tag", form.default_tag)
    return render_template(
        "describe.html",
        form=form,
        q=request.args.get("q", ""),
        tag=tag,
        from_page=from_page(request.args.get("from")),
        errors={},
    )


@bp.get("/<form_id>/suggestions", endpoint="suggestions")
def suggestions_page(form_id: str):
    """Step 2: the best articles; "this solved it" ends here, "I still need help" goes on."""
    form = form_or_404(form_id)
    q, came_from = request.args.get("q", "")[:1000], from_page(request.args.get("from"))
    tag = request.args.get("tag", "") if len(form.tags) > 1 else form.tags[0]
    errors = describe_errors(form, q, tag)
    if errors:
        return render_template("describe.html", form=form, q=q, tag=tag, from_page=came_from, errors=errors), 422
    q, visit = " ".join(q.split()), browser_visit()
    token = issue_token(q, form.id, visit)
    onward = dict(form_id=form.id, q=q, tag=tag, token=token, **({"from": came_from} if came_from else {}))
    if is_urgent(tag):
        # An outage must not be slowed down: the articles stand beside the form instead.
        return redirect(url_for("filing.request_form", **onward))
    articles, did_you_mean = suggestions(q)
    if not resources().search_down:
        record_search(visit, "web", form.id, tag, q, articles)
    return render_template(
        "suggestions.html",
        form=form,
        q=q,
        tag=tag,
        from_page=came_from,
        articles=articles,
        did_you_mean=did_you_mean,
        onward=onward,
        search_down=resources().search_down,
    )


@bp.errorhandler(RateLimitExceeded)
def too_many_searches(error: RateLimitExceeded):
    """Over the search limit at step 2: step 1 again, filled, saying which limit and when to search again."""
    if request.endpoint == "flow.open_article":
        return open_article(record=False)  # over the limit, the article still opens; it is not counted
    form = resources().forms.get((request.view_args or {}).get("form_id", ""))
    if request.endpoint != "flow.suggestions" or form is None:
        return rate_limits.refused(error)
    wait = rate_limits.retry_after()
    message = (
        f"You have searched several times in a short time: we take at most {rate_limits.describe(error)}. "
        f"What you typed is below: search again in {rate_limits.seconds(wait)}."
    )
    page = render_template(
        "describe.html",
        form=form,
        q=request.args.get("q", "")[:1000],
        tag=request.args.get("tag", ""),
        from_page=from_page(request.args.get("from")),
        errors={"q": message},
    )
    return page, 429, {"Retry-After": str(wait)}


@bp.post("/deflected")
def deflected():
    """Record that an article of the index solved the problem (its title from the index), and say thank you."""
    q = request.form.get("q", "")[:1000]
    if not q.strip():
        abort(400)
    try:
        article = find_article(request.form.get("url", ""))
    except ArticlesUnavailable:  # cannot be checked now: thank the customer, record nothing
        return redirect(url_for("flow.thanks"))
    if article is None:
        return error_response(
            400,
            "That page is not an article of the help center, so nothing was recorded. "
            "Go back to the matching articles and choose one of them.",
        )
    # A store that is down must not turn "it solved it" into an error page.
    best_effort(
        lambda store: store.record_deflection(
            q, article_url(article.url), article.title, from_page(request.form.get("from"))
        )
    )
    record_article(browser_visit(), "solved", article)
    metrics.deflected()
    return redirect(url_for("flow.thanks", url=article_url(article.url)))


@bp.get("/open")
def open_article(record: bool = True):
    """A suggested article, through the app: the visit's "opened" is counted, then the browser goes on.

    Only to an article of the search index, at the address the index gives it (never one from the
    link), so this is no open redirect; a `#section` of plain letters, digits and dashes is kept.
    """
    reference = request.args.get("url", "")
    try:
        article = find_article(reference)
    except ArticlesUnavailable:
        return error_response(503, "The help center's articles cannot be checked right now. Try the link again soon.")
    if article is None:
        return error_response(404, "That page is not an article of the help center. Go back to the matching articles.")
    if record:
        record_article(browser_visit(), "opened", article)
    section = reference.partition("#")[2]
    anchor = "#" + section if SECTION.match(section) else ""
    return redirect(article_url(article.url) + anchor, 302)


@bp.get("/thanks")
def thanks():
    """The end of a deflected visit: glad it helped, and the article again (only one the index has)."""
    try:
        article = find_article(request.args.get("url", ""))
    except ArticlesUnavailable:
        article = None
    return render_template(
        "thanks.html", title=article.title if article else "", url=article_url(article.url) if article else ""
    )
