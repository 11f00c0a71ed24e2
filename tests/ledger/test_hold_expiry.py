"""Holds expire at their timeout by themselves: every posting path and every balance view treats a hold past
its timeout as released (TigerBeetle's rule) before anyone runs the expiry job."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from core.errors import QenexError
from core.ledger import errors
from core.ledger.service import Ledger
from core.ledger.verify import verify
from core.ledger.views import TransferRequest
from core.persistence.base import utcnow
from core.security.roles import SYSTEM_ACTOR as S


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):  # noqa: ANN204
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture(params=["plain", "audited"])
def ledger(engine, clock, request):
    """A plain ledger (PostgreSQL: the optimistic desk path) and one with an audit trail (the locking path)."""
    audit = SimpleNamespace(append=lambda *args, **kwargs: 0) if request.param == "audited" else None
    return Ledger(engine, audit=audit, clock=clock)


@pytest.fixture
def held(ledger):
    """a: 1,000 with a hold of 800 to b that times out after 60 s; returns (a, b)."""
    a = ledger.open_account(S, ledger.add_customer(S, "A").id, "USD").number
    b = ledger.open_account(S, ledger.add_customer(S, "B").id, "USD").number
    ledger.deposit(S, a, 1_000, "USD")
    ledger.transfer(S, TransferRequest("hold", a, b, 800, "USD", pending=True, timeout_seconds=60))
    return a, b


def test_a_live_hold_reserves_and_an_expired_one_does_not(ledger, clock, held):
    a, b = held
    with pytest.raises(errors.InsufficientFunds):
        ledger.transfer(S, TransferRequest("t1", a, b, 300, "USD"))
    assert ledger.balance(S, a).available == 200
    clock.advance(60)  # exactly at the timeout: expired
    bal = ledger.balance(S, a)
    assert (bal.current, bal.available, bal.pending_debits) == (1_000, 1_000, 0)
    assert ledger.balance(S, b).pending_credits == 0
    assert {acc.number: acc.available for acc in ledger.accounts(S)}[a] == 1_000
    assert ledger.transfer(S, TransferRequest("t1", a, b, 1_000, "USD")).state == "posted"
    assert ledger.transfer_row(S, "hold")["state"] == "pending"  # nobody touched it: only treated as released


def test_the_expiry_job_later_releases_it_and_the_books_stay_sound(ledger, clock, held, engine):
    a, b = held
    clock.advance(61)
    ledger.transfer(S, TransferRequest("spend", a, b, 900, "USD"))
    assert ledger.expire_pending(S) == 1
    assert ledger.transfer_row(S, "hold")["state"] == "expired"
    bal = ledger.balance(S, a)
    assert (bal.current, bal.available, bal.pending_debits) == (100, 100, 0)
    assert verify(engine).ok
    assert ledger.expire_pending(S) == 0


def test_posting_or_voiding_after_the_timeout_is_refused_clearly(ledger, clock, held):
    a, _b = held
    clock.advance(61)
    with pytest.raises(errors.PendingExpired) as info:
        ledger.post_pending(S, "hold")
    assert "expired at" in info.value.message and "nothing was posted" in info.value.message
    assert "make a new transfer" in info.value.message
    assert ledger.transfer_row(S, "hold")["state"] == "expired"
    assert ledger.balance(S, a).current == 1_000  # nothing moved
    with pytest.raises(errors.PendingAlreadyResolved):
        ledger.void_pending(S, "hold")


def test_void_after_the_timeout_says_there_is_nothing_to_void(ledger, clock, held):
    clock.advance(3600)
    with pytest.raises(errors.PendingExpired) as info:
        ledger.void_pending(S, "hold")
    assert "nothing left to void" in info.value.message


def test_a_second_hold_on_the_same_account_can_use_the_expired_ones_funds_and_post(ledger, clock, held):
    a, b = held
    clock.advance(61)
    ledger.transfer(S, TransferRequest("hold2", a, b, 900, "USD", pending=True, timeout_seconds=600))
    assert ledger.balance(S, a).available == 100
    posted = ledger.post_pending(S, "hold2", 500)
    assert posted.state == "posted"
    bal = ledger.balance(S, a)
    assert (bal.current, bal.available) == (500, 500)
    assert ledger.expire_pending(S) == 1
    assert ledger.balance(S, a).available == 500


def test_linked_and_batch_paths_treat_an_expired_hold_as_released(ledger, clock, held):
    a, b = held
    chain = [TransferRequest("l1", a, b, 600, "USD"), TransferRequest("l2", a, b, 300, "USD")]
    with pytest.raises(errors.LinkedTransferFailed):
        ledger.transfer_linked(S, chain)
    clock.advance(61)
    assert [r.state for r in ledger.transfer_linked(S, chain)] == ["posted", "posted"]
    results = ledger.post_batch(S, [TransferRequest("b1", a, b, 100, "USD"), TransferRequest("b2", a, b, 1, "USD")])
    assert [type(r).__name__ if isinstance(r, QenexError) else r.state for r in results] == [
        "posted", "InsufficientFunds"]


def test_holds_without_a_timeout_never_expire(ledger, clock, held):
    a, b = held
    ledger.transfer(S, TransferRequest("forever", a, b, 100, "USD", pending=True))
    clock.advance(10 * 365 * 86400)
    assert ledger.balance(S, a).available == 900
    assert ledger.expire_pending(S) == 1  # only the timed hold
    assert ledger.post_pending(S, "forever").state == "posted"


# -- the console's expiry job, account holds, the teller's overview, fraud alerts (issue 8 §5) ------------------
class Trail:
    """Collects (actor, action, target) of what is audited."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, str]] = []

    def append(self, conn, actor, action, target, before, after, **_kw) -> int:  # noqa: ANN001
        self.entries.append((actor.username, action, target))
        return 0


