"""Main-window services: status bar checks, F5 refresh, error dialogs, remembered light/dark style."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMessageBox

from app.tasks import Op
from core.ledger.errors import InsufficientFunds
from core.ledger.views import TransferRequest
from core.security.roles import SYSTEM_ACTOR, Actor, Role
from ui.main_window import MainWindow
from ui.theme import Theme

SUPERVISOR = Actor("sam", Role.SUPERVISOR, device="desk-test")


def _window(qtbot, services):  # noqa: ANN001, ANN202
    window = MainWindow(services, SUPERVISOR, Theme())
    qtbot.addWidget(window)
    window.show()
    return window


def test_status_bar_shows_each_connection(qtbot, services):
    window = _window(qtbot, services)
    qtbot.waitUntil(lambda: window.status.state("Database") != "unknown")
    assert window.status.state("Database") == "ok"
    qtbot.waitUntil(lambda: window.status.state("Redis") != "unknown")
    assert window.status.state("Redis") == "not configured"
    assert window.status.state("Payments") == "not configured"


def test_live_updates_on_sqlite_say_this_desk_only(qtbot, services):
    """On SQLite without Redis, other processes' changes do not arrive live: the status bar does not say "ok"."""
    window = _window(qtbot, services)
    label = window.status.labels["Live updates"]
    qtbot.waitUntil(lambda: window.status.state("Live updates") != "unknown")
    assert window.status.state("Live updates") == "local"
    assert label.text() == "◐ Live updates: this desk only (SQLite)"
    assert "do not arrive live" in label.toolTip() and "PostgreSQL" in label.toolTip()


def test_live_updates_health_on_postgres_and_redis_is_unchanged():
    from types import SimpleNamespace

    from app.services import check_live

    live = check_live(SimpleNamespace(transport="postgres", state="live", detail=""))
    assert (live.state, live.detail, live.text) == ("ok", "PostgreSQL LISTEN/NOTIFY", "")
    down = check_live(SimpleNamespace(transport="redis", state="down", detail="connection refused"))
    assert (down.state, down.detail) == ("down", "Redis pub/sub: connection refused")


def test_unreachable_redis_shows_down(qtbot, services):
    from dataclasses import replace

    services.settings = replace(services.settings, redis_url="redis://127.0.0.1:1/0")
    window = _window(qtbot, services)
    qtbot.waitUntil(lambda: window.status.state("Redis") != "unknown")
    assert window.status.state("Redis") == "down"
    assert window.status.labels["Redis"].toolTip()


def test_f5_reloads_the_current_page(qtbot, services, bank):
    window = _window(qtbot, services)
    teller = window.page("teller")
    qtbot.waitUntil(lambda: teller.model.row_object(0) is not None)
    first = teller.model.row_object(0)
    services.ledger.transfer(SYSTEM_ACTOR, TransferRequest(id="f5", debit=bank[0], credit=bank[2], amount=500,
                                                           currency="USD"))
    window.refresh_action.trigger()
    qtbot.waitUntil(lambda: teller.model.row_object(0) is not None
                    and teller.model.row_object(0).current == first.current - 500)


def test_failures_without_a_handler_open_a_dialog_with_the_message(qtbot, services):
    window = _window(qtbot, services)

    def work(_task):  # noqa: ANN001, ANN202
        raise InsufficientFunds("account 1000000016 has 10.00 USD available, 25.00 requested")

    Op(window, work).run_in_background()

    def box() -> QMessageBox | None:
        return next((w for w in QApplication.topLevelWidgets() + window.findChildren(QMessageBox)
                     if isinstance(w, QMessageBox) and w.isVisible()), None)

    qtbot.waitUntil(lambda: box() is not None)
    assert box().text() == "account 1000000016 has 10.00 USD available, 25.00 requested"
    assert box().informativeText() == ""  # QA2 #24: internal codes stay in the log, never on screen
    assert "Traceback" not in box().text()
    box().accept()


def test_style_choice_is_applied_and_remembered(qtbot, services, qapp):
    window = _window(qtbot, services)
    window.style_actions["dark"].trigger()
    assert "dark style" in qapp.styleSheet()
    assert Theme().name == "dark"
    window.style_actions["light"].trigger()
    assert "light style" in qapp.styleSheet()
    assert Theme().name == "light"


def test_the_window_size_is_remembered_for_the_next_sign_in(qtbot, services):
    """QA 2: the main window opens at the size (and maximised state) it had last time."""
    from ui.main_window import MainWindow
    from ui.theme import Theme

    first = MainWindow(services, _ANALYST_FOR_GEOMETRY, Theme())
    qtbot.addWidget(first)
    first.show()
    default = first.size()
    first.resize(default.width() - 37, default.height() - 23)
    qtbot.waitUntil(lambda: first.size() != default)
    size = first.size()
    first.close()
    second = MainWindow(services, _ANALYST_FOR_GEOMETRY, Theme())
    qtbot.addWidget(second)
    # the offscreen screen is 800 px wide, so Qt fits a restored width to it; the height comes back as it was
    assert second.height() == size.height() != default.height()


_ANALYST_FOR_GEOMETRY = __import__("core.security.roles", fromlist=["Actor"]).Actor(
    "anna", __import__("core.security.roles", fromlist=["Role"]).Role.ANALYST, device="desk-1")
