"""The text of a request as people read it: the support email's body and the customer's confirmation.

The six sections of the agreed shape come first (problem summary, steps to reproduce, expected and
actual result, environment, impact), then the form's other fields, organisation, plan, where the
customer came from, the articles they were shown, and the due times in the support region's zone.
The confirmation holds none of that: it goes to an address nobody verified, so it says only what
the organisation wrote (case number, priority, targets, how to follow up and escalate, help center).
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap

from deflect.policy import hours

CORE_SECTIONS = ("problem_summary", "steps_to_reproduce", "expected_result", "actual_result", "environment", "impact")
TRAILING_FIELDS = ("organisation", "plan")
NOT_GIVEN = "(not given)"
KEEP_THE_NUMBER = "Your request is filed all the same: keep your case number."
FOR_CUSTOMER = {  # what the confirmation page and the API say about the confirmation email
    "sent": "A confirmation email with your case number is on its way to the address you gave.",
    "address-cap": "We sent no confirmation email this time: this address has had as many as we send in "
    "an hour. " + KEEP_THE_NUMBER,
    "hourly-cap": "We sent no confirmation email this time: we have sent as many as we send in an hour. "
    + KEEP_THE_NUMBER,
    "no-address": "We cannot send email to this address, so no confirmation was sent. " + KEEP_THE_NUMBER,
    "no-mail-server": "This help center sends no confirmation emails: keep your case number and quote it when "
    "you write to us. We answer at the address you gave.",
}
FOR_SUPPORT = {  # why the customer got no confirmation, in the support email (the log names the setting)
    "address-cap": "not sent: this mailbox had already had the most confirmations we send to one address in an hour",
    "hourly-cap": "not sent: the most confirmations we send in an hour had already gone out",
    "no-address": "not sent: the address cannot be written in an email header",
}
_BODY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # keeps tab and line breaks


def support_text(record: dict, policy) -> str:
    """Return the body of the message to support."""
    lines = [
        f"Case: {record['case_number']}",
        f"Subject: {record['subject']}",
        f"From: {_customer_line(record)}",
        f"Form: {record.get('form_name') or record.get('form')}",
        f"Priority: {_priority_name(record, policy)}",
        f"Filed: {_when(record.get('created_at'), record, policy)}",
        f"Confirmation: {FOR_SUPPORT.get(confirmation_state(record), 'sent to the customer')}",
        "",
    ]
    lines += _sections(record, policy)
    lines += _context(record, policy)
    return "\n".join(lines).rstrip() + "\n"


def confirmation_state(record: dict) -> str:
    """Return what happened to the request's confirmation: "sent" (also for requests filed before the
    caps), "address-cap", "hourly-cap" or "no-address"."""
    return str(record.get("confirmation") or "sent")


def customer_outcome(record: dict, mail_server: bool = True) -> str:
    """What the customer is told happened to their confirmation: the record's state, or
    "no-mail-server" when it was queued but no mail server sends it (it is only written to a file)."""
    state = confirmation_state(record)
    return "no-mail-server" if state == "sent" and not mail_server else state


def confirmation_sentence(record: dict, mail_server: bool = True) -> str:
    """Return what the customer is told about the confirmation email."""
    return FOR_CUSTOMER.get(customer_outcome(record, mail_server), FOR_CUSTOMER["sent"])


def promises(record: dict, policy) -> dict[str, dict[str, str]]:
    """The response and resolution promises as the page and the emails word them: within ("8 support
    hours" when support hours count) and by (the due time in the request's support region)."""
    clock = _clock(record, policy)
    return {
        kind: {
            "within": hours.in_words(record.get(f"{kind}_target") or "", clock),
            "by": _when(record.get(f"{kind}_due"), record, policy),
        }
        for kind in ("response", "resolution")
    }


def customer_text(record: dict, policy, reply_to: str, help_center: str | None = None) -> str:
    """Return the body of the confirmation: case number, targets, how to follow up, the help center.

    Only the organisation's words and values it computed: nothing the customer typed.
    """
    org, case = policy.organisation, record["case_number"]
    due = promises(record, policy)
    lines = ["Hello,", ""]
    lines += _paragraph(
        f"We received your request. Your case number is {case}. Its priority is {_priority_name(record, policy)}:"
        f" we aim to answer within {due['response']['within'] or 'our published targets'}"
        f" (by {due['response']['by']}) and to resolve it within"
        f" {due['resolution']['within'] or 'our targets'} (by {due['resolution']['by']})."
    )
    lines += _paragraph(f"To follow up, reply to this email, or write to {reply_to} with {case} in the subject.")
    lines += _paragraph(f"To escalate, reply quoting {case} and say why. Support escalates through these levels:")[:-1]
    lines += [f"  {e.get('level')}. {e.get('name')}: {e.get('handles')}" for e in policy.escalation]
    lines += [""] + _paragraph("If you did not send this request, you can ignore this email.")
    lines += [f"Help center: {help_center or org.get('website', '')}", "", f"{org.get('name', '')}"]
    return "\n".join(lines).rstrip() + "\n"


def _paragraph(text: str) -> list[str]:
    return textwrap.wrap(text, width=72, break_long_words=False, break_on_hyphens=False) + [""]


def _sections(record: dict, policy) -> list[str]:
    fields = {f["id"]: f for f in record.get("fields", [])}
    order = [i for i in CORE_SECTIONS if i in fields]
    order += [i for i in fields if i not in CORE_SECTIONS and i not in TRAILING_FIELDS]
    lines = []
    for field_id in order:
        lines += _section(fields[field_id]["label"], _value(fields[field_id].get("value")))
    org_value = _value(fields["organisation"]["value"]) if "organisation" in fields else NOT_GIVEN
    lines += _section(fields.get("organisation", {}).get("label", "Organisation"), org_value)
    lines += _section("Plan", _plan_name(record, policy))
    return lines


def _section(label: str, value: str) -> list[str]:
    if "\n" in value or len(value) > 60:
        return [f"{label}:", value, ""]
    return [f"{label}: {value}", ""]


def _context(record: dict, policy) -> list[str]:
    shown = record.get("shown_articles") or []
    lines = [f"Came from article: {record.get('from_page') or '(none)'}", "Articles shown before filing:"]
    lines += [f"- {a.get('title', '')} ({a.get('url', '')})" for a in shown] or ["- (none)"]
    due = promises(record, policy)
    lines += [
        "",
        f"Response due: {due['response']['by']} ({due['response']['within']})",
        f"Resolution due: {due['resolution']['by']} ({due['resolution']['within']})",
    ]
    return lines


def _value(value) -> str:
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    text = str(value if value is not None else "").replace("\r\n", "\n").replace("\r", "\n")
    text = _BODY_CONTROL.sub("", text).strip()
    return text or NOT_GIVEN


def _customer_line(record: dict) -> str:
    email_address = _one_line(record.get("email"))
    return f"{_one_line(record['name'])} <{email_address}>" if record.get("name") else email_address


def _one_line(value) -> str:
    return " ".join(_BODY_CONTROL.sub(" ", str(value or "")).split())


def _priority_name(record: dict, policy) -> str:
    try:
        return policy.priority(record.get("priority")).name
    except StopIteration:
        return str(record.get("priority") or NOT_GIVEN)


def _clock(record: dict, policy) -> str:
    """The clock the request's targets run on: around the clock, or support hours only."""
    try:
        clock = policy.priority(record.get("priority")).clock
    except StopIteration:
        return "continuous"  # unknown now: say the target as it was written, without "support"
    return clock if policy.region(record.get("region")).days else "continuous"


def _plan_name(record: dict, policy) -> str:
    plan = policy.plan(str(record.get("plan") or ""))
    return plan.name if plan else str(record.get("plan") or NOT_GIVEN)


def parse_time(stamp) -> dt.datetime | None:
    """Return an ISO-8601 time as an aware datetime (UTC when it has no zone), or None."""
    try:
        moment = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _when(stamp, record: dict, policy) -> str:
    """Return a due time as `Tue 3 Mar 2026, 17:00 Europe/London`, in the request's support region."""
    if parse_time(stamp) is None:
        return str(stamp or NOT_GIVEN)
    return hours.as_read(stamp, policy.region(record.get("region")).timezone)