def test_the_console_job_expires_every_due_hold_as_the_system(engine, clock):
    from app.upkeep import expire_due_holds

    trail = Trail()
    ledger = Ledger(engine, audit=trail, clock=clock)
    a = ledger.open_account(S, ledger.add_customer(S, "A").id, "USD").number
    b = ledger.open_account(S, ledger.add_customer(S, "B").id, "USD").number
    ledger.deposit(S, a, 10_000, "USD")
    for i in range(7):
        ledger.transfer(S, TransferRequest(f"h{i}", a, b, 100, "USD", pending=True, timeout_seconds=30 + i))
    ledger.transfer(S, TransferRequest("later", a, b, 100, "USD", pending=True, timeout_seconds=3600))
    assert expire_due_holds(ledger) == 0
    clock.advance(40)
    assert expire_due_holds(ledger, limit=3) == 7  # rounds of 3 until none are left
    assert [ledger.transfer_row(S, f"h{i}")["state"] for i in range(7)] == ["expired"] * 7
    assert ledger.transfer_row(S, "later")["state"] == "pending"
    expiries = [e for e in trail.entries if e[1] == "transfer.expire"]
    assert len(expiries) == 7 and {e[0] for e in expiries} == {"system"}
    assert expire_due_holds(ledger) == 0  # a second desk's run finds nothing left
    assert ledger.balance(S, a).available == 10_000 - 100
    assert verify(engine).ok


def test_an_account_hold_releases_itself_at_its_expiry(engine, clock, tmp_path):
    from app.upkeep import expire_due_holds
    from core.security.roles import Actor, Role
    from core.teller.service import Teller

    teller_actor = Actor("tina", Role.TELLER, device="desk-1")
    ledger = Ledger(engine, clock=clock)
    desk = Teller(ledger)
    a = ledger.open_account(S, ledger.add_customer(S, "A").id, "USD").number
    ledger.deposit(S, a, 50_000, "USD")
    hold = desk.place_hold(teller_actor, a, 20_000, "cheque", clock.now + timedelta(hours=2), "")
    assert desk.account(teller_actor, a).account.available == 30_000
    with pytest.raises(errors.InsufficientFunds):
        ledger.withdraw(teller_actor, a, 40_000, "USD")
    clock.advance(2 * 3600)
    detail = desk.account(teller_actor, a)
    assert (detail.account.available, detail.held, detail.pending_out) == (50_000, 0, 0)
    assert [h.state for h in desk.holds(teller_actor, a, include_ended=True)] == ["expired"]
    assert ledger.withdraw(teller_actor, a, 40_000, "USD").state == "posted"  # the cash desk sees it released
    assert expire_due_holds(ledger) == 1
    assert desk.holds(teller_actor, a, include_ended=True)[0].state == "expired"
    assert ledger.balance(S, a).available == 10_000
    assert hold.transfer_id


def test_the_teller_overview_treats_a_timed_out_pending_transfer_as_released(engine, clock):
    from core.teller import overview

    ledger = Ledger(engine, clock=clock)
    ca, cb = ledger.add_customer(S, "A").id, ledger.add_customer(S, "B").id
    a = ledger.open_account(S, ca, "USD").number
    b = ledger.open_account(S, cb, "USD").number
    ledger.deposit(S, a, 1_000, "USD")
    ledger.transfer(S, TransferRequest("p", a, b, 600, "USD", pending=True, timeout_seconds=60))
    with engine.connect() as conn:
        before = overview.customer_overview(conn, ca, clock(), fraud_details=True)
        incoming = overview.account(conn, b, clock())
    assert (before.accounts[0].pending_out, incoming.pending_in) == (600, 600)
    assert [r.state for r in before.recent if r.transfer_id == "p"] == ["pending"]
    clock.advance(61)
    with engine.connect() as conn:
        after = overview.customer_overview(conn, ca, clock(), fraud_details=True)
        incoming = overview.account(conn, b, clock())
    assert (after.accounts[0].pending_out, after.accounts[0].account.available, incoming.pending_in) == (0, 1_000, 0)
    assert [r.transfer_id for r in after.recent if r.state == "pending"] == []


def test_a_held_payment_under_review_outlives_its_timeout_in_the_scheduler_sweep(engine, clock):
    """QA4 #2 (was: expiring closed the alert "hold expired" before an analyst decided)."""
    from sqlalchemy import select

    from app.upkeep import expire_due_holds
    from core.fraud.config import FraudConfig
    from core.fraud.screen import FraudScreen
    from core.persistence.models import FraudAlert

    ledger = Ledger(engine, clock=clock, audit=Trail(),
                    screen=FraudScreen(engine, config=FraudConfig(amount_limits={"USD": 100_00})))
    a = ledger.open_account(S, ledger.add_customer(S, "A").id, "USD").number
    b = ledger.open_account(S, ledger.add_customer(S, "B").id, "USD").number
    ledger.deposit(S, a, 1_000_00, "USD")
    held = ledger.transfer(S, TransferRequest("review-me", a, b, 500_00, "USD", pending=True, timeout_seconds=600))
    assert held.state == "pending"
    al = FraudAlert.__table__
    with engine.connect() as conn:
        assert conn.execute(select(al.c.status).where(al.c.transfer_id == "review-me")).scalar() == "open"
    clock.advance(601)
    assert expire_due_holds(ledger) == 0
    with engine.connect() as conn:
        row = conn.execute(select(al.c.status, al.c.resolution).where(al.c.transfer_id == "review-me")).one()
    assert tuple(row) == ("open", None)
    assert ledger.transfer_row(S, "review-me")["state"] == "pending"
    assert ledger.balance(S, a).available == 500_00  # still held
