"""The queue on both backends: alerts carry the queue's columns, filters and sorts, SLA due times."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.cases.queue import AlertFilter
from core.errors import PermissionDenied, ValidationError
from tests.cases.conftest import ANNA, SAM, TINA, alert_id


def test_a_held_payment_raises_an_alert_with_the_queue_columns(desk, hold, bank):
    tid = hold(250_00, channel="online", counterparty="SHOP-7", device="phone-1")
    [row] = desk.alerts(ANNA)
    assert row.transfer_id == tid and row.status == "open" and row.assignee is None
    assert (row.customer_name, row.account, row.beneficiary) == ("Ada Lovelace", bank[0], bank[2])
    assert (row.amount, row.currency, row.channel, row.counterparty, row.device) == (250_00, "USD", "online", "SHOP-7", "phone-1")
    assert row.rule == "amount_limit" and "amount_limit" in row.rules
    assert any("over the limit" in r for r in row.reasons)
    assert row.score == 0.5 and row.band == "low" and row.due_at - row.created_at == timedelta(hours=24)


def test_filters_and_sorts(desk, hold):
    a = hold(150_00, channel="card")
    b = hold(900_00, channel="online")
    c = hold(400_00, channel="online", payer=1)
    ids = {t: alert_id(desk, t) for t in (a, b, c)}
    assert [r.transfer_id for r in desk.alerts(ANNA, AlertFilter(sort="amount"))] == [b, c, a]
    assert [r.transfer_id for r in desk.alerts(ANNA, AlertFilter(channel="online", sort="oldest"))] == [b, c]
    # a second click on a header: the database runs the named order backwards, page by page
    assert [r.transfer_id for r in desk.alerts(ANNA, AlertFilter(sort="amount", reverse=True))] == [a, c, b]
    assert [r.transfer_id for r in desk.alerts(ANNA, AlertFilter(sort="amount", reverse=True), 1, 1)] == [c]
    newest_online = AlertFilter(channel="online", sort="oldest", reverse=True)
    assert [r.transfer_id for r in desk.alerts(ANNA, newest_online)] == [c, b]
    assert [r.transfer_id for r in desk.alerts(ANNA, AlertFilter(min_amount="200", max_amount="500"))] == [c]
    assert [r.transfer_id for r in desk.alerts(ANNA, AlertFilter(text="grace"))] == [c]
    assert [r.transfer_id for r in desk.alerts(ANNA, AlertFilter(text=f"#{ids[a]}"))] == [a]
    assert desk.count(ANNA, AlertFilter(rule="amount_limit")) == 3
    assert desk.count(ANNA, AlertFilter(rule="velocity_limit")) == 0
    desk.claim(ANNA, ids[a])
    assert [r.transfer_id for r in desk.alerts(ANNA, AlertFilter(status="mine"))] == [a]
    assert [r.transfer_id for r in desk.alerts(SAM, AlertFilter(assignee="anna"))] == [a]
    assert desk.count(SAM, AlertFilter(assignee="unassigned")) == 2
    assert desk.count(SAM, AlertFilter(status="closed")) == 0


@pytest.mark.parametrize("bad", [dict(status="pending"), dict(sort="colour"), dict(rule="nonsense"),
                                 dict(min_amount="ten"), dict(max_amount="-5")])
def test_bad_filters_are_refused(bad):
    with pytest.raises(ValidationError):
        AlertFilter(**bad)


@pytest.mark.parametrize("text", ["#99999999999999999999999", "9223372036854775808", "#²", "#١٢", "#-3", "#0"])
def test_a_search_that_names_no_possible_alert_finds_nothing(desk, hold, text):
    """Unicode digits, numbers past 64 bits: no alert, no overflow on either database."""
    hold(150_00)
    assert desk.alerts(ANNA, AlertFilter(text=text)) == [] and desk.count(ANNA, AlertFilter(text=text)) == 0
    assert desk.cases.list(ANNA, "all", text) == [] and desk.cases.count(ANNA, "all", text) == 0


def test_an_amount_bound_past_the_ledger_range_is_refused(desk):
    with pytest.raises(ValidationError, match="larger than any amount"):
        desk.alerts(ANNA, AlertFilter(min_amount="1e30"))


def test_only_analysts_and_supervisors_see_the_queue(desk, hold):
    hold()
    with pytest.raises(PermissionDenied):
        desk.alerts(TINA)
    with pytest.raises(PermissionDenied):
        desk.claim(TINA, 1)
