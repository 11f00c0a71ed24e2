"""Card payments against localstripe: capture and refund in part and in full, 3-D Secure, declines,
and every bad input refused before money moves."""
from __future__ import annotations

import uuid
from datetime import date

import pytest

from core.errors import PermissionDenied
from core.ledger.errors import IdConflict
from core.payments import cards
from core.payments.errors import (
    AmountBelowMinimum, CardExpired, InvalidCard, InvalidState, PaymentDeclined, PaymentNotFound,
    RefundExceedsCaptured,
)
from core.payments.views import PaymentRequest
from core.security.roles import SYSTEM_ACTOR, Actor, Role

TELLER = Actor("tina", Role.TELLER, device="desk-1")
VISA = "4242 4242 4242 4242"
THREE_DS = "4000002500003155"
DECLINED = "4000000000000341"


def card(number: str = VISA, year: int = date.today().year + 3, cvc: str = "123") -> cards.CardInput:
    return cards.CardInput(cards.digits_only(number), 12, year, cvc)


def request(account: str, amount: int = 2_500, number: str = VISA, **kw) -> PaymentRequest:  # noqa: ANN003
    return PaymentRequest(id=f"pay_{uuid.uuid4().hex[:20]}", account=account, amount=amount, currency="USD",
                          card=card(number), **kw)


def balance(ledger, account: str) -> int:  # noqa: ANN001
    return ledger.balance(SYSTEM_ACTOR, account).current


def test_capture_then_refund_in_part_and_in_full(pay_env):
    svc, ledger, _audit, account, _keys = pay_env
    start = balance(ledger, account)
    payment = svc.create(TELLER, request(account, 2_500))
    assert (payment.status, payment.captured) == ("succeeded", 2_500)
    assert payment.card == "Visa 424242…4242"
    assert balance(ledger, account) == start + 2_500
    partial = svc.refund(TELLER, payment.id, 1_000)
    assert (partial.refunded, partial.status) == (1_000, "succeeded")
    assert balance(ledger, account) == start + 1_500
    with pytest.raises(RefundExceedsCaptured):
        svc.refund(TELLER, payment.id, 1_501)
    assert balance(ledger, account) == start + 1_500
    full = svc.refund(TELLER, payment.id)
    assert (full.refunded, full.status) == (2_500, "refunded")
    assert balance(ledger, account) == start
    kinds = [e.kind for e in svc.show(TELLER, payment.id).events]
    assert kinds[:2] == ["created", "requires_capture"] and "captured" in kinds and kinds.count("refunded") == 2


def test_manual_capture_in_part(pay_env):
    svc, ledger, _audit, account, _keys = pay_env
    start = balance(ledger, account)
    payment = svc.create(TELLER, request(account, 5_000, capture="manual"))
    assert payment.status == "requires_capture" and balance(ledger, account) == start
    captured = svc.capture(TELLER, payment.id, 3_000)
    assert (captured.status, captured.captured) == ("succeeded", 3_000)
    assert balance(ledger, account) == start + 3_000
    with pytest.raises(RefundExceedsCaptured):
        svc.refund(TELLER, payment.id, 3_001)


def test_three_d_secure_through_requires_action(pay_env):
    svc, ledger, _audit, account, _keys = pay_env
    start = balance(ledger, account)
    payment = svc.create(TELLER, request(account, 4_000, THREE_DS))
    assert payment.status == "requires_action" and balance(ledger, account) == start
    with pytest.raises(InvalidState, match="not approved"):
        svc.confirm(TELLER, payment.id)
    done = svc.confirm(TELLER, payment.id, authenticate=True)
    assert (done.status, done.captured) == ("succeeded", 4_000)
    assert balance(ledger, account) == start + 4_000


def test_three_d_secure_failed_moves_nothing(pay_env):
    svc, ledger, _audit, account, _keys = pay_env
    start = balance(ledger, account)
    payment = svc.create(TELLER, request(account, 4_000, THREE_DS))
    with pytest.raises(PaymentDeclined, match="3-D Secure"):
        svc.confirm(TELLER, payment.id, authenticate=False)
    assert svc.show(TELLER, payment.id).status == "failed"
    assert balance(ledger, account) == start


def test_decline_gets_an_operator_message_and_moves_nothing(pay_env):
    svc, ledger, _audit, account, _keys = pay_env
    start = balance(ledger, account)
    req = request(account, 3_000, DECLINED)
    with pytest.raises(PaymentDeclined) as caught:
        svc.create(TELLER, req)
    assert "Ask the customer for another card" in caught.value.message
    shown = svc.show(TELLER, req.id)
    assert (shown.status, shown.decline_code, shown.captured) == ("failed", "card_declined", 0)
    assert balance(ledger, account) == start


