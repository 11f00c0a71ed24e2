"""Fixtures for the console's UI tests: isolated QSettings, fresh workers, services over a temporary SQLite bank."""
from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass

import pyotp
import pytest
from PySide6.QtCore import QSettings
from sqlalchemy import event

from app.services import Services
from app.settings import Settings
from app.tasks import TaskManager
from core.ledger.money import to_minor
from core.security.passwords import PasswordHasher
from core.security.roles import SYSTEM_ACTOR, Actor, Role
from core.security.users import UserService

PASSWORD = "correct horse battery"
CHEAP = PasswordHasher(memory_kib=8, iterations=1, lanes=1)  # tests only


@dataclass(frozen=True)
class DeskUser:
    username: str
    password: str
    secret: str

    def code(self) -> str:
        """The code an authenticator app shows now."""
        return pyotp.TOTP(self.secret).now()


@pytest.fixture(scope="session", autouse=True)
def _isolated_qsettings(qapp, tmp_path_factory):  # noqa: ANN001
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path_factory.mktemp("qsettings")))
    qapp.setOrganizationName("QENEX-tests")
    qapp.setApplicationName("console-tests")


@pytest.fixture(autouse=True)
def _default_window_geometry():
    """Every test's main window starts at the default size (the console remembers the last one)."""
    QSettings().remove("window/geometry")


@pytest.fixture(autouse=True)
def tasks():
    """A fresh task manager per test, drained and stopped at the end."""
    manager = TaskManager()
    TaskManager.set_shared(manager)
    yield manager
    manager.shutdown(wait=True)
    # Collect the test's cyclic garbage here, on the GUI thread: left to chance, Python's collector may run on
    # the next test's worker thread and destroy Qt objects there (a segfault seen twice in full runs).
    gc.collect()


@pytest.fixture
def ui_thread_sql(sqlite_engine, bank):  # noqa: ARG001 - recording starts once the bank is seeded
    """SQL statements run on the UI thread (must stay empty: the UI thread never touches the database)."""
    main = threading.main_thread()
    seen: list[str] = []

    @event.listens_for(sqlite_engine, "before_cursor_execute")
    def _record(conn, cursor, statement, *args):  # noqa: ANN001
        if threading.current_thread() is main:
            seen.append(statement)

    yield seen
    event.remove(sqlite_engine, "before_cursor_execute", _record)


@pytest.fixture
def services(sqlite_engine, tmp_path, tasks):
    settings = Settings(database_url=str(sqlite_engine.url), redis_url=None, data_dir=tmp_path)
    services = Services.build(settings, sqlite_engine)
    hooks = services.users.on_session_end
    services.users = UserService(sqlite_engine, services.audit, hasher=CHEAP)
    services.users.on_session_end.extend(hooks)
    yield services
    tasks.shutdown(wait=True)  # no worker may still use the database when it is disposed
    services.close()


@pytest.fixture
def make_user(services):
    """Create a user through core; ``enrolled=True`` completes MFA enrollment with the previous step's code,
    so the code shown *now* is still fresh for the test's own login."""

    def make(username: str, role: Role | str, *, enrolled: bool = True) -> DeskUser:
        new = services.users.add_user(SYSTEM_ACTOR, username, role, PASSWORD, must_change_password=False)
        user = DeskUser(username, PASSWORD, new.enrollment.secret)
        if enrolled:
            step = services.users.begin_login(username, PASSWORD)
            services.users.complete_login(step, pyotp.TOTP(user.secret).at(time.time() - 30))
        return user

    return make


@pytest.fixture
def bank(services):
    """Three customers with a USD account each, funded 1,000.00, 250.00 and 0.00; returns the account numbers."""
    ledger = services.ledger
    numbers = []
    for name, funds in (("Ada Lovelace", "1000.00"), ("Grace Hopper", "250.00"), ("Alan Turing", None)):
        customer = ledger.add_customer(SYSTEM_ACTOR, name)
        account = ledger.open_account(SYSTEM_ACTOR, customer.id, "USD")
        if funds:
            ledger.deposit(SYSTEM_ACTOR, account.number, to_minor(funds, "USD"), "USD")
        numbers.append(account.number)
    return numbers


@pytest.fixture
def teller():
    return Actor(username="tina", role=Role.TELLER, user_id=None, device="desk-test")


# -- the fraud workspace (ui/fraud) ------------------------------------------------------------------------
from core.fraud.config import FraudConfig  # noqa: E402
from core.fraud.screen import FraudScreen  # noqa: E402
from core.ledger.service import Ledger  # noqa: E402
from core.ledger.views import TransferRequest  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from ui.theme import Theme  # noqa: E402

ANALYST = Actor("nina", Role.ANALYST, device="desk-test")
OTHER = Actor("omar", Role.ANALYST, device="desk-2")
SUPERVISOR = Actor("sam", Role.SUPERVISOR, device="desk-test")
TELLER = Actor("tina", Role.TELLER, device="desk-test")


@pytest.fixture
def hold(services, bank):  # noqa: F811
    """hold(amount=250_00, counterparty=None, **kw) -> transfer id, held by a screen that reviews above 100.00."""
    ledger = Ledger(services.engine, audit=services.audit,
                    screen=FraudScreen(services.engine, config=FraudConfig(amount_limits={"USD": 100_00})))
    ids = __import__("itertools").count(1)

    def post(amount: int = 250_00, **kw) -> str:  # noqa: ANN003
        tid = kw.pop("id", f"held-{next(ids)}")
        result = ledger.transfer(SYSTEM_ACTOR, TransferRequest(id=tid, debit=bank[0], credit=bank[1], amount=amount,
                                                               currency="USD", **kw))
        assert result.state == "pending"
        return tid

    return post


@pytest.fixture
def open_page(qtbot, services):
    """open_page(actor) -> the fraud page in a shown main window, its queue loaded."""

    def make(actor: Actor = ANALYST):  # noqa: ANN202
        window = MainWindow(services, actor, Theme())
        qtbot.addWidget(window)
        window.resize(1400, 900)
        window.show()
        window.show_page("fraud")
        page = window.page("fraud")
        qtbot.waitUntil(lambda: None not in page.alerts(), timeout=15_000)
        return window, page

    return make


def fraud_loaded(qtbot, page, rows: int) -> list:  # noqa: ANN001
    qtbot.waitUntil(lambda: page.model.rowCount() == rows and None not in page.alerts(), timeout=15_000)
    return page.alerts()


def fraud_select(qtbot, page, transfer_id: str):  # noqa: ANN001, ANN201
    row = next(i for i, a in enumerate(page.alerts()) if a.transfer_id == transfer_id)
    page.table.selectRow(row)
    qtbot.waitUntil(lambda: page.queue.current is not None and page.queue.current.alert.transfer_id == transfer_id,
                    timeout=15_000)
    return page.queue.current
