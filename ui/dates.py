"""A date field that may be empty ("any"), whose calendar opens on today, not on its minimum date.

QDateEdit shows an empty value as its minimum date with a special text; its calendar popup then opens
on that minimum (January 2000). ``OptionalDateEdit`` turns the calendar to this month, with today marked,
whenever it opens on the empty value (only the page shown changes, not the value), and makes the popup
tall enough for six week rows."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QDateEdit, QWidget
from core.words import counted

ANY_DATE = QDate(2000, 1, 1)  # the minimum date shows as "any"


class OptionalDateEdit(QDateEdit):
    def __init__(self, parent: QWidget | None = None, *, empty_text: str = "any") -> None:
        super().__init__(parent, calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.setMinimumDate(ANY_DATE)
        self.setSpecialValueText(empty_text)
        self.setDate(ANY_DATE)

    # The popup opens (and is set to the current value) inside these handlers; turn its page afterwards.
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        super().mousePressEvent(event)
        self._turn_to_today()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        super().keyPressEvent(event)
        self._turn_to_today()

    def _turn_to_today(self) -> None:
        calendar = self.calendarWidget()
        if self.date() == ANY_DATE and calendar is not None and calendar.isVisible():
            today = QDate.currentDate()
            calendar.blockSignals(True)  # today marked, not the 1st; the field's value stays "any" until chosen
            calendar.setSelectedDate(today)
            calendar.blockSignals(False)
            calendar.setCurrentPage(today.year(), today.month())
        if calendar is not None and calendar.isVisible():  # six week rows always fit (the last was cut)
            popup = calendar.window()
            need = calendar.sizeHint()
            if popup is not calendar and (popup.height() < need.height() or popup.width() < need.width()):
                popup.resize(max(popup.width(), need.width()), max(popup.height(), need.height()))

    def value(self) -> date | None:
        """The chosen day, or None for "any"."""
        day = self.date()
        return None if day == ANY_DATE else date(day.year(), day.month(), day.day())

    def clear_value(self) -> None:
        self.setDate(ANY_DATE)


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 entry``, ``2 entries``: the count with the right form of the word (``core.words.counted``)."""
    return counted(count, word, words)
