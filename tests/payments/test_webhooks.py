"""Webhooks from localstripe: verified, applied once, replays and out-of-order events change nothing twice."""
from __future__ import annotations

import json
import urllib.error
import time

import pytest
import stripe
from sqlalchemy import select

from core.payments.errors import WebhookSignatureInvalid
from core.persistence.models import AuditEntry
from core.security.roles import SYSTEM_ACTOR
from tests.payments.conftest import WEBHOOK_SECRET
from tests.payments.test_card_payments import TELLER, request


def sign(body: bytes) -> str:
    ts = int(time.time())
    sig = stripe.WebhookSignature._compute_signature(f"{ts}.{body.decode()}", WEBHOOK_SECRET)
    return f"t={ts},v1={sig}"


def test_webhook_verified_applied_once_and_replay_ignored(pay_env, webhooks):
    svc, ledger, _audit, account, _keys = pay_env
    payment = svc.create(TELLER, request(account, 2_000, capture="manual"))
    # The desk's capture answer is lost: the provider captured, the console does not know yet.
    svc.provider.capture(payment.provider_ref, 2_000, idempotency_key=f"{payment.id}:capture")
    body, signature = webhooks.wait_for("payment_intent.succeeded", payment.provider_ref)
    first = svc.handle_webhook(body, signature)
    assert first["outcome"] == "applied" and first["status"] == "succeeded"
    assert ledger.balance(SYSTEM_ACTOR, account).current == 12_000
    assert svc.handle_webhook(body, signature)["outcome"] == "duplicate"
    again = svc.capture(TELLER, payment.id)  # the desk retries its capture: nothing posts twice
    assert again.captured == 2_000
    assert ledger.balance(SYSTEM_ACTOR, account).current == 12_000


def test_out_of_order_webhook_changes_nothing(pay_env):
    svc, ledger, _audit, account, _keys = pay_env
    payment = svc.create(TELLER, request(account, 3_000))
    assert payment.status == "succeeded"
    stale = json.dumps({"id": "evt_old", "object": "event", "type": "payment_intent.requires_action",
                        "created": int(time.time()) - 60,
                        "data": {"object": {"id": payment.provider_ref, "object": "payment_intent",
                                            "amount": 3_000, "currency": "usd", "status": "requires_action",
                                            "metadata": {"qenex_payment": payment.id}}}}).encode()
    outcome = svc.handle_webhook(stale, sign(stale))
    assert outcome["outcome"] == "applied" and outcome["status"] == "succeeded"
    shown = svc.show(TELLER, payment.id)
    assert (shown.status, shown.captured) == ("succeeded", 3_000)
    assert ledger.balance(SYSTEM_ACTOR, account).current == 13_000


def test_bad_signature_is_refused_and_audited(pay_env):
    svc, ledger, _audit, account, _keys = pay_env
    payment = svc.create(TELLER, request(account, 3_000, capture="manual"))
    body = json.dumps({"id": "evt_forged", "object": "event", "type": "payment_intent.succeeded",
                       "created": int(time.time()),
                       "data": {"object": {"id": payment.provider_ref, "object": "payment_intent",
                                           "amount": 3_000, "currency": "usd", "status": "succeeded"}}}).encode()
    for signature in ("", "t=1,v1=deadbeef", sign(body + b" ")):
        with pytest.raises(WebhookSignatureInvalid):
            svc.handle_webhook(body, signature)
    assert svc.show(TELLER, payment.id).status == "requires_capture"
    assert ledger.balance(SYSTEM_ACTOR, account).current == 10_000
    with svc.engine.connect() as conn:
        actions = list(conn.execute(select(AuditEntry.action)).scalars())
    assert actions.count("payment.webhook_rejected") == 3


def test_the_listen_endpoint_applies_localstripe_webhooks(pay_env, localstripe):
    import threading
    import urllib.request

    from app.webhooks import make_server
    from tests.payments.conftest import _post

    svc, ledger, _audit, account, _keys = pay_env
    server = make_server(svc, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    _post(f"{localstripe}/_config/webhooks/listen-test", f"url={url}&secret={WEBHOOK_SECRET}".encode())
    try:
        payment = svc.create(TELLER, request(account, 1_700, capture="manual"))
        svc.provider.capture(payment.provider_ref, 1_700, idempotency_key=f"{payment.id}:capture")  # answer lost
        deadline = time.monotonic() + 10
        while svc.show(TELLER, payment.id).captured == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert svc.show(TELLER, payment.id).captured == 1_700
        assert ledger.balance(SYSTEM_ACTOR, account).current == 11_700
        bad = urllib.request.Request(url, data=b'{"id": "evt_x"}', headers={"Stripe-Signature": "t=1,v1=00"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(bad, timeout=5)
        assert refused.value.code == 400
    finally:
        _post(f"{localstripe}/_config/webhooks/listen-test", f"url=http://127.0.0.1:9/&secret={WEBHOOK_SECRET}".encode())
        server.shutdown()
        server.server_close()
