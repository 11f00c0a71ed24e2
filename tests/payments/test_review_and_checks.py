"""The QA round on card payments: a card payment the fraud screen holds for review is resolved from the
fraud queue (released = captured at the provider, declined = authorization canceled); refunds check the
account's funds first and say what is left; audit amounts are formatted; a reveal needs a named person."""
from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
from sqlalchemy import select

from core.cases.dispositions import Decision
from core.cases.service import FraudDesk
from core.errors import PermissionDenied, ValidationError
from core.fraud.config import FraudConfig
from core.fraud.screen import FraudScreen
from core.ledger.errors import InsufficientFunds
from core.payments import cards, review
from core.payments.errors import RefundExceedsCaptured
from core.payments.views import PaymentRequest
from core.persistence.models import FraudAlert
from core.security.roles import SYSTEM_ACTOR, Actor, Role

TELLER = Actor("tina", Role.TELLER, device="desk-1")
ANALYST = Actor("ana", Role.ANALYST, device="desk-3")
SUPERVISOR = Actor("sam", Role.SUPERVISOR, device="desk-2")


def _req(account: str, amount: int, capture: str = "automatic") -> PaymentRequest:
    return PaymentRequest(f"pay_{uuid.uuid4().hex[:20]}", account, amount, "USD",
                          cards.CardInput("4242424242424242", 12, date.today().year + 3, "123"), capture=capture)


@pytest.fixture
def review_env(pay_env, engine):
    svc, ledger, audit, account, keys = pay_env
    screen = FraudScreen(engine, config=FraudConfig(amount_limits={"USD": 5_000}, amount_limit_action="review"))
    svc.screen = screen
    ledger.screen = screen
    desk = FraudDesk(ledger)
    desk.after_dispose.append(lambda actor, result: svc.follow_transfer(actor, result.transfer_id))
    return svc, ledger, desk, account


def _alert(engine, payment_id: str):  # noqa: ANN001, ANN202
    al = FraudAlert.__table__
    with engine.connect() as conn:
        return conn.execute(select(al.c.id, al.c.transfer_id, al.c.status).where(
            al.c.transfer_id == review.hold_id(payment_id))).first()


def test_a_teller_reads_no_fraud_score_or_reasons_on_a_card_payment(pay_env, engine):
    """QA4 #3: a card payment the screen declines or holds: the teller's refusal, payment and history say what
    the fraud screen decided, never its score or reasons; a supervisor reads them."""
    from core.ledger.errors import TransferDeclined

    svc, ledger, _audit, account, _keys = pay_env
    screen = FraudScreen(engine, config=FraudConfig(amount_limits={"USD": 5_000}, amount_limit_action="decline"))
    svc.screen = ledger.screen = screen
    req = _req(account, 7_000)
    with pytest.raises(TransferDeclined) as info:
        svc.create(TELLER, req)
    assert "declined by the fraud screen" in info.value.message and "limit" not in info.value.message
    mine, theirs = svc.show(TELLER, req.id), svc.show(SUPERVISOR, req.id)
    assert mine.status == "declined" and mine.fraud_score is None and "limit" not in (mine.message or "")
    assert theirs.fraud_score is not None and "limit" in (theirs.message or "")
    assert all("(" not in e.detail for e in mine.events)
    assert [p.fraud_score for p in svc.list(TELLER)] == [None]
    assert svc.list(SUPERVISOR)[0].fraud_score is not None


@pytest.mark.parametrize("outcome", ["false-positive", "confirmed"])
def test_held_card_payment_is_resolved_from_the_fraud_queue(review_env, engine, outcome):
    svc, ledger, desk, account = review_env
    start = ledger.balance(SYSTEM_ACTOR, account)
    held = svc.create(TELLER, _req(account, 7_000))
    assert (held.status, held.fraud_decision, held.captured) == ("requires_capture", "review", 0)
    assert "held_for_review" in [e.kind for e in held.events]
    assert ledger.balance(SYSTEM_ACTOR, account).current == start.current  # nothing credited while held
    alert = _alert(engine, held.id)
    assert alert is not None and alert.transfer_id == f"{held.id}:capture"
    with pytest.raises(PermissionDenied):
        svc.capture(TELLER, held.id)
    result = desk.dispose(ANALYST, alert.id, Decision(outcome, note="checked with the cardholder by phone"))
    after = svc.show(TELLER, held.id)
    if outcome == "false-positive":
        assert result.money == "posted"
        assert (after.status, after.captured) == ("succeeded", 7_000)
        assert ledger.balance(SYSTEM_ACTOR, account).current == start.current + 7_000
        assert svc.provider.retrieve(after.provider_ref).status == "succeeded"
    else:
        assert result.money == "voided"
        assert (after.status, after.captured) == ("canceled", 0)
        assert ledger.balance(SYSTEM_ACTOR, account).current == start.current
    assert _alert(engine, held.id).status == "closed"


