"""Train from the bank's own history: replay its payments through the online features, fit, register."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

import numpy as np
from sqlalchemy import Engine

from core.errors import ValidationError
from core.fraud import registry
from core.fraud.dbstate import DatabaseStore
from core.fraud.history import payments
from core.fraud.registry import ModelInfo
from core.fraud.replay import memory_replay
from core.fraud.training import check_candidates, train
from core.fraud.txn import DAY
from core.security.roles import Actor, Permission, check

WARMUP_DAYS = 7  # the first days of history have no spending windows yet


def training_window(ts: np.ndarray, delay_days: int) -> np.ndarray:
    """Rows to fit on: after a warm-up, and older than the label delay (recent frauds are not labelled yet)."""
    first, last = int(ts.min()), int(ts.max())
    span = (last - first) / DAY
    start = first + WARMUP_DAYS * DAY if span > 3 * WARMUP_DAYS else first
    end = last - delay_days * DAY if span > 3 * delay_days else last + 1
    return (ts >= start) & (ts < end)


def train_from_database(engine: Engine, *, actor: Actor, label_delay_days: int = 7,
                        candidates: Sequence[str] = ("hgb", "logistic"), rebuild_state: bool = True,
                        activate: bool = True) -> ModelInfo:
    """Fit on posted customer payments joined with fraud_labels, then register (and activate) the model.

    With ``rebuild_state`` the feature state tables are replaced by the replay's end state, so the
    screen continues exactly where training stopped (postings made meanwhile are recounted next time).
    """
    check(actor, Permission.MODEL_TRAIN)
    check_candidates(candidates)
    with engine.connect() as conn:
        txns, frauds = payments(conn)
    if not txns:
        raise ValidationError("no posted customer payments to train on")
    X, memory = memory_replay(txns, frauds, label_delay_days)
    ts = np.fromiter((t.ts for t in txns), dtype=np.int64, count=len(txns))
    y = np.fromiter(frauds, dtype=np.int8, count=len(frauds))
    rows = training_window(ts, label_delay_days)
    trained = train(X[rows], y[rows], ts[rows], candidates=candidates)
    if rebuild_state:
        with engine.begin() as conn:
            DatabaseStore(label_delay_days).replace_all(conn, memory)
    utc = timezone.utc
    return registry.register(
        engine, trained, actor_name=actor.username, label_delay_days=label_delay_days, activate=activate,
        trained_from=datetime.fromtimestamp(int(ts[rows].min()), utc),
        trained_to=datetime.fromtimestamp(int(ts[rows].max()), utc),
    )
