"""Worker threads for the console, and the ``Op`` builder screens use to run core calls on them.

Database work runs on ONE serialized executor (two writes from the same desk never race); network
work runs on a small pool. Results, progress and errors come back only through Qt signals, queued
to the UI thread. Cancellation is cooperative: the work calls ``task.check()`` or ``task.step()``.

    Op(self, lambda task: ledger.balance(actor, number)).success(self.show_balance).run_in_background()
"""
from __future__ import annotations

import gc
import logging
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

from core.errors import DatabaseUnavailable, QenexError
from core.persistence import outage

log = logging.getLogger(__name__)
T = TypeVar("T")

NETWORK_WORKERS = 4


UI_SWITCH_INTERVAL = 0.001  # seconds a busy worker may keep the GIL while the UI thread waits (default 0.005)


def favour_ui_thread() -> None:
    """Call once after start-up: keeps workers from stalling the UI thread through the GIL.

    - ``gc.freeze()``: a full collection holds the GIL for its whole walk of the heap (~100 ms with Qt,
      SQLAlchemy and babel loaded); when a worker triggers one, the UI stalls. Frozen objects are not walked.
    - A 1 ms switch interval: each time the UI thread re-enters Python (every model ``data()`` call while
      painting) it waits at most 1 ms, not 5 ms, for a busy worker to hand over the GIL.
    """
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(UI_SWITCH_INTERVAL)


class Cancelled(Exception):
    """Raised inside work by ``Task.check()`` once the user has cancelled it."""


