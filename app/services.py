"""The core services one desk uses, composed once; plus health checks for the status bar.

Qt-free: every method here is called on a worker thread (app.tasks), never on the UI thread.
"""
from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine, text

from typing import TYPE_CHECKING

from app.settings import Settings
from core.errors import ConfigurationError

if TYPE_CHECKING:  # imported in build(): a command that needs only the ledger never loads the rest
    from core.approvals import Approvals
    from core.cases.service import FraudDesk
    from core.events import EventBus
    from core.ledger.service import Ledger
    from core.payments.orders import PaymentOrders
    from core.payments.rail_files import RailSettings
    from core.payments.service import PaymentService
    from core.payments.stripe_provider import StripeProvider
    from core.security.audit import AuditTrail
    from core.security.users import UserService

DEFAULT_IDLE_LOCK_MINUTES = 5


@dataclass(frozen=True)
class Health:
    """The state of one connection: ``ok``, ``down`` or ``not configured``, with a short detail."""

    name: str
    state: str
    detail: str
    text: str = ""  # what the status bar says when the state alone would mislead (default: the state)


def idle_lock_seconds(env: dict[str, str] | None = None) -> int:
    """QENEX_IDLE_LOCK_MINUTES (default 5; decimals allowed) as seconds."""
    raw = (env if env is not None else os.environ).get("QENEX_IDLE_LOCK_MINUTES", "").strip()
    if not raw:
        return DEFAULT_IDLE_LOCK_MINUTES * 60
    try:
        minutes = float(raw)
    except ValueError:
        raise ConfigurationError(f"QENEX_IDLE_LOCK_MINUTES must be a number of minutes, got {raw!r}") from None
    if not 0 < minutes <= 24 * 60:
        raise ConfigurationError(f"QENEX_IDLE_LOCK_MINUTES must be between 0 and 1440, got {raw!r}")
    return max(1, round(minutes * 60))


def desk_fingerprint(settings: Settings) -> str:
    """Names this desk in the audit trail: host name plus a digest of its data folder (max 64 chars)."""
    digest = hashlib.sha256(str(settings.data_dir.resolve()).encode()).hexdigest()[:12]
    return f"{socket.gethostname()[:48]}:{digest}"


def audit_trail(settings: Settings) -> AuditTrail:
    """The desk's audit trail: the key at QENEX_AUDIT_KEY or ``<data dir>/audit/``, the head record beside it
    and, with QENEX_REDIS_URL, in Redis too."""
    from core.security.audit import AuditTrail
    from core.security.audit_keys import AuditKeys, default_key_path

    return AuditTrail(AuditKeys(default_key_path(settings.data_dir)), redis_url=settings.redis_url)


def check_database(engine: Engine) -> Health:
    label = f"{engine.dialect.name} {engine.url.database or ''}".strip()
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "down"; the detail says why
        return Health("Database", "down", f"{label}: {_first_line(exc)}")
    host = f" on {engine.url.host}" if engine.url.host else ""
    return Health("Database", "ok", f"{engine.dialect.name}{host}")


def check_redis(url: str | None) -> Health:
    if not url:
        return Health("Redis", "not configured", "QENEX_REDIS_URL is not set")
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return Health("Redis", "down", _first_line(exc))
    finally:
        client.close()
    return Health("Redis", "ok", url.split("@")[-1])


def check_live(bus: EventBus) -> Health:
    """Live updates across desks: ``ok`` when listening (PostgreSQL LISTEN/NOTIFY, Redis pub/sub); on SQLite
    without Redis ``local``, said as "this desk only (SQLite)": other processes' changes do not arrive live."""
    if bus.transport == "local":
        return Health("Live updates", "local", LOCAL_ONLY, text="this desk only (SQLite)")
    where = {"postgres": "PostgreSQL LISTEN/NOTIFY", "redis": "Redis pub/sub"}.get(bus.transport, bus.transport)
    state = {"live": "ok", "down": "down"}.get(bus.state, "unknown")
    detail = where + (f": {bus.detail or bus.state}" if state != "ok" else "")
    return Health("Live updates", state, detail)


LOCAL_ONLY = ("Changes made at this desk show at once. Changes from other processes on this SQLite file (another "
              "console, the qenex command line) do not arrive live: a page shows them when it reloads (F5; the "
              "Recommendations page checks every 5 s). For live updates across desks use PostgreSQL "
              "(QENEX_DATABASE_URL) or Redis (QENEX_REDIS_URL).")


def check_payments(provider: StripeProvider | None = None) -> Health:
    """The card provider's state: ``not configured`` without QENEX_STRIPE_API_KEY, else a live call."""
    from core.payments.stripe_provider import StripeProvider

    provider = provider or StripeProvider.from_env()
    if not provider.configured():
        return Health("Payments", "not configured", "set QENEX_STRIPE_API_KEY (and QENEX_STRIPE_API_BASE for a "
                                                    "test server) to take card payments")
    try:
        provider.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"; the detail says why
        return Health("Payments", "down", f"{provider.describe()}: {_first_line(exc)}")
    return Health("Payments", "ok", provider.describe())


def _first_line(exc: BaseException) -> str:
    text_ = str(exc).strip()
    return text_.splitlines()[0] if text_ else type(exc).__name__


