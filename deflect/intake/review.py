"""Intake: one submission (from the HTML form or the JSON API) checked and made into a record.

Plain Python: the web layer turns HTTP into a `Submission`, calls `review`, and turns the
`Review` into a page or JSON. The record has the shape the delivery module renders.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from deflect.forms.model import Field, Form
from deflect.intake import bounds, guard, subject
from deflect.intake.bounds import EMAIL_MAX, NAME_MAX, SLACK
from deflect.intake.rules import Value, check_fields, email_problem, is_empty, is_shown
from deflect.policy import hours
from deflect.policy.model import Policy

NAME_MARKS = "<>@"  # an address in a display name misleads whoever reads the Reply-To


@dataclass
class Submission:
    """What a customer sent: subject parts (or a typed subject), contact, field values."""

    form: Form
    email: str
    values: dict[str, Value]
    tag: str = ""
    summary: str = ""
    typed_subject: str | None = None
    name: str = ""
    confirmed: set[str] = field(default_factory=set)
    from_page: str | None = None
    shown_articles: list[dict] = field(default_factory=list)


@dataclass
class Review:
    """The outcome: errors by field, guard findings, and the record when it may be filed."""

    errors: dict[str, str]
    findings: list[guard.Finding]
    tag: str
    summary: str
    unconfirmed: list[guard.Finding] = field(default_factory=list)
    record: dict | None = None


def _one_message(problems: list[subject.SubjectError]) -> str:
    """All problems of a typed subject in one message: `Subject: <first>. Also <second>`."""
    rest = [p.message.removeprefix("Subject: ") for p in problems[1:]]
    return ". Also ".join([problems[0].message, *rest])


def subject_errors(sub: Submission, policy: Policy) -> tuple[str, str, dict[str, str]]:
    """Check the subject (typed or composed); return (tag, summary, errors by part)."""
    tags = list(sub.form.tags)
    low, high = policy.subject_min, policy.subject_max
    if sub.typed_subject is not None:
        tag, summary = subject.split(sub.typed_subject)
        problems = subject.check(sub.typed_subject, tags, low, high, policy.subject_example, sub.form.default_tag)
        return tag or "", summary, {"subject": _one_message(problems)} if problems else {}
    problems = subject.check_parts(sub.tag, sub.summary, tags, low, high, policy.subject_example, sub.form.default_tag)
    return sub.tag.strip(), " ".join(sub.summary.split()), {p.part: p.message for p in problems}


def scan_fields(sub: Submission, policy: Policy) -> list[guard.Finding]:
    """Run the guard over every shown free-text field that has not opted out."""
    found = []
    for f in sub.form.fields:
        value = sub.values.get(f.id)
        # Fields with a format (email, case number, URL) hold exactly that, checked by their rule.
        if f.free_text and f.guard and not f.format and isinstance(value, str) and is_shown(f, sub.values):
            found.extend(guard.scan(f.id, value, policy.guard_rules))
    return found


def contact_name_problem(name: str) -> str | None:
    """The message for a name that cannot go into the support email's Reply-To as it is, or None."""
    if len(name) > NAME_MAX or subject.has_control_characters(name.strip()):
        return f"Your name: write it on one line, at most {NAME_MAX} characters (or leave it empty)"
    if subject.has_encoded_word(name):
        return f"Your name: write it {subject.ENCODED_WORD_FIX}"
    if any(mark in name for mark in NAME_MARKS):
        return "Your name: write your name only, without an email address or < > (the address goes in Contact email)"
    return None


def _subject_bounds(sub: Submission, policy: Policy) -> dict[str, str]:
    """The subject's bounds: its summary (the policy's length) and a tag the form could offer."""
    high = policy.subject_max
    longest_tag = max(map(len, sub.form.tags), default=0)
    if sub.typed_subject is not None:
        count = bounds.length(sub.typed_subject)
        if count > high + longest_tag + 3 + SLACK:
            return {
                "subject": f"Subject has {count} characters: write a tag and a summary of at most {high}, "
                f"like [{sub.form.default_tag or sub.form.tags[-1]}] {policy.subject_example}"
            }
        return {}
    errors = {}
    if len(sub.tag.strip()) > longest_tag + SLACK:
        errors["tag"] = f"Subject: choose a tag from the list, one of {', '.join(f'[{t}]' for t in sub.form.tags)}"
    count = bounds.length(sub.summary)
    if count > high + SLACK:
        errors["summary"] = (
            f"Subject: the summary has {count} characters; shorten it to at most {high} and put the details in the form"
        )
    return errors


def _contact_bounds(sub: Submission) -> dict[str, str]:
    """The contact email, the name and the guard confirmations within their bounds."""
    errors, email = {}, bounds.length(sub.email)
    if email > EMAIL_MAX:
        errors["email"] = f"Contact email has {email} characters: an email address has at most {EMAIL_MAX}"
    if bounds.length(sub.name) > NAME_MAX:
        errors["name"] = f"Your name: write it on one line, at most {NAME_MAX} characters (or leave it empty)"
    most = len(sub.form.fields) * len(guard.PATTERNS)
    if len(sub.confirmed) > most or any(len(key) > 200 for key in sub.confirmed):
        errors["confirm_guard"] = (
            f'confirm_guard: send at most {most} confirmations, each a "field:kind" '
            f'the guard named, like "steps_to_reproduce:phone"'
        )
    return errors


# (message key, Submission attribute, what stands in for it when it is over its bound)
EMPTIED = (
    ("subject", "typed_subject", ""),
    ("tag", "tag", ""),
    ("summary", "summary", ""),
    ("email", "email", ""),
    ("name", "name", ""),
    ("confirm_guard", "confirmed", frozenset()),
)


