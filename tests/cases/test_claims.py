"""Claims on both backends: Next, claim, release, reassign with a note, leases, session lock and end."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.cases.claims import LEASE
from core.cases.dispositions import Decision
from core.cases.errors import AlertClosed, AlertNotFound, ClaimedByOther, NeedsSupervisor, NotClaimed, NothingToClaim, NoteRequired
from core.cases.queue import AlertFilter
from core.cases.service import FraudDesk
from core.errors import NotFound, PermissionDenied, ValidationError
from core.persistence.base import utcnow
from core.persistence.models import AuditEntry, FraudAlert
from tests.cases.conftest import ANNA, BOB, SAM, TINA, alert_id


def test_next_takes_the_most_urgent_unclaimed_alert(desk, hold, engine):
    low = hold(150_00)
    urgent = hold(160_00)
    with engine.begin() as conn:  # make the second one due first
        conn.execute(FraudAlert.__table__.update().where(FraudAlert.transfer_id == urgent)
                     .values(due_at=utcnow() - timedelta(minutes=5)))
    first = desk.next(ANNA)
    assert first.transfer_id == urgent and first.assignee == "anna"
    second = desk.next(BOB)
    assert second.transfer_id == low and second.assignee == "bob"
    with pytest.raises(NothingToClaim):
        desk.next(ANNA)


def test_two_analysts_never_hold_the_same_alert(desk, hold):
    aid = alert_id(desk, hold())
    desk.claim(ANNA, aid)
    with pytest.raises(ClaimedByOther, match="claimed by anna"):
        desk.claim(BOB, aid)
    with pytest.raises(ClaimedByOther):
        desk.release(BOB, aid)
    assert desk.alert(SAM, aid).assignee == "anna"
    desk.claim(ANNA, aid)  # claiming your own again renews it
    desk.release(ANNA, aid)
    with pytest.raises(NotClaimed):
        desk.release(ANNA, aid)
    assert desk.claim(BOB, aid).assignee == "bob"


def test_a_lapsed_lease_frees_the_alert(ledger, hold):
    clock = [utcnow()]
    desk = FraudDesk(ledger, clock=lambda: clock[0])
    aid = alert_id(desk, hold())
    desk.claim(ANNA, aid)
    clock[0] += LEASE / 2
    assert desk.renew(ANNA) == 1
    clock[0] += LEASE - timedelta(seconds=1)
    with pytest.raises(ClaimedByOther):
        desk.claim(BOB, aid)
    clock[0] += timedelta(seconds=2)
    assert desk.alert(SAM, aid).assignee is None
    assert desk.claim(BOB, aid).assignee == "bob"


@pytest.mark.parametrize("end", ["lock", "logout"])
def test_claims_are_released_when_the_session_locks_or_ends(desk, hold, users, end):
    mine = [alert_id(desk, hold()) for _ in range(2)]
    other = alert_id(desk, hold())
    for aid in mine:
        desk.claim(ANNA, aid)
    desk.claim(BOB, other)
    users.lock(ANNA, "idle") if end == "lock" else users.logout(ANNA)
    assert [desk.alert(SAM, a).assignee for a in mine] == [None, None]
    assert desk.alert(SAM, other).assignee == "bob"
    events = [e.text for e in desk.detail(SAM, mine[0]).events]
    assert events[-1].startswith("released by anna (")


def test_reassigning_needs_a_note_and_the_right_person(desk, hold, users, engine):
    aid = alert_id(desk, hold())
    desk.claim(ANNA, aid)
    with pytest.raises(NoteRequired):
        desk.reassign(ANNA, aid, "bob", "  ")
    with pytest.raises(PermissionDenied):
        desk.reassign(BOB, aid, "bob", "taking over")  # not the holder, not a supervisor
    with pytest.raises(NotFound):
        desk.reassign(ANNA, aid, "nobody", "handing over")
    with pytest.raises(ValidationError, match="teller"):
        desk.reassign(ANNA, aid, "tina", "handing over")
    assert desk.alert(SAM, aid).assignee == "anna"
    assert desk.reassign(ANNA, aid, "bob", "bob knows this customer").assignee == "bob"
    assert desk.reassign(SAM, aid, "anna", "back to anna, bob is away").assignee == "anna"
    texts = [(e.text, e.note) for e in desk.detail(SAM, aid).events]
    assert ("reassigned from anna to bob", "bob knows this customer") in texts
    with engine.connect() as conn:
        actions = conn.execute(select(AuditEntry.action).where(AuditEntry.target == f"alert:{aid}")).scalars().all()
    assert actions.count("alert.reassign") == 2 and "alert.claim" in actions


def test_closed_and_escalated_alerts(desk, hold):
    closed = alert_id(desk, hold())
    desk.dispose(ANNA, closed, Decision("false-positive"))
    with pytest.raises(AlertClosed):
        desk.claim(BOB, closed)
    with pytest.raises(AlertNotFound):
        desk.claim(BOB, 999_999)
    escalated = alert_id(desk, hold())
    desk.dispose(ANNA, escalated, Decision("escalate", note="customer says it is theirs, but the device is new"))
    with pytest.raises(NeedsSupervisor):
        desk.claim(BOB, escalated)
    assert desk.next(SAM).id == escalated  # supervisors get escalations first
    assert desk.count(SAM, AlertFilter(status="escalated")) == 1


def test_a_refusal_fits_the_person_reading_it(desk, hold, users):
    """QA2 #18/#19: the same words switch Claim/Decide off in the console (``claims.refusal``, no database) and
    refuse in core; a supervisor is told how to take over an alert someone else holds, an analyst whom to ask."""
    from core.cases import claims

    aid = alert_id(desk, hold())
    desk.claim(ANNA, aid)
    row = desk.alert(SAM, aid)
    with pytest.raises(ClaimedByOther) as to_sam:
        desk.dispose(SAM, aid, Decision("false-positive"))
    assert "as a supervisor you may take it over" in to_sam.value.message
    assert f"qenex alerts reassign {aid} --to sam" in to_sam.value.message and "ask" not in to_sam.value.message
    assert claims.refusal(SAM, row, utcnow()).message == to_sam.value.message
    with pytest.raises(ClaimedByOther) as to_bob:
        desk.claim(BOB, aid)
    assert to_bob.value.message == (f"alert #{aid} is claimed by anna; ask anna to release it, or a supervisor to "
                                    "reassign it to you")
    assert claims.refusal(ANNA, row, utcnow()) is None
    desk.reassign(SAM, aid, "sam", "anna is away; I take this one over")  # what the words tell sam to do
    assert desk.dispose(SAM, aid, Decision("false-positive")).status == "closed"
    escalated = alert_id(desk, hold())
    desk.dispose(ANNA, escalated, Decision("escalate", note="customer says it is theirs, but the device is new"))
    refused = claims.refusal(BOB, desk.alert(SAM, escalated), utcnow())
    assert isinstance(refused, NeedsSupervisor) and "only a supervisor may claim or decide it" in refused.message
    assert claims.refusal(SAM, desk.alert(SAM, escalated), utcnow()) is None
