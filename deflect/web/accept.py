"""Filing an accepted request: numbered and committed with its outbox messages in one transaction."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import current_app

from deflect.delivery import caps, channels
from deflect.store.model import Visit
from deflect.web import metrics, rate_limits
from deflect.web.resources import resources

log = logging.getLogger(__name__)
# Why a confirmation was skipped, for the operator (the customer and support are told in plain words).
SKIPPED_BECAUSE = {
    "address-cap": f"this mailbox reached {caps.PER_ADDRESS} in the last hour",
    "hourly-cap": f"{caps.PER_HOUR} confirmations went out in the last hour",
    "no-address": "the address cannot be written in an email header",
}


@dataclass(frozen=True)
class Filed:
    """A filed request: its case number and what happened to its confirmation (see request_text)."""

    case: str
    confirmation: str


def file_record(record: dict, token: str | None = None, visit: Visit | None = None) -> Filed:
    """Store the request and its outbox messages; return the case number and the confirmation's fate.

    `token` is the search-step token's use id: a second request with it raises TokenAlreadyUsed.
    `visit` is the ledger's visit the filing closes (its `filed` row is part of the same transaction).
    The confirmation caps are decided by the store inside the filing transaction.
    """
    res = resources()
    now = dt.datetime.now(dt.UTC)
    stamp = now.isoformat(timespec="microseconds")
    settings = channels.app_settings(current_app)
    decided = {}

    def outbox(case: str, confirmation: str) -> list:
        decided["confirmation"] = confirmation
        filed = dict(record, case_number=case, created_at=stamp, confirmation=confirmation)
        return channels.outbox_messages(filed, res.policy, settings)

    case = res.store.file_request(
        prefix=res.policy.case_prefix,
        digits=res.policy.case_digits,
        form=record["form"],
        subject=record["subject"],
        email=record["email"],
        data=record,
        outbox=outbox,
        now=now,
        token=token,
        confirmation=caps.for_record(record, settings),
        visit=visit,
    )
    rate_limits.mark_filed(case)  # only a filed request counts against the filing limit
    metrics.filed(record)
    log.info(
        "filed %s: form %s, tag %s, confirmation %s", case, record["form"], record.get("tag"), decided["confirmation"]
    )
    if decided["confirmation"] in SKIPPED_BECAUSE:
        log.warning("%s filed without a confirmation email: %s", case, SKIPPED_BECAUSE[decided["confirmation"]])
    return Filed(case, decided["confirmation"])


def mail_server() -> bool:
    """True when a mail server sends the emails (DEFLECT_SMTP_URL), False when they are only written to files."""
    return bool(channels.app_settings(current_app).get("DEFLECT_SMTP_URL"))
