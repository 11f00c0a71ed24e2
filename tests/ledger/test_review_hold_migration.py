"""Migration 0016 (QA4 #2): pending transfers an open fraud alert holds, written before, lose their timeout;
others keep theirs. Both backends."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

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
