"""Counting cash by denomination: one pieces field per note and coin of the currency, the value of each
row and the total as the teller types. Tab moves down the column; every bad count is marked on its own row
(red field, a word beside it) and all of them are listed under the grid at once."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QWidget

from core.drawers import denominations as dn
from core.errors import QenexError
from ui.teller.amounts import show
from ui.errors import console_words


class CountGrid(QWidget):
    changed = Signal()

    def __init__(self, locale: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.locale = locale
        self.currency: str | None = None
        self.edits: dict[int, QLineEdit] = {}
        self.values: dict[int, QLabel] = {}
        self.row_errors: dict[int, QLabel] = {}
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(12)
        self.grid.setVerticalSpacing(3)
        self.grid.setColumnStretch(3, 1)  # packed to the left: label, pieces and value read as one row
        self.total_label = QLabel(objectName="confirmValue")
        self.error = QLabel(objectName="fieldError", wordWrap=True)
        self.error.hide()

    def set_currency(self, currency: str) -> bool:
        """Rows for ``currency``'s notes and coins; False (and a message) if it has no table."""
        if currency == self.currency and self.edits:
            return True
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None and item.widget() not in (self.total_label, self.error):
                item.widget().deleteLater()
        self.edits, self.values, self.row_errors, self.currency = {}, {}, {}, currency
        try:
            denoms = dn.denominations(currency)
        except QenexError as err:
            self.grid.addWidget(self.error, 0, 0, 1, 3)
            self.error.setText(console_words(err))
            self.error.show()
            return False
        self.error.hide()
        head = [QLabel("Note / coin", objectName="muted"), QLabel("Pieces", objectName="muted"),
                QLabel("Value", objectName="muted")]
        for col, label in enumerate(head):
            self.grid.addWidget(label, 0, col)
        previous = None
        for row, d in enumerate(denoms, start=1):
            caption = QLabel(show(d, currency, self.locale))
            edit = QLineEdit(placeholderText="0", maxLength=7, objectName=f"count_{dn.label(d, currency)}")
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            edit.setFixedWidth(80)
            edit.textEdited.connect(self._update)
            edit.textEdited.connect(lambda _t, d=d: self._mark(d, None))  # fixing a row clears its mark
            caption.setBuddy(edit)
            bad = QLabel(objectName="fieldError")
            bad.hide()
            self.grid.addWidget(bad, row, 3)
            self.row_errors[d] = bad
            value = QLabel(show(0, currency, self.locale))
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.grid.addWidget(caption, row, 0, Qt.AlignmentFlag.AlignRight)
            self.grid.addWidget(edit, row, 1)
            self.grid.addWidget(value, row, 2)
            self.edits[d], self.values[d] = edit, value
            if previous is not None:
                QWidget.setTabOrder(previous, edit)
            previous = edit
        last = len(denoms) + 1
        self.grid.addWidget(QLabel("Total", objectName="muted"), last, 0, Qt.AlignmentFlag.AlignRight)
        self.grid.addWidget(self.total_label, last, 2, Qt.AlignmentFlag.AlignRight)
        self.grid.addWidget(self.error, last + 1, 0, 1, 4)
        self._update()
        return True

    def first(self) -> QLineEdit | None:
        return next(iter(self.edits.values()), None)

    def set_pieces(self, counts: dict[int, int]) -> None:
        for d, edit in self.edits.items():
            edit.setText(str(counts[d]) if counts.get(d) else "")
        self._update()

    def clear(self) -> None:
        self.set_pieces({})
        self.error.hide()
        for d in self.edits:
            self._mark(d, None)

    def _mark(self, d: int, message: str | None) -> None:
        """Mark row ``d`` bad (red field, ``message`` beside it) or clear it (None)."""
        edit, label = self.edits[d], self.row_errors[d]
        edit.setProperty("invalid", message is not None)
        edit.style().unpolish(edit)
        edit.style().polish(edit)
        label.setText(message or "")
        label.setVisible(message is not None)

    def bad_rows(self) -> list[int]:
        """The denominations whose rows are marked bad now (what the teller sees in red)."""
        return [d for d, label in self.row_errors.items() if not label.isHidden()]

    def _update(self) -> None:
        total = 0
        for d, edit in self.edits.items():
            try:
                n = dn.parse_pieces(edit.text(), "")
            except QenexError:
                n = 0
            self.values[d].setText(show(d * n, self.currency, self.locale))
            total += d * n
        self.total_label.setText(show(total, self.currency, self.locale) if self.currency else "")
        self.changed.emit()

    def counts(self) -> dict[int, int] | None:
        """The counts typed, or None with every bad row marked and all their messages under the grid (core's
        check, ``dn.parse_pieces``); the first bad row has the focus."""
        self.error.hide()
        out: dict[int, int] = {}
        messages: list[str] = []
        first: QLineEdit | None = None
        for d, edit in self.edits.items():
            try:
                n = dn.parse_pieces(edit.text(), f"{show(d, self.currency, self.locale)}")
            except QenexError as err:
                self._mark(d, "whole pieces only")
                messages.append(console_words(err))
                first = first or edit
                continue
            self._mark(d, None)
            if n:
                out[d] = n
        if first is not None:
            head = f"{len(messages)} counts need fixing (marked in red):\n" if len(messages) > 1 else ""
            self.set_error(head + "\n".join(messages))
            first.setFocus()
            first.selectAll()
            return None
        return out

    def total(self) -> int:
        return sum(d * n for d, n in (self.counts() or {}).items())

    def set_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
