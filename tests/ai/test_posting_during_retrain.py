"""A retrain running while desks post changes no posting result (issue 12): the same payments screened on a
twin database with no retrain get the same decisions, scores, reasons and model version. The run's child
process is held (SIGSTOP, on POSIX) while it trains, so every posting happens mid-run."""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from datetime import datetime, timezone

from core.ai.service import AiDesk
from core.fraud.screen import FraudScreen, ScreenInput
from core.fraud.txn import Txn
from core.persistence import migrate
from core.persistence.db import make_engine
from core.security.roles import Actor, Role

from .stream import seeded

SUPERVISOR = Actor("sam", Role.SUPERVISOR, 1)


def _post(engine, screen: FraudScreen, tx: Txn):  # noqa: ANN001
    """What the ledger does in its posting transaction (a decline records in a fresh one)."""
    si = ScreenInput(tx.id, int(tx.card.split(":")[0]), 1000 + int(tx.card.split(":")[0]), 999, tx.counterparty,
                     tx.country, int(round(tx.amount * 100)), "EUR", 2, datetime.fromtimestamp(tx.ts, timezone.utc),
                     tx.channel, tx.device)
    with engine.begin() as conn:
        result = screen.screen(conn, si)
        if result.decision != "decline":
            screen.record(conn, si, result)
    if result.decision == "decline":
        with engine.begin() as conn:
            screen.record(conn, si, result)
    return result.decision, result.score, result.reasons, result.model_version


def _new_payments(history: list[Txn]) -> list[Txn]:
    last = history[-1].ts
    return [Txn(f"desk-{i}", f"{i % 40 + 1}:EUR", f"T{i % 30}", "FR", 20.0 + 7 * (i % 9) + (400 if i % 17 == 0 else 0),
                last + 60 * (i + 1), "card", f"d{i % 5}") for i in range(40)]


def test_a_retrain_while_desks_post_changes_no_posting_result(engine, tmp_path):
    txns, _ = seeded(engine)
    twin = make_engine(f"sqlite:///{tmp_path / 'twin.db'}")
    migrate.upgrade(twin)
    seeded(twin)
    payments = _new_payments(txns)
    expected = [_post(twin, FraudScreen(twin), tx) for tx in payments]
    twin.dispose()

    training, release = threading.Event(), threading.Event()
    outcome: dict = {}
    held: list = []

    def progress(done: int, total: int, label: str) -> None:
        if label.startswith("training") and not training.is_set():
            held.extend(p for p in multiprocessing.active_children() if p.name.startswith("qenex-retrain-"))
            for child in held if hasattr(signal, "SIGSTOP") else ():
                os.kill(child.pid, signal.SIGSTOP)  # the run's child process, held mid-run
            training.set()
            assert release.wait(60)  # hold the caller too until every desk posting is done

    def run() -> None:
        try:
            outcome["result"] = AiDesk(engine).retrain(SUPERVISOR, progress=progress)
        except Exception as err:  # noqa: BLE001
            outcome["error"] = err

    worker = threading.Thread(target=run)
    worker.start()
    assert training.wait(60)
    screen = FraudScreen(engine)
    try:
        got = [_post(engine, screen, tx) for tx in payments]
        assert worker.is_alive() and len(held) == 1  # the run was in progress throughout
        assert held[0].is_alive() or not hasattr(signal, "SIGSTOP")
    finally:
        for child in held if hasattr(signal, "SIGCONT") else ():
            os.kill(child.pid, signal.SIGCONT)
        release.set()
        worker.join(120)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"].challenger is not None
    assert got == expected
    assert {m for *_rest, m in got} == {"v1"}  # the champion kept scoring
