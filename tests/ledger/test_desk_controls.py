"""Desk controls (issue 8 §6): tellers never debit or credit the bank's own GL accounts directly; GL movements
happen through the operations that own them, by a supervisor with a reason (audited), or by the system."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from core.errors import PermissionDenied, QenexError
from core.ledger import errors
from core.ledger.desk_controls import GLMovementRefused
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.persistence.models import Transfer
from core.security.roles import SYSTEM_ACTOR as S
from core.security.roles import Actor, Role

TELLER = Actor("tina", Role.TELLER, device="desk-1")
SUPERVISOR = Actor("sam", Role.SUPERVISOR, device="desk-2")
ANALYST = Actor("anna", Role.ANALYST)


class Trail:
    """Collects what the ledger audits (action, target, after)."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, dict | None]] = []

    def append(self, conn, actor, action, target, before, after, **_kw) -> int:  # noqa: ANN001
        self.entries.append((action, target, after))
        return 0

    def actions(self) -> list[str]:
        return [a for a, _t, _after in self.entries]


@pytest.fixture(params=["plain", "audited"])
def setup(engine, request):
    """(ledger, trail, customer account a with 1,000.00, customer account b, the GL accounts by kind)."""
    trail = Trail() if request.param == "audited" else None
    ledger = Ledger(engine, audit=trail)
    a = ledger.open_account(S, ledger.add_customer(S, "A").id, "USD").number
    b = ledger.open_account(S, ledger.add_customer(S, "B").id, "USD").number
    ledger.deposit(S, a, 100_000, "USD")
    gl = {k: v.number for k, v in ledger.ensure_gl_accounts(S, "USD").items()}
    return SimpleNamespace(ledger=ledger, trail=trail, a=a, b=b, gl=gl, engine=engine)


def transfers(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Transfer)).scalar_one()


@pytest.mark.parametrize("kind", ["clearing", "suspense", "fees", "teller_cash"])
@pytest.mark.parametrize("direction", ["from_gl", "to_gl"])
def test_a_teller_cannot_move_money_on_any_gl_account_directly(setup, kind, direction):
    gl = setup.gl[kind]
    debit, credit = (gl, setup.a) if direction == "from_gl" else (setup.a, gl)
    before = transfers(setup.engine)
    with pytest.raises(GLMovementRefused) as info:
        setup.ledger.transfer(TELLER, TransferRequest("t-gl", debit, credit, 500_000_000, "USD"))
    msg = info.value.message
    assert gl in msg and "GL account" in msg and "tellers do not debit or credit it directly" in msg
    assert "Deposit or Withdraw" in msg and "supervisor" in msg and "nothing was posted" in msg
    assert isinstance(info.value, PermissionDenied) and info.value.code == "gl_movement_refused"
    assert transfers(setup.engine) == before
    if setup.trail:
        assert ("permission.denied", "t-gl", {"permission": "gl.move", "account": gl}) in setup.trail.entries


def test_the_issue_example_five_million_from_clearing_is_refused(setup):
    with pytest.raises(GLMovementRefused):
        setup.ledger.transfer(TELLER, TransferRequest("x", setup.gl["clearing"], setup.b, 500_000_000, "USD"))
    assert setup.ledger.balance(S, setup.b).current == 0


def test_a_pending_transfer_and_a_linked_chain_are_refused_too(setup):
    with pytest.raises(GLMovementRefused):
        setup.ledger.transfer(TELLER, TransferRequest("p", setup.gl["suspense"], setup.a, 100, "USD", pending=True))
    chain = [TransferRequest("l1", setup.a, setup.b, 100, "USD"),
             TransferRequest("l2", setup.gl["fees"], setup.b, 100, "USD")]
    with pytest.raises(errors.LinkedTransferFailed) as info:
        setup.ledger.transfer_linked(TELLER, chain)
    assert info.value.details["cause"] == "gl_movement_refused"
    assert setup.ledger.balance(S, setup.b).current == 0


def test_the_batch_path_refuses_each_gl_movement_of_a_non_system_actor(setup):
    # The batch permission is the system's; a supervisor acting through it gets the same rule per transfer.
    reqs = [TransferRequest("b1", setup.gl["clearing"], setup.b, 100, "USD"),
            TransferRequest("b2", setup.a, setup.b, 100, "USD")]
    from core.ledger.batch import post_batch

    results = post_batch(setup.ledger, TELLER, reqs)
    assert isinstance(results[0], GLMovementRefused) and results[1].state == "posted"


