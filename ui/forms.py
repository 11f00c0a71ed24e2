"""Forms whose validation errors appear inline, under the field they are about."""
from __future__ import annotations

import html

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence, QShortcut, Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox, QComboBox, QDialog, QFormLayout, QLabel, QLineEdit, QScrollArea, QSizePolicy, QVBoxLayout,
    QWidget,
)

from core.errors import QenexError, Refusals
from ui.errors import describe


class InlineForm(QWidget):
    """A QFormLayout where each field has an error line under it, plus a status line for the whole form."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QFormLayout(self)
        self.layout_.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.status = QLabel(objectName="formStatus", wordWrap=True)
        self.status.hide()
        # Never squeezed below what it needs: a panel's table takes the room that is left, not the form's
        # (an error line under a field collapsed the field to a few pixels on the Holds tab, QA2 #26).
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def add_field(self, key: str, label: str, widget: QWidget) -> QWidget:
        holder = QWidget()
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(widget)
        error = QLabel(objectName="fieldError", wordWrap=True)
        error.hide()
        box.addWidget(error)
        # The label's buddy must be the field itself: Alt+letter then moves focus there (with the holder as
        # buddy the shortcut had nowhere to go and the letter was typed into the focused field).
        if isinstance(widget, (QLineEdit, QComboBox, QAbstractSpinBox)):
            widget.setMinimumHeight(widget.sizeHint().height())  # a field never collapses to a few pixels
        if isinstance(widget, QLineEdit):  # a field's error goes once it is edited: it was about the old text
            widget.textEdited.connect(lambda _text, key=key: self._forget(key))
        caption = QLabel(label)
        caption.setBuddy(widget)
        self.layout_.addRow(caption, holder)
        self.captions = getattr(self, "captions", {})
        self.captions[key] = caption
        self.fields[key] = widget
        self.errors[key] = error
        return widget

    def finish(self, buttons: QWidget) -> None:
        """Add the button row and the status line below the fields."""
        self.layout_.addRow("", buttons)
        self.layout_.addRow("", self.status)

    def clear_status(self) -> None:
        """Forget the last result or refusal (e.g. when the form switches to another account)."""
        self.status.clear()
        self.status.hide()

    def set_error(self, key: str, message: str) -> None:
        self.errors[key].setText(message)
        self.errors[key].show()
        _mark(self.fields[key], True)
        self._fit()

    def _fit(self) -> None:
        """Give each shown message the height it needs (wrapped labels in a form layout do not ask for it, so
        the fields were squeezed and the message clipped), and in a dialog grow the dialog to fit."""
        for label in (*self.errors.values(), self.status):
            if not label.isHidden():
                width = label.width() if label.width() > 0 else self.width() // 2
                label.setMinimumHeight(label.heightForWidth(max(width, 200)))
        self.updateGeometry()
        window = self.window()
        if isinstance(window, QDialog):
            window.layout().activate()
            window.adjustSize()

    def _forget(self, key: str) -> None:
        error = self.errors.get(key)
        if error is not None and not error.isHidden():
            error.clear()
            error.hide()
            _mark(self.fields[key], False)

    def clear(self) -> None:
        for key, error in self.errors.items():
            error.clear()
            error.hide()
            _mark(self.fields[key], False)
        self.status.hide()

    def field_errors(self) -> dict[str, str]:
        """Errors shown now, by field (what the user sees)."""
        return {key: label.text() for key, label in self.errors.items() if not label.isHidden()}

    def set_status(self, text: str, *, ok: bool, warning: bool = False) -> None:
        """``warning``: done, but not finished (e.g. a transfer held for fraud review): shown in amber."""
        self.status.setText(text)
        self._status_base = text
        self.status.setProperty("state", "warning" if warning else "ok" if ok else "error")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.show()
        self._fit()
        QTimer.singleShot(0, self.show_status)  # once laid out: a result below the visible area (QA4 #4)

    def show_status(self) -> None:
        """Scroll the enclosing scroll area (a teller tab) so the status line is in view."""
        area = self.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        if area is not None and not self.status.isHidden():
            area.widget().layout().activate()
            area.ensureWidgetVisible(self.status, 0, 12)

    def add_status_line(self, rich: str) -> None:
        """Show ``rich`` (HTML, e.g. a receipt's link) under the status the form shows, without replacing it
        (a second call replaces the earlier added line, never the status)."""
        base = getattr(self, "_status_base", "") if not self.status.isHidden() else ""
        if not base:
            self.set_status(rich, ok=True)
            self._status_base = ""
            return
        shown = base if Qt.mightBeRichText(base) else html.escape(base)
        self.status.setText(f"{shown}<br>{rich}")
        self._fit()

    def show_refusals(self, err: Exception, field_for) -> None:  # noqa: ANN001 - (QenexError) -> str | None
        """Show ``err`` — or each refusal of a ``core.errors.Refusals`` — under the field ``field_for`` names
        (the rest together in the status line); focus goes to the first wrong field. Every wrong field at once,
        not one per attempt."""
        errors = err.errors if isinstance(err, Refusals) else [err]
        first, loose = None, []
        for one in errors:
            key = field_for(one) if isinstance(one, QenexError) else None
            if key is not None and key in self.fields and self.errors[key].isHidden():
                self.set_error(key, describe(one)[1])
                first = first or key
            else:
                loose.append(describe(one)[1])
        if loose:
            self.set_status("; ".join(loose), ok=False)
        if first is not None:
            self.fields[first].setFocus()

    def show_failure(self, err: Exception, key: str | None) -> None:
        """Show ``err`` under field ``key``, or in the status line if it is about the whole form."""
        message = describe(err)[1]
        if key is not None and key in self.fields:
            self.set_error(key, message)
            self.fields[key].setFocus()
        else:
            self.set_status(message, ok=False)


def enter_submits(submit: Callable[[], None], *widgets: QWidget) -> None:
    """Enter in a combo box or date field (which have no returnPressed) does what Enter in the form's line
    edits does: ``submit`` (a review; never a posting). An open drop-down list takes Enter as its choice."""
    for widget in widgets:
        assert isinstance(widget, (QComboBox, QAbstractSpinBox))
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):  # only while the field itself has focus
            QShortcut(QKeySequence(key), widget, activated=submit, context=Qt.ShortcutContext.WidgetShortcut)


def _mark(widget: QWidget, invalid: bool) -> None:
    if isinstance(widget, QLineEdit):
        widget.setProperty("invalid", invalid)
        widget.style().unpolish(widget)
        widget.style().polish(widget)
