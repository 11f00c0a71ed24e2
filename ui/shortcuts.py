"""The F1 list of keyboard shortcuts: keys and what they do in two aligned columns."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QGridLayout, QLabel, QVBoxLayout, QWidget


class ShortcutsDialog(QDialog):
    def __init__(self, parent: QWidget | None, rows: Sequence[tuple[str, str]]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(5)
        for row, (keys, meaning) in enumerate(rows):
            key = QLabel(keys, objectName="shortcutKey")
            key.setStyleSheet("font-weight: 600;")
            grid.addWidget(key, row, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(QLabel(meaning), row, 1)
        grid.setColumnStretch(1, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        root = QVBoxLayout(self)
        root.setContentsMargins(20, 16, 20, 14)
        root.addWidget(QLabel("Keyboard shortcuts", objectName="pageTitle"))
        root.addLayout(grid)
        root.addWidget(buttons)
        self.rows = list(rows)
