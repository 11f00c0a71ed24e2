"""Rules, thresholds, and reasons in plain words."""
from __future__ import annotations

import numpy as np
import pytest

from core.errors import ValidationError
from core.fraud import reasons, rules
from core.fraud.config import FraudConfig
from core.fraud.decision import NO_MODEL, assess, decide
from core.fraud.features import FEATURE_NAMES, INDEX
from core.fraud.txn import Txn

TX = Txn("t", "1:EUR", "T7", "FR", 52.0, 1_700_000_000, "card", None)


def _row(**values: float) -> list[float]:
    row = [0.0] * len(FEATURE_NAMES)
    for name, value in values.items():
        row[INDEX[name]] = value
    return row


def test_rules_each_give_their_reason():
    config = FraudConfig(blocked_countries=frozenset({"kp"}), blocked_counterparties=frozenset({"T7"}),
                         amount_limits={"EUR": 5_000}, amount_limit_action="decline", velocity_limit_1h=3)
    hits = rules.check(config, counterparty="T7", country="KP", amount=5_001, currency="EUR", exponent=2,
                       payments_last_hour=4)
    assert [(h.action, h.reason) for h in hits] == [
        ("decline", "counterparty T7 is on the block list"),
        ("decline", "country KP is on the block list"),
        ("decline", "amount 50.01 EUR is over the limit of 50.00 EUR"),
        ("review", "4 payments on this card within an hour (limit 3)"),
    ]
    assert rules.check(config, counterparty="T8", country="FR", amount=5_000, currency="EUR", exponent=2,
                       payments_last_hour=3) == []


def test_thresholds_decide():
    config = FraudConfig(review_threshold=0.3, decline_threshold=0.8)
    assert [decide(s, config) for s in (0.0, 0.29, 0.3, 0.79, 0.8, 1.0)] == [
        "approve", "approve", "review", "review", "decline", "decline"]


@pytest.mark.parametrize("bad", [
    {"review_threshold": 0.9, "decline_threshold": 0.5}, {"label_delay_days": -1},
    {"amount_limits": {"EUR": 0}}, {"velocity_action": "block"}, {"anomaly_weight": 2.0},
])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValidationError):
        FraudConfig(**bad)
    with pytest.raises(ValidationError, match="unknown fraud settings: colour"):
        FraudConfig.from_mapping({"colour": "red"})


def test_without_a_model_the_rules_decide_and_say_so():
    result = assess(None, FraudConfig(), TX, _row(card_n_1h=1), amount=5_200, currency="EUR", exponent=2)
    assert (result.decision, result.score, result.reasons) == ("approve", 0.0, (NO_MODEL,))


def test_reasons_name_the_groups_that_raise_the_score_with_the_transactions_numbers():
    def predict(X: np.ndarray) -> np.ndarray:  # a toy model: risky when amount is far above normal or the terminal is bad
        return np.clip(0.1 * X[:, INDEX["ratio_usual_30d"]] + X[:, INDEX["cp_risk_7d"]], 0, 1)

    row = _row(ratio_usual_30d=5.2, ratio_30d=4.0, card_n_30d=12, cp_risk_7d=0.12, cp_risk_30d=0.05, amount=52.0)
    reference = np.array(_row(ratio_usual_30d=1.0, ratio_30d=1.0, card_n_30d=12, amount=30.0))
    words = reasons.explain(predict, reference, row, TX, "EUR", 3)
    assert words == ["amount 5.2 × this card's 30-day average", "terminal had 12 % fraud over the last 7 days"]


