"""The webhook against a real HTTP receiver on loopback: idempotent, retried, classified.

How each call is signed, and that a receiver can refuse replays, is in test_webhook_signatures.py.
"""

from __future__ import annotations

import time

import pytest

from deflect.delivery.channels import senders_for
from deflect.delivery.outbox import Backoff, deliver_pending
from tests.delivery_fixtures import file_sample
from tests.webhook_verifiers import SECRET, verified_by_the_docs, verified_by_the_reference_library

QUICK = Backoff(base=0.01, cap=0.02, max_attempts=5)


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
    assert verified_by_the_docs(call) and verified_by_the_reference_library(call)
    document = call.json
    assert document["case_number"] == case and document["idempotency_key"] == case
    assert document["subject"] == "[HIGH] Students not receiving points for quiz completions"
    assert document["customer"]["email"] == "ann.lee@springfield.example"
    assert document["route"] == "support@orbit-rewards.example"
    assert [f["id"] for f in document["fields"]][:6] == [
        "problem_summary",
        "steps_to_reproduce",
        "expected_result",
        "actual_result",
        "environment",
        "impact",
    ]


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
    assert first.body == second.body and first.headers["webhook-id"] == second.headers["webhook-id"]
    assert verified_by_the_docs(second) and verified_by_the_reference_library(second)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (400, "failed"),
        (401, "failed"),
        (404, "failed"),
        (422, "failed"),
        (408, "pending"),
        (429, "pending"),
        (502, "pending"),
        (503, "pending"),
    ],
)
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