def desk_ledger(settings: Settings, engine: Engine, *, audit: AuditTrail | None = None,
                deferred: bool = False) -> Ledger:
    """The ledger a desk posts through: the audit trail, the fraud screen and four eyes attached
    (``Services.build`` uses it; a command that needs only the ledger calls it alone,
    ``app.context.Context.ledger``).

    ``deferred``: the fraud screen and four eyes are made (and their modules imported) at their first use, by a
    write; a command that only reads (``qenex balance``) never loads them (``app.lazy.deferred``). Pass a
    deferred ``audit`` too for the same effect on the audit trail."""
    from core.ledger.service import Ledger

    def make_screen():  # noqa: ANN202 - core.fraud.screen.FraudScreen
        from core.fraud.screen import FraudScreen

        return FraudScreen(engine)

    def make_four_eyes():  # noqa: ANN202 - core.approvals.Approvals
        from core.approvals import Approvals, Policy

        return Approvals(ledger, Policy(settings.approval_limits, settings.approval_expiry,
                                        settings.overdraft_limits))

    if deferred:
        from app.lazy import deferred as later

        ledger = Ledger(engine, audit=audit or audit_trail(settings), screen=later(make_screen))
        ledger.four_eyes = later(make_four_eyes)
    else:
        ledger = Ledger(engine, audit=audit or audit_trail(settings), screen=make_screen())
        ledger.four_eyes = make_four_eyes()
    return ledger  # from now on the ledger holds what needs a second person


@dataclass
class Services:
    """Everything the console calls, built over one migrated engine."""

    settings: Settings
    engine: Engine
    audit: AuditTrail
    users: UserService
    ledger: Ledger
    idle_lock_seconds: int
    device: str
    fraud: FraudDesk
    payments: PaymentService
    orders: PaymentOrders
    rails: RailSettings
    events: EventBus
    approvals: Approvals | None = None  # four eyes (core.approvals), attached to the ledger

    @classmethod
    def build(cls, settings: Settings, engine: Engine, provider: StripeProvider | None = None, *,
              audit: AuditTrail | None = None) -> "Services":
        from core.cases.service import FraudDesk
        from core.events import EventBus
        from core.payments.orders import PaymentOrders
        from core.payments.rail_files import RailSettings
        from core.payments.service import PaymentService
        from core.payments.stripe_provider import StripeProvider
        from core.payments.vault import Vault
        from core.payments.vault_keys import VaultKeys
        from core.security.users import UserService

        ledger = desk_ledger(settings, engine, audit=audit)
        audit, screen = ledger.audit, ledger.screen
        vault = Vault(engine, VaultKeys(settings.data_dir), audit)
        payments = PaymentService(engine, provider=provider or StripeProvider.from_env(), vault=vault, screen=screen,
                                  audit=audit)
        fraud = FraudDesk(ledger)
        fraud.after_dispose.append(lambda actor, result: payments.follow_transfer(actor, result.transfer_id))
        approvals = ledger.four_eyes
        users = UserService(engine, audit)
        users.totp.encrypt_clear()  # TOTP secrets an older version stored in clear are encrypted now
        users.on_session_end.append(fraud.release_session)  # a locked or ended session frees its alerts
        return cls(settings=settings, engine=engine, audit=audit, users=users,
                   ledger=ledger, idle_lock_seconds=idle_lock_seconds(), device=desk_fingerprint(settings),
                   payments=payments, orders=PaymentOrders(engine, ledger, audit=audit), rails=RailSettings.from_env(),
                   events=EventBus.of(engine, redis_url=settings.redis_url), fraud=fraud, approvals=approvals)

    @cached_property
    def teller(self):  # noqa: ANN201 - core.teller.service.Teller, imported on first use
        """Customers, search, holds, statements, transfer previews and receipts over this desk's ledger."""
        from core.teller.service import Teller

        return Teller(self.ledger)

    @cached_property
    def drawers(self):  # noqa: ANN201 - core.drawers.service.Drawers, imported on first use
        """Cash drawer sessions, cash at the desk through the open drawer, vault transfers, CTR flags."""
        from core.drawers.service import Drawers

        return Drawers(self.ledger, users=self.users)  # a supervisor's sign-off is checked as a sign-in

    @cached_property
    def standing(self):  # noqa: ANN201 - core.teller.standing.StandingOrders, imported on first use
        """Standing instructions and their scheduled runs."""
        from core.teller.standing import StandingOrders

        return StandingOrders(self.ledger)

    @cached_property
    def ai(self):  # noqa: ANN201 - core.ai.service.AiDesk, imported on first use
        """The self-improving fraud loop: retrain, recommendations, accept, reject, rollback (supervisors)."""
        from core.ai.service import AiDesk

        screen = self.ledger.screen
        return AiDesk(self.engine, self.audit, base=screen.config if screen is not None else None)

    def health_checks(self) -> list[tuple[str, Callable[[], Health]]]:
        """(name, check) pairs; each check returns a Health and is meant for the network pool."""
        return [("Database", lambda: check_database(self.engine)),
                ("Redis", lambda: check_redis(self.settings.redis_url)),
                ("Live updates", lambda: check_live(self.events)),
                ("Payments", lambda: check_payments(self.payments.provider))]

    def close(self) -> None:
        """Stop listening for live updates and send any still queued (the desk or command is ending)."""
        self.events.stop()
