"""The audit viewer: filters by user, action and date; admins verify the signed chain."""
from __future__ import annotations

from PySide6.QtCore import QDate

from core.security.roles import Actor, Role
from ui.audit.page import AuditPage

SUPERVISOR = Actor(username="sam", role=Role.SUPERVISOR, device="desk-test")
ADMIN = Actor(username="ann", role=Role.ADMIN, device="desk-test")


def _page(qtbot, services, actor):  # noqa: ANN001, ANN202
    page = AuditPage(services, actor)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() > 0)
    return page


def _shown(qtbot, page):  # noqa: ANN001, ANN202
    rows = page.model.rowCount()
    qtbot.waitUntil(lambda: all(page.model.row_object(r) is not None for r in range(rows)))
    return [page.model.row_object(r) for r in range(rows)]


def test_filters_by_action_user_and_date(qtbot, services, bank, ui_thread_sql):  # noqa: ARG001
    page = _page(qtbot, services, SUPERVISOR)
    assert not page.verify_button.isVisible()
    every = _shown(qtbot, page)
    assert {r.action for r in every} >= {"customer.add", "account.open"}

    page.action.setCurrentText("customer")
    with qtbot.waitSignal(page.model.loaded):
        page.apply_filter()
    assert {r.action for r in _shown(qtbot, page)} == {"customer.add"}
    assert page.count_label.text() == "3 entries match"

    page.user.setText("nobody")
    with qtbot.waitSignal(page.model.loaded):
        page.apply_filter()
    assert page.model.rowCount() == 0

    page.user.clear()
    page.action.setCurrentText("")
    page.until.setDate(QDate.currentDate().addDays(-1))
    with qtbot.waitSignal(page.model.loaded):
        page.apply_filter()
    assert page.model.rowCount() == 0
    assert ui_thread_sql == []


def test_admin_verifies_the_chain(qtbot, services, bank):  # noqa: ARG001
    services.audit.seal(services.engine)
    page = _page(qtbot, services, ADMIN)
    assert page.verify_button.isVisibleTo(page)
    page.verify()
    qtbot.waitUntil(lambda: page.last_report is not None)
    assert page.last_report.ok
    assert page.last_report.entries >= 6
