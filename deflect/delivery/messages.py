"""The two emails of a filed request: the request to support and the confirmation to the customer.

Plain text only. Everything the customer typed reaches a header only through `header_text` (control
characters removed, whitespace collapsed, `=?` broken up so the standard library decodes no encoded
word) and `email.headerregistry`; then `render` reads every message back (`deflect.readback`) and
reports one that does not read as built, so it is never sent. The confirmation goes to an address
nobody verified: it carries no text the customer typed, only the case number and the
organisation's own words.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import re
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from email_validator import EmailNotValidError, validate_email

from deflect.delivery import readback
from deflect.delivery.text import customer_text, parse_time, support_text

POLICY = email.policy.SMTP  # CRLF line ends, 7-bit headers (encoded words), no 8-bit unless asked
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
FALLBACK_LINE_LENGTHS = (998, 100, 160, 250, 500)
ENCODED_WORD_START = "=?"  # RFC 2047; the standard library decodes such words in the text it is given


@dataclass(frozen=True)
class Rendered:
    """A message as it will be sent, what it must read back as, and why it must not be sent (or None)."""

    text: str
    built: dict
    problem: str | None


def header_text(value: object) -> str:
    """Return `value` fit for one header line: control characters and line breaks become spaces, and
    `=?` becomes `= ?`, so no part of it is taken for an encoded word (which could hold a line break)."""
    text = " ".join(_CONTROL.sub(" ", str(value or "")).split())
    return text.replace(ENCODED_WORD_START, "= ?")


def safe_address(addr_spec: object, display_name: object = "") -> Address | None:
    """Return an Address for a customer's email, or None when it is not one plain address.

    The address is written in its ASCII form (an international domain as IDNA, `xn--...`), which
    headers and the SMTP envelope can carry; a non-ASCII local part cannot be, so it gets None.
    """
    spec = str(addr_spec or "").strip()
    if (
        not spec
        or _CONTROL.search(spec)
        or spec.count("@") != 1
        or any(c in spec for c in ' ,;<>"()')
        or ENCODED_WORD_START in spec
    ):
        return None
    try:
        ascii_spec = validate_email(spec, check_deliverability=False).ascii_email
        address = Address(display_name=header_text(display_name), addr_spec=ascii_spec or "")
    except (EmailNotValidError, ValueError, IndexError, HeaderParseError):
        return None
    return address if ascii_spec and address.addr_spec == ascii_spec else None


def message_id(case_number: str, channel: str, domain: str) -> str:
    """Return the stable Message-ID of one message of a case, so a helpdesk can drop a repeat."""
    local = re.sub(r"[^A-Za-z0-9._-]", "", f"{case_number}.{channel}")
    return f"<{local}@{re.sub(r'[^A-Za-z0-9.-]', '', domain) or 'deflect.invalid'}>"


def support_subject(record: dict) -> str:
    """Return the support email's subject: the request's `[TAG] summary`, fit for a header."""
    return header_text(record["subject"])


def confirmation_subject(record: dict) -> str:
    """Return the confirmation's subject: the case number (so replies thread) and fixed words only."""
    return f"[{header_text(record['case_number'])}] We received your request"


def support_message(record: dict, policy, to: str) -> EmailMessage:
    """Return the request as the support team agreed: `[TAG] summary` subject, sections in order."""
    org = policy.organisation
    message = _message(org, record, "support")
    message["To"] = to
    message["Subject"] = support_subject(record)
    customer = safe_address(record.get("email"), record.get("name"))
    if customer is not None:
        message["Reply-To"] = customer
    message["X-Deflect-Case"] = header_text(record["case_number"])
    _set_text(message, support_text(record, policy))
    return message


def customer_message(record: dict, policy, reply_to: str, help_center: str | None = None) -> EmailMessage | None:
    """Return the confirmation for the customer, or None when their address is unusable.

    Nothing the customer typed is in it (no name, subject or fields), so it cannot carry anyone's
    words to an address they chose: the case number, targets and the organisation's text only.
    """
    customer = safe_address(record.get("email"))
    if customer is None:
        return None
    org = policy.organisation
    message = _message(org, record, "customer")
    message["To"] = customer
    message["Reply-To"] = reply_to
    message["Subject"] = confirmation_subject(record)
    message["References"] = message_id(header_text(record["case_number"]), "support", support_domain(org))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: autoresponders must not answer it
    _set_text(message, customer_text(record, policy, reply_to, help_center))
    return message


def render(message: EmailMessage, subject: str, envelope: list[str]) -> Rendered:
    """Return the message as sent, checked: it must read back with the headers, addresses and
    `subject` it was built with, under both parsers, else `problem` says how it differs.

    Headers are folded at 78 characters, except when the standard library's folding would change
    the subject read back (it can put the whole value on a continuation line, which a parser reads
    with a leading space, or drop the space between two encoded words where it breaks a line): then
    other line lengths, up to the 998 characters SMTP allows, are tried until one reads back right.
    """
    built = readback.expectation(message, subject, envelope)
    for policy in (POLICY, *(POLICY.clone(max_line_length=n) for n in FALLBACK_LINE_LENGTHS)):
        text = message.as_string(policy=policy)
        problem = readback.problem(text, built)
        if problem is None:
            return Rendered(text, built, None)
    return Rendered(text, built, f"not sent: it does not read back as built: {problem}")


def serialize(message: EmailMessage) -> str:
    """Return the message as sent (`render` with the subject it holds)."""
    return render(message, str(message["Subject"]), [a.addr_spec for a in message["To"].addresses]).text


def _message(org: dict, record: dict, channel: str) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    message["From"] = Address(
        display_name=header_text(org.get("name", "")) + " support", addr_spec=org["support_email"]
    )
    message["Date"] = format_datetime(parse_time(record.get("created_at")) or dt.datetime.now(dt.UTC))
    message["Message-ID"] = message_id(record["case_number"], channel, support_domain(org))
    return message


def _set_text(message: EmailMessage, text: str) -> None:
    plain = text.isascii() and max(map(len, text.splitlines() or [""])) <= 998  # RFC 5322 line limit
    message.set_content(text, charset="utf-8", cte="7bit" if plain else "quoted-printable")


def support_domain(org: dict) -> str:
    """The domain of the organisation's support address: every Message-ID of its cases ends in it."""
    return org["support_email"].rpartition("@")[2]
