"""The learning loop's steps: labels known in time, the analysts' daily alerts, and a replay in which a
fraud pattern that appears half-way is learnt by the loop and missed by a model trained once."""
from __future__ import annotations

import numpy as np

from core.fraud import loop
from core.fraud.replay import memory_replay
from core.fraud.txn import DAY
from .synth import START, traffic


def test_without_both_classes_the_fit_scores_nothing():
    scorer = loop.fit_classifier("logistic")(np.ones((5, 3)), np.zeros(5, dtype=np.int8), np.arange(5))
    assert scorer(np.ones((2, 3))).tolist() == [0.0, 0.0]


def test_labels_are_known_after_the_delay_or_once_reviewed():
    ts = np.array([0, 2 * DAY, 5 * DAY, 9 * DAY])
    now = 10 * DAY
    assert loop.known_labels(ts, now, delay_days=7).tolist() == [True, True, False, False]
    reviewed = np.array([False, False, True, False])
    assert loop.known_labels(ts, now, delay_days=7, reviewed=reviewed).tolist() == [True, True, True, False]
    assert loop.training_rows(ts, loop.known_labels(ts, now, delay_days=7, reviewed=reviewed), now,
                              window_days=9).tolist() == [False, True, True, False]


def test_analysts_clear_the_top_alerts_of_each_day():
    ts = np.array([0, 10, 20, DAY, DAY + 5, DAY + 9])
    scores = np.array([0.1, 0.9, 0.5, 0.2, 0.3, 0.8])
    assert loop.daily_alerts(scores, ts, 2).tolist() == [False, True, True, False, True, True]
    assert loop.daily_alerts(scores, ts, 1, exclude=scores > 0.85).tolist() == [False, False, True, False, False, True]


def test_the_loop_learns_a_pattern_that_appears_half_way():
    txns, frauds = traffic(7000, cards=40, terminals=20, spacing=700, compromised="T3")
    X, _ = memory_replay(txns, frauds, 7)
    y = np.asarray(frauds, dtype=np.int8)
    ts = np.array([t.ts for t in txns])
    half = int(ts[len(ts) // 2])
    replay = loop.replay_weeks(X, y, ts, start=half - 7 * DAY, weeks=5, delay_days=7, capacity=5,
                               fit=loop.fit_classifier("logistic"), history_start=START)
    assert replay.ap_loop > replay.ap_static + 0.1, replay
    won, of = loop.beats(replay)
    assert won > of / 2 and of >= 4
    assert any(w.reviewed for w in replay.weeks[1:])  # analysts' labels reached the loop before their delay
    assert "loop AP" in loop.weeks_table(replay)[0]


def test_rates_per_channel():
    from core.fraud.features import FEATURE_NAMES, INDEX
    from core.fraud.txn import CHANNELS

    X = np.zeros((6, len(FEATURE_NAMES)))
    X[:3, INDEX["channel"]] = CHANNELS.index("desk")
    y = np.array([0, 0, 1, 0, 1, 1])
    flagged = np.array([True, False, True, False, False, True])
    rates = loop.channel_rates(X, y, flagged)
    assert rates["desk"] == {"normal": 2, "frauds": 1, "false_positive_rate": 0.5, "detection_rate": 1.0}
    assert rates["card"] == {"normal": 1, "frauds": 2, "false_positive_rate": 0.0, "detection_rate": 0.5}
