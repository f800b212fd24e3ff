"""Step 3: the form, prefilled; the request checked, stored, numbered and confirmed."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request, url_for
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from deflect.delivery.text import confirmation_sentence, customer_outcome, promises
from deflect.forms.model import Form
from deflect.intake import guard
from deflect.intake.review import Submission, review
from deflect.store.model import StoreUnavailable, TokenAlreadyUsed, Visit
from deflect.web import rate_limits
from deflect.web.accept import file_record, mail_server
from deflect.web.errors import error_response, store_unavailable
from deflect.web.flow import form_or_404
from deflect.web.resources import resources
from deflect.web.searchstep import (
    check_token,
    from_page,
    is_urgent,
    issue_token,
    suggestions,
    targets_table,
    token_problem,
)
from deflect.web.visits import browser_visit, end_browser_visit, record_search

bp = Blueprint("filing", __name__)
CONFIRMATION_SALT = "deflect.confirmation"
HONEYPOT = "website"
DESCRIPTION_MAX = 1000  # what step 1 may carry to the form (the summary is far shorter)


def initial_values(form: Form, description: str) -> dict:
    """The form's starting values: defaults, and the description where a field asks for it."""
    values = {}
    for field in form.fields:
        if field.prefill == "description":
            values[field.id] = description
        elif field.default:
            values[field.id] = field.default
    return values


def render_form(form: Form, status: int = 200, **page):
    """Render step 3 with everything it needs; articles beside the form for urgent tags."""
    page.setdefault("errors", {})
    page.setdefault("findings", [])
    page.setdefault("notice", "")
    urgent = is_urgent(page["tag"])
    if "articles" not in page:
        page["articles"] = suggestions(page["description"], record_gap=False)[0] if urgent else []
    policy = resources().policy
    return render_template(
        "request.html",
        form=form,
        urgent=urgent,
        policy=policy,
        targets=targets_table(form),
        describe=guard.describe,
        **page,
    ), status


@bp.get("/<form_id>/request")
def request_form(form_id: str):
    """Step 3, reached from step 2 with a token: the form, prefilled."""
    form = form_or_404(form_id)
    args = request.args
    q, tag, came_from = (
        " ".join(args.get("q", "").split())[:DESCRIPTION_MAX],
        args.get("tag", form.default_tag),
        from_page(args.get("from")),
    )
    if not q or token_problem(args.get("token"), q, form.id):
        # Not through step 2 (or too long ago): the articles come first.
        target = "flow.suggestions" if q else "flow.describe"
        offered = tag if tag in form.tags else None  # never echo an unknown tag into the redirect
        return redirect(
            url_for(target, form_id=form.id, q=q or None, tag=offered, **({"from": came_from} if came_from else {}))
        )
    if tag not in form.tags:
        # An old or edited link: the picker would silently show its first, most urgent tag.
        tag = form.default_tag or form.tags[-1]
    extra = {}
    if is_urgent(tag):  # the search step of an urgent request: its articles stand beside the form
        extra["articles"] = suggestions(q, record_gap=False)[0]
        if not resources().search_down:
            record_search(
                check_token(args["token"], q, form.id).visit or browser_visit(),
                "web",
                form.id,
                tag,
                q,
                extra["articles"],
            )
    return render_form(
        form,
        **extra,
        description=q,
        token=args["token"],
        from_page=came_from,
        tag=tag,
        summary=q,
        email="",
        name="",
        values=initial_values(form, q),
        confirmed=set(),
    )


def submission_from(form: Form) -> Submission:
    """The HTML form's fields as a Submission (lists for checkboxes and multiple choices)."""
    values = {}
    for field in form.fields:
        many = field.type == "checkboxes" or field.multiple
        values[field.id] = request.form.getlist(field.id) if many else request.form.get(field.id, "")
    return Submission(
        form=form,
        email=request.form.get("email", ""),
        values=values,
        tag=request.form.get("tag", form.tags[0] if len(form.tags) == 1 else ""),
        summary=request.form.get("summary", ""),
        name=request.form.get("name", ""),
        confirmed=set(request.form.getlist("confirm_guard")),
        from_page=from_page(request.form.get("from")),
    )


def typed_page(sub: Submission) -> dict:
    """What the customer typed, as the form page shows it again."""
    description = " ".join((request.form.get("description") or sub.summary)[: DESCRIPTION_MAX * 2].split())[
        :DESCRIPTION_MAX
    ]
    return dict(
        description=description,
        from_page=sub.from_page,
        tag=sub.tag,
        summary=sub.summary,
        email=sub.email,
        name=sub.name,
        values=sub.values,
        confirmed=sub.confirmed,
    )


