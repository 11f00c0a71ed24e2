"""The bridge from live-update events (core.events, background threads) to Qt signals on the UI thread.

One ``LiveUpdates`` per event bus; it starts the bus's listener when made and stops it when the
application quits. Screens do not connect to it directly: they use ``ui.live.LiveRefresh``, which
coalesces bursts into at most one refresh per interval.
"""
from __future__ import annotations

import weakref

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

from core.events import Event, EventBus

_bridges: "weakref.WeakKeyDictionary[EventBus, LiveUpdates]" = weakref.WeakKeyDictionary()


class LiveUpdates(QObject):
    """``received(Event)`` and ``state_changed(state, detail)``, always emitted on the UI thread."""

    received = Signal(object)
    state_changed = Signal(str, str)
    _incoming = Signal(object)  # emitted on the listener's thread, delivered queued to this object's thread
    _state = Signal(str, str)

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bus = bus
        self._incoming.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._state.connect(self.state_changed, Qt.ConnectionType.QueuedConnection)
        self._unsubscribe = bus.subscribe(self._from_thread)
        bus.watch_state(self._state_from_thread)
        bus.start()

    def _from_thread(self, event: Event) -> None:
        if shiboken6.isValid(self):
            self._incoming.emit(event)

    def _state_from_thread(self, state: str, detail: str) -> None:
        if shiboken6.isValid(self):
            self._state.emit(state, detail)

    def _deliver(self, event: Event) -> None:
        self.received.emit(event)

    def close(self) -> None:
        """Stop delivering and stop the bus's listener."""
        self._unsubscribe()
        self.bus.stop()


def live_updates(bus: EventBus) -> LiveUpdates:
    """The bridge for ``bus`` (made, and its listener started, on first use; call on the UI thread)."""
    bridge = _bridges.get(bus)
    if bridge is None or not shiboken6.isValid(bridge):
        app = QCoreApplication.instance()
        bridge = LiveUpdates(bus, app)
        _bridges[bus] = bridge
        if app is not None:
            app.aboutToQuit.connect(bridge.close)
    return bridge
