"""The loop's measures on hand-made arrays, the schedule's setting, and versioned settings."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from core.ai import metrics, runs
from core.errors import ConfigurationError, ValidationError
from core.fraud import versions
from core.fraud.config import FraudConfig
from core.persistence.base import utcnow


def test_card_precision_at_k_ranks_cards_by_their_highest_score_per_day():
    y = np.array([1, 0, 0, 0, 1, 0])
    s = np.array([0.9, 0.8, 0.1, 0.7, 0.6, 0.2])
    day = np.array([0, 0, 0, 1, 1, 1])
    card = np.array(["a", "a", "b", "a", "b", "c"])
    # day 0: a (0.9, fraud), b -> top 1 = a: 1/1; day 1: a (0.7, genuine) -> 0/1
    assert metrics.card_precision_at_k(y, s, day, card, 1) == 0.5
    assert metrics.card_precision_at_k(y, s, day, card, 2) == pytest.approx((1 / 2 + 1 / 2) / 2)


def test_recall_at_capacity_and_thresholds():
    y = np.array([1, 0, 1, 0, 0, 1])
    s = np.array([0.9, 0.8, 0.3, 0.95, 0.1, 0.5])
    day = np.array([0, 0, 0, 1, 1, 1])
    assert metrics.recall_at_capacity(y, s, day, 1) == pytest.approx(1 / 3)
    assert metrics.recall_at_capacity(y, s, day, 2) == pytest.approx(2 / 3)
    assert metrics.recall_at_capacity(np.zeros(3), s[:3], day[:3], 1) is None
    t = metrics.threshold_for_capacity(s, days=3, capacity=1)
    assert np.sum(s >= t) <= 3 and t == 0.8
    fpr = metrics.fpr_by_channel(y, s, np.array(["desk", "desk", "card", "card", "card", "desk"]), 0.5)
    assert fpr == {"card": 0.5, "desk": 1.0}


def test_psi_is_zero_for_the_same_population_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, 5000)
    assert metrics.psi(a, rng.normal(0, 1, 5000)) < 0.02
    assert metrics.psi(a, rng.normal(1, 1, 5000)) > 0.2
    assert metrics.psi(a, np.array([])) is None


def test_update_frequency_setting():
    assert runs.update_frequency({}) == 3600
    assert runs.update_frequency({"QENEX_MODEL_UPDATE_FREQUENCY": "900"}) == 900
    for bad in ("0", "abc", "1.5", "-60", "99999999"):
        with pytest.raises(ConfigurationError, match="QENEX_MODEL_UPDATE_FREQUENCY"):
            runs.update_frequency({"QENEX_MODEL_UPDATE_FREQUENCY": bad})


def test_schedule_is_due_once_per_period_and_one_run_at_a_time(sqlite_engine):
    now = utcnow()
    with sqlite_engine.connect() as conn:
        assert runs.due(conn, now, 3600)
    run_id = runs.start(sqlite_engine, "scheduler", "schedule", now)
    with pytest.raises(runs.RunInProgress, match=f"#{run_id}, started by scheduler"):
        runs.start(sqlite_engine, "sam", "demand", now + timedelta(minutes=5))
    with sqlite_engine.connect() as conn:
        assert not runs.due(conn, now + timedelta(hours=1, minutes=1), 3600)  # still running
        assert runs.due(conn, now + timedelta(hours=3), 3600)  # abandoned
    later = runs.start(sqlite_engine, "sam", "demand", now + timedelta(hours=3))
    with sqlite_engine.connect() as conn:
        assert runs.last_run(conn)["id"] == later
        assert not runs.due(conn, now + timedelta(hours=3, minutes=10), 3600)


def test_settings_versions_apply_over_the_base_and_refuse_bad_values(sqlite_engine):
    base = FraudConfig()
    with sqlite_engine.begin() as conn:
        v1 = versions.save(conn, base, {"review_threshold": 0.4}, by="sam")
        v2 = versions.save(conn, versions.current(conn, base), {"velocity_limit_1h": 30}, by="sam")
        now = versions.current(conn, base)
        assert (now.review_threshold, now.velocity_limit_1h) == (0.4, 30)
        versions.activate(conn, v1)
        assert versions.current(conn, base).velocity_limit_1h == base.velocity_limit_1h
        versions.activate(conn, None)
        assert versions.current(conn, base) == base
        assert [v.version for v in versions.list_versions(conn)] == [v2, v1]
    with sqlite_engine.begin() as conn:
        with pytest.raises(ValidationError, match="review <= decline"):
            versions.save(conn, base, {"review_threshold": 0.95}, by="sam")
        with pytest.raises(ValidationError, match="cannot be versioned"):
            versions.save(conn, base, {"label_delay_days": 3}, by="sam")


def test_a_young_bank_is_evaluated_on_the_last_third_of_its_history(sqlite_engine):
    from core.ai import dataset
    from core.ai.evaluate import window
    from core.fraud.txn import DAY
    from tests.fraud.synth import seed_payments, traffic

    txns, frauds = traffic(900, spacing=900)  # about 9 days
    seed_payments(sqlite_engine, txns, frauds)
    with sqlite_engine.connect() as conn:
        data = dataset.load(conn, 7)
    start, end = window(data, None)
    span = end - int(data.ts.min())
    assert abs((end - start) - span / 3) <= 1 and 3 * DAY <= end - start < 4 * DAY
