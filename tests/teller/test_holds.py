"""Account holds: reason, who and expiry; available balance drops; supervisors release; expiry releases."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import PermissionDenied
from core.ledger.errors import InsufficientFunds
from core.ledger.money import to_minor
from core.persistence.base import utcnow
from core.security.roles import SYSTEM_ACTOR
from core.teller.holds import HoldNotActive, InvalidHold
from tests.teller.conftest import SUPERVISOR, TELLER


def _later(days: float = 7):  # noqa: ANN202
    return utcnow() + timedelta(days=days)


def test_place_list_and_release_a_hold(teller, funded):
    _cust, number = funded
    hold = teller.place_hold(TELLER, number, to_minor("250", "USD"), "fraud", _later(), note="call from branch")
    assert (hold.state, hold.placed_by, hold.reason_text, hold.amount) == ("active", "tina", "Suspected fraud", 25000)
    detail = teller.account(TELLER, number)
    assert detail.account.current == 100000 and detail.account.available == 75000 and detail.held == 25000
    assert [h.id for h in detail.holds] == [hold.id]
    with pytest.raises(PermissionDenied):
        teller.release_hold(TELLER, hold.id)
    with pytest.raises(PermissionDenied):  # nor through the ledger's pending-transfer void
        teller.ledger.void_pending(TELLER, hold.transfer_id)
    released = teller.release_hold(SUPERVISOR, hold.id, "cleared with the customer")
    assert (released.state, released.released_by) == ("released", "sam")
    assert teller.account(TELLER, number).account.available == 100000
    assert teller.holds(TELLER, number) == [] and teller.holds(TELLER, number, include_ended=True)[0].state == "released"
    with pytest.raises(HoldNotActive):
        teller.release_hold(SUPERVISOR, hold.id)


def test_the_same_hold_id_twice_places_one_hold(teller, funded):
    _cust, number = funded
    a = teller.place_hold(TELLER, number, 1000, "customer", _later(), hold_id="hold-abc")
    b = teller.place_hold(TELLER, number, 1000, "customer", _later(), hold_id="hold-abc")
    assert a.id == b.id and teller.account(TELLER, number).held == 1000


@pytest.mark.parametrize("kw,field", [
    ({"amount": 0}, "amount"), ({"reason": "because"}, "reason"), ({"reason": "other"}, "note"),
    ({"expires_at": utcnow() - timedelta(minutes=1)}, "expires_at"), ({"expires_at": _later(400)}, "expires_at"),
    ({"note": "x" * 201}, "note"),
])
def test_bad_holds_are_refused_and_write_nothing(teller, funded, kw, field):
    _cust, number = funded
    args = {"amount": 100, "reason": "legal", "expires_at": _later(), "note": ""} | kw
    with pytest.raises(InvalidHold) as err:
        teller.place_hold(TELLER, number, args["amount"], args["reason"], args["expires_at"], args["note"])
    assert err.value.field == field
    assert teller.account(TELLER, number).held == 0


def test_a_hold_above_the_available_balance_is_refused(teller, funded):
    _cust, number = funded
    with pytest.raises(InsufficientFunds):
        teller.place_hold(TELLER, number, to_minor("1100.01", "USD"), "legal", _later())
    assert teller.holds(TELLER, number) == []


def test_gl_accounts_take_no_holds(teller, funded):
    cash = teller.ledger.ensure_gl_accounts(SYSTEM_ACTOR, "USD")["teller_cash"].number
    with pytest.raises(InvalidHold, match="bank's own"):
        teller.place_hold(TELLER, cash, 100, "legal", _later())


def test_an_expired_hold_is_listed_as_expired_and_releases(teller, funded):
    _cust, number = funded
    hold = teller.place_hold(TELLER, number, 500, "cheque", utcnow() + timedelta(seconds=1))
    later = utcnow() + timedelta(seconds=5)
    teller.ledger.clock = lambda: later
    assert teller.holds(TELLER, number, include_ended=True)[0].state == "expired"
    with pytest.raises(HoldNotActive):
        teller.release_hold(SUPERVISOR, hold.id)
    assert teller.ledger.expire_pending(SYSTEM_ACTOR) == 1
    assert teller.account(TELLER, number).account.available == 100000
