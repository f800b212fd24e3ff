"""What a filed request sends, and who sends it: the outbox entries, the senders, the app's worker.

`outbox_messages` is called inside the store's filing transaction, so the request and its messages
are committed together. Payloads are self-contained (the rendered email, what it must read back as,
the webhook body): delivery never depends on the knowledge base being readable later. An email that
does not read back as built is committed as failed, and the mail sender checks every email again
before it hands it over, so a reshaped message is never sent. Senders read the settings at send time.
Nothing here imports Flask; `init_delivery(app)` only reads `app.config` and `app.extensions`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urljoin

from deflect import settings as settings_module
from deflect.delivery import messages, readback
from deflect.delivery.errors import SendError
from deflect.delivery.outbox import DEFAULT_LEASE, Sender, Worker
from deflect.delivery.signature import message_id_of, new_message_id, signing_keys
from deflect.delivery.smtp import eml_name, parse_smtp_url, send_smtp, write_eml
from deflect.delivery.text import confirmation_state
from deflect.delivery.webhook import post_webhook
from deflect.store.model import OutboxEntry

log = logging.getLogger(__name__)
WEBHOOK_TYPE = "deflect.request.filed"
WEBHOOK_VERSION = 1


def outbox_messages(record: dict, policy, settings: Mapping[str, str | None]) -> list[tuple]:
    """Return the (channel, payload) pairs of a filed request: support, customer, webhook if set.

    An email that does not read back as built comes as (channel, payload, reason): failed, never sent.
    The confirmation is left out when the record says it may not be sent (`confirmation`, the caps).
    """
    record = with_absolute_links(record, settings.get("DEFLECT_SITE_URL"))
    to = policy.route(record.get("tag", ""), record.get("plan", ""), record.get("form", ""))
    sender = policy.organisation["support_email"]
    confirmation = None
    if confirmation_state(record) == "sent":
        confirmation = messages.customer_message(record, policy, reply_to=to, help_center=_help_center(settings))
        record = record if confirmation is not None else dict(record, confirmation="no-address")
    support = messages.support_message(record, policy, to)  # it says whether the customer got a confirmation
    entries = [_email("support", support, sender, [to], messages.support_subject(record))]
    if confirmation is not None:
        entries.append(
            _email(
                "customer",
                confirmation,
                sender,
                [confirmation["To"].addresses[0].addr_spec],
                messages.confirmation_subject(record),
            )
        )
    if settings.get("DEFLECT_WEBHOOK_URL"):
        body = json.dumps(webhook_document(record, policy, to), ensure_ascii=False)
        entries.append(("webhook", {"body": body, "webhook_id": new_message_id()}))
    return entries


def _help_center(settings: Mapping[str, str | None]) -> str | None:
    """The help center's public address (DEFLECT_SITE_URL) when it is absolute, for the confirmation."""
    site = settings.get("DEFLECT_SITE_URL") or ""
    return site if site.lower().startswith(("http://", "https://")) else None


def with_absolute_links(record: dict, site_url: str | None) -> dict:
    """Return the record with article links made absolute when the site's address is (DEFLECT_SITE_URL)."""
    if not site_url or not site_url.lower().startswith(("http://", "https://")):
        return record
    base = site_url.rstrip("/") + "/"
    shown = [dict(a, url=urljoin(base, a.get("url") or "")) for a in record.get("shown_articles") or []]
    from_page = urljoin(base, record["from_page"]) if record.get("from_page") else record.get("from_page")
    return dict(record, shown_articles=shown, from_page=from_page)


def _email(channel: str, message, sender: str, recipients: list[str], subject: str) -> tuple:
    rendered = messages.render(message, subject, recipients)
    payload = {
        "from": sender,
        "to": recipients,
        "message_id": message["Message-ID"],
        "message": rendered.text,
        "built": rendered.built,
    }
    return (channel, payload) if rendered.problem is None else (channel, payload, rendered.problem)


def webhook_document(record: dict, policy, route: str) -> dict:
    """Return the webhook's JSON document (schema: docs/webhook.md)."""
    case = record["case_number"]
    return {
        "type": WEBHOOK_TYPE,
        "version": WEBHOOK_VERSION,
        "idempotency_key": case,
        "case_number": case,
        "created_at": record.get("created_at"),
        "message_id": messages.message_id(case, "support", messages.support_domain(policy.organisation)),
        "route": route,
        "subject": record.get("subject"),
        "tag": record.get("tag"),
        "priority": record.get("priority"),
        "plan": record.get("plan"),
        "region": record.get("region"),
        "form": {"id": record.get("form"), "name": record.get("form_name")},
        "customer": {"email": record.get("email"), "name": record.get("name") or ""},
        "fields": [{k: f.get(k) for k in ("id", "label", "value")} for f in record.get("fields", [])],
        "from_page": record.get("from_page"),
        "shown_articles": [{"title": a.get("title"), "url": a.get("url")} for a in record.get("shown_articles") or []],
        "targets": {
            key: record.get(key) for key in ("response_target", "resolution_target", "response_due", "resolution_due")
        },
    }


