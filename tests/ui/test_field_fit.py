"""No field is squeezed at a dialog's default size with the console's style sheet (QA: the decide dialog's
"30 days" spin box showed its arrows squeezed to two lines after choosing False positive: a styled spin box
whose buttons the style sheet did not size). Every spin box, combo and line edit shown is at least as wide as
it needs, and a spin box's step buttons are big enough to draw their arrows."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import (
    QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QStyle, QStyleOptionSpinBox, QWidget,
)

from tests.ui.test_required_fields import _alert
from ui.theme import Theme


@pytest.fixture
def themed(qapp):  # noqa: ANN001, ANN201
    Theme().apply()
    yield
    qapp.setStyleSheet("")


def squeezed(top: QWidget) -> list[str]:
    out = []
    for w in top.findChildren(QWidget):
        if not w.isVisibleTo(top) or not isinstance(w, (QComboBox, QLineEdit, QAbstractSpinBox)):
            continue
        if isinstance(w.parent(), (QAbstractSpinBox, QComboBox)):
            continue
        need = w.sizeHint().width() if isinstance(w, QAbstractSpinBox) else w.minimumSizeHint().width()
        if w.width() < need or w.height() < w.minimumSizeHint().height():
            out.append(f"{type(w).__name__}: {w.size().toTuple()} < {need}")
        popup = getattr(w, "calendarPopup", lambda: False)()  # a date field's drop-down, not step buttons
        buttons = isinstance(w, QAbstractSpinBox) and w.buttonSymbols() != QAbstractSpinBox.ButtonSymbols.NoButtons
        if buttons and not popup:
            opt = QStyleOptionSpinBox()
            w.initStyleOption(opt)
            for control in (QStyle.SubControl.SC_SpinBoxUp, QStyle.SubControl.SC_SpinBoxDown):
                rect = w.style().subControlRect(QStyle.ComplexControl.CC_SpinBox, opt, control, w)
                if rect.width() < 18 or rect.height() < 15:
                    out.append(f"{type(w).__name__} step button {rect.size().toTuple()}")
    return out


def _settle(dialog) -> None:  # noqa: ANN001
    for _ in range(5):
        QApplication.processEvents()


def test_the_decide_dialog_never_squeezes_a_field(qtbot, themed):
    from ui.fraud.decide import DecideDialog

    dialog = DecideDialog([_alert()])
    qtbot.addWidget(dialog)
    dialog.show()
    for key in ("confirmed", "false-positive", "inconclusive", "escalate", "false-positive"):
        dialog.buttons[key].setChecked(True)
        _settle(dialog)
        assert squeezed(dialog) == [], key
    dialog.suppress.setChecked(True)
    _settle(dialog)
    assert dialog.days.isVisibleTo(dialog) and squeezed(dialog) == []


def test_other_dialogs_never_squeeze_a_field(qtbot, themed):
    from ui.fraud.dialogs import CaseChooser, NoteDialog, ReassignDialog
    from ui.send_dialog import TextDialog

    for dialog in (ReassignDialog(_alert(), [("omar", "analyst")]), CaseChooser([7], []),
                   NoteDialog("Close case", "Why?", outcomes=(("Fraud", "fraud"),)),
                   TextDialog("Cancel order", "&Why?", line=True)):
        qtbot.addWidget(dialog)
        dialog.show()
        _settle(dialog)
        assert squeezed(dialog) == [], type(dialog).__name__
