"""Small layout pieces every page shares: a title with a hint, a card frame, a table and its sort arrow."""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QFrame, QHBoxLayout, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget,
)


def page_header(title: str, hint: str) -> QWidget:
    header = QWidget()
    box = QVBoxLayout(header)
    box.setContentsMargins(0, 0, 0, 4)
    box.setSpacing(2)
    box.addWidget(QLabel(title, objectName="pageTitle"))
    box.addWidget(QLabel(hint, objectName="pageHint", wordWrap=True))
    return header


def card() -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame(objectName="card")
    box = QVBoxLayout(frame)
    box.setContentsMargins(14, 12, 14, 12)
    return frame, box


def button_row(*buttons: QWidget) -> QWidget:
    """Buttons side by side, left-aligned, without margins (a form's action row)."""
    row = QWidget()
    box = QHBoxLayout(row)
    box.setContentsMargins(0, 0, 0, 0)
    for button in buttons:
        box.addWidget(button)
    box.addStretch(1)
    return row


def table_view() -> QTableView:
    """A read-only, row-selecting table with alternating rows and no vertical header. Tab leaves it (to the
    page's buttons) instead of moving the selection from cell to cell: arrows move within it."""
    view = QTableView()
    view.setTabKeyNavigation(False)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(28)
    view.setShowGrid(False)
    view.setWordWrap(False)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    return view


def sort_arrow(header: QHeaderView, column: int, descending: bool) -> None:
    """Show the order a table's rows are in on its header: ▼ on ``column`` when its values go down the list
    from largest (newest, highest, Z) to smallest, ▲ when they go up (oldest, lowest, A first); ``column`` -1
    shows none. The one place every sortable table sets its arrow (QA3 #10): QHeaderView draws AscendingOrder
    as a down arrow (QStyleOptionHeader.SortDown: the Fusion style draws ▼), the reverse of what its name says.

    Only the arrow changes: the header's signals are held, so setting it never asks the model to sort again."""
    blocker = QSignalBlocker(header)
    header.setSortIndicator(column, Qt.SortOrder.AscendingOrder if descending else Qt.SortOrder.DescendingOrder)
    blocker.unblock()
    header.viewport().update()
