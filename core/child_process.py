"""Long CPU work in a spawned child process at a lower CPU priority, with progress and an immediate stop.

The caller's process (a desk posting transfers, the console's UI) keeps its interpreter lock and most of
the CPU, and stopping the work is immediate: a fit running in a thread cannot be interrupted, a process can
be terminated. Used by the fraud loop's retrain (``core.ai.runs``) and the demo bank's first model
(``app.demo``).

    value = run(target, (arg1, arg2), name="qenex-retrain", progress=progress, beat=beat)

- ``target(*args, report)`` runs in the child: a module-level function (spawn imports it by name), its
  arguments and its return value picklable. ``report(done, total, label)`` sends progress to the parent.
- The parent, on the calling thread, calls ``progress(done, total, label)`` for each report and
  ``beat(elapsed_seconds)`` about every ``POLL`` seconds; either may raise (a cancel): the child is then
  terminated at once (killed after ``STOP_WAIT`` seconds) and the exception propagates.
- A child whose parent ended (killed, crashed) stops its work within ``POLL`` seconds: ``ParentGone`` (a
  ``KeyboardInterrupt``) is raised in it, so the work records its end as a cancel would (``pid_alive`` lets
  a later process recognise work whose owner died before it could).
- What ``target`` returns is returned. A core error raised in the child (``QenexError``) is raised again in
  the parent as it was; any other exception, or a child that died without a word (killed, out of memory),
  is ``ChildFailed`` with its text or exit code. ``ChildUnavailable`` when no child can be started.

Priority (``nice``, 0 = unchanged): on POSIX ``os.nice(nice)``; on Windows the process is put in
``BELOW_NORMAL_PRIORITY_CLASS`` through ``ctypes`` (the standard library has no portable call; psutil is not
a dependency of QENEX); where neither works the child runs at normal priority (logged, not an error).
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import queue as queue_mod
import signal
import sys
import threading
import time
import _thread
from collections.abc import Callable, Sequence
from typing import Any

from core.errors import QenexError

log = logging.getLogger(__name__)

NICE = 10  # POSIX niceness added in the child: the scheduler then gives the desk ~10x its CPU share
POLL = 0.2  # seconds between beats: a cancel stops the child within this
STOP_WAIT = 5.0  # seconds a terminated child may take before it is killed
ORPHAN_WAIT = 30.0  # seconds an orphaned child's work has to stop (ParentGone) before the child exits
WINDOWS_BELOW_NORMAL = 0x00004000  # BELOW_NORMAL_PRIORITY_CLASS (SetPriorityClass)

Report = Callable[[int, int, str], None]


class ChildFailed(QenexError):
    """The work failed in the child process, or the child stopped without finishing."""

    code = "failed"


class ChildUnavailable(QenexError):
    """No child process could be started (out of memory or processes, a broken installation)."""

    code = "unavailable"


def run(target: Callable[..., Any], args: Sequence[Any] = (), *, name: str, what: str = "the work",
        progress: Report | None = None, beat: Callable[[float], None] | None = None, nice: int = NICE) -> Any:
    """Run ``target(*args, report)`` in a spawned child and return its value (see the module docstring).

    ``what`` names the work in errors ("the retrain" -> "the retrain stopped unexpectedly (exit code -9)")."""
    ctx = multiprocessing.get_context("spawn")
    try:
        channel = ctx.Queue()
        child = ctx.Process(target=_child_main, args=(target, tuple(args), channel, nice), name=name, daemon=True)
        child.start()
    except (OSError, RuntimeError, ValueError, pickle.PicklingError) as err:
        raise ChildUnavailable(f"could not start a separate process for {what} ({type(err).__name__}: {err}); "
                               "check that the machine has free memory and processes, then try again",
                               cause=type(err).__name__) from None
    started = last_beat = time.monotonic()
    finished = False
    try:
        while True:
            try:
                message = channel.get(timeout=POLL)
            except queue_mod.Empty:
                if not child.is_alive():
                    message = _last_word(channel)
                    if message is None:
                        raise ChildFailed(f"{what} stopped unexpectedly (its process ended with exit code "
                                          f"{child.exitcode}, without a result)", exitcode=child.exitcode) from None
                else:
                    message = None
            if message is not None:
                kind = message[0]
                finished = kind in ("ok", "error")
                if kind == "ok":
                    return message[1]
                if kind == "error":
                    error = message[1]
                    raise error if isinstance(error, QenexError) else ChildFailed(f"{what} failed: {error}")
                if progress is not None:
                    progress(*message[1:])
            now = time.monotonic()
            if beat is not None and now - last_beat >= POLL:
                last_beat = now
                beat(now - started)
    finally:
        _stop(child, grace=STOP_WAIT if finished else 0.0)
        channel.close()


def _last_word(channel) -> tuple | None:  # noqa: ANN001
    """What a child that just ended still had in the pipe (its result or its error), if anything."""
    try:
        return channel.get(timeout=0.5)
    except queue_mod.Empty:
        return None


def _stop(child, grace: float) -> None:  # noqa: ANN001
    """End the child: a child that sent its last word gets ``grace`` seconds to exit by itself."""
    if grace and child.is_alive():
        child.join(grace)
    if child.is_alive():
        child.terminate()
        child.join(STOP_WAIT)
    if child.is_alive():
        child.kill()
    child.join(STOP_WAIT)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (a run's owner after a crash: core.ai.runs).

    POSIX: signal 0 (``PermissionError`` means it exists under another user). Windows: ``OpenProcess`` and its
    exit code (``os.kill`` there would terminate it). Unknown platforms answer True (alive: wait for the beat)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        try:
            import ctypes

            kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
            kernel32.OpenProcess.restype = ctypes.c_void_p
            handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
            if not handle:
                return False
            code = ctypes.c_ulong()
            ok = kernel32.GetExitCodeProcess(ctypes.c_void_p(handle), ctypes.byref(code))
            kernel32.CloseHandle(ctypes.c_void_p(handle))
            return bool(ok) and code.value == 259  # STILL_ACTIVE
        except (OSError, AttributeError):
            return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True
    return True


def lower_priority(nice: int = NICE) -> bool:
    """Lower this process's CPU priority (see the module docstring); True when it was lowered."""
    if nice <= 0:
        return False
    try:
        if hasattr(os, "nice"):
            os.nice(nice)
            return True
        if sys.platform == "win32":
            import ctypes

            kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
            kernel32.GetCurrentProcess.restype = ctypes.c_void_p
            kernel32.SetPriorityClass.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
            return bool(kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), WINDOWS_BELOW_NORMAL))
    except (OSError, AttributeError) as err:
        log.info("the child process keeps its normal priority: %s", err)
    return False


