"""Suppressions switch a rule off in the screen (and expire); SLA bands, overdue escalation; chart data."""
from __future__ import annotations

from datetime import timedelta, timezone

import pytest
from sqlalchemy import select

from core.cases.dispositions import Decision, SuppressRequest
from core.cases.service import FraudDesk
from core.cases.sla import Band, SlaPolicy, parse_band
from core.errors import PermissionDenied, ValidationError
from core.fraud.config import FraudConfig
from core.fraud.screen import FraudScreen
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.persistence.base import utcnow
from core.persistence.models import FraudScore
from core.security.roles import SYSTEM_ACTOR, Actor, Role
from tests.cases.conftest import ANNA, SAM, TINA, alert_id


def test_a_suppression_from_a_false_positive_lets_the_next_payment_through(desk, ledger, hold, bank):
    aid = alert_id(desk, hold(250_00, counterparty="LANDLORD-9"))
    result = desk.dispose(ANNA, aid, Decision("false-positive", note="monthly rent, customer confirmed",
                                              suppress=SuppressRequest("amount_limit", "counterparty", 30)))
    assert result.suppression is not None
    [s] = desk.suppressions(SAM)
    assert (s.rule, s.scope, s.key, s.label) == ("amount_limit", "counterparty", "LANDLORD-9", "counterparty LANDLORD-9")
    again = ledger.transfer(TINA, TransferRequest("rent-2", bank[0], bank[2], 250_00, "USD", counterparty="LANDLORD-9"))
    assert again.state == "posted" and again.fraud.decision == "approve"
    with ledger.engine.connect() as conn:  # the reasons are kept for the analysts; a teller's result has none
        stored = conn.execute(select(FraudScore.reasons).where(FraudScore.transfer_id == "rent-2")).scalar_one()
    assert "suppressed for counterparty LANDLORD-9" in stored
    assert desk.suppressions(SAM)[0].hits == 1
    other = ledger.transfer(TINA, TransferRequest("shop-1", bank[0], bank[2], 250_00, "USD", counterparty="SHOP"))
    assert other.state == "pending"  # only that counterparty
    desk.revoke_suppression(ANNA, s.id)
    assert desk.suppressions(SAM) == []
    third = ledger.transfer(TINA, TransferRequest("rent-3", bank[0], bank[2], 250_00, "USD", counterparty="LANDLORD-9"))
    assert third.state == "pending"


def test_a_card_suppression_and_its_expiry(ledger, hold, bank):
    clock = [utcnow()]
    desk = FraudDesk(ledger, clock=lambda: clock[0])
    aid = alert_id(desk, hold(250_00))
    desk.dispose(ANNA, aid, Decision("false-positive"))
    made = desk.suppress(ANNA, aid, "amount_limit", "card", 1, "salary day purchases")
    assert made.label == "Ada Lovelace's USD payments" and made.until - clock[0] == timedelta(days=1)
    assert ledger.transfer(TINA, TransferRequest("p1", bank[0], bank[2], 250_00, "USD")).state == "posted"
    assert ledger.transfer(TINA, TransferRequest("p2", bank[1], bank[2], 250_00, "USD")).state == "pending"
    with pytest.raises(ValidationError, match="not a false positive"):
        desk.suppress(ANNA, alert_id(desk, "p2"), "amount_limit", "card", 1, "salary day purchases")
    with pytest.raises(ValidationError, match="cannot be suppressed"):
        desk.suppress(ANNA, aid, "blocked_country", "card", 1, "salary day purchases")


def test_sla_bands_are_configurable_and_overdue_alerts_escalate(ledger, hold):
    clock = [utcnow()]
    desk = FraudDesk(ledger, clock=lambda: clock[0])
    admin = Actor("ann", Role.ADMIN)
    with pytest.raises(PermissionDenied):
        desk.set_sla_policy(ANNA, SlaPolicy())
    desk.set_sla_policy(admin, SlaPolicy((parse_band("fast=0.5:15"), Band("slow", 0.0, 120))))
    assert [b.name for b in desk.sla_policy(ANNA).bands] == ["fast", "slow"]
    aid = alert_id(desk, hold())
    row = desk.alert(SAM, aid)
    assert row.band == "fast" and row.due_at - row.created_at == timedelta(minutes=15)
    assert desk.escalate_overdue(SAM) == []
    clock[0] += timedelta(minutes=16)
    assert desk.escalate_overdue(SAM) == [aid]
    assert desk.escalate_overdue(SAM) == []  # once
    row = desk.alert(SAM, aid)
    assert row.escalation == "sla" and row.overdue(clock[0])
    assert any(e.kind == "sla_breach" for e in desk.detail(SAM, aid).events)
    assert desk.stats(SAM).breaches[-1][1] == 1


