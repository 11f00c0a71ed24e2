"""Statements: count and pages over the filter, opening/closing balances, CSV and PDF exports."""
from __future__ import annotations

import csv
from datetime import date, datetime, timedelta, timezone

import pytest

from core.ledger.views import TransferRequest
from core.persistence.base import utcnow
from core.security.roles import SYSTEM_ACTOR
from core.teller.documents import StatementTooLong
from core.teller.statement import InvalidStatementFilter, StatementFilter
from tests.documents.test_pdf import _text
from tests.teller.conftest import TELLER

DAY0 = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)


@pytest.fixture
def history(teller, funded):
    """30 daily payments of 1.00, 2.00 … 30.00 from the funded account (backdated, as an import)."""
    _cust, number = funded
    other = teller.ledger.ensure_gl_accounts(SYSTEM_ACTOR, "USD")["clearing"].number
    for i in range(30):
        teller.ledger.transfer(SYSTEM_ACTOR, TransferRequest(
            id=f"h{i}", debit=number, credit=other, amount=(i + 1) * 100, currency="USD",
            description=f"payment {i + 1}", at=DAY0 + timedelta(days=i)))
    return number


def test_count_pages_sort_and_filters(teller, history):
    everything = StatementFilter()
    assert teller.statement_count(TELLER, history, everything) == 31  # the deposit and 30 payments
    newest = teller.statement_page(TELLER, history, everything, 0, 5)
    assert [ln.description for ln in newest][:2] == ["cash deposit", "payment 30"]  # by date: the import is older
    jan = StatementFilter(date_from=date(2026, 1, 10), date_to=date(2026, 1, 12), sort="oldest")
    assert [ln.description for ln in teller.statement_page(TELLER, history, jan, 0, 50)] == [
        "payment 10", "payment 11", "payment 12"]
    big = StatementFilter(min_amount=2500, direction="out", sort="largest")
    assert [ln.amount for ln in teller.statement_page(TELLER, history, big, 0, 50)] == [-3000, -2900, -2800, -2700,
                                                                                        -2600, -2500]
    assert teller.statement_count(TELLER, history, StatementFilter(direction="in")) == 1


def test_opening_and_closing_balance_of_a_period(teller, history):
    s = teller.statement_summary(TELLER, history, StatementFilter(date_from=date(2026, 1, 3), date_to=date(2026, 1, 4)))
    # 1,000.00 deposited today, but the payments are backdated to January: the period's balances come
    # from the entries in posting order
    assert (s.entries, s.closing - s.opening) == (2, -700)


@pytest.mark.parametrize("f,field", [
    (StatementFilter(date_from=date(2026, 2, 1), date_to=date(2026, 1, 1)), "date_from"),
    (StatementFilter(min_amount=500, max_amount=100), "min_amount"),
    (StatementFilter(min_amount=-1), "min_amount"),
    (StatementFilter(sort="random"), "sort"),
])
def test_bad_filters_are_named(teller, history, f, field):
    with pytest.raises(InvalidStatementFilter) as err:
        teller.statement_count(TELLER, history, f)
    assert err.value.field == field


def test_csv_export_has_every_line(teller, history, tmp_path):
    path = tmp_path / "s.csv"
    assert teller.export_csv(TELLER, history, StatementFilter(sort="oldest"), path) == 31
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert rows[0]["description"] == "payment 1" and rows[-1]["amount"] == "1000.00"  # oldest first by date
    assert [r["description"] for r in rows[1:3]] == ["payment 2", "payment 3"]


def test_pdf_statement_shows_period_and_balances(teller, history):
    today = utcnow().astimezone().date()
    doc = teller.statement_pdf(TELLER, history, StatementFilter(date_from=date(2025, 12, 1), date_to=today))
    text = _text(doc.output())
    assert "Account statement" in text and "Opening balance" in text and "Closing balance" in text
    assert "payment 17" in text and history in text


def test_pdf_statement_refuses_a_period_too_long(teller, history, monkeypatch):
    monkeypatch.setattr("core.teller.documents.MAX_PDF_LINES", 10)
    with pytest.raises(StatementTooLong, match="export CSV"):
        teller.statement_pdf(TELLER, history, StatementFilter())


def test_the_filter_is_said_in_words():
    """QA #24: a summary with a filter on says so (never just "all entries")."""
    from core.teller.statement import StatementFilter

    assert StatementFilter().filter_text("USD", "en_US") == ""
    assert StatementFilter(min_amount=200_000).filter_text("USD", "en_US") == "amounts of $2,000.00 or more"
    both = StatementFilter(min_amount=100, max_amount=500, direction="out").filter_text("USD", "en_US")
    assert both == "amounts $1.00 to $5.00, money out only"
