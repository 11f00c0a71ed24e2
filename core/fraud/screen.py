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

from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine

from core.errors import ConfigurationError, ValidationError
from core.events import FRAUD_DETECTED, publish
from core.fraud import features, versions
from core.fraud.config import FraudConfig
from core.fraud.dbstate import DatabaseStore, ReadState, insert_for, state_write_params
from core.fraud.txn import Txn, card_key, customer_device
from core.persistence.base import utcnow
from core.persistence.models.fraud import FraudScore

if TYPE_CHECKING:  # numpy and the model registry load with the first payment screened, not with the desk
    from core.fraud.registry import LoadedModel


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
    # (xmin of the card's fraud_cards row as the screen read it or None if none, the kinds the read found seen
    # ('cp', 'dev': ``ReadState.seen``; None: not known), the card's bins as read (core.fraud.cardbins)) on
    # PostgreSQL: recording the payment checks the card's state is unchanged (serial order per card) and writes
    # its bins back with this payment; None: no check (SQLite).
    state_version: tuple | None = field(default=None, repr=False, compare=False)


def to_txn(tx: ScreenInput) -> Txn:
    if tx.at.tzinfo is None or tx.at.utcoffset() is None:
        raise ValidationError("the payment time must be timezone-aware UTC", transfer_id=tx.transfer_id)
    if tx.amount <= 0 or tx.exponent < 0:
        raise ValidationError("the amount must be positive minor units", transfer_id=tx.transfer_id)
    return Txn(tx.transfer_id, card_key(tx.customer_id, tx.debit_account_id, tx.currency), tx.counterparty,
               tx.counterparty_country.upper() if tx.counterparty_country else None,
               tx.amount / 10 ** tx.exponent, int(tx.at.timestamp()), tx.channel,
               customer_device(tx.channel, tx.device))


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
        return self.config_version(versions.active_version(conn), conn)

    def config_version(self, version: int | None, conn: Connection | None = None) -> FraudConfig:
        """The base config with settings ``version`` applied (None: the base); read on ``conn`` or a connection
        of its own, once per version."""
        cached = self._settings
        if cached[0] != version:
            if version is None:
                cached = (None, self.config)
            elif conn is None:
                with self.engine.connect() as own:
                    cached = (version, versions.apply(self.config, versions.get(own, version).values))
            else:
                cached = (version, versions.apply(self.config, versions.get(conn, version).values))
            self._settings = cached
        return cached[1]

    def model(self, conn: Connection) -> LoadedModel | None:
        from core.fraud import registry

        return self.model_version(registry.active_version(conn), conn)

    def model_version(self, version: int | None, conn: Connection | None = None) -> LoadedModel | None:
        """The compiled model ``version`` (the active one, as read by the caller); loaded once, on ``conn`` or
        on a connection of its own."""
        if version is None:
            return None
        cached = self._model
        if cached is None or cached.info.version != version:
            from core.fraud import registry

            with self._lock:
                if self._model is None or self._model.info.version != version:
                    if conn is None:  # read, then let the connection go before the (slow) rebuild
                        with self.engine.connect() as own:
                            info, blob = registry.info(own, version), registry.blob(own, version)
                        loaded = registry.compile_bundle(info, registry.loads(blob))
                    else:
                        loaded = registry.load(conn, version)
                    if loaded.info.label_delay_days != self.config.label_delay_days:
                        raise ConfigurationError(
                            f"fraud model {loaded.info.label} assumes a {loaded.info.label_delay_days}-day label "
                            f"delay but the screen is configured for {self.config.label_delay_days} days")
                    self._model = loaded
                cached = self._model
        return cached

    def screen(self, conn: Connection, tx: ScreenInput) -> ScreenResult:
        from core.cases import screening
        from core.fraud.decision import assess

        txn = to_txn(tx)
        snap, version = self.store.snapshot_versioned(conn, txn)
        model = self.model(conn)
        row = features.compute(snap, txn, self.config.label_delay_days)
        config = self.current_config(conn)
        result = assess(model, config, txn, row, amount=tx.amount, currency=tx.currency, exponent=tx.exponent)
        if result.decision != "approve":  # analysts' suppressions may switch a rule off for this card/counterparty
            result = screening.reconsider(conn, config, model, txn, row, result, amount=tx.amount,
                                          currency=tx.currency, exponent=tx.exponent, now=utcnow())
        return ScreenResult(result.decision, round(result.score, 6), result.reasons,
                            model.info.label if model is not None else None, tuple(row), version)

    def screen_read(self, state: ReadState, tx: ScreenInput) -> ScreenResult | None:
        """``screen`` from the state the desk path read (core.ledger.desk); None when analysts' suppressions
        are in force for the card or counterparty and the payment is not approved (the locking path asks them)."""
        from core.fraud.decision import assess

        txn = to_txn(tx)
        model = self.model_version(state.model_version)
        row = features.compute(state.snapshot(txn, self.config.label_delay_days), txn, self.config.label_delay_days)
        config = self.config_version(state.settings_version)  # read in the same round trip as the state
        result = assess(model, config, txn, row, amount=tx.amount, currency=tx.currency, exponent=tx.exponent)
        if result.decision != "approve" and state.suppressions:
            return None
        return ScreenResult(result.decision, round(result.score, 6), result.reasons,
                            model.info.label if model is not None else None, tuple(row),
                            (state.version, frozenset(state.seen), state.card_bins))

    def record_parts(self, tx: ScreenInput, result: ScreenResult, stale_id: int,
                     now: datetime | None = None) -> tuple[tuple[str, ...], list]:
        """``record``'s writes as CTEs for the desk path's one statement: (CTEs, parameters). An approval or a
        review adds to the state (checked against the card version read); a review's alert and the live
        updates are the caller's (core.ledger.desk)."""
        ctes: tuple[str, ...] = ()
        params: list = []
        score = _SCORE_SQL
        if result.decision != "decline":
            known = result.state_version or (None,)
            ctes, params = state_write_params(to_txn(tx), list(result.features), self.store.keep_days, known[0],
                                              stale_id, known[1] if len(known) > 1 else None,
                                              known[2] if len(known) > 2 else None)
            # no ON CONFLICT: a score already there (a decline of the same id) is a unique violation, and the
            # transfer takes the locking path, which records it once
            score = _SCORE_INSERT
        params = params + [tx.transfer_id, result.score, result.decision, json.dumps(list(result.reasons)),
                           result.model_version, now or utcnow()]
        return ctes + (score,), params

    def record(self, conn: Connection, tx: ScreenInput, result: ScreenResult) -> None:
        from core.cases import screening

        txn = to_txn(tx)
        if result.decision != "decline":
            row = list(result.features) or features.compute(
                self.store.snapshot(conn, txn), txn, self.config.label_delay_days)
            self.store.add_transaction(conn, txn, row, result.state_version)
        now = utcnow()
        reasons = json.dumps(list(result.reasons))
        conn.execute(insert_for(conn, FraudScore.__table__).values(
            transfer_id=tx.transfer_id, score=result.score, decision=result.decision, reasons=reasons,
            model_version=result.model_version, created_at=now).on_conflict_do_nothing())
        if result.decision == "review":  # the analysts' queue (core.cases)
            screening.alert_for_review(conn, self.current_config(conn), self.model(conn), tx, txn, result, now)
        if result.decision != "approve":
            publish(conn, FRAUD_DETECTED, detected_event(tx, result))


_SCORE_INSERT = ("fscore AS (INSERT INTO fraud_scores (transfer_id, score, decision, reasons, model_version, "
                 "created_at) VALUES (%s, %s, %s, %s, %s, %s))")
_SCORE_SQL = _SCORE_INSERT[:-1] + " ON CONFLICT DO NOTHING)"


def detected_event(tx: ScreenInput, result: ScreenResult) -> dict:
    """The ``fraud.detected`` payload of a held or declined payment: the decision, never the score or the reasons
    (every desk receives it, tellers' too: QA4 #3; analysts read the score from the alert)."""
    return {"transfer_id": tx.transfer_id, "decision": result.decision, "customer_id": tx.customer_id}