def test_teller_operations_that_own_gl_accounts_still_work(setup):
    ledger = setup.ledger
    assert ledger.deposit(TELLER, setup.a, 5_000, "USD").state == "posted"
    assert ledger.withdraw(TELLER, setup.a, 2_000, "USD").state == "posted"
    assert ledger.transfer(TELLER, TransferRequest("c2c", setup.a, setup.b, 1_000, "USD")).state == "posted"
    assert ledger.balance(S, setup.a).current == 100_000 + 5_000 - 2_000 - 1_000


def test_cash_operations_move_only_the_cash_account(setup):
    """A deposit is cash -> customer: the cash operation does not open the way to other GL accounts."""
    from core.ledger import store
    from core.ledger.posting import Posting
    from core.persistence.base import utcnow

    with setup.engine.begin() as conn:
        locked, seen = store.lock_and_fetch(conn, sorted((setup.gl["clearing"], setup.a)), [])
        posting = Posting(TELLER, utcnow(), {x.number: x for x in locked}, seen, operation="cash")
        with pytest.raises(GLMovementRefused):
            posting.apply(TransferRequest("x", setup.gl["clearing"], setup.a, 100, "USD"))


def test_a_supervisor_moves_gl_money_only_with_a_reason_and_it_is_audited(setup):
    ledger = setup.ledger
    with pytest.raises(GLMovementRefused) as info:
        ledger.transfer(SUPERVISOR, TransferRequest("s1", setup.gl["suspense"], setup.b, 700, "USD"))
    assert "with a reason" in info.value.message
    done = ledger.transfer(SUPERVISOR, TransferRequest("s1", setup.gl["suspense"], setup.b, 700, "USD",
                                                       description="return of misrouted wire W-17"))
    assert done.state == "posted"
    if setup.trail:
        assert ("transfer.gl_movement", "s1", {"reason": "return of misrouted wire W-17"}) in setup.trail.entries


def test_the_command_line_keeps_its_power_and_is_audited(setup):
    done = setup.ledger.transfer(S, TransferRequest("sys", setup.gl["clearing"], setup.b, 900, "USD"))
    assert done.state == "posted"
    if setup.trail:
        assert "transfer.post" in setup.trail.actions()


def test_analysts_and_admins_are_refused_like_tellers(setup):
    with pytest.raises((GLMovementRefused, PermissionDenied)):
        setup.ledger.transfer(ANALYST, TransferRequest("an", setup.gl["clearing"], setup.b, 1, "USD"))


def test_posting_a_pending_gl_transfer_made_by_the_system_needs_a_supervisor(setup):
    ledger = setup.ledger
    ledger.transfer(S, TransferRequest("p-gl", setup.gl["clearing"], setup.b, 400, "USD", pending=True))
    with pytest.raises(GLMovementRefused):
        ledger.post_pending(TELLER, "p-gl")
    assert ledger.void_pending(TELLER, "p-gl").state == "resolved"  # a void moves nothing: allowed
    ledger.transfer(S, TransferRequest("p-gl2", setup.gl["clearing"], setup.b, 400, "USD", pending=True,
                                       description="settlement of batch 12"))
    assert ledger.post_pending(SUPERVISOR, "p-gl2").state == "posted"
    if setup.trail:
        assert any(a == "transfer.gl_movement" and after.get("pending") == "p-gl2"
                   for a, _t, after in setup.trail.entries)


def test_a_correction_of_a_cash_deposit_is_owned_by_the_correction(setup):
    dep = setup.ledger.deposit(TELLER, setup.a, 3_000, "USD")
    fix = setup.ledger.correct(SUPERVISOR, dep.id)
    assert fix.state == "posted"


def test_a_teller_cash_deposit_into_a_gl_account_is_refused(setup):
    with pytest.raises(GLMovementRefused):
        setup.ledger.deposit(TELLER, setup.gl["clearing"], 1_000, "USD")
    with pytest.raises(GLMovementRefused):
        setup.ledger.withdraw(TELLER, setup.gl["fees"], 1_000, "USD")


def test_the_preview_refuses_before_the_teller_confirms(setup):
    from core.teller.preview import preview

    with pytest.raises(GLMovementRefused):
        preview(setup.ledger, TELLER, TransferRequest("pv", setup.gl["clearing"], setup.b, 100, "USD"))


def test_refusals_are_qenex_errors_with_a_stable_code(setup):
    try:
        setup.ledger.transfer(TELLER, TransferRequest("e", setup.a, setup.gl["clearing"], 1, "USD"))
    except QenexError as err:
        assert err.to_dict()["error"] == "gl_movement_refused"
        assert json.dumps(err.to_dict())
    else:
        pytest.fail("refused expected")
