"""Start-up of the desktop console: ``qenex`` (and ``qenex --demo``) without a command lands here."""
from __future__ import annotations

import logging
import shutil
import sys
from dataclasses import replace

from app.context import Context
from app.services import Services
from app.upkeep import start_standing, start_upkeep
from core.ledger import money
from core.security.audit import SEAL_INTERVAL

log = logging.getLogger(__name__)
# Chain and sign new audit entries every half sealing interval while the console runs, so no entry stays
# unsealed as long as the interval (``qenex audit verify`` fails on such entries).
SEAL_EVERY_MS = int(SEAL_INTERVAL.total_seconds() * 1000) // 2


READY = "ready"  # written into the demo folder once a demo bank is completely seeded


def demo_ready(ctx: Context) -> bool:
    """Whether ``<data dir>/demo`` holds a completely seeded demo bank (an interrupted seed does not count)."""
    folder = ctx.settings.data_dir / "demo"
    return (folder / READY).exists() and (folder / "bank.db").exists()


def demo_context(ctx: Context, *, fresh: bool = True) -> Context:
    """A context on the demo database in ``<data dir>/demo``: emptied first with ``fresh`` (the previous
    demo is discarded), otherwise the existing one."""
    folder = ctx.settings.data_dir / "demo"
    if fresh:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return Context(replace(ctx.settings, database_url=f"sqlite:///{folder / 'bank.db'}", data_dir=folder))


def open_console(ctx: Context, demo: bool, reseed: bool = False) -> int:
    """Open the console; returns the exit code. Database work (migration, demo seed) runs on the worker.

    ``demo`` reopens the demo bank seeded before, or seeds one if there is none (or ``reseed``)."""
    money.set_default_locale(ctx.settings.locale)  # how forms read and show amounts
    seed_needed = False
    if demo:
        try:
            from app.demo import seed_demo_bank
        except ImportError:
            print("qenex: --demo is not available in this build yet (the demo bank seed, app/demo.py, is missing)",
                  file=sys.stderr)
            return 2
        seed_needed = reseed or not demo_ready(ctx)
        ctx = demo_context(ctx, fresh=seed_needed)
        if not seed_needed:
            print(f"qenex: reopening the demo bank in {ctx.settings.data_dir} (--reseed starts a new one)",
                  file=sys.stderr)
    from PySide6.QtWidgets import QApplication

    from app.tasks import Op, TaskManager, favour_ui_thread
    from ui.errors import show_error
    from ui.shell import Shell
    from ui.theme import Theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("QENEX")
    app.setApplicationName("QENEX Console")
    app.setQuitOnLastWindowClosed(False)
    theme = Theme()
    theme.apply()
    tasks = TaskManager.shared()
    state: dict[str, object] = {"code": 0}

    def fail(err: Exception) -> None:
        state["code"] = 1
        box = show_error(None, err)
        box.finished.connect(lambda _r: app.quit())

    def prepare(task) -> Services:  # noqa: ANN001 - runs on the database worker
        engine = ctx.engine  # migrated on first use
        if seed_needed:
            seed_demo_bank(ctx.settings, engine, progress=task.step, cancelled=lambda: task.cancelled)
            (ctx.settings.data_dir / READY).write_text("seeded\n")
        services = Services.build(ctx.settings, engine)
        state["services"] = services
        return services

    def ready(services: Services) -> None:
        from app.live import live_updates

        live_updates(services.events)  # listen for other desks' changes from now on
        shell = Shell(services, theme)
        shell.finished.connect(app.quit)
        state["shell"] = shell
        _seal_periodically(services, app)
        state["standing"] = start_standing(services, app)  # due standing instructions, every 5 minutes
        state["upkeep"] = start_upkeep(services, app)  # expire due holds on the worker every minute
        _retrain_on_schedule(services, app)
        favour_ui_thread()
        shell.start()

    def cancelled() -> None:
        print("qenex: demo seeding cancelled", file=sys.stderr)
        state["code"] = 1
        app.quit()

    op = Op(None, prepare).success(ready).failure(fail).cancelled(cancelled)
    if seed_needed:
        op.with_progress("Seeding the demo bank…")
    op.run_in_background()
    app.exec()
    tasks.shutdown(wait=True)
    _final_seal(state.get("services"))
    return int(state["code"])


def _final_seal(services: Services | None) -> None:
    """Seal what the desk appended since the last timer tick (logout, lock): nothing is left unsealed."""
    if services is None:
        return
    try:
        services.audit.seal(services.engine)
    except Exception as err:  # noqa: BLE001 - the desk is closing; the next desk or command seals it
        log.warning("sealing the audit trail at exit failed: %s", err)


def _seal_periodically(services: Services, app) -> None:  # noqa: ANN001
    """Seal new audit entries into the signed chain every minute on the database worker."""
    from PySide6.QtCore import QTimer

    from app.tasks import Op

    def seal() -> None:
        (Op(None, lambda _task: services.audit.seal(services.engine))
         .failure(lambda err: log.warning("sealing the audit trail failed: %s", err)).run_in_background())

    timer = QTimer(app, interval=SEAL_EVERY_MS, timeout=seal)
    timer.start()


RETRAIN_CHECK_MS = 60_000


def _retrain_on_schedule(services: Services, app) -> None:  # noqa: ANN001
    """Every minute, ask whether a scheduled retrain is due (QENEX_MODEL_UPDATE_FREQUENCY, default 3600 s) and
    run it on the network pool: the database worker (postings) never waits, and across desks one runs at a time."""
    from PySide6.QtCore import QTimer

    from app.tasks import Op
    from core.ai.runs import update_frequency
    from core.errors import ConfigurationError
    from core.security.roles import Actor, Role
    from core.words import counted

    # At once: a run left "running" by a desk that died (killed, crashed) is ended, not shown as running for hours.
    (Op(None, lambda _task: services.ai.end_abandoned_runs()).on_network()
     .success(lambda ended: ended and log.info("ended %s whose desk had stopped", counted(len(ended), "retrain run")))
     .failure(lambda err: log.warning("checking for abandoned retrain runs failed: %s", err)).run_in_background())
    try:
        frequency = update_frequency()
    except ConfigurationError as err:
        log.warning("scheduled retraining is off: %s", err.message)
        return
    scheduler = Actor("scheduler", Role.SYSTEM, device=services.device)
    busy = {"on": False}

    def done(_result: object = None) -> None:
        busy["on"] = False

    def failed(err: Exception) -> None:
        busy["on"] = False
        log.warning("scheduled retrain failed: %s", err)

    def check() -> None:
        if busy["on"]:
            return
        busy["on"] = True
        (Op(None, lambda task: services.ai.retrain_if_due(scheduler, frequency, progress=task.step)).on_network()
         .success(done).failure(failed).run_in_background())

    timer = QTimer(app, interval=RETRAIN_CHECK_MS, timeout=check)
    timer.start()
