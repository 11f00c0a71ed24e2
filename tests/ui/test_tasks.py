"""The worker threads: results, errors and progress reach the UI thread through signals; cancellation."""
from __future__ import annotations

import threading

import pytest

from app.tasks import Op, TaskManager
from core.errors import ValidationError
from ui.errors import describe


def test_result_arrives_on_the_ui_thread_and_work_ran_on_the_db_worker(qtbot):
    seen = {}

    def work(_task):  # noqa: ANN001, ANN202
        seen["worker"] = threading.current_thread().name
        return 42

    def done(value: int) -> None:
        seen["value"], seen["callback"] = value, threading.current_thread()

    Op(None, work).success(done).run_in_background()
    qtbot.waitUntil(lambda: "value" in seen)
    assert seen["value"] == 42
    assert seen["callback"] is threading.main_thread()
    assert seen["worker"].startswith("qenex-db")


def test_network_work_runs_on_the_pool(qtbot):
    seen = {}
    Op(None, lambda _t: threading.current_thread().name).on_network().success(
        lambda name: seen.setdefault("name", name)).run_in_background()
    qtbot.waitUntil(lambda: "name" in seen)
    assert seen["name"].startswith("qenex-net")


def test_error_arrives_on_the_ui_thread(qtbot):
    seen = {}

    def work(_task):  # noqa: ANN001, ANN202
        raise ValidationError("the amount must be positive")

    Op(None, work).failure(lambda err: seen.update(err=err, thread=threading.current_thread())).run_in_background()
    qtbot.waitUntil(lambda: "err" in seen)
    assert isinstance(seen["err"], ValidationError)
    assert seen["thread"] is threading.main_thread()
    assert describe(seen["err"]) == ("Refused", "the amount must be positive")


def test_database_work_is_serialized(qtbot):
    running, overlaps, finished = [0], [], []
    lock = threading.Lock()

    def work(_task):  # noqa: ANN001, ANN202
        with lock:
            running[0] += 1
            overlaps.append(running[0])
        threading.Event().wait(0.01)
        with lock:
            running[0] -= 1

    for _ in range(5):
        Op(None, work).success(finished.append).run_in_background()
    qtbot.waitUntil(lambda: len(finished) == 5)
    assert max(overlaps) == 1


def test_progress_is_sent_only_on_visible_steps_and_cancel_stops_the_work(qtbot):
    progress, outcome = [], {}
    started, release = threading.Event(), threading.Event()

    def work(task):  # noqa: ANN001, ANN202
        for i in range(1, 10_001):
            task.step(i, 10_000)
            if i == 5_000:
                started.set()
                release.wait(5)
        return "finished"

    task = (Op(None, work).progress(lambda done, total, label: progress.append(done))
            .success(lambda r: outcome.setdefault("result", r))
            .cancelled(lambda: outcome.setdefault("result", "cancelled")).run_in_background())
    assert started.wait(5)
    task.cancel()
    release.set()
    qtbot.waitUntil(lambda: "result" in outcome)
    assert outcome["result"] == "cancelled"
    # one signal per visible 1 % step (plus the first item), not one per item; none after the cancel
    assert progress == [1, *range(100, 5_001, 100)]


def test_callbacks_are_skipped_when_the_parent_is_gone(qtbot):
    from PySide6.QtWidgets import QWidget

    parent, called, gate = QWidget(), [], threading.Event()
    Op(parent, lambda _t: gate.wait(5)).success(called.append).run_in_background()
    parent.deleteLater()
    qtbot.waitUntil(lambda: not __import__("shiboken6").isValid(parent))
    gate.set()
    done = []
    Op(None, lambda _t: None).success(done.append).run_in_background()
    qtbot.waitUntil(lambda: done == [None])
    assert called == []


def test_shut_down_manager_refuses_work(tasks):
    tasks.shutdown()
    with pytest.raises(RuntimeError, match="shut down"):
        Op(None, lambda _t: 1, tasks).run_in_background()
    assert TaskManager.shared() is not tasks


def test_shutdown_cancels_running_work_so_it_can_record_its_end(qtbot, tasks):
    """A desk that quits mid-retrain: the running task is cancelled (its progress raises Cancelled, the retrain
    records its run as cancelled) and shutdown returns promptly instead of waiting for the work to finish."""
    import time

    from app.tasks import Cancelled

    started, seen, told = threading.Event(), {}, []

    def work(task):  # noqa: ANN001, ANN202
        started.set()
        deadline = time.monotonic() + 30
        try:
            while time.monotonic() < deadline:
                task.step(1, 100, "training")
                time.sleep(0.01)
        except Cancelled:
            seen["cancelled"] = True
            raise
        return "finished"

    Op(None, work, tasks).on_network().cancelled(lambda: told.append("cancelled")).run_in_background()
    assert started.wait(5)
    began = time.monotonic()
    tasks.shutdown(wait=True)
    assert seen == {"cancelled": True} and time.monotonic() - began < 5
    qtbot.waitUntil(lambda: told == ["cancelled"])
