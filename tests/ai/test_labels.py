"""``core.ai.chargebacks.label``: a named person labels a customer payment; changing a label needs a reason."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from core.ai.chargebacks import label
from core.errors import NotFound, PermissionDenied, ValidationError
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.security.roles import SYSTEM_ACTOR, Actor, Role

ANA = Actor("ana", Role.ANALYST)


@pytest.fixture
def bank(engine):
    ledger = Ledger(engine)
    a, b = (ledger.add_customer(SYSTEM_ACTOR, name).id for name in ("Ada Payer", "Bo Payee"))
    payer, payee = (ledger.open_account(SYSTEM_ACTOR, c, "USD").number for c in (a, b))
    deposit = ledger.deposit(SYSTEM_ACTOR, payer, 500_00, "USD", id="cash-in").id
    paid = ledger.transfer(SYSTEM_ACTOR, TransferRequest("pay-1", payer, payee, 120_00, "USD")).id
    return ledger, deposit, paid


def test_only_a_named_person_labels_a_customer_payment(engine, bank):
    ledger, deposit, paid = bank
    with pytest.raises(PermissionDenied, match=r"may not .*label transfers as fraud or genuine: that needs a named "
                                               r"analyst or supervisor; run the command with --as USER"):
        label(engine, None, SYSTEM_ACTOR, paid, True)
    with pytest.raises(ValidationError, match="cash-in is not a customer payment"):
        label(engine, None, ANA, deposit, True)  # cash into the account: the bank's GL paid it
    correction = ledger.correct(Actor("sue", Role.SUPERVISOR), paid).id
    with pytest.raises(ValidationError, match="not a customer payment"):
        label(engine, None, ANA, correction, True)
    with pytest.raises(NotFound, match="no transfer 'nope'"):
        label(engine, None, ANA, "nope", True)


def test_changing_a_label_needs_a_reason_and_is_audited_before_and_after(engine, bank, tmp_path):
    from core.security.audit import AuditTrail
    from core.security.audit_keys import AuditKeys

    audit = AuditTrail(AuditKeys(tmp_path / "audit" / "ml-dsa-65.key"))
    _, _, paid = bank
    assert label(engine, audit, ANA, paid, True).previous is None  # a first label needs no reason
    assert label(engine, audit, ANA, paid, True).previous is True  # the same label again neither
    with pytest.raises(ValidationError, match="labelled fraud; changing a label needs a reason"):
        label(engine, audit, ANA, paid, False)
    done = label(engine, audit, ANA, paid, False, reason="  the customer  confirmed it ")
    assert done.previous is True and done.is_fraud is False
    with engine.connect() as conn:
        before, after = conn.execute(text("select before, after from audit_log where action = 'fraud.label' "
                                          "order by id desc")).first()
    assert json.loads(before) == {"is_fraud": True}
    assert json.loads(after) == {"is_fraud": False, "reason": "the customer confirmed it"}
