"""The JSON API of DESIGN.md: suggest, forms (and their JSON Schema), requests; page feedback."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, jsonify, request, url_for

from deflect.delivery.text import confirmation_sentence, customer_outcome
from deflect.forms.model import Form
from deflect.forms.schema import form_schema
from deflect.intake import guard, subject
from deflect.intake.bounds import JSON_DEPTH_MAX, json_too_deep
from deflect.intake.review import Submission, review
from deflect.store.model import TokenAlreadyUsed
from deflect.web.accept import file_record, mail_server
from deflect.web.articles import ArticlesUnavailable, find_article
from deflect.web.resources import resources
from deflect.web.searchstep import QUERY_MAX, check_token, from_page, issue_token, record_content_gap, suggestions

bp = Blueprint("api", __name__)
UNKNOWN_MAX = 10  # unknown field ids named one by one; more than that get one message


def _errors(status: int, **errors: str):
    return jsonify({"errors": errors}), status


@bp.get("/suggest")
def suggest():
    """`GET /api/suggest?q=...`: the best articles for what the customer typed so far."""
    found, _ = suggestions(request.args.get("q", "")[:QUERY_MAX], record_gap=False)
    return jsonify({"results": found})


def form_json(form: Form) -> dict:
    """A form as a client needs it."""
    return {
        "id": form.id,
        "name": form.name,
        "description": form.description,
        "fields": [
            {
                "id": f.id,
                "type": f.type,
                "label": f.label,
                "required": f.required,
                "options": [o.value for o in f.options],
            }
            for f in form.fields
        ],
    }


@bp.get("/forms")
def forms():
    """`GET /api/forms`: the forms of the knowledge base."""
    return jsonify({"forms": [form_json(f) for f in resources().forms.forms]})


@bp.get("/forms/<form_id>.schema.json")
def schema(form_id: str):
    """`GET /api/forms/<id>.schema.json`: a form as JSON Schema."""
    form = resources().forms.get(form_id)
    if form is None:
        return _errors(404, form=f"unknown form {form_id!r}: see GET /api/forms for the ids")
    body = form_schema(form, resources().policy, url_for("flow.chooser", _external=True))
    return jsonify(body), 200, {"Content-Type": "application/schema+json"}


def _json_body():
    """The request's JSON (None when it is not JSON), and an error answer when it nests too deep.

    The depth is measured on the raw body before parsing: the parser recurses once per level.
    """
    if request.is_json and json_too_deep(request.get_data(cache=True)):
        return None, _errors(
            400,
            request=f"request: the JSON nests deeper than {JSON_DEPTH_MAX} levels; send one "
            'object like {"form", "subject", "email", "fields"}',
        )
    return request.get_json(silent=True), None


def _shape_errors(body: object) -> dict[str, str]:
    """Type checks of the request body, before any rule runs."""
    if not isinstance(body, dict):
        return {"request": 'send a JSON object: {"form", "subject", "email", "fields", "deflect_token"}'}
    errors = {}
    for key in ("form", "subject", "email"):
        if not isinstance(body.get(key), str):
            errors[key] = f"{key}: send it as a string" + (', like "[TAG] summary"' if key == "subject" else "")
    if not isinstance(body.get("fields", {}), dict):
        errors["fields"] = "fields: send an object of field id to text (a list of texts for checkboxes)"
    return errors


def _too_many_fields(form: Form, body: dict) -> str | None:
    """Far more field ids than the form has: one message, instead of one per unknown id."""
    sent = len(body.get("fields") or {})
    if sent <= len(form.fields) + UNKNOWN_MAX:
        return None
    return (
        f"fields: send only the {len(form.fields)} fields of {form.id!r} (their ids are in GET /api/forms); "
        f"this request has {sent}"
    )


def _has_lone_surrogate(value: object) -> bool:
    """True for JSON text like "\\ud800": valid JSON, but no email, database or signature can encode it."""
    if isinstance(value, str):
        return not value.isascii() and any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    return isinstance(value, list) and any(_has_lone_surrogate(v) for v in value)


def _unicode_errors(body: dict) -> dict[str, str]:
    """Every key (or field id) of the body whose text holds a lone surrogate, with the fix."""
    errors = {}
    for key, value in body.items():
        pairs = value.items() if key == "fields" and isinstance(value, dict) else [(key, value)]
        for name, item in pairs:
            if _has_lone_surrogate(name) or _has_lone_surrogate(item):
                name = str(name).encode("utf-8", "backslashreplace").decode("ascii", "replace")[:100]
                errors[name] = (
                    f"{name}: send plain Unicode text; a lone surrogate escape such as \\ud800 cannot be stored"
                )
    return errors


def _values(form: Form, raw: dict) -> tuple[dict, dict[str, str]]:
    """Field values from JSON: text, or a list of texts for checkboxes and multiple choices."""
    values, errors = {}, {}
    for key, value in raw.items():
        field = form.field(key)
        texts = isinstance(value, list) and all(isinstance(v, str) for v in value)
        if field is None:
            errors[str(key)[:100]] = f"{str(key)[:100]}: not a field of {form.id!r}; see GET /api/forms"
        elif isinstance(value, str) or (texts and not field.free_text):
            values[key] = value
        elif field.free_text:
            errors[key] = f"{key}: send text (one string) for this field"
        else:
            errors[key] = f"{key}: send text (or a list of texts for checkboxes)"
    return values, errors


def _review(form: Form, body: dict):
    """Every rule of the form over the JSON body; returns the review and the errors by key."""
    values, errors = _values(form, body.get("fields") or {})
    confirmed = body.get("confirm_guard") if isinstance(body.get("confirm_guard"), list) else []
    sub = Submission(
        form=form,
        email=body["email"],
        values=values,
        typed_subject=body["subject"],
        name=body["name"] if isinstance(body.get("name"), str) else "",
        confirmed={c for c in confirmed if isinstance(c, str)},
        from_page=from_page(body.get("from")),
    )
    result = review(sub, resources().policy, dt.datetime.now(dt.UTC))
    for key, message in result.errors.items():  # a wrong type says more than "required"
        errors.setdefault(key, message)
    for finding in result.unconfirmed:
        errors.setdefault(finding.field, guard_message(form, finding))
    return result, errors


@bp.post("/requests")
def file_request():
    """`POST /api/requests`: the same validation as the form, then 428 until the search step is done.

    Bad input is answered first (422), so a program fixes its request before it is shown the
    articles; a valid request without a token for its subject gets the suggestions and a token (428).
    """
    body, refused = _json_body()
    if refused:
        return refused
    errors = _shape_errors(body) or _unicode_errors(body)
    if errors:
        return _errors(422 if isinstance(body, dict) else 400, **errors)
    form = resources().forms.get(body["form"])
    if form is None:
        ids = ", ".join(f.id for f in resources().forms.forms)
        return _errors(422, form=f"form: unknown form {body['form'][:100]!r}; use one of {ids}")
    too_many = _too_many_fields(form, body)
    if too_many:
        return _errors(422, fields=too_many)
    result, errors = _review(form, body)
    if errors or result.record is None:
        return jsonify(
            {
                "errors": errors,
                "guard": [{"field": f.field, "kind": f.kind, "confirm": f.key} for f in result.unconfirmed],
            }
        ), 422
    return _search_then_file(form, body, result.record)


def _search_then_file(form: Form, body: dict, record: dict):
    """428 with the articles until the token is one for this description and form, then file once (201)."""
    description = record["summary"]
    found, _ = suggestions(description, record_gap=False)
    verdict = check_token(body.get("deflect_token"), description, form.id)
    if verdict.problem:
        if not found:
            record_content_gap(description, None)
        return _search_step(
            found, description, form.id, "Check these articles first; send the request again with this deflect_token."
        )
    record = dict(record, shown_articles=[{"title": a["title"], "url": a["url"]} for a in found])
    try:
        filed = file_record(record, token=verdict.use_id)
    except TokenAlreadyUsed as used:
        return _search_step(
            found,
            description,
            form.id,
            f"This deflect_token was already used: it filed {used.case_number}, and a token files "
            f"one request. To file another, check these articles and send it with this new deflect_token.",
        )
    told = {"confirmation": filed.confirmation}
    return jsonify(
        {
            "case": filed.case,
            "subject": record["subject"],
            "response_target": record["response_target"],
            "resolution_target": record["resolution_target"],
            "response_due": record["response_due"],
            "resolution_due": record["resolution_due"],
            "confirmation": "sent" if customer_outcome(told, mail_server()) == "sent" else "skipped",
            "confirmation_message": confirmation_sentence(told, mail_server()),
        }
    ), 201


def _search_step(found: list[dict], description: str, form_id: str, message: str):
    """The 428 answer: the articles, a fresh token for this description and form, what to do."""
    return jsonify({"suggestions": found, "deflect_token": issue_token(description, form_id), "message": message}), 428


def guard_message(form: Form, finding: guard.Finding) -> str:
    """The guard's warning for the API: what was found where, and how to go on."""
    label = form.field(finding.field).label
    what = guard.describe(finding.kind)
    if finding.secret:
        return (
            f'{label} holds {what}: support never needs it; remove it, or send "confirm_guard": '
            f'["{finding.key}"] to file the request with it replaced by [removed]'
        )
    return (
        f"{label} holds {what}: replace it with an ID instead (support does not need personal data), or confirm it is "
        f'needed by sending "confirm_guard": ["{finding.key}"]'
    )


