"""Features are honest about time and the incremental state equals a recomputation from scratch."""
from __future__ import annotations

import math

import pytest

from core.fraud import features
from core.fraud.features import INDEX
from core.fraud.replay import memory_replay
from core.fraud.state import MemoryStore
from core.fraud.txn import DAY, HOUR, QUARTER, Txn
from .synth import START, traffic

DELAY = 7


def _reference(txns: list[Txn], frauds: list[bool], i: int, ratios: list[float]) -> dict[str, float]:
    """Brute force over the raw history with the same bin definitions the online code documents
    (``ratios``: each payment's own ratio_usual_30d, checked elsewhere)."""
    tx = txns[i]
    q, h, d = tx.ts // QUARTER, tx.ts // HOUR, tx.ts // DAY
    prior = txns[:i]
    mine = [t for t in prior if t.card == tx.card]
    n_1h = 1 + sum(1 for t in mine if 0 <= q - t.ts // QUARTER < 12)
    n_1d = 1 + sum(1 for t in mine if 0 <= h - t.ts // HOUR < 24)
    n_7d = 1 + sum(1 for t in mine if 0 <= d - t.ts // DAY < 7)
    in30 = [t.amount for t in mine if 0 <= d - t.ts // DAY < 30]
    top = d - DELAY - 1
    at_cp = [(t, f) for t, f in zip(prior, frauds) if t.counterparty == tx.counterparty]
    in7 = [(t, f) for t, f in at_cp if 0 <= top - t.ts // DAY < 7]
    known = sum(1 for t, f in zip(prior, frauds) if f and t.card == tx.card and 0 <= top - t.ts // DAY < 30)
    return {
        "card_n_1h": n_1h, "card_n_1d": n_1d, "card_n_7d": n_7d, "card_n_30d": 1 + len(in30),
        "card_sum_30d": sum(in30) + tx.amount,
        "ratio_30d": tx.amount * len(in30) / sum(in30) if in30 else 0.0,
        "cp_n_7d": len(in7), "cp_risk_7d": sum(f for _, f in in7) / len(in7) if in7 else 0.0,
        "card_known_frauds": known,
        "new_counterparty": 0.0 if any(t.counterparty == tx.counterparty for t in mine) else 1.0,
        "log_secs_since_last": math.log1p(tx.ts - mine[-1].ts) if mine else math.log1p(features.NO_HISTORY_SECS),
        **_run_reference([(t, f, r) for t, f, r in zip(prior, frauds, ratios) if t.counterparty == tx.counterparty],
                         d, top),
    }


def _run_reference(at_cp: list[tuple[Txn, bool, float]], d: int, top: int) -> dict[str, float]:
    """The latest run of all-fraud days at the counterparty, restated from its raw payments and labels."""
    days: dict[int, tuple[int, float, int]] = {}
    most: dict[int, float] = {}
    for t, f, r in at_cp:
        s = t.ts // DAY
        if 0 <= top - s < 30:
            n, a, k = days.get(s, (0, 0.0, 0))
            days[s] = (n + 1, a + t.amount, k + int(f))
            most[s] = max(most.get(s, 0.0), r)
    fraud_days = [s for s, v in days.items() if v[2]]
    if not fraud_days:
        return {"cp_run_age": 99.0, "cp_run_gap_days": 99.0, "cp_run_max_age": 99.0, "cp_run_frauds": 0.0,
                "cp_run_avg_amount": 0.0, "cp_fraud_day_avg_amount": 0.0, "cp_run_max_card_ratio": 0.0,
                "cp_fraud_day_max_card_ratio": 0.0}
    last = max(fraud_days)
    all_fraud = {s for s, (n, _, k) in days.items() if k == n}
    if last in all_fraud:
        earlier = sorted((s for s in days if s <= last), reverse=True)
        legit = next((s for s in earlier if s not in all_fraud), top - 30)
        run = [s for s in earlier if s > legit]
        start, frauds = min(run), sum(days[s][0] for s in run)
        avg, run_ratio = sum(days[s][1] for s in run) / frauds, max(most[s] for s in run)
    else:
        start = legit = last
        frauds, avg, run_ratio = days[last][2], 0.0, 0.0
    full = [days[s] for s in all_fraud]
    return {"cp_run_age": d - start, "cp_run_gap_days": start - legit, "cp_run_max_age": max(d - legit - 1, d - start),
            "cp_run_frauds": frauds, "cp_run_avg_amount": avg,
            "cp_fraud_day_avg_amount": sum(v[1] for v in full) / sum(v[0] for v in full) if full else 0.0,
            "cp_run_max_card_ratio": run_ratio,
            "cp_fraud_day_max_card_ratio": max((most[s] for s in all_fraud), default=0.0)}


def test_incremental_state_equals_recomputation():
    txns, frauds = traffic(1500, cards=12, terminals=8, spacing=1800)
    X, _ = memory_replay(txns, frauds, DELAY)
    for i in range(0, len(txns), 37):
        for name, value in _reference(txns, frauds, i, X[:, INDEX["ratio_usual_30d"]].tolist()).items():
            assert X[i, INDEX[name]] == pytest.approx(value, rel=1e-9, abs=1e-9), (i, name)


def test_the_fraud_run_sees_a_compromised_terminal_and_a_single_fraud_apart():
    txns, frauds = traffic(1500, cards=12, terminals=8, spacing=1800)
    X, _ = memory_replay(txns, frauds, DELAY)
    late = [i for i, tx in enumerate(txns) if tx.ts >= txns[-1].ts - 3 * DAY]
    at_t3 = [i for i in late if txns[i].counterparty == "T3"]
    elsewhere = [i for i in late if txns[i].counterparty != "T3" and X[i, INDEX["cp_run_frauds"]] > 0]
    assert at_t3 and elsewhere
    assert all(X[i, INDEX["cp_run_frauds"]] >= 5 for i in at_t3)  # every payment there is fraud, day after day
    assert all(X[i, INDEX["cp_fraud_day_amount_ratio"]] < 2 for i in at_t3)  # at the terminal's usual amounts
    assert max(X[i, INDEX["cp_run_frauds"]] for i in elsewhere) <= 2


def test_features_never_see_the_future():
    txns, frauds = traffic(1200)
    X_full, _ = memory_replay(txns, frauds, DELAY)
    X_head, _ = memory_replay(txns[:700], frauds[:700], DELAY)
    assert (X_full[:700] == X_head).all()


def test_a_label_younger_than_the_delay_does_not_move_terminal_risk():
    card, terminal = "1:EUR", "T9"
    older = Txn("a", card, terminal, None, 20.0, START, "card")
    store = MemoryStore(DELAY)
    for k in range(3):
        store.add_transaction(Txn(f"b{k}", "2:EUR", terminal, None, 10.0, START + k * HOUR, "card"), [0.0] * 64)
    store.add_transaction(older, [0.0] * 64)
    store.add_label(older, +1)
    risk_index = INDEX["cp_risk_30d"]

    def risk_at(ts: int) -> float:
        tx = Txn("now", "3:EUR", terminal, None, 10.0, ts, "card")
        return features.compute(store.snapshot(tx), tx, DELAY)[risk_index]

    assert risk_at(START + (DELAY - 1) * DAY) == 0.0  # the fraud happened 6 days ago: not yet known
    assert risk_at(START + DELAY * DAY + 12 * HOUR) == 0.0  # its day has not ended `delay` days ago
    assert risk_at(START + (DELAY + 1) * DAY) == pytest.approx(0.25)  # 1 fraud of 4 payments that day


def test_withdrawn_label_restores_risk():
    txns, frauds = traffic(400, compromised=None)
    store = MemoryStore(DELAY)
    for tx in txns:
        store.add_transaction(tx, features.compute(store.snapshot(tx), tx, DELAY))
    later = Txn("later", "99:EUR", txns[10].counterparty, None, 5.0, txns[10].ts + 9 * DAY, "card")
    before = features.compute(store.snapshot(later), later, DELAY)
    store.add_label(txns[10], +1)
    assert features.compute(store.snapshot(later), later, DELAY) != before
    store.add_label(txns[10], -1)
    assert features.compute(store.snapshot(later), later, DELAY) == before


def test_amount_against_the_cards_own_normal():
    store = MemoryStore(DELAY)
    for k in range(10):
        tx = Txn(f"n{k}", "5:EUR", "T1", None, 20.0, START + k * DAY, "card")
        store.add_transaction(tx, features.compute(store.snapshot(tx), tx, DELAY))
    big = Txn("big", "5:EUR", "T2", None, 100.0, START + 10 * DAY, "card")
    row = features.compute(store.snapshot(big), big, DELAY)
    assert row[INDEX["ratio_30d"]] == pytest.approx(5.0)
    assert row[INDEX["ratio_usual_30d"]] == pytest.approx(5.0)
    assert row[INDEX["new_counterparty"]] == 1.0
    assert features.is_outlier(row)