def form_again(status: int, notice: str):
    """The form as the customer sent it, with a notice and a valid token: nothing typed is lost."""
    form = resources().forms.get((request.view_args or {}).get("form_id", ""))
    if form is None:  # abort() inside an error handler would become a 500
        return error_response(404)
    page = typed_page(submission_from(form))
    token = request.form.get("deflect_token", "")
    if token_problem(token, page["description"], form.id):
        token = issue_token(page["description"], form.id)
    return render_form(form, status, token=token, notice=notice, **page)


@bp.errorhandler(CSRFError)
def expired_form(error: CSRFError):
    """A form open too long (or its cookie blocked): show it again, filled, with a fresh token."""
    return form_again(
        400, "This page was open too long to be sent safely. Everything you typed is below: check it and send again."
    )


@bp.errorhandler(RateLimitExceeded)
def too_many(error: RateLimitExceeded):
    """Over a filing limit: the form comes back filled, saying which limit and when to send again."""
    wait = rate_limits.retry_after()
    response = make_response(
        form_again(
            429,
            f"You have sent several requests in a short time: we take at most "
            f"{rate_limits.describe(error)}. Everything you typed is below: send it "
            f"again in {rate_limits.seconds(wait)}. For an outage, use the priority "
            f"hotline.",
        )
    )
    response.headers["Retry-After"] = str(wait)
    return response


@bp.errorhandler(StoreUnavailable)
def store_down(error: StoreUnavailable):
    """The store cannot take the request now: the form comes back filled, with when to send again."""
    if request.endpoint != "filing.submit":
        return store_unavailable(error)
    response = make_response(
        form_again(
            503,
            "We could not save your request just now, so it was not sent yet. "
            "Everything you typed is below: send it again in a minute. For an "
            "outage, use the priority hotline.",
        )
    )
    response.headers["Retry-After"] = str(error.retry_after)
    return response


@bp.post("/<form_id>/request")
def submit(form_id: str):
    """Check the request; on error show the form again, filled; on success store it and confirm."""
    form = form_or_404(form_id)
    if request.form.get(HONEYPOT):
        abort(400)
    sub = submission_from(form)
    page = typed_page(sub)
    description = page["description"]
    articles = suggestions(description, record_gap=False)[0]
    verdict = check_token(request.form.get("deflect_token"), description, form.id)
    if verdict.problem:
        # Never filed without the search step: show the articles now, keep everything typed.
        return render_form(
            form,
            428,
            token=issue_token(description, form.id),
            articles=articles,
            notice="Before we take your request, please check these articles.",
            **page,
        )
    sub.shown_articles = [{"title": a["title"], "url": a["url"]} for a in articles]
    result = review(sub, resources().policy, dt.datetime.now(dt.UTC))
    if result.record is None:
        return render_form(
            form, 422, token=request.form["deflect_token"], errors=result.errors, findings=result.findings, **page
        )
    try:
        case = file_record(result.record, token=verdict.use_id, visit=Visit(verdict.visit, "web", description)).case
    except TokenAlreadyUsed as used:
        return already_sent(form, used.case_number, articles, page)
    end_browser_visit()
    key = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRMATION_SALT).dumps(case)
    return redirect(url_for("filing.confirmation", case=case, key=key), 303)


def already_sent(form: Form, case: str, articles: list[dict], page: dict):
    """The form sent a second time (a double click, a page sent again): what happened, everything typed,
    and a fresh token, so a second request on purpose still goes through the articles first."""
    notice = (
        f"This form was already sent: it became case {case}. Everything you typed is below; to send it "
        f"as another request, check these articles, then send again."
    )
    return render_form(
        form, 428, token=issue_token(page["description"], form.id), articles=articles, notice=notice, **page
    )


@bp.get("/requests/<case>")
def confirmation(case: str):
    """The confirmation page: case number, what was sent, the response target."""
    try:
        signed = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRMATION_SALT).loads(
            request.args.get("key", ""), max_age=7 * 24 * 3600
        )
    except BadSignature:
        abort(404)
    record = resources().store.get_request(case) if signed == case else None
    if record is None:
        abort(404)
    return render_template(
        "confirmation.html",
        record=record,
        due=promises(record, resources().policy),
        outcome=customer_outcome(record, mail_server()),
        confirmation=confirmation_sentence(record, mail_server()),
    )
