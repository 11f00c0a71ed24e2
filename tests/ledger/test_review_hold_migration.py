"""Migration 0016 (QA4 #2): pending transfers an open fraud alert holds, written before, lose their timeout;
others keep theirs. Both backends."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text, update

from core.cases import intake
from core.ledger import store
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.persistence import migrate
from core.persistence.base import utcnow
from core.security.roles import SYSTEM_ACTOR as S


def test_old_review_holds_keep_their_funds_after_the_migration(engine):
    from alembic import command

    migrate.upgrade(engine)
    cfg = migrate._config()
    with engine.begin() as conn:  # the fixture's database is at the head: step back to 0015
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0015")
    ledger = Ledger(engine)
    a, b = (ledger.open_account(S, ledger.add_customer(S, n).id, "USD").number for n in ("Payer", "Payee"))
    ledger.deposit(S, a, 1_000_00, "USD")
    for tid in ("flagged", "plain", "gone"):
        ledger.transfer(S, TransferRequest(tid, a, b, 10_00, "USD", pending=True, timeout_seconds=3600))
    now = utcnow()
    for tid in ("flagged", "gone"):
        ledger.run(lambda conn, tid=tid: intake.raise_manual(conn, "anna", tid, "looks odd", now))
    with engine.begin() as conn:  # as written before 0016: the alert left the timeouts alone
        conn.execute(update(store.T).where(store.T.c.id == "flagged").values(expires_at=now + timedelta(hours=1)))
        conn.execute(update(store.T).where(store.T.c.id == "gone").values(expires_at=now - timedelta(minutes=1)))
    migrate.upgrade(engine)
    rows = {t: ledger.transfer_row(S, t)["expires_at"] for t in ("flagged", "plain", "gone")}
    assert rows["flagged"] is None  # held until the analyst decides
    assert rows["plain"] is not None and rows["gone"] is not None  # no alert; already released at its timeout


def test_a_payment_orders_held_fee_follows_its_payment_in_the_migration(engine):
    """0016's second step on real payment order rows: the fee of a waiting order whose payment an open alert holds
    loses its timeout with the payment; an order already sent, or whose payment no alert holds, keeps its fee's."""
    from alembic import command

    migrate.upgrade(engine)
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0015")
    ledger = Ledger(engine)
    a, b = (ledger.open_account(S, ledger.add_customer(S, n).id, "USD").number for n in ("Payer", "Clearing"))
    ledger.deposit(S, a, 1_000_00, "USD")
    now = utcnow()
    orders = {"po-held": ("created", True), "po-sent": ("submitted", True), "po-clean": ("created", False)}
    for order, (status, flagged) in orders.items():
        for tid, amount in ((f"{order}-pay", 10_00), (f"{order}:fee", 25)):
            ledger.transfer(S, TransferRequest(tid, a, b, amount, "USD", pending=True, timeout_seconds=3600))
        account_id = ledger.transfer_row(S, f"{order}-pay")["debit_account_id"]
        with engine.begin() as conn:  # the columns payment_orders has at 0015
            conn.execute(text(
                "INSERT INTO payment_orders (id, rail, status, account_id, amount, currency, beneficiary_name, "
                "reference, transfer_id, created_by, created_at, updated_at) VALUES (:id, 'ach', :status, :acc, "
                "1000, 'USD', 'Max Muster', '', :tid, 'tina', :now, :now)"),
                {"id": order, "status": status, "acc": account_id, "tid": f"{order}-pay", "now": now})
        if flagged:
            ledger.run(lambda conn, tid=f"{order}-pay": intake.raise_manual(conn, "anna", tid, "looks odd", now))
    with engine.begin() as conn:  # as written before 0016: every timeout still set
        conn.execute(update(store.T).where(store.T.c.kind == "pending").values(expires_at=now + timedelta(hours=1)))
    migrate.upgrade(engine)
    left = {t: ledger.transfer_row(S, t)["expires_at"] for o in orders for t in (f"{o}-pay", f"{o}:fee")}
    assert left["po-held-pay"] is None and left["po-held:fee"] is None  # the fee follows its held payment
    assert left["po-sent-pay"] is None and left["po-sent:fee"] is not None  # already sent: the fee is not the order's
    assert left["po-clean-pay"] is not None and left["po-clean:fee"] is not None  # no alert: both keep theirs