class Task:
    """What the work function sees: a cancel flag and a progress reporter that only speaks on visible steps."""

    def __init__(self, relay: "_Relay", steps: int = 100) -> None:
        self._relay = relay
        self._cancel = threading.Event()
        self._steps = steps
        self._last_step = -1

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        """Raise ``Cancelled`` if the user cancelled; call it between units of work."""
        if self._cancel.is_set():
            raise Cancelled()

    def step(self, done: int, total: int, label: str = "") -> None:
        """Report progress (and check for cancellation); a signal is sent only when a visible step moves."""
        self.check()
        step = (done * self._steps // total) if total > 0 else self._steps
        if step != self._last_step:
            self._last_step = step
            self._relay.progressed.emit(done, total, label)


class _Relay(QObject):
    """Lives on the UI thread; workers emit on it, so every slot runs queued on the UI thread."""

    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    progressed = Signal(int, int, str)


class DatabaseWatch(QObject):
    """The database's reachability as worker threads meet it (``core.persistence.outage``), as a Qt signal.

    ``changed(state, detail)``: "retrying" while a call retries a lost connection, "down" when it gave up,
    "ok" once a retried call got through. Emitted from worker threads; connected slots run on the UI thread.
    """

    changed = Signal(str, str)
    _shared: "DatabaseWatch | None" = None

    @classmethod
    def shared(cls) -> "DatabaseWatch":
        """The one watch (made on first use, on the UI thread), listening to every outage from then on."""
        if cls._shared is None or not shiboken6.isValid(cls._shared):
            watch = cls._shared = cls()
            outage.add_listener(lambda state, detail: watch.changed.emit(state, detail)
                                if shiboken6.isValid(watch) else None)
        return cls._shared


class SessionEvents(QObject):
    """``revoked(err)``: core refused a call because the user's session ended (an administrator disabled the
    user, changed their role or reset their password: core.security.session_check). The shell logs out."""

    revoked = Signal(object)

    _instance: "SessionEvents | None" = None

    @classmethod
    def shared(cls) -> "SessionEvents":
        if cls._instance is None or not shiboken6.isValid(cls._instance):
            cls._instance = cls()
        return cls._instance


class TaskManager:
    """The desk's worker threads: a serialized database executor and a small network pool."""

    _shared: "TaskManager | None" = None

    def __init__(self, network_workers: int = NETWORK_WORKERS) -> None:
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qenex-db")
        self._net = ThreadPoolExecutor(max_workers=network_workers, thread_name_prefix="qenex-net")
        # Relays are children of this UI-thread object, so C++ (not a Python reference that a worker may drop
        # last) owns them; each is deleted with deleteLater on the UI thread once its result was delivered.
        self._home = QObject()
        self._closed = False
        self._running: set[Task] = set()  # submitted and not finished: cancelled at shutdown
        self._lock = threading.Lock()

    @classmethod
    def shared(cls) -> "TaskManager":
        """The application's task manager, shut down when the QApplication quits."""
        if cls._shared is None or cls._shared._closed:
            cls._shared = cls()
            app = QApplication.instance()
            if app is not None:
                app.aboutToQuit.connect(cls._shared.shutdown)
        return cls._shared

    @classmethod
    def set_shared(cls, manager: "TaskManager") -> None:
        """Make ``manager`` the one ``Op`` uses by default (tests give each case a fresh one)."""
        cls._shared = manager

    def submit(self, relay: _Relay, task: Task, work: Callable[[Task], Any], *, network: bool) -> None:
        if self._closed:
            raise RuntimeError("the task manager is shut down")
        with self._lock:
            self._running.add(task)
        (self._net if network else self._db).submit(self._run, relay, task, work, self._forget)

    def _forget(self, task: Task) -> None:
        with self._lock:
            self._running.discard(task)

    @staticmethod
    def _run(relay: _Relay, task: Task, work: Callable[[Task], Any],
             forget: Callable[[Task], None] = lambda _t: None) -> None:
        try:
            TaskManager._work(relay, task, work)
        finally:
            forget(task)

    @staticmethod
    def _work(relay: _Relay, task: Task, work: Callable[[Task], Any]) -> None:
        try:
            task.check()
            result = work(task)
        except Cancelled:
            relay.cancelled.emit()
        except Exception as err:  # noqa: BLE001 - every failure reaches the UI as a signal
            log.debug("background task failed", exc_info=err)
            if isinstance(err, DatabaseUnavailable) or (not isinstance(err, QenexError)
                                                        and outage.is_connection_loss(err)):
                # A call that met a lost connection: the status bar says so; the typed error in plain words,
                # never the driver's text.
                outage.notify("down", "database unreachable")
                err = err if isinstance(err, DatabaseUnavailable) else outage.unavailable(err)
            relay.failed.emit(err)
        else:
            relay.succeeded.emit(result)

    def relay(self) -> "_Relay":
        """A new signal relay owned by the UI thread (call on the UI thread)."""
        return _Relay(self._home)

    def shutdown(self, wait: bool = True) -> None:
        """Stop accepting work; queued tasks are dropped, running ones are cancelled (``Task.cancel``: work that
        checks, such as a retrain, stops and records how it ended, e.g. its run as cancelled) and waited for
        (``wait``)."""
        self._closed = True
        with self._lock:
            for task in self._running:
                task.cancel()
        self._db.shutdown(wait=wait, cancel_futures=True)
        self._net.shutdown(wait=wait, cancel_futures=True)


class Op(Generic[T]):
    """Builder for one background call: ``Op(parent, work).success(f).failure(g).run_in_background()``.

    ``work(task)`` runs on the database worker (or the network pool with ``.on_network()``). Callbacks
    run on the UI thread, and are skipped if ``parent`` was deleted in the meantime. Without a failure
    callback, errors are shown in a dialog (the QenexError message, not a traceback).
    """

    def __init__(self, parent: QWidget | QObject | None, work: Callable[[Task], T],
                 tasks: TaskManager | None = None) -> None:
        self._parent = parent
        self._work = work
        self._tasks = tasks
        self._on_success: Callable[[T], None] | None = None
        self._on_failure: Callable[[Exception], None] | None = None
        self._on_cancel: Callable[[], None] | None = None
        self._on_progress: Callable[[int, int, str], None] | None = None
        self._progress_label: str | None = None
        self._network = False

    def success(self, callback: Callable[[T], None]) -> "Op[T]":
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[Exception], None]) -> "Op[T]":
        self._on_failure = callback
        return self

    def cancelled(self, callback: Callable[[], None]) -> "Op[T]":
        self._on_cancel = callback
        return self

    def progress(self, callback: Callable[[int, int, str], None]) -> "Op[T]":
        """Call ``callback(done, total, label)`` on the UI thread at each visible step of ``task.step``."""
        self._on_progress = callback
        return self

    def with_progress(self, label: str) -> "Op[T]":
        """Show a progress dialog (with a Cancel button) if the work takes longer than a moment."""
        self._progress_label = label
        return self

    def on_network(self) -> "Op[T]":
        """Run on the network pool instead of the serialized database worker."""
        self._network = True
        return self

    def run_in_background(self) -> Task:
        tasks = self._tasks or TaskManager.shared()
        relay = tasks.relay()
        task = Task(relay)
        dialog = self._progress_dialog(task) if self._progress_label else None

        def finish() -> None:
            if dialog is not None:
                dialog.reset()
                dialog.deleteLater()
            relay.deleteLater()

        def alive() -> bool:
            return self._parent is None or shiboken6.isValid(self._parent)

        def on_success(result: object) -> None:
            finish()
            if alive() and self._on_success is not None:
                self._on_success(result)  # type: ignore[arg-type]

        def on_failure(err: Exception) -> None:
            finish()
            if getattr(err, "code", None) == "session_revoked":  # whatever screen asked: the session is over
                SessionEvents.shared().revoked.emit(err)
            if not alive():
                return
            if self._on_failure is not None:
                self._on_failure(err)
            else:
                from ui.errors import show_error  # the shell's dialog; imported late to keep app/ light

                show_error(self._parent if isinstance(self._parent, QWidget) else None, err)

        def on_cancel() -> None:
            finish()
            if alive() and self._on_cancel is not None:
                self._on_cancel()

        relay.succeeded.connect(on_success, Qt.ConnectionType.QueuedConnection)
        relay.failed.connect(on_failure, Qt.ConnectionType.QueuedConnection)
        relay.cancelled.connect(on_cancel, Qt.ConnectionType.QueuedConnection)
        if dialog is not None:
            relay.progressed.connect(lambda done, total, label: _show_progress(dialog, done, total, label),
                                     Qt.ConnectionType.QueuedConnection)
        if self._on_progress is not None:
            relay.progressed.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        tasks.submit(relay, task, self._work, network=self._network)
        return task

    def _progress_dialog(self, task: Task) -> QProgressDialog:
        parent = self._parent if isinstance(self._parent, QWidget) else None
        dialog = QProgressDialog(self._progress_label or "", "Cancel", 0, 0, parent)
        dialog.setWindowTitle("Working")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(400)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(task.cancel)
        return dialog


def _show_progress(dialog: QProgressDialog, done: int, total: int, label: str) -> None:
    if not shiboken6.isValid(dialog) or dialog.wasCanceled():
        return
    dialog.setMaximum(max(total, 1))
    dialog.setValue(min(done, max(total, 1)))
    if label:
        dialog.setLabelText(label)
