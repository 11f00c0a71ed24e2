"""Dispositions on both backends: the held funds follow the decision in the same transaction, a label is
recorded at once, notes are required where the issue says, bad input changes nothing."""
from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from core.cases.dispositions import Decision, SuppressRequest
from core.cases.errors import AlertClosed, ClaimedByOther, HoldNotResolvable, NoteRequired
from core.cases.queue import AlertFilter
from core.errors import ValidationError
from core.ledger.views import TransferRequest
from core.persistence.base import utcnow
from core.persistence.models import AuditEntry, FraudAlert, FraudEvent, FraudLabel, Transfer
from core.security.roles import SYSTEM_ACTOR
from tests.cases.conftest import ANNA, BOB, SAM, TINA, alert_id


def _snapshot(engine):
    with engine.connect() as conn:
        return (conn.execute(select(FraudAlert.__table__)).all(), conn.execute(select(Transfer.__table__)).all(),
                conn.execute(select(func.count()).select_from(FraudLabel)).scalar(),
                conn.execute(select(func.count()).select_from(FraudEvent)).scalar())


def _label(engine, tid):
    with engine.connect() as conn:
        return conn.execute(select(FraudLabel.is_fraud).where(FraudLabel.transfer_id == tid)).scalar()


def test_confirmed_fraud_voids_the_hold_and_labels_it(desk, ledger, hold, bank, engine):
    tid = hold(300_00)
    aid = alert_id(desk, tid)
    assert ledger.balance(TINA, bank[0]).available == 4_700_00
    result = desk.dispose(ANNA, aid, Decision("confirmed", note="customer never made this payment"))
    assert (result.code, result.status, result.money, result.label) == ("TRUE_POSITIVE", "closed", "voided", True)
    assert ledger.balance(TINA, bank[0]).available == 5_000_00
    assert ledger.transfer_row(TINA, tid)["state"] == "voided"
    assert _label(engine, tid) is True
    row = desk.alert(SAM, aid)
    assert (row.status, row.outcome, row.closed_by, row.assignee) == ("closed", "TRUE_POSITIVE", "anna", None)
    texts = [e.text for e in desk.detail(SAM, aid).events]
    assert texts[-1] == "confirmed fraud by anna: hold voided" and "claimed by anna" in texts
    with engine.connect() as conn:
        audit = conn.execute(select(AuditEntry.action).where(AuditEntry.target.in_([f"alert:{aid}", tid]))).scalars().all()
    assert "alert.disposition" in audit and "transfer.void_pending" in audit


def test_false_positive_posts_the_hold(desk, ledger, hold, bank, engine):
    tid = hold(300_00)
    result = desk.dispose(ANNA, alert_id(desk, tid), Decision("FALSE_POSITIVE"))
    assert (result.code, result.money) == ("FALSE_POSITIVE", "posted")
    assert ledger.balance(TINA, bank[0]).current == 4_700_00 and ledger.balance(TINA, bank[2]).current == 300_00
    assert _label(engine, tid) is False


def test_confirmed_fraud_on_a_posted_payment_reverses_it(desk, ledger, bank, engine):
    ledger.transfer(TINA, TransferRequest("small", bank[0], bank[1], 80_00, "USD"))  # under the limit: posted
    row = desk.raise_manual(ANNA, "small", "same device as the mule in case 12")
    assert row.rule == "manual" and row.status == "open"
    result = desk.dispose(ANNA, row.id, Decision("confirmed", note="mule payment"))
    assert result.money == "corrected" and result.money_transfer == "small:fraud-reversal"
    assert ledger.balance(TINA, bank[0]).current == 5_000_00 and ledger.balance(TINA, bank[1]).current == 1_000_00
    assert _label(engine, "small") is True


def test_inconclusive_stays_held_and_snoozes(desk, ledger, hold, bank):
    aid = alert_id(desk, hold(300_00))
    until = utcnow() + timedelta(days=2)
    result = desk.dispose(ANNA, aid, Decision("inconclusive", snooze_until=until))
    assert (result.code, result.status, result.money) == ("INCONCLUSIVE", "open", "held")
    assert ledger.balance(TINA, bank[0]).available == 4_700_00
    row = desk.alert(SAM, aid)
    assert row.state(utcnow()) == "snoozed" and row.assignee is None
    assert desk.count(ANNA, AlertFilter(status="snoozed")) == 1 and desk.count(ANNA, AlertFilter(status="open")) == 0
    with pytest.raises(Exception):
        desk.next(ANNA)  # snoozed alerts are not offered
    back = alert_id(desk, hold(200_00))
    desk.dispose(ANNA, back, Decision("inconclusive", note="waiting for the customer to call back"))
    assert desk.next(BOB).id == back


def test_escalation_needs_a_note_and_goes_to_a_supervisor(desk, hold):
    aid = alert_id(desk, hold())
    with pytest.raises(NoteRequired):
        desk.dispose(ANNA, aid, Decision("escalate"))
    result = desk.dispose(ANNA, aid, Decision("escalate", note="large, new beneficiary abroad"))
    assert result.status == "escalated"
    assert desk.dispose(SAM, aid, Decision("confirmed", note="called the customer: not theirs")).status == "closed"


