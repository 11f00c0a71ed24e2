"""The demo bank: seeded history, demo users and a first fraud model (for ``qenex --demo`` and ``qenex demo seed``)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine

from app.services import Services
from app.settings import Settings
from core import child_process
from core.demo.seed import Cancelled, SeedReport, seed
from core.errors import QenexError
from core.security.roles import SYSTEM_ACTOR

# Demo desks only: the README lists these. Each TOTP secret goes into any authenticator app
# (or: python -c "import pyotp; print(pyotp.TOTP('SECRET').now())").
DEMO_USERS = (
    ("alice", "admin", "Demo-Admin-2026", "QENEXDEMOADMINQENEXDEMOADMIN2345"),
    ("tom", "teller", "Demo-Teller-2026", "QENEXDEMOTELLERQENEXDEMOTELLER23"),
    ("anna", "analyst", "Demo-Analyst-2026", "QENEXDEMOANALYSTQENEXDEMOANALYST"),
    ("sam", "supervisor", "Demo-Supervisor-2026", "QENEXDEMOSUPERVISORQENEXDEMOSUPE"),
    ("nina", "teller", "Demo-Newbie-2026", None),  # not enrolled yet: shows enrollment at first login
)

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class DemoReport:
    bank: SeedReport
    users: list[str]
    model: str | None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self.bank), "users": self.users, "model": self.model}


def seed_demo_bank(settings: Settings, engine: Engine, *, customers: int = 2_000, days: int = 60, seed_: int = 7,
                   progress: Progress | None = None, cancelled: Callable[[], bool] = lambda: False) -> DemoReport:
    """Seed an empty, migrated database with history, demo users and a first fraud model.

    Runs for a while: call it on a worker thread. ``progress(done, total, message)`` reports each step.
    """
    services = Services.build(settings, engine)
    bank = seed(services.ledger, customers=customers, days=days, seed=seed_, progress=progress, cancelled=cancelled)
    users = []
    for username, role, password, secret in DEMO_USERS:
        services.users.add_user(SYSTEM_ACTOR, username, role, password, enrolled_secret=secret,
                                must_change_password=False)  # the demo publishes its passwords
        users.append(username)
    model = _train_first_model(engine, progress, cancelled)
    if progress:
        progress(0, 1, "filling the fraud queue (alerts, decisions, a case)")
    from core.cases.demo import seed_queue

    seed_queue(services.ledger, services.audit)
    from core.approvals.demo import seed_approvals

    seed_approvals(services.approvals, services.teller)  # tom's requests wait in sam's approvals inbox
    services.audit.seal(engine)
    return DemoReport(bank=bank, users=users, model=model)


TRAINING_SECONDS = 25  # a typical first training on the demo history here; progress eases towards it


def _train_first_model(engine: Engine, progress: Progress | None, cancelled: Callable[[], bool]) -> str | None:
    """Train in a child process (``core.child_process``), so Cancel stops it at once (a fit cannot be
    interrupted in a thread) and progress moves meanwhile (an estimate from the elapsed time; the fit
    reports nothing itself). The child keeps the normal CPU priority: the person is waiting for it."""
    def beat(elapsed: float) -> None:
        if cancelled():
            raise Cancelled("demo seeding cancelled while training the first fraud model")
        if progress:
            done = int(1000 * elapsed / (elapsed + TRAINING_SECONDS))  # moves, never reaches the end early
            progress(done, 1000, f"training the first fraud model on the demo history ({elapsed:.0f} s)")

    try:
        label = child_process.run(_train_child, (engine.url.render_as_string(hide_password=False),),
                                  name="qenex-demo-training", what="training the first fraud model", beat=beat,
                                  nice=0)
    except (Cancelled, child_process.ChildFailed, child_process.ChildUnavailable):
        raise  # their words already say what failed
    except QenexError as err:  # a refusal in the child (e.g. nothing to train on)
        raise QenexError(f"training the first fraud model failed: {err.message}") from None
    if progress:
        progress(1000, 1000, "the first fraud model is trained")
    return label


def _train_child(url: str, _report) -> str:  # noqa: ANN001 - runs in the child process
    from core.fraud.dbtrain import train_from_database
    from core.persistence.db import make_engine

    engine = make_engine(url)
    try:
        return train_from_database(engine, actor=SYSTEM_ACTOR).label
    finally:
        engine.dispose()
