"""Screens that follow live updates: collect events, refresh at most once per interval, skip while hidden.

    self.live = LiveRefresh(self, services, ("transaction.*", "hold.*"), self._on_live)

``on_events(events)`` gets the events that arrived since the last call (a ``bus.resync`` among them
means "reload everything": events were missed). The first event after a quiet spell refreshes at
once; a burst then waits for the interval, so a busy bank costs a screen four refreshes a second at most.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

from app.live import live_updates
from app.services import Services
from core.events import RESYNC, Event

INTERVAL_MS = 250
MAX_PENDING = 500  # events kept for a hidden screen; beyond that it just reloads everything when shown


class LiveRefresh(QObject):
    """Calls ``on_events(list[Event])`` on the UI thread for events named in ``names`` (``prefix.*`` allowed)."""

    def __init__(self, widget: QWidget, services: Services, names: Sequence[str],
                 on_events: Callable[[list[Event]], None], interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(widget)
        self.widget, self.names, self.on_events = widget, tuple(names), on_events
        self.interval_ms = interval_ms
        self._pending: list[Event] = []
        self._last = 0.0
        self._timer = QTimer(self, singleShot=True, timeout=self._flush)
        live_updates(services.events).received.connect(self._received)
        widget.installEventFilter(self)

    def _received(self, event: Event) -> None:
        if not event.matches(self.names):
            return
        self._pending.append(event)
        if len(self._pending) > MAX_PENDING:
            self._pending = [Event(RESYNC, {"reason": "many events while hidden"})]
        if self._timer.isActive():
            return
        wait = self._last + self.interval_ms / 1000 - time.monotonic()
        self._timer.start(max(0, int(wait * 1000)))

    def _flush(self) -> None:
        if not self._pending:
            return
        if not self.widget.isVisible():
            return  # delivered when the screen is shown again (eventFilter)
        events, self._pending = self._pending, []
        self._last = time.monotonic()
        self.on_events(events)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.widget and event.type() == QEvent.Type.Show and self._pending and not self._timer.isActive():
            self._timer.start(0)
        return False
