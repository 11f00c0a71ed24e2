"""First-login pages: the otpauth QR code and secret with one code to confirm, then the recovery codes once."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QCheckBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from core.security.totp import Enrollment
from ui.forms import InlineForm

QR_SIZE = 220


def grouped(secret: str, size: int = 4) -> str:
    return " ".join(secret[i:i + size] for i in range(0, len(secret), size))


class EnrollmentPage(InlineForm):
    """Scan the QR code (or type the secret) into an authenticator app, then enter one code."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.qr = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.qr.setFixedSize(QR_SIZE, QR_SIZE)
        self.secret = QLabel(objectName="secretText", wordWrap=True,
                             textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        hint = QLabel("1. Scan this code with an authenticator app (or type the key below).\n"
                      "2. Enter the 6-digit code the app shows.", objectName="pageHint", wordWrap=True)
        top = QWidget()
        box = QVBoxLayout(top)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(hint)
        box.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addWidget(QLabel("Key for manual entry:", objectName="muted"))
        box.addWidget(self.secret)
        self.layout_.addRow(top)
        self.code = QLineEdit(placeholderText="6-digit code", maxLength=8)
        self.add_field("code", "&Code", self.code)
        self.confirm = QPushButton("Confirm and sign in", objectName="primary", default=True)
        self.back = QPushButton("&Back to sign-in")  # nothing is enrolled until a code is confirmed
        self.back.setToolTip("Leave two-factor set-up for now: nothing is saved until a code is confirmed")
        row = QWidget()
        buttons = QHBoxLayout(row)
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.confirm)
        buttons.addStretch(1)
        buttons.addWidget(self.back)
        self.finish(row)

    def show_enrollment(self, enrollment: Enrollment) -> None:
        pixmap = QPixmap()
        pixmap.loadFromData(enrollment.qr_png(scale=6), "PNG")
        self.qr.setPixmap(pixmap.scaled(QR_SIZE, QR_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                                        Qt.TransformationMode.FastTransformation))
        self.secret.setText(grouped(enrollment.secret))
        self.secret.setToolTip(enrollment.otpauth_uri)


class RecoveryCodesPage(QWidget):
    """The ten one-time recovery codes, shown once; Continue needs the user to confirm they stored them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.codes: tuple[str, ...] = ()
        intro = QLabel("These recovery codes let you sign in if you lose your authenticator. Each works once. "
                       "They are shown only now: print them or store them in a safe place.",
                       objectName="pageHint", wordWrap=True)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(28)
        self.grid.setVerticalSpacing(6)
        self.copy = QPushButton("Copy codes")
        self.copy.clicked.connect(lambda: QGuiApplication.clipboard().setText("\n".join(self.codes)))
        self.stored = QCheckBox("I have stored these codes somewhere safe")
        self.done = QPushButton("Continue", objectName="primary", enabled=False)
        self.stored.toggled.connect(self.done.setEnabled)
        self.stored.toggled.connect(lambda on: self.done.setDefault(on))
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy)
        buttons.addStretch(1)
        buttons.addWidget(self.done)
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.addWidget(intro)
        root.addLayout(self.grid)
        root.addWidget(self.stored)
        root.addLayout(buttons)
        root.addStretch(1)

    def show_codes(self, codes: tuple[str, ...]) -> None:
        self.codes = tuple(codes)
        for i, code in enumerate(self.codes):
            label = QLabel(f"{i + 1:>2}.  {code}", objectName="recoveryCodes",
                           textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
            self.grid.addWidget(label, i % 5, i // 5)

    def shown_codes(self) -> list[str]:
        return [self.grid.itemAt(i).widget().text().split()[-1] for i in range(self.grid.count())]

    def forget(self) -> None:
        """Remove the codes from the screen (and memory) once the user has continued."""
        while self.grid.count():
            self.grid.takeAt(0).widget().deleteLater()
        self.codes = ()
