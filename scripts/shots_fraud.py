"""The fraud workspace's screenshots (called by scripts/screenshots.py): a small demo bank with history, a
trained model and the demo's alert queue, seen by the analyst and the supervisor.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pyotp
from PySide6.QtWidgets import QApplication, QWidget

from app.services import Services
from app.settings import Settings
from core.cases.demo import seed_queue
from core.demo.seed import seed
from core.persistence import migrate
from core.persistence.db import make_engine
from core.security.roles import SYSTEM_ACTOR, Role

PASSWORD = "demo passphrase 2025"


def shoot_fraud(app: QApplication, tmp: Path, out: Path, theme, save: Callable, wait_until: Callable,  # noqa: ANN001
                settle: Callable) -> None:
    from ui.main_window import MainWindow

    folder = tmp / "fraud"
    folder.mkdir()
    engine = make_engine(f"sqlite:///{folder / 'bank.db'}")
    migrate.upgrade(engine)
    services = Services.build(Settings(str(engine.url), None, folder), engine)
    print("seeding a small bank with history for the fraud screens …")
    seed(services.ledger, customers=160, days=30, seed=5)
    from core.fraud.dbtrain import train_from_database

    train_from_database(engine, actor=SYSTEM_ACTOR)
    actors = {}
    for name, role in (("anna", Role.ANALYST), ("sam", Role.SUPERVISOR)):
        secret = services.users.add_user(SYSTEM_ACTOR, name, role, PASSWORD,
                                                must_change_password=False).enrollment.secret
        step = services.users.begin_login(name, PASSWORD, services.device)
        actors[name] = services.users.complete_login(step, pyotp.TOTP(secret).at(time.time() - 30)).session.actor
    seed_queue(services.ledger, services.audit)

    window = MainWindow(services, actors["anna"], theme)
    window.resize(1440, 900)
    window.show()
    page = window.page("fraud")
    queue = page.queue
    wait_until(lambda: page.model.rowCount() > 5 and None not in page.alerts()[:10], timeout=20)
    row = next(i for i, a in enumerate(page.alerts()) if a is not None and a.rule and a.amount and a.amount > 100_000
               and a.state(a.created_at) == "open" and not a.assignee)
    page.table.selectRow(row)
    wait_until(lambda: queue.current is not None)
    save(window, out, "fraud-queue")
    for index, name in ((1, "fraud-customer"), (2, "fraud-habits"), (3, "fraud-linked"), (4, "fraud-history")):
        queue.detail.setCurrentIndex(index)
        save(window, out, name)
    queue.detail.setCurrentIndex(0)
    dialog = queue.decide("false-positive")
    dialog.suppress.setChecked(True)
    dialog.note.setPlainText("customer called: a new laptop, bought it herself")
    save(window, out, "fraud-decide", overlay=dialog)
    dialog.reject()

    _batch(page, wait_until, window, out, save)

    page.tabs.setCurrentWidget(page.cases)
    cases = page.cases
    wait_until(lambda: cases.model.rowCount() >= 1 and cases.model.row_object(0) is not None)
    cases.table.selectRow(0)
    wait_until(lambda: cases.current is not None)
    save(window, out, "fraud-cases")
    page.tabs.setCurrentWidget(page.charts)
    wait_until(lambda: page.charts.redraws >= 1, timeout=20)
    settle(400)
    save(window, out, "fraud-charts")
    page.tabs.setCurrentWidget(page.suppressions)
    wait_until(lambda: page.suppressions.model.rowCount() >= 1)
    save(window, out, "fraud-suppressions")
    page.tabs.setCurrentWidget(queue)
    page.table.selectRow(row)
    wait_until(lambda: queue.current is not None and queue.current.alert.account)
    account = page.open_account(queue.current.alert.account)
    account.resize(1300, 820)
    wait_until(lambda: account.page.selected_number is not None and bool(account.page.statement_lines()), timeout=20)
    save(account, out, "fraud-account")
    account.close()
    window.close()

    supervisor = MainWindow(services, actors["sam"], theme)
    supervisor.resize(1440, 900)
    supervisor.show()
    spage = supervisor.page("fraud")
    wait_until(lambda: spage.model.rowCount() >= 1 and None not in spage.alerts(), timeout=90)
    spage.table.selectRow(0)
    wait_until(lambda: spage.queue.current is not None)
    save(supervisor, out, "fraud-escalated")
    supervisor.close()
    engine.dispose()


def _batch(page: QWidget, wait_until: Callable, window: QWidget, out: Path, save: Callable) -> None:
    """Two alerts decided at once, one of them held by a colleague: a result per alert."""
    queue = page.queue
    alerts = page.alerts()
    taken = [i for i, a in enumerate(alerts) if a is not None and a.assignee == "sam"][:1]
    free = [i for i, a in enumerate(alerts) if a is not None and a.state(a.created_at) == "open"][-2:]
    selection = queue.table.selectionModel()
    from PySide6.QtCore import QItemSelectionModel

    selection.clearSelection()
    for r in taken + free:
        selection.select(page.model.index(r, 0), QItemSelectionModel.SelectionFlag.Select
                         | QItemSelectionModel.SelectionFlag.Rows)
    ids = [alerts[r].id for r in taken + free]
    from core.cases.dispositions import Decision

    decision = Decision("inconclusive", "waiting for the customers to call back")
    queue._send_decision(ids, decision)
    wait_until(lambda: hasattr(queue, "last_batch") and queue.last_batch.isVisible(), timeout=20)
    save(window, out, "fraud-batch", overlay=queue.last_batch)
    queue.last_batch.accept()


def main() -> int:
    """Only the fraud screens: ``QT_QPA_PLATFORM=offscreen python scripts/shots_fraud.py [--out DIR]``."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import screenshots

    return screenshots.run_only(shoot_fraud, main.__doc__, "qenex-fraud-shots-")


if __name__ == "__main__":
    raise SystemExit(main())
