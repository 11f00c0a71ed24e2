"""The posting-path screen on SQLite and PostgreSQL: state, scores, alerts, labels, model reloads."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np
import pytest
from sqlalchemy import func, select

from core.errors import NotFound
from core.fraud import registry
from core.fraud.config import FraudConfig
from core.fraud.decision import NO_MODEL
from core.fraud.features import INDEX
from core.fraud.labels import Label, record_labels
from core.fraud.replay import memory_replay
from core.fraud.screen import FraudScreen, ScreenInput
from core.fraud.training import train
from core.fraud.txn import DAY, Txn
from core.persistence.models.fraud import FraudAlert, FraudBin, FraudLabel, FraudScore

from .synth import seed_payments, traffic

UTC = timezone.utc


def _input(tx: Txn, account: int = 1, amount: int | None = None) -> ScreenInput:
    return ScreenInput(tx.id, int(tx.card.split(":")[0]), account, 999, tx.counterparty, tx.country,
                       amount if amount is not None else int(round(tx.amount * 100)), "EUR", 2,
                       datetime.fromtimestamp(tx.ts, UTC), tx.channel, tx.device)


def _post(engine, screen: FraudScreen, tx: ScreenInput):  # noqa: ANN001
    """What the ledger does: screen and record in one transaction (a decline records in a fresh one)."""
    with engine.begin() as conn:
        result = screen.screen(conn, tx)
        if result.decision != "decline":
            screen.record(conn, tx, result)
    if result.decision == "decline":
        with engine.begin() as conn:
            screen.record(conn, tx, result)
    return result


def _count(engine, table) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table))


def test_database_state_matches_memory_replay_and_survives_restart(engine):
    txns, _ = traffic(90, cards=5, terminals=4, spacing=5 * 3600)
    expected, _ = memory_replay(txns, None, 7)
    screen = FraudScreen(engine)
    for i, tx in enumerate(txns[:60]):
        result = _post(engine, screen, _input(tx))
        assert np.allclose(result.features, expected[i], rtol=1e-9, atol=1e-9), i
        assert result.model_version is None and NO_MODEL in result.reasons
    restarted = FraudScreen(engine)  # a new process: everything comes from the database
    for i, tx in enumerate(txns[60:], start=60):
        result = _post(engine, restarted, _input(tx))
        assert np.allclose(result.features, expected[i], rtol=1e-9, atol=1e-9), i
    assert _count(engine, FraudScore) == len(txns)


def test_database_state_with_labels_matches_memory_replay(engine):
    """Terminal risk and its fraud run read the same bins on both backends once labels land."""
    txns, frauds = traffic(120, cards=5, terminals=3, spacing=8 * 3600, compromised="T1")
    expected, _ = memory_replay(txns, frauds, 7)
    seed_payments(engine, txns)
    screen = FraudScreen(engine)
    for i, (tx, fraud) in enumerate(zip(txns, frauds)):
        result = _post(engine, screen, _input(tx))
        assert np.allclose(result.features, expected[i], rtol=1e-9, atol=1e-9), i
        if fraud:
            with engine.begin() as conn:
                record_labels(conn, [Label(tx.id, True, "analyst")])
    assert expected[-20:, INDEX["cp_run_frauds"]].max() > 0


def test_rules_decline_and_review_without_a_model(engine):
    config = FraudConfig(blocked_counterparties=frozenset({"EVIL"}), amount_limits={"EUR": 100_000})
    screen = FraudScreen(engine, config=config)
    t0 = 1_700_000_000
    blocked = Txn("blocked", "1:EUR", "EVIL", "FR", 10.0, t0, "card")
    result = _post(engine, screen, _input(blocked))
    assert result.decision == "decline" and result.score >= config.decline_threshold
    assert "counterparty EVIL is on the block list" in result.reasons
    assert _count(engine, FraudBin) == 0  # a declined payment moves no features

    big = Txn("big", "1:EUR", "SHOP", "FR", 2000.0, t0 + 60, "card")
    result = _post(engine, screen, _input(big))
    assert result.decision == "review"
    assert result.reasons[0] == "amount 2,000.00 EUR is over the limit of 1,000.00 EUR"
    with engine.connect() as conn:
        alert = conn.execute(select(FraudAlert)).one()
        scores = dict(conn.execute(select(FraudScore.transfer_id, FraudScore.decision)).all())
    assert (alert.transfer_id, alert.status, alert.decision) == ("big", "open", "review")
    assert json.loads(alert.reasons)[0].startswith("amount 2,000.00 EUR")
    assert scores == {"blocked": "decline", "big": "review"}


def test_screen_uses_the_newest_active_model(engine):
    txns, frauds = traffic(800)
    X, _ = memory_replay(txns, frauds, 7)
    trained = train(X, np.array(frauds, dtype=int), np.array([t.ts for t in txns]), candidates=("logistic",))
    now = datetime.now(UTC)
    screen = FraudScreen(engine)
    probe = Txn("p1", "1:EUR", "T1", "FR", 30.0, txns[-1].ts + 60, "card")
    with engine.begin() as conn:
        assert screen.screen(conn, _input(probe)).model_version is None
    registry.register(engine, trained, actor_name="t", trained_from=now, trained_to=now, label_delay_days=7)
    with engine.begin() as conn:
        assert screen.screen(conn, _input(probe)).model_version == "v1"
    registry.register(engine, trained, actor_name="t", trained_from=now, trained_to=now, label_delay_days=7)
    with engine.begin() as conn:
        result = screen.screen(conn, _input(probe))
    assert result.model_version == "v2" and 0.0 <= result.score <= 1.0 and result.reasons


def test_labels_feed_terminal_risk_only_after_the_delay(engine):
    txns, _ = traffic(40, cards=4, terminals=2, spacing=1800, compromised=None)
    seed_payments(engine, txns)
    screen = FraudScreen(engine)
    for tx in txns:
        _post(engine, screen, _input(tx))
    target = txns[5]
    probe_at = lambda days: Txn(f"p{days}", "1:EUR", target.counterparty, None, 20.0,  # noqa: E731
                                (target.ts // DAY + days) * DAY + 3600, "card")
    with engine.begin() as conn:
        before = screen.screen(conn, _input(probe_at(9))).features
        assert record_labels(conn, [Label(target.id, True, "analyst")]) == 1
        # a fresh transaction sees the label only in windows older than the delay
        assert screen.screen(conn, _input(probe_at(3))).features[INDEX["cp_risk_30d"]] == 0.0
        after = screen.screen(conn, _input(probe_at(9))).features
    assert before[INDEX["cp_risk_30d"]] == 0.0 and after[INDEX["cp_risk_30d"]] > 0.0
    with engine.begin() as conn:  # relabelling as legit takes it back out
        assert record_labels(conn, [Label(target.id, False, "analyst")]) == 1
        assert screen.screen(conn, _input(probe_at(9))).features[INDEX["cp_risk_30d"]] == 0.0


def test_labelling_an_unknown_transfer_writes_nothing(engine):
    txns, _ = traffic(10, cards=2, terminals=2, compromised=None)
    seed_payments(engine, txns)
    with pytest.raises(NotFound):
        with engine.begin() as conn:
            record_labels(conn, [Label(txns[0].id, True), Label("nope", True)])
    assert _count(engine, FraudLabel) == 0 and _count(engine, FraudBin) == 0