def senders_for(settings: Mapping[str, str | None]) -> dict[str, Sender]:
    """Return the sender of each channel for these settings (SMTP or the mail folder; the webhook)."""
    mail = _mail_sender(settings)
    return {"support": mail, "customer": mail, "webhook": _webhook_sender(settings)}


def _mail_sender(settings: Mapping[str, str | None]) -> Sender:
    url = settings.get("DEFLECT_SMTP_URL")
    if not url:
        folder = mail_folder(settings)

        def write(entry: OutboxEntry) -> None:
            check_before_sending(entry)
            try:
                write_eml(folder, eml_name(entry.case_number, entry.channel), entry.payload["message"])
            except OSError as error:
                raise SendError(f"cannot write to {folder}: {error}") from error

        return write

    def send(entry: OutboxEntry) -> None:
        check_before_sending(entry)
        try:
            config = parse_smtp_url(url)
        except ValueError as error:  # transient: fixing the setting is enough, no retry by hand
            raise SendError(str(error)) from error
        send_smtp(config, entry.payload["from"], entry.payload["to"], entry.payload["message"])

    return send


def check_before_sending(entry: OutboxEntry) -> None:
    """Raise a permanent SendError when an email does not read back as it was built (or, for one
    queued before that was recorded, as deflect builds every email), so it is never handed over."""
    payload = entry.payload
    if payload.get("built"):
        problem = readback.problem(payload["message"], payload["built"], payload["to"])
    else:
        problem = readback.unbuilt_problem(payload["message"], payload["to"])
    if problem:
        raise SendError(f"not sent: it does not read back as built: {problem}", permanent=True)


def _webhook_sender(settings: Mapping[str, str | None]) -> Sender:
    url, secret = settings.get("DEFLECT_WEBHOOK_URL"), settings.get("DEFLECT_WEBHOOK_SECRET")

    def send(entry: OutboxEntry) -> None:
        if not url:
            raise SendError("DEFLECT_WEBHOOK_URL is no longer set", permanent=True)
        body = entry.payload["body"]
        post_webhook(url, body, entry.case_number, entry.payload.get("webhook_id") or message_id_of(body), secret)

    return send


def mail_folder(settings: Mapping[str, str | None]) -> Path:
    """Return the folder `.eml` files go to when no mail server is configured."""
    return data_dir(settings) / "mail"


def describe_delivery(settings: Mapping[str, str | None], case_number: str | None = None) -> str | None:
    """Return a sentence for the operator (the log, `deflect outbox`) when messages go to files, else None."""
    if settings.get("DEFLECT_SMTP_URL"):
        return None
    folder = mail_folder(settings)
    files = ""
    if case_number:
        files = f" ({eml_name(case_number, 'support')} and {eml_name(case_number, 'customer')})"
    return (
        f"No mail server is configured (DEFLECT_SMTP_URL is not set), so the emails are written "
        f"as .eml files to {folder}/{files} instead of being sent."
    )


def data_dir(settings: Mapping[str, str | None]) -> Path:
    """Return the data dir the settings name."""
    return Path(settings.get("DEFLECT_DATA_DIR") or "var")


def init_delivery(app) -> Worker | None:
    """Start the app's outbox worker (unless `OUTBOX_WORKER` is false) and keep it in app.extensions.

    Config: OUTBOX_WORKER (default true), OUTBOX_INTERVAL seconds between passes (1), OUTBOX_LEASE
    seconds before another worker takes over the message of a worker that died (300; renewed while sending).
    A DEFLECT_WEBHOOK_SECRET that cannot sign stops the app here (InvalidSecret), not at the first send.
    """
    signing_keys(app_settings(app).get("DEFLECT_WEBHOOK_SECRET"))
    files = describe_delivery(app_settings(app))
    if files:  # the operator's fact, never the customer's
        log.warning(files)
    if not app.config.get("OUTBOX_WORKER", True):
        return None
    current = lambda: app_settings(app)  # noqa: E731 - read at every pass, never cached
    store = app.extensions["deflect_store"]  # the app's own store (its patience: the worker may wait)
    lease = dt.timedelta(seconds=float(app.config.get("OUTBOX_LEASE", DEFAULT_LEASE.total_seconds())))
    worker = Worker(
        store, lambda: senders_for(current()), interval=float(app.config.get("OUTBOX_INTERVAL", 1.0)), lease=lease
    )
    app.extensions["deflect_outbox"] = worker.start()
    return worker


def app_settings(app) -> dict[str, str | None]:
    """Return the settings, with the app's `DEFLECT_*` config (test mappings included) on top."""
    values = dict(settings_module.load())
    values.update({k: v for k, v in app.config.items() if k.startswith("DEFLECT_")})
    return values
