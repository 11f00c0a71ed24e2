"""The fraud pages' one subscription to changes made on any desk (new alerts, claims, decisions, cases).

``QueueWatcher.changed`` fires at most once per ``COALESCE_MS`` however many changes arrive, so views
reload from coalesced data, never per event. Changes are noticed by polling a cheap stamp of the alert
table (two index look-ups) every ``POLL_MS`` on the database worker while a fraud page is on screen, and
at once from the desk's live-update bus (``core.events``: ``fraud.detected``, ``alert.updated``,
``case.updated``); polling catches what the bus cannot carry (another process on a SQLite file).
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from app.services import Services
from app.tasks import Op
from core.security.roles import Actor
from ui.live import LiveRefresh

POLL_MS = 5_000
COALESCE_MS = 750
EVENTS = ("fraud.detected", "alert.updated", "case.updated")


class QueueWatcher(QObject):
    changed = Signal()

    def __init__(self, services: Services, actor: Actor, parent: QWidget) -> None:
        super().__init__(parent)
        self.services, self.actor = services, actor
        self._stamp: tuple | None = None
        self._busy = False
        self.poll_timer = QTimer(self, interval=POLL_MS, timeout=self.poll)
        self._coalesce = QTimer(self, singleShot=True, interval=COALESCE_MS, timeout=self.changed.emit)
        self._subscribe(parent)

    def _subscribe(self, widget: QWidget) -> None:
        """Follow the desk's live-update bus (delivered on the UI thread, held back while ``widget`` is hidden)."""
        self.live = LiveRefresh(widget, self.services, EVENTS, lambda _events: self.notify())

    def start(self) -> None:
        self.poll_timer.start()

    def stop(self) -> None:
        self.poll_timer.stop()

    def notify(self) -> None:
        """Something changed: views reload once the burst is over."""
        if not self._coalesce.isActive():
            self._coalesce.start()

    def poll(self) -> None:
        if self._busy:
            return
        self._busy = True
        desk, actor = self.services.fraud, self.actor
        Op(self, lambda _task: desk.stamp(actor)).success(self._stamped).failure(self._failed).run_in_background()

    def _stamped(self, stamp: tuple) -> None:
        self._busy = False
        if self._stamp is not None and stamp != self._stamp:
            self.notify()
        self._stamp = stamp

    def _failed(self, _err: Exception) -> None:
        self._busy = False  # the next poll tries again; the status bar shows a dead database
