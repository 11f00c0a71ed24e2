"""Standing instructions on SQLite and PostgreSQL: validation, due dates, idempotent runs (also two
jobs at once), failures recorded with their reason, runs audited as the system."""
from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.ledger.money import to_minor
from core.persistence.models import AuditEntry, StandingInstruction, Transfer
from core.security.roles import SYSTEM_ACTOR
from core.teller.standing import InvalidInstruction, InvalidInstructionFields, StandingOrders, due_dates
from tests.drawers.conftest import SAM, TINA, usd
from tests.teller.conftest import new_customer

JOB = SYSTEM_ACTOR


@pytest.fixture
def pair(teller):
    """(from account holding 1,000.00, to account) of two customers."""
    a = teller.add_customer(TINA, new_customer())
    b = teller.add_customer(TINA, new_customer("Charles Babbage", id_number="B7654321", phone="+1 202 555 0199"))
    src = teller.open_account(TINA, a.id, "USD").number
    dst = teller.open_account(TINA, b.id, "USD").number
    teller.ledger.deposit(SYSTEM_ACTOR, src, usd("1000"), "USD")
    return src, dst


def _count(engine, table) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_due_dates_weekly_and_monthly_month_ends():
    assert due_dates("weekly", date(2026, 1, 5), None, None, date(2026, 1, 26)) == [
        date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19), date(2026, 1, 26)]
    assert due_dates("monthly", date(2026, 1, 31), date(2026, 4, 30), None, date(2027, 1, 1)) == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    assert due_dates("monthly", date(2026, 1, 31), None, date(2026, 2, 28), date(2026, 3, 31)) == [date(2026, 3, 31)]


def test_bad_input_names_the_field_and_writes_nothing(teller, pair, engine):
    so, (src, dst), today = StandingOrders(teller.ledger), pair, date.today()
    cases = [
        (dict(debit="123"), "from"), (dict(credit=src), "to"), (dict(frequency="daily"), "frequency"),
        (dict(valid_from=today - timedelta(days=1)), "valid_from"),
        (dict(valid_until=today - timedelta(days=1)), "valid_until"), (dict(amount=0), "amount"),
        (dict(amount=-5), "amount"), (dict(description="x" * 141), "description"),
    ]
    for change, field in cases:
        args = dict(debit=src, credit=dst, amount=usd("10"), frequency="weekly", valid_from=today, valid_until=None,
                    description="rent")
        args.update(change)
        with pytest.raises(InvalidInstruction) as err:
            so.add(TINA, **args)
        assert err.value.field == field, (change, err.value.message)
    with pytest.raises(InvalidInstructionFields) as several:  # QA2 #3: every wrong field in one refusal
        so.add(TINA, src, "1000000016", 0, "daily", today - timedelta(days=1), description="x" * 141)
    assert sorted(e.field for e in several.value.errors) == ["amount", "description", "frequency", "to", "valid_from"]
    gl = teller.ledger.ensure_gl_accounts(SYSTEM_ACTOR, "USD")["fees"].number
    with pytest.raises(InvalidInstruction, match="bank's own accounts"):
        so.add(TINA, src, gl, usd("10"), "weekly", today)
    assert _count(engine, StandingInstruction.__table__) == 0


def test_runs_once_per_due_date_and_records_failures(teller, pair, engine):
    so, (src, dst), today = StandingOrders(teller.ledger), pair, date.today()
    si = so.add(TINA, src, dst, usd("300"), "weekly", today, description="rent share")
    assert si.next_due == today
    first = so.run_due(JOB, through=today + timedelta(days=14))
    assert [(r.due_date, r.state) for r in first] == [(today, "posted"), (today + timedelta(days=7), "posted"),
                                                       (today + timedelta(days=14), "posted")]
    assert so.run_due(JOB, through=today + timedelta(days=14)) == []  # never twice
    # the fourth week: 100.00 left, 300.00 due -> a failed run with the reason, not retried
    (failed,) = so.run_due(JOB, through=today + timedelta(days=21))
    assert failed.state == "failed" and failed.error_code == "insufficient_funds"
    assert so.run_due(JOB, through=today + timedelta(days=21)) == []
    assert teller.ledger.balance(TINA, dst).current == usd("900")
    (view,) = so.list(TINA, account=src)
    assert (view.failures, view.last_run.state, view.next_due) == (1, "failed", today + timedelta(days=28))
    assert [r.state for r in so.runs(TINA, si.id)] == ["failed", "posted", "posted", "posted"]
    with engine.connect() as conn:
        actors = set(conn.execute(select(AuditEntry.__table__.c.actor).where(
            AuditEntry.__table__.c.action.in_(("standing.run", "standing.failed")))).scalars())
    assert actors == {"system"}


def test_two_jobs_at_once_run_each_date_once(teller, pair, engine):
    so, (src, dst), today = StandingOrders(teller.ledger), pair, date.today()
    so.add(TINA, src, dst, usd("10"), "weekly", today)
    through = today + timedelta(days=7 * 9)
    results, errors = [], []

    def job() -> None:
        try:
            results.extend(StandingOrders(teller.ledger).run_due(JOB, through=through))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=job) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(r.due_date for r in results) == [today + timedelta(days=7 * k) for k in range(10)]
    with engine.connect() as conn:
        posted = conn.execute(select(func.count()).select_from(Transfer.__table__).where(
            Transfer.__table__.c.code == "standing")).scalar_one()
    assert posted == 10
    assert teller.ledger.balance(TINA, dst).current == usd("100")


