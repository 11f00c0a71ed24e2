"""Status bar: the state of the database, Redis and the payment provider, checked on the network pool."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.services import Health
from app.tasks import DatabaseWatch, Op, TaskManager

RECHECK_MS = 30_000
_DOT = {"ok": "●", "down": "●", "not configured": "○", "unknown": "◌", "local": "◐"}


class ConnectionStatus(QStatusBar):
    """One label per connection; rechecked every 30 s and on ``refresh()`` (F5)."""

    def __init__(self, checks: list[tuple[str, Callable[[], Health]]], parent: QWidget | None = None,
                 tasks: TaskManager | None = None) -> None:
        super().__init__(parent)
        self._checks = checks
        self._tasks = tasks
        self._busy: set[str] = set()
        self.labels: dict[str, QLabel] = {}
        for name, _check in checks:
            label = QLabel(f"{_DOT['unknown']} {name}: checking…")
            label.setObjectName("statusItem")
            label.setProperty("state", "unknown")
            self.labels[name] = label
            self.addPermanentWidget(label)
        self.user_label = QLabel()
        self.user_label.setObjectName("muted")
        self.addWidget(self.user_label)
        self._timer = QTimer(self, interval=RECHECK_MS, timeout=self.refresh)
        self._timer.start()
        DatabaseWatch.shared().changed.connect(self._database_changed)

    RETRYING = "unreachable, retrying…"

    def _database_changed(self, state: str, _detail: str) -> None:
        """A worker met a lost connection ("retrying", "down") or got through again ("ok": recheck now)."""
        if "Database" not in self.labels:
            return
        if state == "ok":
            self.refresh()
            return
        text = self.RETRYING if state == "retrying" else "unreachable"
        self._show("Database", Health("Database", "down", f"database {text}"), text=text)

    def refresh(self) -> None:
        for name, check in self._checks:
            if name in self._busy:
                continue
            self._busy.add(name)
            (Op(self, lambda _task, check=check: check(), self._tasks).on_network()
             .success(lambda health, name=name: self._show(name, health))
             .failure(lambda err, name=name: self._show(name, Health(name, "down", str(err))))
             .run_in_background())

    def _show(self, name: str, health: Health, text: str | None = None) -> None:
        self._busy.discard(name)
        label = self.labels[name]
        label.setText(f"{_DOT.get(health.state, '●')} {health.name}: {text or health.text or health.state}")
        label.setToolTip(health.detail)
        label.setProperty("state", health.state)
        label.style().unpolish(label)
        label.style().polish(label)

    def state(self, name: str) -> str:
        return str(self.labels[name].property("state"))