def bound(sub: Submission, policy: Policy) -> tuple[Submission, dict[str, str]]:
    """The submission with every value over its bound emptied, and the message for each of those.

    Choices are bounded first, so that which fields are shown is decided on bounded values; a
    hidden text field over its bound is emptied without a message (it is never read or sent).
    """
    errors, values = {}, dict(sub.values)
    for f in sorted(sub.form.fields, key=lambda f: f.free_text):  # choices first
        message = bounds.field_problem(f, values[f.id]) if f.id in values else None
        if message:
            values[f.id] = bounds.empty_like(values[f.id])
            if not f.free_text or is_shown(f, values):
                errors[f.id] = message
    errors |= _subject_bounds(sub, policy) | _contact_bounds(sub)
    emptied = {attribute: empty for key, attribute, empty in EMPTIED if key in errors}
    return dataclasses.replace(sub, values=values, **emptied), errors


def with_summary_field(sub: Submission) -> Submission:
    """The submission with the form's summary field (`prefill: summary`) holding the summary: always
    when the form composes the subject (the field is not asked again), else when it was not sent."""
    field = sub.form.summary_field
    if field is None:
        return sub
    if sub.typed_subject is not None and not is_empty(sub.values.get(field.id)):
        return sub
    summary = sub.summary if sub.typed_subject is None else subject.split(sub.typed_subject)[1]
    return dataclasses.replace(sub, values={**sub.values, field.id: " ".join(summary.split())})


def _summary_errors_on_summary(sub: Submission, errors: dict[str, str]) -> dict[str, str]:
    """On a composed subject the summary field is the Summary box: its problems are shown there."""
    field = sub.form.summary_field
    if field is None or sub.typed_subject is not None or field.id not in errors:
        return errors
    message = errors.pop(field.id)
    errors.setdefault("summary", message)
    return errors


def review(sub: Submission, policy: Policy, now: dt.datetime) -> Review:
    """Check everything; build the record only when nothing is wrong and every finding is confirmed.

    Every value is bounded first (`bound`): one over its bound gets its length message, and no
    rule, pattern, email check or guard reads it.
    """
    sub, too_long = bound(sub, policy)
    sub = with_summary_field(sub)
    tag, summary, errors = subject_errors(sub, policy)
    if email_problem(sub.email.strip()):
        errors["email"] = "Contact email: write an address like name@example.com, where we can reach you"
    if subject.has_encoded_word(sub.email):
        errors["email"] = (
            'Contact email: an address with "=?" cannot be written safely in an email; use another address'
        )
    name_problem = contact_name_problem(sub.name)
    if name_problem:
        errors["name"] = name_problem
    context = {"case_pattern": policy.case_pattern(), "case_example": policy.case_example(now.year)}
    errors.update(check_fields(sub.form, sub.values, context))
    errors.update(too_long)  # the length message, not "required", for a value that was emptied
    errors = _summary_errors_on_summary(sub, errors)
    findings = scan_fields(sub, policy)
    result = Review(errors, findings, tag, summary, [f for f in findings if f.key not in sub.confirmed])
    if not errors and not result.unconfirmed:
        result.record = build_record(sub, policy, tag, summary, findings, now)
    return result


def _text(f: Field, value: Value) -> str:
    """A field's answer as text: option labels for choices."""
    if f.type in ("dropdown", "checkboxes"):
        chosen = [value] if isinstance(value, str) else value
        return ", ".join(f.option(c).label for c in chosen if f.option(c))
    return value.strip()


def _choice(sub: Submission, source: str, fallback: str) -> str:
    """The id chosen in the `plans` or `regions` dropdown, else the fallback."""
    f = sub.form.field_from(source)
    value = sub.values.get(f.id) if f else None
    option = f.option(value) if f and isinstance(value, str) and value else None
    return option.value if option else fallback


def build_record(sub: Submission, policy: Policy, tag: str, summary: str, findings: list, now: dt.datetime) -> dict:
    """The request as stored and delivered (secrets already redacted)."""
    plan = _choice(sub, "plans", policy.plans[0].id)
    region = policy.region(_choice(sub, "regions", policy.default_region))
    priority = policy.priority(policy.tag(tag).priority)
    target = policy.target(tag, plan)
    fields = []
    for f in sub.form.fields:
        value = sub.values.get(f.id, "")
        if is_empty(value) or not is_shown(f, sub.values):
            continue
        text = _text(f, value)
        if f.free_text and f.guard:
            text = guard.redact(text, policy.guard_rules)
        fields.append({"id": f.id, "label": f.label, "value": text})
    return {
        "form": sub.form.id,
        "form_name": sub.form.name,
        "subject": subject.compose(tag, summary),
        "tag": tag,
        "summary": summary,
        "priority": priority.id,
        "plan": plan,
        "email": sub.email.strip(),
        "name": " ".join(sub.name.split()),
        "fields": fields,
        "from_page": sub.from_page or None,
        "shown_articles": sub.shown_articles,
        "response_target": str(target.response),
        "resolution_target": str(target.resolution),
        "response_due": hours.due(now, target.response, priority.clock, region, policy.holidays).isoformat(),
        "resolution_due": hours.due(now, target.resolution, priority.clock, region, policy.holidays).isoformat(),
        "guard": [{"field": f.field, "kind": f.kind, "confirmed": f.key in sub.confirmed} for f in findings],
        "region": region.id,
    }