@bp.post("/feedback")
def feedback():
    """`POST /api/feedback` from the site's "Was this page helpful?": {"page": "...", "helpful": true}.

    `page` is the article's path on the site (the widget sends `location.pathname`); only articles
    of the search index are recorded, so the report cannot be filled with pages that do not exist.
    """
    body, refused = _json_body()
    if refused:
        return refused
    if isinstance(body, dict) and _unicode_errors(body):
        return _errors(422, **_unicode_errors(body))
    page = body.get("page") if isinstance(body, dict) else None
    helpful = body.get("helpful") if isinstance(body, dict) else None
    if not isinstance(page, str) or not page.strip() or len(page) > 500 or subject.has_control_characters(page):
        return _errors(422, page='page: send the page\'s site path as a string, like "faq/accounts/reset-password/"')
    if not isinstance(helpful, bool):
        return _errors(422, helpful="helpful: send true or false")
    try:
        article = find_article(page)
    except ArticlesUnavailable:
        return (
            jsonify(
                {
                    "errors": {
                        "page": "page: the help center's articles cannot be checked right now; "
                        "send the feedback again later"
                    }
                }
            ),
            503,
            {"Retry-After": "60"},
        )
    if article is None:
        return _errors(
            422,
            page=f"page: {page[:100]!r} is not an article of the help center; send the path of "
            'an article page, like "faq/accounts/reset-password/"',
        )
    resources().quick_store.record_page_feedback(article.url, helpful)  # a busy store: 503 at once
    return jsonify({"ok": True}), 201
