"""Filing an accepted request: numbered and committed with its outbox messages in one transaction."""

from __future__ import annotations

import datetime as dt

from flask import current_app

from deflect import delivery
from deflect.web import rate_limits
from deflect.web.resources import resources


def app_settings() -> dict:
    """The run-time settings with the app's `DEFLECT_*` config on top (what delivery reads)."""
    return {k: v for k, v in current_app.config.items() if k.startswith("DEFLECT_")}


def file_record(record: dict) -> str:
    """Store the request and its outbox messages; return the case number."""
    res = resources()
    now = dt.datetime.now(dt.timezone.utc)
    stamp = now.isoformat(timespec="microseconds")
    settings = app_settings()

    def outbox(case: str) -> list:
        return delivery.outbox_messages(dict(record, case_number=case, created_at=stamp), res.policy, settings)

    case = res.store.file_request(prefix=res.policy.case_prefix, digits=res.policy.case_digits,
                                  form=record["form"], subject=record["subject"], email=record["email"],
                                  data=record, outbox=outbox, now=now)
    rate_limits.mark_filed(case)  # only a filed request counts against the filing limit
    return case


def delivery_note(case: str) -> str | None:
    """Where the messages went when no mail server is set, else None."""
    return delivery.describe_delivery(app_settings(), case)
