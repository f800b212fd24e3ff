"""Webhooks that cannot be replayed: deflect's real calls, caught by a real HTTP receiver on loopback,
signed as Standard Webhooks specifies, and checked by the documented receiver (docs/webhook.md, run as
written) and by the specification's reference library."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from werkzeug.datastructures import Headers

from deflect.cli import main
from deflect.delivery.channels import senders_for
from deflect.delivery.outbox import Backoff, deliver_pending
from deflect.delivery.signature import GENERATE, TOLERANCE, InvalidSecret, signature, signing_keys
from deflect.delivery.webhook import headers_for
from deflect.store.model import OutboxEntry
from tests.delivery_fixtures import ROOT, file_sample
from tests.helpers import make_app
from tests.loopback import Hook
from tests.webhook_verifiers import (
    OTHER_SECRET,
    PLAIN_SECRET,
    SECRET,
    documented_check,
    verified_by_the_docs,
    verified_by_the_reference_library,
)

QUICK = Backoff(base=0.01, cap=0.02, max_attempts=5)


def hook_settings(receiver, tmp_path, secret: str | None = SECRET) -> dict:
    return {"DEFLECT_WEBHOOK_URL": receiver.url, "DEFLECT_WEBHOOK_SECRET": secret, "DEFLECT_DATA_DIR": str(tmp_path)}


def one_call(store, policy, receiver, tmp_path, secret: str | None = SECRET) -> Hook:
    """File the sample request, deliver it, and return the one call the receiver got."""
    settings = hook_settings(receiver, tmp_path, secret)
    file_sample(store, policy, settings)
    deliver_pending(store, senders_for(settings), backoff=QUICK)
    [call] = receiver.calls
    return call


def changed(call: Hook, body: bytes | None = None, **headers: str) -> Hook:
    """The call with another body or other header values (names with `_` for `-`)."""
    copy = Headers(list(call.headers.items()))
    for name, value in headers.items():
        copy[name.replace("_", "-")] = value
    return Hook(copy, call.body if body is None else body)


def test_a_call_carries_the_standard_webhooks_headers_and_both_receivers_accept_it(
    store, policy, webhook_receiver, tmp_path
):
    before = int(time.time())
    call = one_call(store, policy, webhook_receiver, tmp_path)
    assert re.fullmatch(r"msg_[0-9a-f]{32}", call.headers["webhook-id"])
    assert before <= int(call.headers["webhook-timestamp"]) <= time.time()
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", call.headers["webhook-signature"])
    assert call.headers["Idempotency-Key"] == call.json["case_number"]
    assert "X-Deflect-Signature" not in call.headers  # body-only, replayable: gone
    assert verified_by_the_docs(call) and verified_by_the_reference_library(call)


def test_the_same_call_replayed_after_the_tolerance_window_is_refused(store, policy, webhook_receiver, tmp_path):
    call = one_call(store, policy, webhook_receiver, tmp_path)
    sent_at = int(call.headers["webhook-timestamp"])
    assert verified_by_the_docs(call, now=sent_at + TOLERANCE - 1)
    assert not verified_by_the_docs(call, now=sent_at + TOLERANCE + 1)
    assert not verified_by_the_docs(call, now=sent_at - TOLERANCE - 1)  # nor one "from the future"


def test_the_reference_library_refuses_a_call_deflect_signed_longer_ago_than_the_window(
    store, policy, webhook_receiver, tmp_path
):
    call = one_call(store, policy, webhook_receiver, tmp_path)
    keys = signing_keys(SECRET)
    for age, accepted in ((TOLERANCE - 60, True), (TOLERANCE + 1, False)):
        old = headers_for(
            call.body,
            call.headers["Idempotency-Key"],
            call.headers["webhook-id"],
            keys,
            timestamp=int(time.time()) - age,
        )
        replay = Hook(Headers(old), call.body)
        assert verified_by_the_reference_library(replay) is accepted
        assert verified_by_the_docs(replay) is accepted


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda c: changed(c, body=c.body + b" "), id="a space after the body"),
        pytest.param(lambda c: changed(c, body=c.body.replace(b"[HIGH]", b"[LOW] ")), id="the subject's tag"),
        pytest.param(lambda c: changed(c, webhook_id="msg_" + "0" * 32), id="another id"),
        pytest.param(
            lambda c: changed(c, webhook_timestamp=str(int(c.headers["webhook-timestamp"]) + 1)), id="a later timestamp"
        ),
        pytest.param(
            lambda c: changed(c, webhook_signature=c.headers["webhook-signature"].replace("v1,", "v1a,")),
            id="another scheme",
        ),
        pytest.param(lambda c: changed(c, webhook_signature=""), id="no signature"),
    ],
)
def test_a_tampered_body_id_or_timestamp_is_refused(store, policy, webhook_receiver, tmp_path, tamper):
    call = tamper(one_call(store, policy, webhook_receiver, tmp_path))
    assert not verified_by_the_docs(call)
    assert not verified_by_the_reference_library(call)


def test_a_call_signed_with_another_secret_is_refused(store, policy, webhook_receiver, tmp_path):
    call = one_call(store, policy, webhook_receiver, tmp_path, secret=OTHER_SECRET)
    assert not verified_by_the_docs(call) and not verified_by_the_reference_library(call)


def test_a_retry_carries_the_same_id_and_a_fresh_timestamp_and_signature(store, policy, webhook_receiver, tmp_path):
    webhook_receiver.statuses = [503]
    settings = hook_settings(webhook_receiver, tmp_path)
    file_sample(store, policy, settings)
    deliver_pending(store, senders_for(settings), backoff=QUICK)
    first_second = int(webhook_receiver.calls[0].headers["webhook-timestamp"])
    while int(time.time()) <= first_second:  # timestamps are whole seconds: let one pass
        time.sleep(0.05)
    deliver_pending(store, senders_for(settings), backoff=QUICK)
    first, retry = webhook_receiver.calls
    assert retry.body == first.body and retry.headers["webhook-id"] == first.headers["webhook-id"]
    assert retry.headers["Idempotency-Key"] == first.headers["Idempotency-Key"]
    assert int(retry.headers["webhook-timestamp"]) > int(first.headers["webhook-timestamp"])
    assert retry.headers["webhook-signature"] != first.headers["webhook-signature"]
    assert verified_by_the_docs(retry) and verified_by_the_reference_library(retry)


def test_two_requests_get_two_ids(store, policy, webhook_receiver, tmp_path):
    settings = hook_settings(webhook_receiver, tmp_path)
    file_sample(store, policy, settings)
    file_sample(store, policy, settings)
    deliver_pending(store, senders_for(settings), backoff=QUICK)
    assert len({call.headers["webhook-id"] for call in webhook_receiver.calls}) == 2


def test_a_message_queued_before_ids_were_stored_gets_one_stable_id(webhook_receiver, tmp_path):
    entry = OutboxEntry(
        id=1,
        case_number="OLR-2026-000001",
        channel="webhook",
        payload={"body": '{"case": 1}'},
        status="pending",
        attempts=0,
        next_attempt_at="",
        last_error=None,
        created_at="",
        delivered_at=None,
    )
    send = senders_for(hook_settings(webhook_receiver, tmp_path))["webhook"]
    send(entry)
    send(entry)
    first, second = webhook_receiver.calls
    assert re.fullmatch(r"msg_[0-9a-f]{32}", first.headers["webhook-id"])
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert verified_by_the_reference_library(second)


def test_without_a_secret_the_call_has_an_id_and_a_timestamp_but_no_signature(
    store, policy, webhook_receiver, tmp_path
):
    call = one_call(store, policy, webhook_receiver, tmp_path, secret=None)
    assert call.headers["webhook-id"] and call.headers["webhook-timestamp"]
    assert "webhook-signature" not in call.headers
    assert not verified_by_the_docs(call)


def test_the_specifications_test_vector_is_signed_the_same():
    """The reference library's published example: key, id, timestamp, payload and the signature they give."""
    [key] = signing_keys("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert (
        signature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_while_a_secret_is_rotated_every_call_is_signed_with_both(store, policy, webhook_receiver, tmp_path):
    call = one_call(store, policy, webhook_receiver, tmp_path, secret=f"{SECRET} {OTHER_SECRET}")
    assert len(call.headers["webhook-signature"].split(" ")) == 2
    for secret in (SECRET, OTHER_SECRET):
        assert verified_by_the_docs(call, secret) and verified_by_the_reference_library(call, secret)
    assert not verified_by_the_docs(call, PLAIN_SECRET)


def test_a_plain_secret_signs_with_its_own_utf8_bytes(store, policy, webhook_receiver, tmp_path):
    call = one_call(store, policy, webhook_receiver, tmp_path, secret=PLAIN_SECRET)
    assert verified_by_the_docs(call, PLAIN_SECRET)
    assert verified_by_the_reference_library(call, PLAIN_SECRET.encode())


BAD_SECRETS = [
    ("whsec_not*base64*at*all", "not base64"),
    ("whsec_" + base64.b64encode(b"16 bytes only!!!").decode(), "24 to 64 bytes, this one 16"),
    ("whsec_" + base64.b64encode(bytes(65)).decode(), "24 to 64 bytes, this one 65"),
    ("s3cret", "too short to be safe (6 bytes, at least 24)"),
    (f"{SECRET} s3cret", "(secret 2): too short"),
]


@pytest.mark.parametrize(("secret", "reason"), BAD_SECRETS)
def test_a_secret_that_cannot_sign_is_refused_with_the_reason_and_the_fix(secret, reason):
    with pytest.raises(InvalidSecret) as refused:
        signing_keys(secret)
    message = str(refused.value)
    assert message.startswith("DEFLECT_WEBHOOK_SECRET") and reason in message and GENERATE in message


def test_deflect_serve_stops_at_once_on_a_secret_that_cannot_sign(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEFLECT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DEFLECT_WEBHOOK_SECRET", "s3cret")
    result = CliRunner().invoke(main, ["serve", "--kb", str(ROOT / "kb")])
    assert result.exit_code == 1
    assert "DEFLECT_WEBHOOK_SECRET: too short to be safe" in result.output and "whsec_" in result.output
    assert not (tmp_path / "var" / "site").exists()  # stopped before building anything


def test_the_app_does_not_start_with_a_secret_that_cannot_sign(kb_dir, kb_index, tmp_path):
    with pytest.raises(InvalidSecret, match="DEFLECT_WEBHOOK_SECRET"):
        make_app(kb_dir, tmp_path / "var", kb_index, DEFLECT_WEBHOOK_SECRET="whsec_short")


def test_a_secret_broken_after_filing_keeps_the_call_waiting_with_the_reason(store, policy, webhook_receiver, tmp_path):
    file_sample(store, policy, hook_settings(webhook_receiver, tmp_path))
    deliver_pending(store, senders_for(hook_settings(webhook_receiver, tmp_path, "s3cret")), backoff=QUICK)
    [entry] = [e for e in store.list_outbox() if e.channel == "webhook"]
    assert entry.status == "pending" and "DEFLECT_WEBHOOK_SECRET: too short" in entry.last_error
    assert webhook_receiver.calls == []


def test_the_documented_command_makes_a_secret_deflect_accepts():
    docs = (ROOT / "docs" / "webhook.md").read_text()
    assert GENERATE in docs  # the error messages name the same command
    made = subprocess.run(
        [sys.executable, "-c", re.search(r"-c '(.*)'", GENERATE).group(1)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert made.startswith("whsec_") and [len(k) for k in signing_keys(made)] == [32]


@pytest.mark.parametrize(
    "headers",
    [
        {"webhook-signature": "sha256=é"},
        {"webhook-signature": "sha256=\u2603" * 3},
        {"webhook-signature": "v1,☃"},
        {"webhook-signature": ""},
        {"webhook-timestamp": ""},
        {"webhook-timestamp": "soon"},
        {"webhook-timestamp": "١٦١٤٢٦٥٣٣٠"},
        {"webhook-timestamp": "9" * 5000},
        {"webhook-timestamp": "-1"},
        {"webhook-timestamp": "1.6e9"},
        {"webhook-id": ""},
        {"webhook-id": "☃.1.x"},
    ],
)
def test_the_documented_check_refuses_any_malformed_header_without_an_error(headers):
    """A receiver answers 401, not 500, whatever an impostor puts in the headers."""
    now = int(time.time())
    good = {"webhook-id": "msg_1", "webhook-timestamp": str(now), "webhook-signature": "v1,AAAA"}
    assert documented_check()(b"{}", Headers({**good, **headers}), SECRET) is False
