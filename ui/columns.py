"""Columns of a table model, and the base class that turns them into headers, text and alignment.

A long cell is never lost: the table elides it ("…" at the end, Qt's default) and its tooltip holds the whole
text, wrapped to a readable width when long (``tooltip``); pages with long values also show them whole in a
details pane (the Audit page's change, a payment's history)."""
from __future__ import annotations

import html

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[Any], str]
    align_right: bool = False


class ColumnsModel(QAbstractTableModel):
    """Headers and cell text from ``Column``s; subclasses give ``rowCount`` and ``data``."""

    def __init__(self, columns: Sequence[Column], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns = list(columns)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._columns[section].title
        return None

    def cell(self, obj: Any, column: int, role: int):  # noqa: ANN201
        """What ``data()`` returns for ``obj`` (a fetched row) in ``column`` for ``role``."""
        col = self._columns[column]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if col.align_right else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.DisplayRole:
            return col.value(obj)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(col.value(obj))
        return None


WRAP_AT = 80  # characters: a longer tooltip is rich text, which Qt wraps instead of running off the screen


def tooltip(text: str) -> str | None:
    """A cell's full text as its tooltip: short ones as they are, long ones wrapped (Qt shows a plain-text
    tooltip on one line however long, so a long change or reason ran off the screen); none for an empty cell."""
    if not text:
        return None
    if len(text) <= WRAP_AT and "\n" not in text:
        return text
    return "<p style='white-space:pre-wrap'>" + html.escape(text) + "</p>"
