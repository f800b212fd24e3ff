"""The two emails of a filed request: the request to support and the confirmation to the customer.

Plain text only. Everything the customer typed reaches a header only through `header_text` (control
characters removed, whitespace collapsed) and `email.headerregistry`, so no input can add a header.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import re
import textwrap
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

POLICY = email.policy.SMTP  # CRLF line ends, 7-bit headers (encoded words), no 8-bit unless asked
CORE_SECTIONS = ("problem_summary", "steps_to_reproduce", "expected_result", "actual_result", "environment", "impact")
TRAILING_FIELDS = ("organisation", "plan")
NOT_GIVEN = "(not given)"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_BODY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # keeps tab and line breaks


def header_text(value: object) -> str:
    """Return `value` fit for one header line: control characters and line breaks become spaces."""
    return " ".join(_CONTROL.sub(" ", str(value or "")).split())


def safe_address(addr_spec: object, display_name: object = "") -> Address | None:
    """Return an Address for a customer's email, or None when it is not one plain address."""
    spec = str(addr_spec or "").strip()
    if not spec or _CONTROL.search(spec) or spec.count("@") != 1 or any(c in spec for c in " ,;<>\"()"):
        return None
    try:
        return Address(display_name=header_text(display_name), addr_spec=spec)
    except (ValueError, IndexError):
        return None


def message_id(case_number: str, channel: str, domain: str) -> str:
    """Return the stable Message-ID of one message of a case, so a helpdesk can drop a repeat."""
    local = re.sub(r"[^A-Za-z0-9._-]", "", f"{case_number}.{channel}")
    return f"<{local}@{re.sub(r'[^A-Za-z0-9.-]', '', domain) or 'deflect.invalid'}>"


def support_message(record: dict, policy, to: str) -> EmailMessage:
    """Return the request as the support team agreed: `[TAG] summary` subject, sections in order."""
    org = policy.organisation
    message = _message(org, record, "support")
    message["To"] = to
    message["Subject"] = header_text(record["subject"])
    customer = safe_address(record.get("email"), record.get("name"))
    if customer is not None:
        message["Reply-To"] = customer
    message["X-Deflect-Case"] = header_text(record["case_number"])
    _set_text(message, support_text(record, policy))
    return message


def customer_message(record: dict, policy, reply_to: str) -> EmailMessage | None:
    """Return the confirmation for the customer, or None when their address is unusable."""
    customer = safe_address(record.get("email"), record.get("name"))
    if customer is None:
        return None
    org = policy.organisation
    message = _message(org, record, "customer")
    message["To"] = customer
    message["Reply-To"] = reply_to
    case = header_text(record["case_number"])
    message["Subject"] = f"[{case}] We received your request: {header_text(record['subject'])}"
    message["References"] = message_id(case, "support", _domain(org))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: autoresponders must not answer it
    _set_text(message, customer_text(record, policy, reply_to))
    return message


def support_text(record: dict, policy) -> str:
    """Return the body of the message to support."""
    lines = [
        f"Case: {record['case_number']}",
        f"Subject: {record['subject']}",
        f"From: {_customer_line(record)}",
        f"Form: {record.get('form_name') or record.get('form')}",
        f"Priority: {_priority_name(record, policy)}",
        f"Filed: {_when(record.get('created_at'), record, policy)}",
        "",
    ]
    lines += _sections(record, policy)
    lines += _context(record, policy)
    return "\n".join(lines).rstrip() + "\n"


def customer_text(record: dict, policy, reply_to: str) -> str:
    """Return the body of the confirmation: case number, what was sent, targets, how to follow up."""
    org, case = policy.organisation, record["case_number"]
    lines = [f"Hello{' ' + record['name'] if record.get('name') else ''},", ""]
    lines += _paragraph(
        f"We received your request. Your case number is {case}. We aim to answer within"
        f" {record.get('response_target') or 'our published targets'}"
        f" (by {_when(record.get('response_due'), record, policy)}) and to resolve it within"
        f" {record.get('resolution_target') or 'our targets'} (by {_when(record.get('resolution_due'), record, policy)}).")
    lines += _paragraph(f"To follow up, reply to this email, or write to {reply_to} with {case} in the subject.")
    lines += _paragraph(f"To escalate, reply quoting {case} and say why. Support escalates through these levels:")[:-1]
    lines += [f"  {e.get('level')}. {e.get('name')}: {e.get('handles')}" for e in policy.escalation]
    lines += ["", "What you sent", "-------------", f"Subject: {record['subject']}", ""]
    lines += _sections(record, policy)
    lines += ["", f"{org.get('name', '')}", org.get("website", "")]
    return "\n".join(lines).rstrip() + "\n"


def _paragraph(text: str) -> list[str]:
    return textwrap.wrap(text, width=72, break_long_words=False, break_on_hyphens=False) + [""]


def _message(org: dict, record: dict, channel: str) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    message["From"] = Address(display_name=header_text(org.get("name", "")) + " support", addr_spec=org["support_email"])
    message["Date"] = format_datetime(_parse(record.get("created_at")) or dt.datetime.now(dt.timezone.utc))
    message["Message-ID"] = message_id(record["case_number"], channel, _domain(org))
    return message


def _set_text(message: EmailMessage, text: str) -> None:
    plain = text.isascii() and max(map(len, text.splitlines() or [""])) <= 998  # RFC 5322 line limit
    message.set_content(text, charset="utf-8", cte="7bit" if plain else "quoted-printable")


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
    lines += [
        "",
        f"Response due: {_when(record.get('response_due'), record, policy)} ({record.get('response_target', '')})",
        f"Resolution due: {_when(record.get('resolution_due'), record, policy)} ({record.get('resolution_target', '')})",
    ]
    return lines


def _value(value) -> str:
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    text = str(value if value is not None else "").replace("\r\n", "\n").replace("\r", "\n")
    text = _BODY_CONTROL.sub("", text).strip()
    return text or NOT_GIVEN


def _customer_line(record: dict) -> str:
    email_address = header_text(record.get("email"))
    return f"{header_text(record['name'])} <{email_address}>" if record.get("name") else email_address


def _priority_name(record: dict, policy) -> str:
    try:
        return policy.priority(record.get("priority")).name
    except StopIteration:
        return str(record.get("priority") or NOT_GIVEN)


def _plan_name(record: dict, policy) -> str:
    plan = policy.plan(str(record.get("plan") or ""))
    return plan.name if plan else str(record.get("plan") or NOT_GIVEN)


def _parse(stamp) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _when(stamp, record: dict, policy) -> str:
    """Return a due time as `2026-03-03 17:00 Europe/London` in the request's support region."""
    moment = _parse(stamp)
    if moment is None:
        return str(stamp or NOT_GIVEN)
    zone = policy.region(record.get("region")).timezone
    return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}"


def _domain(org: dict) -> str:
    return org["support_email"].rpartition("@")[2]
