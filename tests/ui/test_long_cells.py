"""Columns a role never has data for are not shown (a teller's Activity tab had an always-empty "Why": core
never gives tellers the fraud screen's reasons), and a long cell is readable whole: the table elides it, its
tooltip holds all of it wrapped, and the Audit page's Change takes the room and shows whole in the pane below."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView

from core.security.roles import Actor, Role
from tests.ui.test_teller import _page
from ui.audit.page import AUDIT_COLUMNS, CHANGE, AuditPage
from ui.columns import Column
from ui.rows_model import RowsModel

SAM = Actor("sam", Role.SUPERVISOR, device="desk-2")


def _titles(model) -> list[str]:  # noqa: ANN001
    return [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]


def test_a_teller_has_no_why_column_those_who_see_fraud_details_do(qtbot, services, bank, teller):
    mine = _page(qtbot, services, teller)
    assert _titles(mine.activity.alerts_model) == ["When", "Account", "Amount", "Status"]
    header = mine.activity.alerts.horizontalHeader()
    assert header.sectionResizeMode(3) == QHeaderView.ResizeMode.Stretch  # Status takes the room instead
    theirs = _page(qtbot, services, SAM)
    assert _titles(theirs.activity.alerts_model)[-1] == "Why"


def test_a_long_cell_shows_whole_in_a_wrapped_tooltip():
    long = "limit: 100.00 → 250.00, " * 12
    model = RowsModel((Column("Short", lambda r: "ok"), Column("Long", lambda r: long), Column("Empty", lambda r: "")))
    model.set_rows([object()])
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == "ok"
    tip = model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("<p") and "limit: 100.00 → 250.00, " * 12 in tip  # rich text: Qt wraps it
    assert model.index(0, 2).data(Qt.ItemDataRole.ToolTipRole) is None


def test_the_audit_change_takes_the_room_and_shows_whole_below(qtbot, services, bank):  # noqa: ARG001
    page = AuditPage(services, SAM)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() > 0)
    assert AUDIT_COLUMNS[CHANGE].title == "Change"
    header = page.table.horizontalHeader()
    assert header.sectionResizeMode(CHANGE) == QHeaderView.ResizeMode.Stretch and not header.stretchLastSection()
    assert header.sectionSize(CHANGE) > header.sectionSize(CHANGE + 1)
    qtbot.waitUntil(lambda: page.model.row_object(0) is not None)
    page.table.selectRow(0)
    record = page.model.row_object(0)
    change = AUDIT_COLUMNS[CHANGE].value(record)
    assert change and f"change: {change}" in page.detail.toPlainText()

