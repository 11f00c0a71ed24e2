"""QA (7c): a decision's note follows the one rule for a reason (``core.reasons``: "ok", "x" or one long word
are refused for confirming fraud, escalating, suppressing, reassigning, raising by hand, resolving, reopening and
merging cases); an escalated alert is not escalated again; fraud reasons count their payments in the right number."""
from __future__ import annotations

import pytest

from core.cases.dispositions import Decision
from core.cases.errors import NoteRequired
from core.errors import ValidationError
from core.fraud.features import INDEX
from core.fraud.reasons import TEMPLATES, counted_payments
from core.fraud.txn import Txn
from tests.cases.conftest import ANNA, SAM, alert_id

SHORT = ("ok", "x", "fraudfraudfraud", "two  ")


@pytest.mark.parametrize("note", SHORT)
def test_a_short_note_is_refused_for_every_decision(desk, hold, note):
    aid = alert_id(desk, hold())
    for decision in (Decision("confirmed", note=note), Decision("escalate", note=note)):
        with pytest.raises(NoteRequired, match="at least 10 characters and 2 words"):
            desk.dispose(ANNA, aid, decision)
    with pytest.raises(NoteRequired, match="at least 10 characters and 2 words"):
        desk.reassign(ANNA, aid, "bob", note)
    with pytest.raises(NoteRequired, match="the note for raising an alert by hand"):
        desk.raise_manual(ANNA, "whatever", note)
    desk.dispose(ANNA, aid, Decision("false-positive"))
    with pytest.raises(NoteRequired, match="suppressing a rule"):
        desk.suppress(ANNA, aid, "amount_limit", "card", 1, note)
    case = desk.cases.open(ANNA, "Mule payments", [])
    for act in (lambda: desk.cases.close(ANNA, case.id, "confirmed", note),
                lambda: desk.cases.reopen(ANNA, case.id, note),
                lambda: desk.cases.merge(ANNA, case.id, case.id + 1, note)):
        with pytest.raises(NoteRequired, match="at least 10 characters and 2 words"):
            act()


def test_an_escalated_alert_is_not_escalated_again(desk, hold):
    aid = alert_id(desk, hold())
    desk.dispose(ANNA, aid, Decision("escalate", note="large, new beneficiary abroad"))
    with pytest.raises(ValidationError, match=f"alert #{aid} is already escalated to the supervisors; decide it"):
        desk.dispose(SAM, aid, Decision("escalate", note="I cannot decide this one either"))


def test_fraud_reasons_count_payments_in_the_right_number():
    assert counted_payments(1, "online") == "1 payment by this customer"
    assert counted_payments(3, "card") == "3 payments on this card"
    assert counted_payments(1, "card", "unusually large") == "1 unusually large payment on this card"
    row = [0.0] * len(INDEX)
    for name, value in (("card_n_1d", 1), ("card_n_7d", 1), ("card_outliers_7d", 1), ("card_known_frauds", 1),
                        ("card_n_1h", 1)):
        row[INDEX[name]] = value
    tx = Txn("t", "1:USD", None, None, 10.0, 0, "online")
    assert TEMPLATES["card_activity"](row, tx, "USD").startswith("1 payment by this customer in 24 hours")
    assert TEMPLATES["card_outliers"](row, tx, "USD").startswith("1 unusually large payment by this customer")
    assert "had 1 confirmed fraud in 30 days" in TEMPLATES["known_fraud"](row, tx, "USD")
    assert TEMPLATES["velocity"](row, tx, "USD").startswith("1 payment by this customer within the hour")


def test_the_velocity_rule_counts_one_payment_as_one():
    from core.fraud import rules
    from core.fraud.config import FraudConfig

    hit, = rules.check(FraudConfig(velocity_limit_1h=0), counterparty=None, country=None, amount=1, currency="USD",
                       exponent=2, payments_last_hour=1, channel="card")
    assert hit.reason == "1 payment on this card within an hour (limit 0)"