def test_overdue_and_escalated_are_two_plainly_named_states(ledger, hold):
    """QA4 #4: an SLA-overdue alert stays open to analysts and is listed under Overdue (not Escalated); an
    analyst's escalation is supervisors-only and listed under Escalated; both show who may act."""
    from core.cases.queue import AlertFilter

    clock = [utcnow()]
    desk = FraudDesk(ledger, clock=lambda: clock[0])
    late, handed = alert_id(desk, hold()), alert_id(desk, hold())
    desk.dispose(ANNA, handed, Decision("escalate", note="customer says it is theirs, but the device is new"))
    clock[0] += timedelta(days=2)
    assert desk.escalate_overdue(SAM) == [late]
    listed = {s: [a.id for a in desk.alerts(SAM, AlertFilter(status=s))] for s in ("escalated", "overdue", "supervise")}
    assert listed["escalated"] == [handed]  # every row under Escalated reads "escalated"
    assert listed["overdue"] == [late]  # "past SLA, still open to analysts": the escalated one is not
    assert sorted(listed["supervise"]) == sorted([late, handed])
    row, up = desk.alert(ANNA, late), desk.alert(SAM, handed)
    assert row.state(clock[0]) == "open" and "overdue" in row.escalation_words and "analysts may" in row.escalation_words
    assert up.state(clock[0]) == "escalated" and "only a supervisor" in up.escalation_words
    assert desk.claim(ANNA, late).id == late  # an analyst still works an overdue alert
    sla_event = next(e for e in desk.detail(SAM, late).events if e.kind == "sla_breach")
    words = sla_event.describe(timezone.utc)
    assert "escalated" not in words and "analysts may still work it" in words


@pytest.mark.parametrize("bands", [(Band("a", 0.5, 10),), (Band("a", 0.0, 10), Band("a", 0.5, 5)),
                                   (Band("a", 0.0, 0),), (Band("a b", 0.0, 10),)])
def test_bad_sla_bands(bands):
    with pytest.raises(ValidationError):
        SlaPolicy(bands)


def test_parse_band_refuses_garbage():
    with pytest.raises(ValidationError):
        parse_band("high:0.8")


def test_detail_shows_the_customer_normal_and_related_items(desk, ledger, hold, bank):
    for i in range(6):
        ledger.transfer(TINA, TransferRequest(f"usual-{i}", bank[0], bank[1], (20 + i) * 100, "USD",
                                              counterparty="GROCER", channel="card", device="phone-1"))
    tid = hold(400_00, counterparty="MULE-7", channel="online", device="laptop-9")
    other = hold(300_00, payer=1, counterparty="MULE-7", channel="online")
    d = desk.detail(ANNA, alert_id(desk, tid))
    assert d.transfer.state == "pending" and d.customer.name == "Ada Lovelace"
    norms = {n.name: n for n in d.normal}
    assert norms["Amount"].unusual and "median $22.50" in norms["Amount"].normal
    assert norms["Counterparty"].unusual and norms["Device"].unusual and norms["Channel"].unusual
    kinds = [i.kind for i in d.activity]
    assert "alert" in kinds and kinds.count("payment_out") == 6 and "new_device" in kinds
    assert [(r.alert.transfer_id, r.shared) for r in d.related_alerts] == [(other, ("same beneficiary", "same counterparty"))]
    assert other in [t.id for t in d.related_transfers]
    assert d.events[0].kind == "raised"


def test_two_alerts_of_one_payer_are_linked_as_the_same_payer_not_card(desk, hold):
    """QA7 #6: a desk transfer has no card; the fraud screen's 'card' (the paying customer in a currency) is
    the payer to staff."""
    first = hold(400_00, counterparty="MULE-1", channel="desk")
    second = hold(500_00, counterparty="MULE-2", channel="desk")
    d = desk.detail(ANNA, alert_id(desk, second))
    assert [(r.alert.transfer_id, r.shared) for r in d.related_alerts] == [(first, ("same beneficiary", "same payer"))]


def test_chart_data(desk, hold):
    aid = alert_id(desk, hold())
    desk.dispose(ANNA, aid, Decision("confirmed", note="card used abroad, confirmed fraud"))
    data = desk.stats(SAM)
    assert sum(n for _, n in data.hourly) == 1 and len(data.hourly) == 48
    assert sum(data.scores) >= 1 and data.review_threshold == 0.5
    assert dict(data.throughput) == {"anna": 1}
    assert data.confirmed[-1][1:] == (1.0, 1)


