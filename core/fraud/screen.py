"""The fraud screen the ledger calls in the posting path.

``screen`` runs inside the posting transaction before the ledger writes (reads only); ``record``
runs after it: in the same transaction for approve/review (feature state, score, alert), in a
fresh one for a decline (score only: a declined payment never happened, so it moves no features).
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine

from core.cases import screening
from core.errors import ConfigurationError, ValidationError
from core.events import FRAUD_DETECTED, publish
from core.fraud import features, registry, versions
from core.fraud.config import FraudConfig
from core.fraud.dbstate import DatabaseStore, insert_for
from core.fraud.decision import assess
from core.fraud.registry import LoadedModel
from core.fraud.txn import Txn, card_key
from core.persistence.base import utcnow
from core.persistence.models.fraud import FraudScore


@dataclass(frozen=True)
class ScreenInput:
    transfer_id: str
    customer_id: int | None  # the paying customer = the "card"
    debit_account_id: int
    credit_account_id: int
    counterparty: str | None  # terminal / merchant / beneficiary id
    counterparty_country: str | None
    amount: int  # minor units
    currency: str
    exponent: int  # the currency's exponent
    at: datetime  # UTC-aware
    channel: str
    device: str | None


@dataclass(frozen=True)
class ScreenResult:
    decision: str  # approve | review | decline
    score: float
    reasons: tuple[str, ...]
    model_version: str | None
    features: tuple[float, ...] = field(default=(), repr=False, compare=False)


def to_txn(tx: ScreenInput) -> Txn:
    if tx.at.tzinfo is None or tx.at.utcoffset() is None:
        raise ValidationError("the payment time must be timezone-aware UTC", transfer_id=tx.transfer_id)
    if tx.amount <= 0 or tx.exponent < 0:
        raise ValidationError("the amount must be positive minor units", transfer_id=tx.transfer_id)
    return Txn(tx.transfer_id, card_key(tx.customer_id, tx.debit_account_id, tx.currency), tx.counterparty,
               tx.counterparty_country.upper() if tx.counterparty_country else None,
               tx.amount / 10 ** tx.exponent, int(tx.at.timestamp()), tx.channel, tx.device)


class FraudScreen:
    """Scores payments with the active registered model (cached; reloaded when a newer one is active)."""

    def __init__(self, engine: Engine, *, config: FraudConfig | None = None) -> None:
        self.engine = engine
        self.config = config or FraudConfig()
        self.store = DatabaseStore(self.config.label_delay_days)
        self._model: LoadedModel | None = None
        self._settings: tuple[int | None, FraudConfig] = (None, self.config)
        self._lock = threading.Lock()

    def current_config(self, conn: Connection) -> FraudConfig:
        """The base config with the active settings version applied (core.fraud.versions; cached per version)."""
        version = versions.active_version(conn)
        cached = self._settings
        if cached[0] != version:
            cached = (version, self.config if version is None else
                      versions.apply(self.config, versions.get(conn, version).values))
            self._settings = cached
        return cached[1]

    def model(self, conn: Connection) -> LoadedModel | None:
        version = registry.active_version(conn)
        if version is None:
            return None
        cached = self._model
        if cached is None or cached.info.version != version:
            with self._lock:
                if self._model is None or self._model.info.version != version:
                    loaded = registry.load(conn, version)
                    if loaded.info.label_delay_days != self.config.label_delay_days:
                        raise ConfigurationError(
                            f"fraud model {loaded.info.label} assumes a {loaded.info.label_delay_days}-day label "
                            f"delay but the screen is configured for {self.config.label_delay_days} days")
                    self._model = loaded
                cached = self._model
        return cached

    def screen(self, conn: Connection, tx: ScreenInput) -> ScreenResult:
        txn = to_txn(tx)
        row = features.compute(self.store.snapshot(conn, txn), txn, self.config.label_delay_days)
        model = self.model(conn)
        config = self.current_config(conn)
        result = assess(model, config, txn, row, amount=tx.amount, currency=tx.currency, exponent=tx.exponent)
        if result.decision != "approve":  # analysts' suppressions may switch a rule off for this card/counterparty
            result = screening.reconsider(conn, config, model, txn, row, result, amount=tx.amount,
                                          currency=tx.currency, exponent=tx.exponent, now=utcnow())
        return ScreenResult(result.decision, round(result.score, 6), result.reasons,
                            model.info.label if model is not None else None, tuple(row))

    def record(self, conn: Connection, tx: ScreenInput, result: ScreenResult) -> None:
        txn = to_txn(tx)
        if result.decision != "decline":
            row = list(result.features) or features.compute(
                self.store.snapshot(conn, txn), txn, self.config.label_delay_days)
            self.store.add_transaction(conn, txn, row)
        now = utcnow()
        reasons = json.dumps(list(result.reasons))
        conn.execute(insert_for(conn, FraudScore.__table__).values(
            transfer_id=tx.transfer_id, score=result.score, decision=result.decision, reasons=reasons,
            model_version=result.model_version, created_at=now).on_conflict_do_nothing())
        if result.decision == "review":  # the analysts' queue (core.cases)
            screening.alert_for_review(conn, self.current_config(conn), self.model(conn), tx, txn, result, now)
        if result.decision != "approve":
            publish(conn, FRAUD_DETECTED, {"transfer_id": tx.transfer_id, "decision": result.decision,
                                           "score": round(result.score, 4), "customer_id": tx.customer_id})