def test_cancel_and_end_date(teller, pair):
    so, (src, dst), today = StandingOrders(teller.ledger), pair, date.today()
    si = so.add(TINA, src, dst, to_minor("5", "USD"), "monthly", today, valid_until=today + timedelta(days=40))
    assert len(so.run_due(JOB, through=today + timedelta(days=400))) == 2
    assert so.list(TINA, account=src)[0].next_due is None
    assert so.cancel(SAM, si.id).status == "cancelled"


@pytest.mark.postgres
def test_two_desk_processes_on_postgresql_run_each_date_once(pg_engine, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from core.ledger.service import Ledger
    from core.security.audit import AuditTrail
    from core.security.audit_keys import AuditKeys
    from core.teller.service import Teller

    teller = Teller(Ledger(pg_engine, audit=AuditTrail(AuditKeys(tmp_path / "audit.key"))))
    a = teller.add_customer(TINA, new_customer())
    b = teller.add_customer(TINA, new_customer("Charles Babbage", id_number="B7654321", phone="+1 202 555 0199"))
    src, dst = teller.open_account(TINA, a.id, "USD").number, teller.open_account(TINA, b.id, "USD").number
    teller.ledger.deposit(SYSTEM_ACTOR, src, usd("1000"), "USD")
    today = date.today()
    StandingOrders(teller.ledger).add(TINA, src, dst, usd("10"), "weekly", today)
    through = (today + timedelta(days=7 * 19)).isoformat()  # 20 due dates
    url = pg_engine.url.render_as_string(hide_password=False)
    root = Path(__file__).resolve().parents[2]
    desks = [subprocess.Popen([sys.executable, "-m", "tests.drawers.standing_child", url, through], cwd=root,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [d.communicate(timeout=120) for d in desks]
    assert all(d.returncode == 0 for d in desks), [o[1][-800:] for o in outs]
    assert sum(int(o[0].strip()) for o in outs) == 20  # between them, every date once
    assert teller.ledger.balance(TINA, dst).current == usd("200")


def test_running_due_instructions_now_is_the_schedulers_or_a_supervisors(teller, pair, engine):
    """A teller may add and cancel instructions but not start the scheduler's job: core refuses (audited)
    and names who may; a supervisor's run posts as the system, and the supervisor is audited as starting it."""
    from core.errors import PermissionDenied

    so, (src, dst), today = StandingOrders(teller.ledger), pair, date.today()
    so.add(TINA, src, dst, usd("10"), "weekly", today)
    with pytest.raises(PermissionDenied) as err:
        so.run_due(TINA)
    assert "supervisor role may" in err.value.message and "scheduler" in err.value.message
    assert _count(engine, Transfer.__table__) == 1  # only the opening deposit: nothing ran
    (run,) = so.run_due(SAM)
    assert run.state == "posted"
    with engine.connect() as conn:
        rows = conn.execute(select(AuditEntry.__table__.c.actor, AuditEntry.__table__.c.action).where(
            AuditEntry.__table__.c.action.in_(("standing.run", "standing.run_now", "permission.denied")))).all()
    assert set(rows) == {("tina", "permission.denied"), ("sam", "standing.run_now"), ("system", "standing.run")}


def test_an_instruction_larger_than_the_available_balance_is_added_with_a_warning(teller, pair):
    """QA2 #29: warned, not refused (money may come in before the first due date)."""
    so, (src, dst), today = StandingOrders(teller.ledger), pair, date.today()
    big = so.add(TINA, src, dst, usd("100000"), "weekly", today + timedelta(days=1))
    assert big.status == "active" and big.warning is not None
    assert "has $1,000.00 available, less than one run of $100,000.00" in big.warning
    assert big.to_dict()["warning"] == big.warning
    small = so.add(TINA, src, dst, usd("10"), "weekly", today + timedelta(days=1))
    assert small.warning is None and "warning" not in small.to_dict()
    assert so.funding_warning(TINA, src, usd("1000")) is None


def test_an_instruction_above_the_creators_limit_is_refused(teller, pair, engine):
    """QA3 #2: runs post with no second person, so a teller cannot set up one above their transfer limit."""
    from decimal import Decimal

    from core.approvals import Approvals, Policy

    teller.ledger.four_eyes = Approvals(teller.ledger, Policy({"teller": Decimal(100), "supervisor": Decimal(5000)},
                                                              timedelta(hours=2)))
    so, (src, dst), today = StandingOrders(teller.ledger), pair, date.today()
    with pytest.raises(InvalidInstruction, match=r"above the teller limit of \$100\.00.*ask a supervisor") as err:
        so.add(TINA, src, dst, usd("120"), "monthly", today)
    assert err.value.field == "amount" and _count(engine, StandingInstruction.__table__) == 0
    assert so.add(TINA, src, dst, usd("100"), "monthly", today).amount == usd("100")  # at the limit: fine
    assert so.add(SAM, src, dst, usd("120"), "monthly", today).amount == usd("120")  # within the supervisor's
