"""What a command needs: settings, a migrated engine (opened on first use) and output helpers."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass
class Context:
    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)
    _services: Any = field(default=None, repr=False)
    _ledger: Any = field(default=None, repr=False)

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
            migrate.upgrade(self._engine)
        return self._engine

    @property
    def services(self):  # noqa: ANN201 - app.services.Services, imported lazily (it pulls in every service)
        """The desk's core services over the configured database, built on first use."""
        if self._services is None:
            from app.services import Services

            self._services = Services.build(self.settings, self.engine)
        return self._services

    @property
    def ledger(self):  # noqa: ANN201 - core.ledger.service.Ledger
        """The desk's ledger (audit trail and fraud screen attached), without building every other service:
        the ledger's commands start faster. The services' own ledger once they are built."""
        if self._services is not None:
            return self._services.ledger
        if self._ledger is None:
            from app.services import desk_ledger

            self._ledger = desk_ledger(self.settings, self.engine)
        return self._ledger

    def close(self) -> None:
        """Seal what this command appended to the audit trail, then release the database."""
        try:
            if self._services is not None:
                services, self._services = self._services, None
                services.close()
                services.audit.seal(services.engine)
            elif self._ledger is not None:
                ledger, self._ledger = self._ledger, None
                ledger.audit.seal(ledger.engine)
        finally:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    @staticmethod
    def emit(data: Any, *, as_json: bool, text: str) -> None:
        """Print ``data`` as one JSON document, or ``text`` for people."""
        print(json.dumps(data, default=str, indent=None if as_json else 2) if as_json else text)
