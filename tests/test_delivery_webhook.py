"""The webhook against a real HTTP receiver on loopback: signed, idempotent, retried, classified."""

from __future__ import annotations

import json
import re
import time

import pytest

from deflect.delivery import senders_for
from deflect.outbox import Backoff, deliver_pending
from deflect.webhook_sender import sign, verify
from tests.delivery_fixtures import ROOT, file_sample

QUICK = Backoff(base=0.01, cap=0.02, max_attempts=5)
SECRET = "s3cret-for-tests"


def hook_settings(receiver, tmp_path) -> dict:
    return {"DEFLECT_WEBHOOK_URL": receiver.url, "DEFLECT_WEBHOOK_SECRET": SECRET, "DEFLECT_DATA_DIR": str(tmp_path)}


def webhook_entry(store):
    [entry] = [e for e in store.list_outbox() if e.channel == "webhook"]
    return store.outbox_entry(entry.id)


def run_until_settled(store, settings):
    for _ in range(200):
        deliver_pending(store, senders_for(settings), backoff=QUICK)
        if webhook_entry(store).status != "pending":
            return
        time.sleep(0.02)


def test_request_arrives_signed_with_its_case_as_idempotency_key(store, policy, webhook_receiver, tmp_path):
    case = file_sample(store, policy, hook_settings(webhook_receiver, tmp_path))
    deliver_pending(store, senders_for(hook_settings(webhook_receiver, tmp_path)), backoff=QUICK)
    [call] = webhook_receiver.calls
    assert call.headers["Idempotency-Key"] == case
    assert verify(call.body, SECRET, call.headers["X-Deflect-Signature"])
    document = call.json
    assert document["case_number"] == case and document["idempotency_key"] == case
    assert document["subject"] == "[HIGH] Students not receiving points for quiz completions"
    assert document["customer"]["email"] == "ann.lee@springfield.example"
    assert document["route"] == "support@orbit-rewards.example"
    assert [f["id"] for f in document["fields"]][:6] == ["problem_summary", "steps_to_reproduce", "expected_result",
                                                        "actual_result", "environment", "impact"]


def test_500_then_200_is_retried_and_delivered_once(store, policy, webhook_receiver, tmp_path):
    webhook_receiver.statuses = [500]
    settings = hook_settings(webhook_receiver, tmp_path)
    file_sample(store, policy, settings)
    deliver_pending(store, senders_for(settings), backoff=QUICK)
    assert "500" in webhook_entry(store).last_error and webhook_entry(store).status == "pending"
    run_until_settled(store, settings)
    deliver_pending(store, senders_for(settings), backoff=QUICK)
    assert webhook_entry(store).status == "delivered"
    assert len(webhook_receiver.calls) == 2
    first, second = webhook_receiver.calls
    assert first.body == second.body and first.headers["X-Deflect-Signature"] == second.headers["X-Deflect-Signature"]


@pytest.mark.parametrize(("status", "outcome"), [
    (400, "failed"), (401, "failed"), (404, "failed"), (422, "failed"),
    (408, "pending"), (429, "pending"), (502, "pending"), (503, "pending"),
])
def test_replies_are_classified(store, policy, webhook_receiver, tmp_path, status, outcome):
    webhook_receiver.statuses = [status]
    settings = hook_settings(webhook_receiver, tmp_path)
    file_sample(store, policy, settings)
    deliver_pending(store, senders_for(settings), backoff=QUICK)
    entry = webhook_entry(store)
    assert entry.status == outcome and str(status) in entry.last_error


def test_receiver_down_is_retried(store, policy, tmp_path):
    settings = {"DEFLECT_WEBHOOK_URL": "http://127.0.0.1:9/nothing-here", "DEFLECT_DATA_DIR": str(tmp_path)}
    file_sample(store, policy, settings)
    deliver_pending(store, senders_for(settings), backoff=QUICK)
    entry = webhook_entry(store)
    assert entry.status == "pending" and "cannot reach the webhook" in entry.last_error


def test_url_removed_after_filing_fails_with_the_reason(store, policy, webhook_receiver, tmp_path):
    file_sample(store, policy, hook_settings(webhook_receiver, tmp_path))
    deliver_pending(store, senders_for({"DEFLECT_DATA_DIR": str(tmp_path)}), backoff=QUICK)
    entry = webhook_entry(store)
    assert entry.status == "failed" and "DEFLECT_WEBHOOK_URL" in entry.last_error


def test_the_documented_verification_accepts_our_signature_only():
    """The receiver's example in docs/webhook.md, run as written."""
    source = (ROOT / "docs" / "webhook.md").read_text()
    [code] = re.findall(r"```python\n(.*?)```", source, re.S)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own documentation
    body = json.dumps({"case_number": "OLR-2026-000001"}).encode()
    assert namespace["is_from_deflect"](body, sign(body, SECRET), SECRET)
    assert not namespace["is_from_deflect"](body + b" ", sign(body, SECRET), SECRET)
    assert not namespace["is_from_deflect"](body, sign(body, "other"), SECRET)
    assert not namespace["is_from_deflect"](body, None, SECRET)


@pytest.mark.parametrize("header", ["sha256=é", "sha256=\u2603" * 3, "", None])
def test_a_forged_signature_with_any_characters_is_rejected_not_an_error(header):
    """A receiver answers 401, not 500, whatever an impostor puts in the header (ours and the docs')."""
    source = (ROOT / "docs" / "webhook.md").read_text()
    [code] = re.findall(r"```python\n(.*?)```", source, re.S)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own documentation
    assert namespace["is_from_deflect"](b"{}", header, SECRET) is False
    assert verify(b"{}", SECRET, header) is False
