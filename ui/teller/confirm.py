"""The confirmation step before money moves: exactly what will post, Enter confirms, Escape cancels."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.layout import keep_fitted


# The confirm button of every form whose action is held for a second person (four eyes): nothing posts yet.
SEND_FOR_APPROVAL = "&Send for approval"
# ... and of every form whose action the fraud screen will hold: nothing is sent or posted yet (QA3 #7).
HOLD_FOR_REVIEW = "&Hold for fraud review"


class ConfirmDialog(QDialog):
    """Rows of (label, value), an outcome line and Confirm / Cancel. ``on_confirm`` runs on Confirm.

    With ``blocked`` (e.g. a payment the fraud screen declines) there is nothing to confirm: only Close."""

    def __init__(self, parent: QWidget | None, title: str, rows: Sequence[tuple[str, str]], outcome: str,
                 on_confirm: Callable[[], None], *, confirm_text: str = "&Confirm", warning: bool = False,
                 blocked: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("confirmTransfer")
        self.setMinimumWidth(440)
        self._on_confirm = on_confirm
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(6)
        self.values: dict[str, QLabel] = {}
        for row, (label, value) in enumerate(rows):
            key = QLabel(label, objectName="muted")
            val = QLabel(value, wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
            val.setObjectName("confirmValue")
            grid.addWidget(key, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(val, row, 1)
            self.values[label] = val
        grid.setColumnStretch(1, 1)
        self.outcome = QLabel(outcome, wordWrap=True, objectName="formStatus")
        self.outcome.setProperty("state", "error" if warning or blocked else "ok")
        self.confirm_button = QPushButton(confirm_text, objectName="primary")
        self.cancel_button = QPushButton("Close" if blocked else "Cancel")
        self.confirm_button.setVisible(not blocked)
        self.confirm_button.setDefault(not blocked)
        self.confirm_button.setAutoDefault(not blocked)
        self.cancel_button.setDefault(blocked)
        self.cancel_button.setAutoDefault(blocked)  # focus on Cancel never draws it as the main action
        self.confirm_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.confirm_button)
        root = QVBoxLayout(self)
        root.setContentsMargins(20, 16, 20, 14)
        root.addWidget(QLabel(title, objectName="pageTitle"))
        root.addLayout(grid)
        root.addWidget(self.outcome)
        root.addLayout(buttons)
        self.accepted.connect(self._confirmed)
        (self.cancel_button if blocked else self.confirm_button).setFocus()
        keep_fitted(self)  # long values wrap: the dialog is as tall as they need

    def _confirmed(self) -> None:
        self._on_confirm()

    def text(self, label: str) -> str:
        return self.values[label].text()


def screen_words(decision: str, score: float | None, reasons: tuple[str, ...]) -> str:
    """The fraud screen's row in a review dialog. Core leaves the score and reasons out for people without
    ``alert.view`` (``core.security.roles.sees_fraud_details``): a teller reads the decision alone."""
    if score is None:
        return {"review": "held for review by the fraud team", "decline": "declined by the fraud screen",
                "approve": "passed"}.get(decision, decision)
    return f"{decision} (score {score:.2f})" + (f": {'; '.join(reasons[:3])}" if reasons and decision != "approve"
                                                 else "")
