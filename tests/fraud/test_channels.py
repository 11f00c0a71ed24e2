"""Per channel: the score's scale, the normal-traffic ceilings a model learns, and the staff's words."""
from __future__ import annotations

import numpy as np
import pytest

from core.fraud import reasons, registry, rules
from core.fraud.config import FraudConfig
from core.fraud.decision import anomaly_words, nothing_unusual, on_channel_scale
from core.fraud.features import FEATURE_NAMES, INDEX
from core.fraud.replay import memory_replay
from core.fraud.training import train
from core.fraud.txn import CHANNELS, Txn
from .synth import traffic

DESK = Txn("d", "1:USD", "40012345", None, 1_000.0, 1_700_000_000, "desk", None)
CARD = Txn("c", "1:USD", "T7", "US", 52.0, 1_700_000_000, "card", None)


def _row(**values: float) -> list[float]:
    row = [1.0] * len(FEATURE_NAMES)
    for name, value in values.items():
        row[INDEX[name]] = value
    return row


def test_a_desk_transfer_is_described_in_the_tellers_words():
    row = _row(card_n_30d=12, velocity_10m=2, card_n_1h=3, cp_risk_7d=0.2)
    for name, template in reasons.TEMPLATES.items():
        desk = template(row, DESK, "USD")
        assert "card" not in desk and "terminal" not in desk, (name, desk)
    assert reasons.TEMPLATES["new_counterparty"](row, DESK, "USD") == "first payment from this customer to this beneficiary"
    assert reasons.TEMPLATES["velocity"](row, DESK, "USD").startswith("3 payments by this customer within 10 minutes")
    assert reasons.TEMPLATES["channel"](row, DESK, "USD") == "transfer at the branch desk"
    assert reasons.TEMPLATES["country"](row, DESK, "USD") == "no beneficiary country given"
    assert nothing_unusual("desk") == "nothing unusual for this customer"
    assert anomaly_words("desk", 0.3) == "unusual pattern for this customer (anomaly 0.30 above normal traffic)"
    hit, = rules.check(FraudConfig(velocity_limit_1h=2), counterparty=None, country=None, amount=1, currency="USD",
                       exponent=2, payments_last_hour=3, channel="desk")
    assert hit.reason == "3 payments by this customer within an hour (limit 2)"


def test_a_card_payment_keeps_the_card_words():
    row = _row(card_n_30d=12, velocity_10m=2, card_n_1h=3, cp_risk_1d=0.0, cp_risk_7d=0.2, cp_risk_30d=0.1)
    assert reasons.TEMPLATES["new_counterparty"](row, CARD, "USD") == "first payment from this card to this terminal"
    assert reasons.TEMPLATES["velocity"](row, CARD, "USD").startswith("3 payments on this card within 10 minutes")
    assert reasons.TEMPLATES["counterparty_risk"](row, CARD, "USD") == "terminal had 20 % fraud over the last 7 days"
    assert nothing_unusual("card") == "nothing unusual for this card"


def test_the_channel_scale_puts_the_normal_ceiling_on_the_review_threshold():
    p = np.linspace(0, 1, 101)
    review = 0.5
    scaled = on_channel_scale(p, np.full(101, 0.8), review)
    assert np.all(np.diff(scaled) >= 0) and scaled[0] == 0 and scaled[-1] == pytest.approx(1.0)
    assert scaled[80] == pytest.approx(review)  # the channel's normal ceiling reaches review, nothing below it
    assert (scaled[:80] < review).all() and (scaled[81:] > review).all()
    # a channel whose normal traffic stays under the threshold anyway keeps its probabilities
    assert np.array_equal(on_channel_scale(p, np.full(101, 0.3), review), p)


def test_training_learns_a_ceiling_per_channel_and_the_registry_keeps_it():
    txns, frauds = traffic(3000, cards=30)
    # the same kind of traffic at the desk, with larger amounts than the cards' purchases
    txns = [Txn(t.id, t.card, t.counterparty, t.country, t.amount * (8 if i % 4 == 0 else 1), t.ts,
                "desk" if i % 4 == 0 else "card", t.device) for i, t in enumerate(txns)]
    X, _ = memory_replay(txns, frauds, 7)
    y = np.asarray(frauds, dtype=np.int8)
    trained = train(X, y, np.array([t.ts for t in txns]), candidates=("logistic",))
    assert trained.channel_ceiling.shape == (len(CHANNELS) + 1,) and trained.channel_floor.shape == (len(CHANNELS) + 1,)
    assert {"normal_ceiling_card", "normal_ceiling_desk"} <= set(trained.metrics)
    bundle = registry.loads(registry.dumps(trained))
    assert np.array_equal(bundle["channel_ceiling"], trained.channel_ceiling)
    assert np.array_equal(bundle["channel_floor"], trained.channel_floor)