@pytest.mark.parametrize("decision, error", [
    (Decision("confirmed"), NoteRequired),
    (Decision("confirmed", note="   "), NoteRequired),
    (Decision("maybe"), ValidationError),
    (Decision("false-positive", freeze=True), ValidationError),
    (Decision("confirmed", note="x", snooze_until=utcnow() + timedelta(days=1)), ValidationError),
    (Decision("inconclusive", snooze_until=utcnow() - timedelta(days=1)), ValidationError),
    (Decision("inconclusive", snooze_until=utcnow() + timedelta(days=400)), ValidationError),
    (Decision("false-positive", suppress=SuppressRequest("known_fraud", "card", 5)), ValidationError),
    (Decision("false-positive", suppress=SuppressRequest("new_device", "card", 500)), ValidationError),
    (Decision("confirmed", note="x" * 5000), ValidationError),
])
def test_bad_decisions_change_nothing(desk, hold, engine, decision, error):
    aid = alert_id(desk, hold())
    before = _snapshot(engine)
    with pytest.raises(error):
        desk.dispose(ANNA, aid, decision)
    assert _snapshot(engine) == before


def test_acting_on_another_analysts_claim_or_a_closed_alert_changes_nothing(desk, hold, engine):
    aid = alert_id(desk, hold())
    desk.claim(ANNA, aid)
    before = _snapshot(engine)
    with pytest.raises(ClaimedByOther):
        desk.dispose(BOB, aid, Decision("false-positive"))
    assert _snapshot(engine) == before
    desk.dispose(ANNA, aid, Decision("false-positive"))
    before = _snapshot(engine)
    with pytest.raises(AlertClosed):
        desk.dispose(BOB, aid, Decision("confirmed", note="too late, already decided"))
    assert _snapshot(engine) == before


@pytest.mark.parametrize("how", ["post", "void"])
def test_a_hold_resolved_elsewhere_closes_its_alert(desk, ledger, hold, how):
    tid = hold(300_00)
    aid = alert_id(desk, tid)
    desk.claim(ANNA, aid)
    if how == "post":
        ledger.post_pending(TINA, tid)
    else:
        ledger.void_pending(SYSTEM_ACTOR, tid)
    row = desk.alert(SAM, aid)
    assert (row.status, row.resolution, row.assignee, row.outcome) == ("closed", f"hold_{how}ed".replace("eed", "ed"), None, None)
    with pytest.raises(AlertClosed, match="hold"):
        desk.dispose(ANNA, aid, Decision("false-positive"))


def test_a_held_payment_with_a_timeout_waits_for_the_analyst(desk, ledger, hold):
    """QA4 #2: the timeout it asked for does not release money an open alert holds; the analyst's decision does."""
    import time

    tid = hold(300_00, pending=True, timeout_seconds=1)
    aid = alert_id(desk, tid)
    time.sleep(1.1)
    assert ledger.expire_pending(SYSTEM_ACTOR) == 0
    assert desk.alert(SAM, aid).status == "open"
    assert desk.dispose(ANNA, aid, Decision("false-positive")).money == "posted"
    assert ledger.transfer_row(TINA, tid)["state"] == "posted"


def test_batch_gives_a_result_per_item(desk, hold):
    ids = [alert_id(desk, hold()) for _ in range(3)]
    desk.claim(BOB, ids[1])
    results = desk.dispose_many(ANNA, ids + [424242], Decision("false-positive"))
    assert [type(r).__name__ for r in results] == ["DispositionResult", "ClaimedByOther", "DispositionResult",
                                                   "AlertNotFound"]
    with pytest.raises(NoteRequired):
        desk.dispose_many(ANNA, ids, Decision("confirmed"))
    with pytest.raises(ValidationError):
        desk.dispose_many(ANNA, [], Decision("false-positive"))


def test_a_freeze_request_is_audited_as_a_request_not_as_a_freeze(desk, ledger, hold, bank, engine):
    """QA: 'Ask a supervisor to freeze' wrote before open, after frozen while the account stayed open."""
    from core.approvals import Approvals

    ledger.four_eyes = Approvals(ledger)
    aid = alert_id(desk, hold(300_00))
    result = desk.dispose(ANNA, aid, Decision("confirmed", note="mule account, ask for a freeze", freeze=True))
    assert result.freeze_request is not None
    assert [a.status for a in ledger.accounts(SAM) if a.number == bank[0]] == ["open"]
    with engine.connect() as conn:
        raw = conn.execute(select(AuditEntry.action, AuditEntry.before, AuditEntry.after)
                           .where(AuditEntry.target.in_([bank[0], f"approval:{result.freeze_request}"]))).all()
    rows = [SimpleNamespace(action=r.action, before=json.loads(r.before or "null"), after=json.loads(r.after or "null"))
            for r in raw]
    entries = {r.action: r for r in rows}
    asked = entries["account.freeze_requested"]
    assert asked.before == {"status": "open"}
    assert asked.after["status"] == "open" and asked.after["requested_status"] == "frozen"
    assert asked.after["request"] == result.freeze_request
    assert entries["approval.request"].after["requested_status"] == "frozen"
    assert "account.status" not in entries  # nothing changed until a supervisor approves
    assert not any((r.after or {}).get("status") == "frozen" for r in rows)