class ParentGone(KeyboardInterrupt):
    """Raised in the child's work when the parent process ended without stopping it (killed, crashed): the work
    stops as a cancel would (core.ai.runs records the run as cancelled) instead of running on for nobody."""


def _watch_parent(gone: threading.Event, poll: float = POLL) -> None:
    """In the child: once the parent process has ended, interrupt the work (``ParentGone`` in the main thread);
    a work stuck in native code that does not answer within ``ORPHAN_WAIT`` seconds ends the process."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    while parent.is_alive():
        time.sleep(poll)
    gone.set()
    _thread.interrupt_main(signal.SIGINT)
    time.sleep(ORPHAN_WAIT)
    os._exit(3)


def _child_main(target: Callable[..., Any], args: tuple, channel, nice: int) -> None:  # noqa: ANN001
    """The child's entry point: lower priority, run, send ("ok", value) or ("error", error or text)."""
    gone = threading.Event()

    def on_sigint(_signum, _frame) -> None:  # noqa: ANN001
        if gone.is_set():  # the watch's interrupt: the parent ended
            raise ParentGone()
        # Ctrl+C at a terminal reaches the parent too, which stops us: ignored here

    signal.signal(signal.SIGINT, on_sigint)
    threading.Thread(target=_watch_parent, args=(gone,), name="qenex-parent-watch", daemon=True).start()
    lower_priority(nice)

    def report(done: int, total: int, label: str = "") -> None:
        channel.put(("progress", int(done), int(total), str(label)))

    try:
        channel.put(("ok", target(*args, report)))
    except BaseException as err:  # noqa: BLE001 - every failure reaches the parent as a message
        channel.put(("error", _portable(err)))
    channel.close()
    channel.join_thread()  # the message is in the pipe before the process ends


def _portable(err: BaseException) -> QenexError | str:
    """The error itself when it is a core error that survives pickling, else its text."""
    if isinstance(err, QenexError):
        try:
            pickle.loads(pickle.dumps(err))
            return err
        except Exception:  # noqa: BLE001 - an error with unpicklable details: send its words
            return err.message
    return f"{type(err).__name__}: {err}"
