"""Small layout pieces every page shares: a title with a hint, and a card frame."""
from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QFrame, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget


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


def table_view() -> QTableView:
    """A read-only, row-selecting table with alternating rows and no vertical header."""
    view = QTableView()
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
