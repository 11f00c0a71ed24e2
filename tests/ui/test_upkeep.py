"""The console expires due holds by itself on its database worker (issue 8 §5): at start-up and every minute."""
from __future__ import annotations

import time

from PySide6.QtCore import QObject

from app import upkeep
from core.ledger.views import TransferRequest
from core.security.roles import SYSTEM_ACTOR


def _state(services, transfer_id: str) -> str:
    return services.ledger.transfer_row(SYSTEM_ACTOR, transfer_id)["state"]


def test_the_console_expires_due_holds_on_the_worker(qtbot, services, bank):
    services.ledger.transfer(SYSTEM_ACTOR, TransferRequest("due", bank[0], bank[1], 100, "USD", pending=True,
                                                           timeout_seconds=1))
    services.ledger.transfer(SYSTEM_ACTOR, TransferRequest("live", bank[0], bank[1], 100, "USD", pending=True,
                                                           timeout_seconds=3600))
    time.sleep(1.1)
    owner = QObject()
    timer = upkeep.start_upkeep(services, owner)
    assert timer.isActive() and timer.interval() == upkeep.EXPIRE_EVERY_MS == 60_000
    qtbot.waitUntil(lambda: _state(services, "due") == "expired", timeout=10_000)
    assert _state(services, "live") == "pending"
    services.ledger.transfer(SYSTEM_ACTOR, TransferRequest("next", bank[0], bank[1], 100, "USD", pending=True,
                                                           timeout_seconds=1))
    time.sleep(1.1)
    timer.timeout.emit()  # the next minute's tick
    qtbot.waitUntil(lambda: _state(services, "next") == "expired", timeout=10_000)
    timer.stop()


def test_the_expiry_is_audited_as_the_system(qtbot, services, bank):
    from sqlalchemy import select

    from core.persistence.models.security import AuditEntry

    services.ledger.transfer(SYSTEM_ACTOR, TransferRequest("due2", bank[0], bank[1], 100, "USD", pending=True,
                                                           timeout_seconds=1))
    time.sleep(1.1)
    owner = QObject()
    timer = upkeep.start_upkeep(services, owner)
    qtbot.waitUntil(lambda: _state(services, "due2") == "expired", timeout=10_000)
    timer.stop()
    with services.engine.connect() as conn:
        rows = conn.execute(select(AuditEntry.actor, AuditEntry.role).where(AuditEntry.action == "transfer.expire",
                                                                            AuditEntry.target == "due2")).all()
    assert [tuple(r) for r in rows] == [("system", "system")]