def test_a_payment_hundreds_of_times_the_usual_amount_is_held_whatever_the_model_says():
    """QA: a first 9,500.00 USD desk transfer from a customer whose usual amount was ~16.00 USD (576 times) was
    approved. The usual-ratio rule (a versioned setting) holds it for review; small amounts and ordinary
    ratios pass, and None switches it off."""
    from core.fraud import versions

    desk = Txn("qa", "382:USD", "payee", None, 9_500.0, 1_700_000_000, "desk", None)
    row = _row(ratio_usual_30d=576.0, card_n_30d=12.0)
    held = assess(None, FraudConfig(), desk, row, amount=9_500_00, currency="USD", exponent=2)
    assert held.decision == "review"
    assert "amount 9,500.00 USD is 576 times the customer's usual amount" in held.reasons[0]
    ordinary = _row(ratio_usual_30d=20.0, card_n_30d=12.0)
    assert assess(None, FraudConfig(), desk, ordinary, amount=9_500_00, currency="USD", exponent=2).decision == "approve"
    small = dict(amount=1_999_00, currency="USD", exponent=2)
    assert assess(None, FraudConfig(), desk, row, **small).decision == "approve"  # under the minimum
    off = FraudConfig(usual_ratio_limit=None)
    assert assess(None, off, desk, row, amount=9_500_00, currency="USD", exponent=2).decision == "approve"
    assert versions.plain(FraudConfig())["usual_ratio_limit"] == 100.0
    assert versions.apply(FraudConfig(), {"usual_ratio_limit": 200.0}).usual_ratio_limit == 200.0
    with pytest.raises(ValidationError):
        FraudConfig(usual_ratio_limit=0.5)


class _Toy:
    """A classifier whose probability rises with the amount and with the amount against the usual."""

    def predict(self, X: np.ndarray) -> np.ndarray:  # noqa: N803
        return np.clip(0.00003 * X[:, INDEX["amount"]] + 0.01 * X[:, INDEX["ratio_usual_30d"]], 0, 1)

    def predict_row(self, x: np.ndarray) -> float:
        return float(self.predict(x[None, :])[0])

    def __call__(self, X: np.ndarray) -> np.ndarray:  # noqa: N803
        return self.predict(X)


def test_a_payment_held_by_a_rule_and_the_model_gives_each_reason_once():
    """QA: a payment over the amount limit read "amount 15,000.00 USD is over the limit of 10,000.00 USD" and
    "large amount (15,000.00 USD)": the same thing twice. A rule's reason stands for the model's group that says
    the same (rules.SAME_AS); the model's other reasons stay; no reason is given twice."""
    from types import SimpleNamespace

    model = SimpleNamespace(classifier=_Toy(), anomaly=None, channel_ceiling=None,
                            reference=np.array(_row(amount=30.0, ratio_usual_30d=1.0, card_n_30d=12)))
    desk = Txn("big", "7:USD", "payee", None, 15_000.0, 1_700_000_000, "desk", None)
    row = _row(amount=15_000.0, ratio_usual_30d=40.0, card_n_30d=12)
    config = FraudConfig(amount_limits={"USD": 10_000_00}, usual_ratio_limit=None)
    held = assess(model, config, desk, row, amount=15_000_00, currency="USD", exponent=2)
    assert held.decision in ("review", "decline")
    assert held.reasons[0] == "amount 15,000.00 USD is over the limit of 10,000.00 USD"
    assert not any(r.startswith("large amount") for r in held.reasons), held.reasons
    assert any(r.startswith("amount 40.0 ×") for r in held.reasons), held.reasons  # another fact: it stays
    unlimited = assess(model, FraudConfig(usual_ratio_limit=None), desk, row, amount=15_000_00, currency="USD",
                       exponent=2)
    assert any(r.startswith("large amount (15,000.00 USD)") for r in unlimited.reasons)  # no rule said it
    both = assess(model, FraudConfig(amount_limits={"USD": 10_000_00}, usual_ratio_limit=10.0,
                                     usual_ratio_min_amounts={"USD": 2_000_00}), desk, row,
                  amount=15_000_00, currency="USD", exponent=2)
    assert [r for r in both.reasons if "× " in r and "30-day average" in r] == []  # said by the usual-ratio rule
    assert len(both.reasons) == len(set(both.reasons))
