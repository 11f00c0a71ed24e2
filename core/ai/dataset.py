"""The bank's scored history as arrays: every customer payment replayed through the online features.

One replay feeds the whole run (training, evaluation, drift, shadow runs), so every figure is computed on
exactly the features the posting screen would have seen (core.fraud.replay).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection

from core.errors import ValidationError
from core.fraud.config import FraudConfig
from core.fraud.decision import model_scores
from core.fraud.history import payments
from core.fraud.registry import LoadedModel
from core.fraud.replay import replay
from core.fraud.state import MemoryStore
from core.fraud.txn import DAY, Txn
from core.ledger.money import exponent

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Dataset:
    """Aligned arrays over the payments in time order. ``amount_minor``: integer minor units."""

    txns: list[Txn]
    X: np.ndarray
    y: np.ndarray  # 1 = labelled fraud (unlabelled counts as genuine)
    ts: np.ndarray  # unix seconds
    day: np.ndarray  # ts // DAY
    card: np.ndarray
    channel: np.ndarray
    counterparty: np.ndarray
    currency: np.ndarray
    amount_minor: np.ndarray

    def __len__(self) -> int:
        return len(self.txns)

    @property
    def last_ts(self) -> int:
        return int(self.ts.max())

    def since(self, days: float) -> np.ndarray:
        """Rows of the last ``days`` days of the history (a boolean mask)."""
        return self.ts > self.last_ts - days * DAY


REPORT_EVERY = 5_000


def load(conn: Connection, delay_days: int, progress: Callable[[int, int], None] = lambda i, n: None) -> Dataset:
    """Read the posted customer payments with their labels and replay them (ValidationError when none).

    ``progress(replayed, total)`` is called every REPORT_EVERY payments (it may raise to cancel).
    """
    return build(*payments(conn), delay_days, progress)


def read(conn: Connection) -> tuple[list[Txn], list[bool]]:
    """The posted customer payments with their labels (``load`` without the replay: read them in a short
    transaction, then ``build`` with no connection held)."""
    return payments(conn)


def build(txns: list[Txn], frauds: list[bool], delay_days: int,
          progress: Callable[[int, int], None] = lambda i, n: None) -> Dataset:
    """``load``'s replay of payments already read (ValidationError when there are none)."""
    if not txns:
        raise ValidationError("No posted customer payments yet: nothing to learn from.")
    n = len(txns)

    def reported():  # noqa: ANN202
        for i, tx in enumerate(txns):
            if i % REPORT_EVERY == 0:
                progress(i, n)
            yield tx

    X = replay(reported(), n, MemoryStore(delay_days), delay_days=delay_days, frauds=frauds)
    currencies = np.array([t.card.rsplit(":", 1)[-1] for t in txns])
    exps = {c: exponent(c) for c in set(currencies.tolist())}
    amount_minor = np.array([round(t.amount * 10 ** exps[c]) for t, c in zip(txns, currencies)], dtype=np.int64)
    ts = np.fromiter((t.ts for t in txns), dtype=np.int64, count=len(txns))
    return Dataset(
        txns, X, np.fromiter(frauds, dtype=np.int8, count=len(frauds)), ts, ts // DAY,
        np.array([t.card for t in txns]), np.array([t.channel for t in txns]),
        np.array([t.counterparty or "" for t in txns]), currencies, amount_minor,
    )


def scores(model: LoadedModel | None, data: Dataset, config: FraudConfig, rows: np.ndarray | None = None) -> np.ndarray:
    """The model's score (before rules) for ``rows`` (a mask or indices; all rows by default)."""
    X = data.X if rows is None else data.X[rows]
    if len(X) == 0:
        return np.zeros(0)
    return model_scores(model, X, config)[0]
