"""The rules a request's fields must pass, one function per rule, read top to bottom.

Each rule takes the field, its value and the other values, and returns the message to show next
to the field (naming it and saying what to write instead), or None.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from email_validator import EmailNotValidError, validate_email

from deflect.forms.model import Field, Form
from deflect.intake.bounds import EMAIL_MAX
from deflect.intake.bounds import length as bounded_length
from deflect.intake.subject import has_control_characters

Value = str | list[str]
STEP = re.compile(r"(?:^|\s)(?:\d{1,2}[.)]|[-*•])\s+\S")
FILLER = re.compile(r"^\s*(?:n/?a|tbd|todo|tba|xxx+|\.{3,}|-+|\?+|lorem ipsum.*|<[^<>]*>|\[[^\[\]]*\])\s*$", re.I)
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.I)


def _plain(text: str) -> str:
    """Text reduced for comparison: lower case, letters and digits, single spaces."""
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


def is_shown(field: Field, values: dict[str, Value]) -> bool:
    """True unless the field has `show_when` and the other field's choice does not match."""
    if not field.show_when:
        return True
    other, wanted = field.show_when
    chosen = values.get(other) or []
    chosen = [chosen] if isinstance(chosen, str) else chosen
    return any(_plain(c) == _plain(w) for c in chosen for w in wanted)


def is_empty(value: Value) -> bool:
    """True for a missing answer: blank text or no choice."""
    return not value or (isinstance(value, str) and not value.strip())


def rule_required(field: Field, value: Value, values: dict, context: dict) -> str | None:
    if field.type == "checkboxes":
        missing = [o.label for o in field.options if o.required and o.label not in (value or [])]
        return f'{field.label}: tick "{missing[0]}" to continue' if missing else None
    if field.required and is_empty(value) and field.type == "dropdown":
        # A description such as "Your plan decides the targets" explains; the fix is to choose.
        return f"{field.label} is required: choose one of {', '.join(o.label for o in field.options)}"
    if field.required and is_empty(value):
        hint = field.description or f"fill in {field.label.lower()}"
        return f"{field.label} is required: {hint[0].lower() + hint[1:]}"
    return None


def rule_characters(field: Field, value: Value, values: dict, context: dict) -> str | None:
    if field.type == "input" and isinstance(value, str) and has_control_characters(value.strip()):
        return f"{field.label}: write it on one line, without line breaks or control characters"
    return None


def rule_length(field: Field, value: Value, values: dict, context: dict) -> str | None:
    if not isinstance(value, str) or is_empty(value):
        return None
    length = bounded_length(value)  # as the form's maxlength counts: a line break is one character
    if length > field.max_length:
        return f"{field.label} has {length} characters: shorten it to at most {field.max_length}"
    if length < field.min_length:
        return (
            f"{field.label} has {length} characters: write at least {field.min_length}, with the details support needs"
        )
    return None


def rule_options(field: Field, value: Value, values: dict, context: dict) -> str | None:
    if field.type not in ("dropdown", "checkboxes") or is_empty(value):
        return None
    chosen = [value] if isinstance(value, str) else value
    if field.type == "dropdown" and not field.multiple and len(chosen) > 1:
        return f"{field.label}: choose one option"
    unknown = [c for c in chosen if field.option(c) is None]
    if unknown:
        return f"{field.label}: choose one of {', '.join(o.label for o in field.options)}"
    return None


def rule_format(field: Field, value: Value, values: dict, context: dict) -> str | None:
    if not field.format or not isinstance(value, str) or is_empty(value):
        return None
    text = value.strip()
    if field.format == "email" and email_problem(text):
        return f"{field.label}: write an email address like name@example.com"
    if field.format == "url" and not URL.match(text):
        return f"{field.label}: write a web address starting with https://"
    case = context.get("case_pattern")
    if field.format == "case_number" and case and not case.match(text.upper()):
        return (
            f"{field.label}: write the case number as it appears in your confirmation, like {context['case_example']}"
        )
    return None


def rule_pattern(field: Field, value: Value, values: dict, context: dict) -> str | None:
    if not field.pattern or not isinstance(value, str) or is_empty(value):
        return None
    if re.fullmatch(field.pattern, value.strip()):
        return None
    return f"{field.label}: {field.pattern_message or 'does not have the expected form; follow the example'}"


def count_steps(text: str) -> int:
    """The number of steps: non-empty lines, or numbered or bulleted items on one line."""
    lines = [line for line in text.splitlines() if line.strip()]
    return max(len(lines), len(STEP.findall(text)))


def rule_steps(field: Field, value: Value, values: dict, context: dict) -> str | None:
    if not field.min_steps or not isinstance(value, str) or is_empty(value):
        return None
    if count_steps(value) >= field.min_steps:
        return None
    return (
        f"{field.label}: write at least {field.min_steps} steps, one per line, like "
        f'"1. Open course 123" then "2. Complete the quiz"'
    )


def rule_differs(field: Field, value: Value, values: dict, context: dict) -> str | None:
    other = values.get(field.differs_from)
    if not field.differs_from or not isinstance(value, str) or not isinstance(other, str) or is_empty(value):
        return None
    # Equal once case, punctuation and spacing are ignored: "No points" vs "25 points" must pass.
    if _plain(value) == _plain(other):
        label = context["labels"].get(field.differs_from, field.differs_from)
        return f"{field.label} says the same as {label}: describe what actually happens, with any error message"
    return None


def rule_placeholder(field: Field, value: Value, values: dict, context: dict) -> str | None:
    if not field.free_text or not isinstance(value, str) or is_empty(value):
        return None
    text = _plain(value)
    examples = [_plain(line) for line in field.placeholder.splitlines() if len(_plain(line)) >= 12]
    if (
        FILLER.match(value)
        or (field.placeholder and text == _plain(field.placeholder))
        or any(e in text for e in examples)
    ):
        return f"{field.label} still holds example text: replace it with your own words"
    return None


RULES: tuple[Callable[[Field, Value, dict, dict], str | None], ...] = (
    rule_required,
    rule_characters,
    rule_length,
    rule_options,
    rule_format,
    rule_pattern,
    rule_placeholder,
    rule_steps,
    rule_differs,
)


def email_problem(text: str) -> str | None:
    """Return why `text` is not a usable email address, or None."""
    if len(text) > EMAIL_MAX or has_control_characters(text):
        return "too long or has control characters"
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        return str(error)
    return None


def check_fields(form: Form, values: dict[str, Value], context: dict) -> dict[str, str]:
    """Return {field id: message} for every shown field that breaks a rule (first rule only)."""
    errors = {}
    context = dict(context, labels={f.id: f.label for f in form.fields})
    for field in form.fields:
        if not is_shown(field, values):
            continue
        value = values.get(field.id, "")
        for rule in RULES:
            message = rule(field, value, values, context)
            if message:
                errors[field.id] = message
                break
    return errors
