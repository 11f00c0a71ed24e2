"""A small synthetic stream where a new fraud pattern appears half-way, with a champion trained before it."""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from core.ai import dataset
from core.fraud import registry
from core.fraud.training import train
from core.fraud.txn import DAY
from tests.fraud.synth import START, seed_payments, traffic

N, SPACING = 4000, 1300  # about 60 days; terminal T3 is compromised from day 30 on
CHAMPION_DAYS = 28


def seeded(engine) -> tuple[list, list]:  # noqa: ANN001
    """Seed the stream and register a champion (v1, active) fit on its first 28 days: it never saw T3's fraud."""
    txns, frauds = traffic(N, spacing=SPACING, compromised="T3")
    seed_payments(engine, txns, frauds)
    with engine.connect() as conn:
        data = dataset.load(conn, 7)
    rows = data.ts < START + CHAMPION_DAYS * DAY
    trained = train(data.X[rows], data.y[rows], data.ts[rows], candidates=("logistic",))
    utc = timezone.utc
    registry.register(engine, trained, actor_name="test", label_delay_days=7, activate=True,
                      trained_from=datetime.fromtimestamp(int(data.ts[rows].min()), utc),
                      trained_to=datetime.fromtimestamp(int(data.ts[rows].max()), utc))
    return txns, frauds


def t3_frauds(txns, frauds) -> int:  # noqa: ANN001
    return int(np.sum([f and t.counterparty == "T3" for t, f in zip(txns, frauds)]))


def dispositions(engine, *, per_day: int = 20, days: int = 10, rule_fp: int = 0) -> None:  # noqa: ANN001
    """Closed alerts as analysts would have left them over the last ``days`` days (``per_day`` each day);
    the first ``rule_fp`` of them are velocity-limit alerts decided false positive."""
    from datetime import timedelta

    from sqlalchemy import insert

    from core.persistence.base import utcnow
    from core.persistence.models.fraud import FraudAlert

    now = utcnow()
    rows = []
    for d in range(days):
        for k in range(per_day):
            i = d * per_day + k
            at = now - timedelta(days=d, minutes=k + 1)
            noisy = i < rule_fp
            rows.append({"transfer_id": f"alert-{i}", "score": 0.6, "decision": "review", "reasons": "[]",
                         "status": "closed", "created_at": at, "source": "screen",
                         "rule": "velocity_limit" if noisy else "amount_vs_card",
                         "rules": '["velocity_limit"]' if noisy else '["amount_vs_card"]', "band": "low",
                         "due_at": at, "outcome": "FALSE_POSITIVE" if noisy or i % 3 else "TRUE_POSITIVE",
                         "resolution": "disposition", "closed_at": at, "closed_by": "ana"})
    with engine.begin() as conn:
        conn.execute(insert(FraudAlert), rows)
