"""The console's periodic upkeep on its database worker: expire due holds every minute, run due standing
instructions every five minutes.

Qt-free except ``start_upkeep`` (the timers). Holds also stop reserving funds at their timeout without this
job (the ledger treats a hold past its timeout as released, as TigerBeetle does); the job makes the release
permanent, audits it as the system and closes the hold's fraud alert with the outcome ``hold_expired``.
Several desks may run it at once: each hold is re-read under its account locks and expires exactly once.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.security.roles import SYSTEM_ACTOR
from core.words import counted

if TYPE_CHECKING:
    from app.services import Services
    from core.ledger.service import Ledger

log = logging.getLogger(__name__)
EXPIRE_EVERY_MS = 60_000  # due holds are expired once a minute while the console runs
EXPIRE_BATCH = 500  # holds per round; rounds repeat until fewer come back (at most MAX_ROUNDS)
MAX_ROUNDS = 20


def expire_due_holds(ledger: Ledger, limit: int = EXPIRE_BATCH, max_rounds: int = MAX_ROUNDS) -> int:
    """Expire every pending transfer and account hold whose timeout has passed, as the system; returns how
    many expired. Each expiry is its own short transaction (``Ledger.expire_pending``)."""
    total = 0
    for _ in range(max_rounds):
        done = ledger.expire_pending(SYSTEM_ACTOR, limit)
        total += done
        if done < limit:
            break
    return total


def start_upkeep(services: Services, parent):  # noqa: ANN001, ANN201 - a QObject owns the returned QTimer
    """Start the minute timer on the UI thread; the work runs on the database worker. Returns the timer."""
    from PySide6.QtCore import QTimer

    from app.tasks import Op

    def expire() -> None:
        (Op(None, lambda _task: expire_due_holds(services.ledger))
         .success(lambda n: n and log.info("expired %s past their timeout", counted(n, "hold")))
         .failure(lambda err: log.warning("expiring due holds failed: %s", err)).run_in_background())

    timer = QTimer(parent, interval=EXPIRE_EVERY_MS, timeout=expire)
    timer.start()
    expire()  # once at start-up: holds that fell due while no console ran
    return timer


STANDING_EVERY_MS = 5 * 60_000  # due standing instructions run at start-up and every five minutes


def run_standing(services: Services) -> list:
    """The scheduled job: every due date of every standing instruction not run yet, as the system with this
    desk's fingerprint (core.teller.standing). Each date runs once across every desk; a failure is recorded
    on its run."""
    from core.security.roles import Actor, Role

    return services.standing.run_due(Actor("system", Role.SYSTEM, device=services.device))


def start_standing(services: Services, parent):  # noqa: ANN001, ANN201 - a QObject owns the returned QTimer
    """Start the five-minute timer on the UI thread (and run once now); the work runs on the database worker."""
    from PySide6.QtCore import QTimer

    from app.tasks import Op

    def run() -> None:
        (Op(None, lambda _task: run_standing(services))
         .success(lambda runs: runs and log.info("standing instructions: %s", counted(len(runs), "run")))
         .failure(lambda err: log.warning("running standing instructions failed: %s", err)).run_in_background())

    timer = QTimer(parent, interval=STANDING_EVERY_MS, timeout=run)
    timer.start()
    run()  # once at start-up: due dates that passed while no console ran
    return timer