def test_cancel_an_authorization(pay_env):
    svc, ledger, _audit, account, _keys = pay_env
    payment = svc.create(TELLER, request(account, 1_000, capture="manual"))
    assert svc.cancel(TELLER, payment.id).status == "canceled"
    with pytest.raises(InvalidState):
        svc.capture(TELLER, payment.id)
    with pytest.raises(InvalidState, match="nothing was captured"):
        svc.refund(TELLER, payment.id)


def test_same_id_replays_and_a_different_payment_under_it_is_refused(pay_env):
    svc, ledger, _audit, account, _keys = pay_env
    req = request(account, 1_200)
    first = svc.create(TELLER, req)
    again = svc.create(TELLER, req)
    assert again.replayed and again.captured == first.captured
    assert balance(ledger, account) == 10_000 + 1_200
    with pytest.raises(IdConflict):
        svc.create(TELLER, PaymentRequest(req.id, account, 1_300, "USD", card()))


@pytest.mark.parametrize(("make", "error"), [
    (lambda a: request(a, number="4242 4242 4242 4241"), InvalidCard),
    (lambda a: PaymentRequest("pay_x1", a, 1_000, "USD", cards.CardInput("4242424242424242", 1, 2020, "123")),
     CardExpired),
    (lambda a: request(a, amount=49), AmountBelowMinimum),
    (lambda a: PaymentRequest("pay_x2", a, 10, "JPY", card()), AmountBelowMinimum),
])
def test_bad_input_is_refused_before_anything_is_written(pay_env, make, error):
    svc, ledger, _audit, account, _keys = pay_env
    with pytest.raises(error):
        svc.create(TELLER, make(account))
    assert svc.count(TELLER) == 0
    assert balance(ledger, account) == 10_000


def test_unknown_payment_and_permissions(pay_env):
    svc, _ledger, _audit, account, _keys = pay_env
    with pytest.raises(PaymentNotFound):
        svc.capture(TELLER, "pay_nope")
    with pytest.raises(PaymentNotFound):
        svc.refund(TELLER, "pay_nope", 100)
    analyst = Actor("anna", Role.ANALYST)
    with pytest.raises(PermissionDenied):
        svc.create(analyst, request(account))


def test_without_a_provider_nothing_is_stored_or_charged(engine, tmp_path):
    """QA 38: no provider configured: core refuses before the card goes to the vault or a payment is written,
    and says an administrator must set it up (the console disables New card payment the same way)."""
    from sqlalchemy import func, select

    from core.ledger.service import Ledger
    from core.payments.errors import ProviderNotConfigured
    from core.payments.service import PaymentService
    from core.payments.stripe_provider import StripeProvider
    from core.payments.vault import Vault
    from core.payments.vault_keys import VaultKeys
    from core.persistence.models import Payment, VaultCard

    ledger = Ledger(engine)
    account = ledger.open_account(SYSTEM_ACTOR, ledger.add_customer(SYSTEM_ACTOR, "Ada").id, "USD").number
    svc = PaymentService(engine, provider=StripeProvider(None), vault=Vault(engine, VaultKeys(
        tmp_path, environ={}, use_keyring=False), None), screen=None, audit=None)
    with pytest.raises(ProviderNotConfigured, match="an administrator must configure"):
        svc.create(TELLER, request(account))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Payment)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(VaultCard)).scalar_one() == 0


def test_capture_amount_and_expiry_refusals_say_what_to_do():
    """QA2 #12: own codes, the authorized amount named, and what to type instead."""
    from core.payments import checks
    from core.payments.errors import InvalidCaptureAmount, InvalidExpiry

    with pytest.raises(InvalidCaptureAmount, match=r"\$50.00 is more than the \$40.00 authorized.*capture \$40.00 or "
                                                   "less") as caught:
        checks.capture(5_000, 4_000, "USD")
    assert caught.value.code == "invalid_capture_amount"
    with pytest.raises(InvalidCaptureAmount, match=r"at least \$0.01"):
        checks.capture(0, 4_000, "USD")
    with pytest.raises(InvalidExpiry, match="01 to 12") as bad:
        cards.validate_expiry(*cards.parse_expiry("13/30"))
    assert bad.value.code == "invalid_expiry"
    with pytest.raises(CardExpired):
        cards.validate_expiry(1, 2020)
