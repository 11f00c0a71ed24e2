"""The demo bank: seeded history, demo users and a first fraud model (for ``qenex --demo`` and ``qenex demo seed``)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine

from app.services import Services
from app.settings import Settings
from core.demo.seed import SeedReport, seed
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
        services.users.add_user(SYSTEM_ACTOR, username, role, password, enrolled_secret=secret)
        users.append(username)
    model = _train_first_model(services, progress)
    services.audit.seal(engine)
    return DemoReport(bank=bank, users=users, model=model)


def _train_first_model(services: Services, progress: Progress | None) -> str | None:
    from core.fraud.dbtrain import train_from_database

    if progress:
        progress(0, 1, "training the first fraud model on the demo history")
    info = train_from_database(services.engine, actor=SYSTEM_ACTOR)
    return info.label
