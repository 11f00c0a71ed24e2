"""Every money figure an audit entry shows is a decimal beside its currency (core.ledger.money.figure), never
minor units: ``transfer.void_pending`` said 15000 for $150.00 and ``account.open`` an overdraft of 50000 for
$500.00, while every other entry said "150.00" and "USD"."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from core.ledger import money
from core.ledger.views import TransferRequest
from core.persistence.models import AuditEntry
from core.security.roles import SYSTEM_ACTOR
from tests.approvals.conftest import SUPERVISOR, TELLER

MONEY_KEYS = {"amount", "overdraft", "fee", "captured", "float", "counted", "expected", "difference", "limit",
              "requested_overdraft", "overdraft_now"}


def _money_values(details, path=""):  # noqa: ANN001, ANN202
    """(path, value, has currency beside it) for every money key in ``details``, however deep."""
    if isinstance(details, dict):
        for key, value in details.items():
            if key in MONEY_KEYS and not isinstance(value, (dict, list)):
                yield f"{path}{key}", value, "currency" in details
            else:
                yield from _money_values(value, f"{path}{key}.")
    elif isinstance(details, list):
        for item in details:
            yield from _money_values(item, path)


def test_the_helper_gives_the_decimal_beside_its_currency():
    assert money.figure(15000, "USD") == {"amount": "150.00", "currency": "USD"}
    assert money.figure(1500, "JPY", "fee") == {"fee": "1500", "currency": "JPY"}


def test_every_audit_entry_shows_money_as_a_decimal_with_its_currency(desk, engine, clock):
    ledger, approvals, teller, (a, b) = desk  # teller limit 1,000.00
    ledger.transfer(TELLER, TransferRequest("small", a, b, 150_00, "USD"))
    held = ledger.transfer(TELLER, TransferRequest("held", a, b, 1_500_00, "USD"))
    ledger.void_pending(TELLER, held.id)  # the maker withdraws it: transfer.void_pending
    approved = ledger.transfer(TELLER, TransferRequest("approved", a, b, 2_000_00, "USD"))
    approvals.approve(SUPERVISOR, approved.approval)  # transfer.post_pending
    pending = ledger.transfer(SYSTEM_ACTOR, TransferRequest("part", a, b, 300_00, "USD", pending=True))
    ledger.post_pending(SYSTEM_ACTOR, pending.id, 100_00)
    customer = ledger.add_customer(SYSTEM_ACTOR, "Zoe Example").id
    ledger.open_account(TELLER, customer, "USD", 500_00)
    hold = teller.place_hold(SUPERVISOR, a, 60_00, "cheque", clock() + timedelta(days=3))
    approvals.approve(SUPERVISOR, approvals.request_hold_release(TELLER, hold.id, "the cheque has cleared").id)
    with engine.connect() as conn:
        entries = conn.execute(select(AuditEntry.action, AuditEntry.before, AuditEntry.after)).all()
    seen = {}
    for action, before, after in entries:
        for side in (before, after):
            for key, value, with_currency in _money_values(json.loads(side) if side else None):
                seen.setdefault((action, key), []).append(value)
                assert value is None or (isinstance(value, str) and with_currency), (action, key, value)
    assert "1500.00" in seen[("transfer.void_pending", "amount")]  # was 150000
    assert {"2000.00", "100.00"} <= set(seen[("transfer.post_pending", "amount")])
    assert "500.00" in seen[("account.open", "overdraft")]  # was 50000
    assert {("hold.place", "amount"), ("hold.release", "amount"), ("approval.request", "amount")} <= set(seen)
