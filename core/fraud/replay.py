"""Stream transactions in time order through the online features, as the posting path would."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from core.fraud import features
from core.fraud.state import MemoryStore, StateStore
from core.fraud.txn import Txn


def replay(txns: Iterable[Txn], n: int, store: StateStore, *, delay_days: int,
           frauds: Iterable[bool] | None = None) -> np.ndarray:
    """Feature rows for ``n`` time-ordered transactions, updating ``store`` as it goes.

    ``frauds`` (aligned with ``txns``) are labels fed back into the state; they reach features only
    through windows older than the delay, exactly as late-arriving labels would in production.
    """
    X = np.empty((n, len(features.FEATURE_NAMES)), dtype=np.float64)
    compute, snapshot, add, add_label = features.compute, store.snapshot, store.add_transaction, store.add_label
    labels = iter(frauds) if frauds is not None else None
    i = -1
    for i, tx in enumerate(txns):
        row = compute(snapshot(tx), tx, delay_days)
        X[i] = row
        add(tx, row)
        if labels is not None and next(labels):
            add_label(tx, 1)
    if i + 1 != n:
        raise ValueError(f"replay expected {n} transactions, got {i + 1}")
    return X


def memory_replay(txns: list[Txn], frauds: list[bool] | None, delay_days: int) -> tuple[np.ndarray, MemoryStore]:
    store = MemoryStore(delay_days)
    return replay(txns, len(txns), store, delay_days=delay_days, frauds=frauds), store
