"""Dialogs are as tall as what they show: after choosing an outcome that shows more options (Inconclusive's
snooze, False positive's suppression), after a long error line, or at a narrower width, no text or option
row is squeezed (the decide dialog's outcome texts lost the bottoms of their letters). ``ui.layout.fit_height``
and ``keep_fitted`` do it for every dialog built on ``ui.send_dialog.finish``, the decide dialog and the
confirmation."""
from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLabel, QLineEdit, QWidget

from tests.ui.conftest import ANALYST
from tests.ui.conftest import fraud_loaded as loaded
from tests.ui.conftest import fraud_select as select

LONG = ("Core refused: this says what happened and what to do about it in plain words, long enough to wrap "
        "over two or three lines of the dialog. ") * 2


def clipped(top: QWidget) -> list[str]:
    """The shown texts and controls of ``top`` given less height than they need (wrapped labels: their height
    for their width)."""
    out = []
    for w in top.findChildren(QWidget):
        if not w.isVisibleTo(top) or not isinstance(w, (QLabel, QAbstractButton, QComboBox, QLineEdit,
                                                         QAbstractSpinBox)):
            continue
        if isinstance(w.parent(), (QAbstractSpinBox, QComboBox)):
            continue  # the line edit inside a spin box or an editable combo: its frame is the parent's
        need = w.heightForWidth(w.width()) if w.hasHeightForWidth() else w.minimumSizeHint().height()
        if w.height() < need:
            text = w.text() if isinstance(w, (QLabel, QAbstractButton, QLineEdit)) else type(w).__name__
            out.append(f"{text[:40]!r}: {w.height()} < {need}")
    return out


def test_the_decide_dialog_fits_every_outcome_and_an_error(qtbot, services, hold, open_page):
    tid = hold(250_00, counterparty="LANDLORD")
    _window, page = open_page(ANALYST)
    loaded(qtbot, page, 1)
    select(qtbot, page, tid)
    dialog = page.queue.decide(None)
    qtbot.waitUntil(dialog.isVisible, timeout=15_000)
    for key in ("confirmed", "false-positive", "inconclusive", "escalate", "inconclusive", "confirmed"):
        dialog.buttons[key].setChecked(True)
        qtbot.wait(20)
        assert clipped(dialog) == [], key
    dialog.snooze.setChecked(True)
    dialog.error.setText(LONG)
    qtbot.wait(20)
    assert clipped(dialog) == []
    dialog.resize(dialog.minimumWidth() or 480, dialog.height())  # narrower: the texts wrap into more lines
    qtbot.wait(20)
    assert clipped(dialog) == []
    dialog.reject()


def test_small_dialogs_grow_for_a_long_error_line(qtbot, services):
    from ui.fraud.dialogs import CaseChooser, NoteDialog
    from ui.recommendations.dialogs import RejectDialog
    from ui.send_dialog import TextDialog

    for dialog in (TextDialog("Reveal card number", "Why is the full number needed?", line=True),
                   CaseChooser([1, 2, 3], []), NoteDialog("Close case", "How it ended", outcomes=(("Fraud", "f"),)),
                   RejectDialog("Lower the review threshold")):
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(dialog.isVisible)
        assert clipped(dialog) == [], dialog.windowTitle()
        dialog.error.setText(LONG)  # core's refusal, shown in place
        qtbot.wait(20)
        assert clipped(dialog) == [], dialog.windowTitle()
        dialog.error.clear()
        qtbot.wait(20)
        assert clipped(dialog) == [], dialog.windowTitle()
