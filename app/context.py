"""What a command needs: settings, a migrated engine (opened on first use) and output helpers."""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)


@dataclass
class Context:
    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)
    _services: Any = field(default=None, repr=False)
    _ledger: Any = field(default=None, repr=False)
    _audit: Any = field(default=None, repr=False)
    _seal_on_exit: bool = field(default=False, repr=False)  # migrations applied (they may audit), or a long run
    # (UserService, Actor) of each --as sign-in with a one-time code: a refused command gives the code back
    signed_in: list = field(default_factory=list, repr=False)

    @classmethod
    def from_env(cls) -> "Context":
        return cls(Settings.from_env())

    @property
    def engine(self) -> Engine:
        """The configured database, migrated to the newest schema on first use."""
        if self._engine is None:
            from core.persistence import migrate
            from core.persistence.db import make_engine

            self._engine = make_engine(self.settings.database_url)
            before = migrate.current_revision(self._engine)
            migrate.upgrade(self._engine)
            self._seal_on_exit |= migrate.current_revision(self._engine) != before
        return self._engine

    @property
    def audit(self):  # noqa: ANN201 - core.security.audit.AuditTrail
        """The audit trail every service of this call appends to (sealed on exit by ``close``)."""
        if self._audit is None:
            from app.services import audit_trail

            self._audit = audit_trail(self.settings)
        return self._audit

    @property
    def services(self):  # noqa: ANN201 - app.services.Services, imported lazily (it pulls in every service)
        """The desk's core services over the configured database, built on first use."""
        if self._services is None:
            from app.services import Services

            self._services = Services.build(self.settings, self.engine, audit=self.audit)
        return self._services

    @property
    def ledger(self):  # noqa: ANN201 - core.ledger.service.Ledger
        """The desk's ledger (audit trail, fraud screen and four eyes attached), without building every other
        service: the ledger's commands start faster. The audit trail, the screen and four eyes are made at their
        first use (a write, or a refusal to audit), so a read (``qenex balance``) loads none of them
        (``app.lazy.deferred``). The services' own ledger once they are built."""
        if self._services is not None:
            return self._services.ledger
        if self._ledger is None:
            from app.lazy import deferred
            from app.services import desk_ledger

            self._ledger = desk_ledger(self.settings, self.engine, audit=deferred(lambda: self.audit), deferred=True)
        return self._ledger

    def close(self) -> None:
        """Seal what this command appended to the audit trail (whichever service appended it), then release
        the database. A command that appended nothing seals nothing (so a verifier needs no signing key)."""
        try:
            if self._services is not None:
                services, self._services = self._services, None
                services.close()
            self._ledger = None
            if self._engine is not None and ((self._audit is not None and self._audit.appended) or self._seal_on_exit):
                self.audit.seal(self._engine)
        finally:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    @contextmanager
    def sealing(self) -> Iterator[None]:
        """For a command that runs until stopped (``payments listen``): seal the audit trail every half sealing
        interval meanwhile, as the console does, so nothing it appends stays unsealed past the interval."""
        from core.security.audit import SEAL_INTERVAL

        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(SEAL_INTERVAL.total_seconds() / 2):
                try:
                    self.audit.seal(self.engine)
                except Exception as err:  # noqa: BLE001 - the next round, or the seal on exit, tries again
                    log.warning("sealing the audit trail failed: %s", err)

        worker = threading.Thread(target=loop, name="qenex-audit-seal", daemon=True)
        worker.start()
        try:
            yield
        finally:
            stop.set()
            worker.join(5)
            self._seal_on_exit = True  # and once more on exit, whoever appended

    @staticmethod
    def emit(data: Any, *, as_json: bool, text: str) -> None:
        """Print ``data`` as one JSON document, or ``text`` for people."""
        print(json.dumps(data, default=str, indent=None if as_json else 2) if as_json else text)