def test_a_suppression_needs_a_note_whichever_way_it_is_made(desk, hold, engine):
    """One rule in core: a false positive with a suppression, and FraudDesk.suppress afterwards, both
    refuse a suppression without a note (nothing is written)."""
    from core.cases.errors import NoteRequired

    aid = alert_id(desk, hold(250_00, counterparty="LANDLORD-9"))
    with pytest.raises(NoteRequired, match="suppressing a rule needs a note"):
        desk.dispose(ANNA, aid, Decision("false-positive",
                                         suppress=SuppressRequest("amount_limit", "counterparty", 30)))
    assert desk.suppressions(SAM) == [] and desk.alert(ANNA, aid).status != "closed"
    desk.dispose(ANNA, aid, Decision("false-positive"))  # no suppression: no note needed
    with pytest.raises(NoteRequired, match="suppressing a rule needs a note"):
        desk.suppress(ANNA, aid, "amount_limit", "counterparty", 30, "  ")
    assert desk.suppressions(SAM) == []


def test_a_desk_workstation_is_nobodys_device(desk, ledger, hold, bank):
    """QA: customers served at the same desk were 'Linked: same device' and habits said 'Device desk-t used
    1 time'. A desk payment records the bank's workstation (its receipt names the desk) but link analysis,
    habits and the activity timeline leave it out; a customer's own device still links."""
    ledger.transfer(TINA, TransferRequest("usual-desk", bank[0], bank[1], 20_00, "USD"))  # Ada at Tina's desk
    ledger.deposit(TINA, bank[2], 50_00, "USD")  # cash at the same desk names it too
    assert ledger.transfer_row(SAM, "usual-desk")["device"] == TINA.device
    first, second = hold(400_00, payer=0, payee=2), hold(300_00, payer=1, payee=0)  # Ada and Grace at Tina's desk
    d = desk.detail(ANNA, alert_id(desk, first))
    assert all("same device" not in r.shared for r in d.related_alerts)
    assert all(t.shared != "same device" for t in d.related_transfers)
    norms = {n.name: n for n in d.normal}
    assert norms["Device"].value == "none: paid at the bank's desk" and not norms["Device"].unusual
    assert "new_device" not in [i.kind for i in d.activity]
    assert not any("device" in r for r in d.alert.reasons)  # the screen does not score it as a new device
    assert second not in [t.id for t in d.related_transfers if t.shared == "same device"]
    # a customer's own device still links two payments
    a = hold(250_00, payer=0, payee=2, channel="online", device="phone-1")
    b = hold(260_00, payer=1, payee=0, channel="online", device="phone-1")
    linked = desk.detail(ANNA, alert_id(desk, a))
    assert any(r.alert.transfer_id == b and "same device" in r.shared for r in linked.related_alerts)


def test_every_queue_filter_lists_exactly_what_its_label_says(ledger, hold):
    """One alert in each state; each filter of the queue (labels in ui.fraud.filters.STATUSES) lists those its
    label names and no others, and its count agrees (the Overdue filter once listed escalated alerts too)."""
    from core.cases.queue import AlertFilter
    from ui.fraud.filters import STATUSES as LABELS

    clock = [utcnow()]
    desk = FraudDesk(ledger, clock=lambda: clock[0])
    ids = {name: alert_id(desk, hold()) for name in ("late", "late_mine", "escalated", "snoozed", "closed")}
    desk.dispose(ANNA, ids["escalated"], Decision("escalate", note="customer says it is theirs, device is new"))
    desk.dispose(SAM, ids["closed"], Decision("false-positive", note="the customer confirmed the rent"))
    clock[0] += timedelta(days=2)  # everything still open is past due now
    desk.dispose(ANNA, ids["snoozed"], Decision("inconclusive", note="waiting for the customer to call back",
                                                snooze_until=clock[0] + timedelta(days=1)))
    desk.claim(ANNA, ids["late_mine"])
    want = {"active": {"late", "late_mine", "escalated", "snoozed"}, "open": {"late", "late_mine"},
            "mine": {"late_mine"}, "snoozed": {"snoozed"}, "escalated": {"escalated"},
            "overdue": {"late", "late_mine"},  # the escalated one is past due too, but not open to analysts
            "supervise": {"late", "late_mine", "escalated"}, "closed": {"closed"},
            "all": {"late", "late_mine", "escalated", "snoozed", "closed"}}
    names = {v: k for k, v in ids.items()}
    assert {value for _label, value in LABELS} == set(want)
    for status, expected in want.items():
        f = AlertFilter(status=status)
        listed = {names[a.id] for a in desk.alerts(ANNA, f) if a.id in names}
        assert listed == expected, (status, listed)
        assert desk.count(ANNA, f) == len(expected), status