def test_supervisor_captures_a_held_payment_in_part_and_the_alert_closes(review_env, engine):
    svc, ledger, desk, account = review_env
    start = ledger.balance(SYSTEM_ACTOR, account).current
    held = svc.create(TELLER, _req(account, 8_000))
    shown = svc.show(SUPERVISOR, held.id)  # QA2 #8: the payment names the alert its capture closes
    assert shown.state_words == "held for fraud review" and shown.review_alert == _alert(engine, held.id).id
    assert shown.to_dict()["review_alert"] == shown.review_alert
    done = svc.capture(SUPERVISOR, held.id, 6_000)
    assert svc.show(SUPERVISOR, held.id).review_alert is None  # closed
    assert (done.status, done.captured) == ("succeeded", 6_000)
    assert ledger.balance(SYSTEM_ACTOR, account).current == start + 6_000
    assert _alert(engine, held.id).status == "closed"
    again = svc.create(TELLER, _req(account, 9_000))
    svc.cancel(SUPERVISOR, again.id)
    assert review.hold_state(svc, again.id) == "voided" and _alert(engine, again.id).status == "closed"


def test_a_held_payment_is_the_checkers_never_the_makers(review_env, engine):
    """Deciding a held payment needs alert.disposition (an analyst or supervisor), not payment.take, and never
    the person who took it; each refusal names who may and where, and that role really may."""
    svc, ledger, desk, account = review_env
    held = svc.create(TELLER, _req(account, 7_000, capture="manual"))
    with pytest.raises(PermissionDenied, match="an analyst or supervisor decides it in the Fraud queue") as err:
        svc.capture(TELLER, held.id)
    assert f"{held.id}:capture" in err.value.message and "tina (teller) may not" in err.value.message
    with pytest.raises(PermissionDenied, match="named analyst or supervisor; run the command with --as USER"):
        svc.cancel(SYSTEM_ACTOR, held.id)
    done = svc.capture(ANALYST, held.id)  # the analyst the message names may act (no payment.take needed)
    assert (done.status, done.captured) == ("succeeded", 7_000) and _alert(engine, held.id).status == "closed"
    own = svc.create(SUPERVISOR, _req(account, 7_500, capture="manual"))
    for act in (svc.capture, svc.cancel):
        with pytest.raises(PermissionDenied, match="sam took it; another analyst or supervisor") as err:
            act(SUPERVISOR, own.id)
    assert "maker and checker are two people" in err.value.message
    assert svc.cancel(ANALYST, own.id).status == "canceled"
    with pytest.raises(PermissionDenied, match="may not take card payments"):  # an ordinary payment stays payment.take
        svc.create(ANALYST, _req(account, 100))


def test_in_the_fraud_queue_too_the_maker_never_releases_their_own_held_payment(review_env, engine):
    from core.cases.errors import OwnTransfer

    svc, ledger, desk, account = review_env
    own = svc.create(SUPERVISOR, _req(account, 7_200))  # sam took it; the screen held it
    alert = _alert(engine, own.id)
    for outcome in ("false-positive", "confirmed"):
        with pytest.raises(OwnTransfer, match=f"alert #{alert.id} holds {own.id}:capture, which sam made; another"):
            desk.dispose(SUPERVISOR, alert.id, Decision(outcome, note="looks fine to me, I took it myself"))
    assert _alert(engine, own.id).status != "closed" and review.hold_state(svc, own.id) == "pending"
    desk.dispose(ANALYST, alert.id, Decision("false-positive", note="checked with the cardholder by phone"))
    assert svc.show(TELLER, own.id).status == "succeeded"


def test_refund_checks_funds_first_and_says_what_is_left(pay_env, engine):
    svc, ledger, audit, account, _keys = pay_env
    paid = svc.create(TELLER, _req(account, 3_000))
    svc.refund(TELLER, paid.id, 1_000)
    with pytest.raises(RefundExceedsCaptured) as caught:
        svc.refund(TELLER, paid.id, 2_500)
    assert "$20.00 is left to refund" in caught.value.message and "$30.00 captured" in caught.value.message
    ledger.withdraw(SYSTEM_ACTOR, account, ledger.balance(SYSTEM_ACTOR, account).available - 500, "USD")
    with pytest.raises(InsufficientFunds, match=r"\$5.00 available; this refund needs \$20.00"):
        svc.refund(TELLER, paid.id)
    assert svc.show(TELLER, paid.id).refunded == 1_000
    from core.persistence.models.security import AuditEntry as AuditEvent

    with engine.connect() as conn:
        rows = [r for r in conn.execute(select(AuditEvent.__table__)).mappings() if r["action"].startswith("payment.")]
    amounts = [json.loads(r["after"] or "{}").get(k) for r in rows for k in ("amount", "captured")
               if isinstance(json.loads(r["after"] or "{}"), dict) and json.loads(r["after"] or "{}").get(k) is not None]
    assert amounts and all(isinstance(a, str) and "." in a for a in amounts), amounts


def test_reveal_needs_a_named_person_with_the_permission(pay_env):
    svc, *_rest = pay_env
    paid = svc.create(TELLER, _req(pay_env[3], 1_000))
    with pytest.raises(PermissionDenied):
        svc.vault.reveal(TELLER, paid.card_token, "ticket 4711 chargeback dispute")
    with pytest.raises(PermissionDenied, match="named supervisor"):
        svc.vault.reveal(SYSTEM_ACTOR, paid.card_token, "ticket 4711 chargeback dispute")
    with pytest.raises(ValidationError, match="say why"):
        svc.vault.reveal(SUPERVISOR, paid.card_token, "why")
    assert svc.vault.reveal(SUPERVISOR, paid.card_token, "ticket 4711 chargeback dispute") == "4242424242424242"
