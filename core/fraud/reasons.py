"""Plain-words reasons for a score.

Features are grouped by what a person would name ("amount against the card's normal", "terminal
risk"). A group's weight is how much the model's probability drops when the group's features take
their typical legitimate values (all variants scored in one batch). The strongest groups are then
written out with the transaction's own numbers, in the words of the channel's staff: a card payment
is made with "this card" at a "terminal"; a desk or online transfer is made by "this customer" to a
"beneficiary" (the features follow the paying customer whatever the channel).
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from core.fraud.features import INDEX
from core.fraud.txn import Txn
from core.words import counted, duration

Row = list[float]

GROUPS: dict[str, tuple[str, ...]] = {
    "amount_vs_card": ("ratio_1d", "ratio_7d", "ratio_30d", "ratio_usual_30d", "z_30d"),
    "large_amount": ("amount", "log_amount"),
    "card_outliers": ("card_outliers_7d", "card_outliers_30d", "card_max_ratio_7d"),
    "card_activity": ("card_n_1d", "card_n_7d", "card_n_30d", "card_sum_1d", "card_sum_7d", "card_sum_30d",
                      "card_avg_1d", "card_avg_7d", "card_avg_30d"),
    "velocity": ("card_n_1h", "card_sum_1h", "velocity_10m", "log_secs_since_last"),
    "counterparty_risk": ("cp_n_1d", "cp_n_7d", "cp_n_30d", "cp_risk_1d", "cp_risk_7d", "cp_risk_30d",
                          "cp_first_fraud_age", "cp_last_fraud_age", "cp_streak_fraud_share", "cp_n_after_last_fraud",
                          "cp_run_age", "cp_run_gap_days", "cp_run_max_age", "cp_run_frauds", "cp_run_avg_amount",
                          "cp_run_amount_ratio",
                          "cp_fraud_day_avg_amount", "cp_fraud_day_amount_ratio",
                          "cp_run_max_card_ratio", "cp_fraud_day_max_card_ratio"),
    "new_counterparty": ("new_counterparty",),
    "new_device": ("new_device",),
    "known_fraud": ("card_known_frauds",),
    "time": ("hour", "night", "weekend"),
    "country": ("country_n_30d", "country_risk_30d"),
    "channel": ("channel",),
}
_COLUMNS = {g: np.array([INDEX[f] for f in fs]) for g, fs in GROUPS.items()}
_GROUP_COLUMNS = tuple(tuple(int(c) for c in cols) for cols in _COLUMNS.values())
MIN_WEIGHT = 0.01


def _v(row: Row, name: str) -> float:
    return row[INDEX[name]]


CARD_CHANNELS = ("card", "atm")
CHANNEL_WORDS = {"card": "card payment", "atm": "cash machine withdrawal", "desk": "transfer at the branch desk",
                 "online": "online banking transfer", "mobile": "mobile banking transfer", "transfer": "bank transfer",
                 "batch": "batch payment"}


def _who(tx: Txn) -> str:
    """Whom the payment goes to, as the channel's staff say it."""
    return "terminal" if tx.channel in CARD_CHANNELS else "beneficiary"


def payer(channel: str) -> str:
    """Whose habits the features follow, as the channel's staff say it: "this card" or "this customer"."""
    return "this card" if channel in CARD_CHANNELS else "this customer"


def payments_of(channel: str) -> str:
    """"payments on this card" / "payments by this customer"."""
    return "payments on this card" if channel in CARD_CHANNELS else "payments by this customer"


def counted_payments(n: float, channel: str, kind: str = "") -> str:
    """``n`` payments of the channel's payer, in the right number (``core.words``): "1 payment on this card",
    "3 payments by this customer", with ``kind`` before the noun ("2 unusually large payments ...")."""
    return f"{counted(n, f'{kind} payment' if kind else 'payment')} {payments_of(channel).partition(' ')[2]}"


def _counterparty_risk(row: Row, tx: Txn, currency: str) -> str:
    windows = [(_v(row, "cp_risk_1d"), "day"), (_v(row, "cp_risk_7d"), "7 days"), (_v(row, "cp_risk_30d"), "30 days")]
    risk, window = max(windows, key=lambda w: w[0])
    if risk <= 0:
        return f"{_who(tx)} has no confirmed fraud yet"
    return f"{_who(tx)} had {risk * 100:.0f} % fraud over the last {window}"


def _velocity(row: Row, tx: Txn, currency: str) -> str:
    fast = int(_v(row, "velocity_10m"))
    if fast:
        return f"{counted_payments(fast + 1, tx.channel)} within 10 minutes ({int(_v(row, 'card_n_1h'))} within the hour)"
    secs = math.expm1(_v(row, "log_secs_since_last"))
    return f"{counted_payments(int(_v(row, 'card_n_1h')), tx.channel)} within the hour, previous {duration(secs)} ago"


def _time(row: Row, tx: Txn, currency: str) -> str:
    hours = _v(row, "hour")
    when = f"at {int(hours):02d}:{int(hours * 60) % 60:02d} UTC"
    if _v(row, "night"):
        when += ", at night"
    if _v(row, "weekend"):
        when += ", on a weekend"
    return when


def _country(row: Row, tx: Txn, currency: str) -> str:
    where = "terminal country" if tx.channel in CARD_CHANNELS else "beneficiary country"
    if tx.country:
        return f"{where} {tx.country} had {_v(row, 'country_risk_30d') * 100:.1f} % fraud over 30 days"
    return f"no {where} given"


TEMPLATES: dict[str, Callable[[Row, Txn, str], str]] = {
    "amount_vs_card": lambda r, tx, c: (
        f"amount {_v(r, 'ratio_usual_30d') or _v(r, 'ratio_30d'):.1f} × {payer(tx.channel)}'s 30-day average"
        if _v(r, "card_n_30d") > 1 else f"first {payments_of(tx.channel).replace('payments', 'payment', 1)} in 30 days"),
    "large_amount": lambda r, tx, c: f"large amount ({_v(r, 'amount'):,.2f} {c})",
    "card_outliers": lambda r, tx, c: (
        f"{counted_payments(int(_v(r, 'card_outliers_7d')), tx.channel, 'unusually large')} in the last 7 days "
        f"(up to {_v(r, 'card_max_ratio_7d'):.1f} × the usual)"),
    "card_activity": lambda r, tx, c: (
        f"{counted_payments(int(_v(r, 'card_n_1d')), tx.channel)} in 24 hours, {int(_v(r, 'card_n_7d'))} in 7 days"),
    "velocity": _velocity,
    "counterparty_risk": _counterparty_risk,
    "new_counterparty": lambda r, tx, c: f"first payment from {payer(tx.channel)} to this {_who(tx)}",
    "new_device": lambda r, tx, c: "first payment of this customer from this device",
    "known_fraud": lambda r, tx, c: (
        f"{payer(tx.channel).removeprefix('this ')} had {counted(int(_v(r, 'card_known_frauds')), 'confirmed fraud')} in 30 days"),
    "time": _time,
    "country": _country,
    "channel": lambda r, tx, c: CHANNEL_WORDS.get(tx.channel, f"channel {tx.channel}"),
}


def ranked_groups(predict: Callable[[np.ndarray], np.ndarray], reference: np.ndarray, row: Row,
                  top: int) -> list[str]:
    """The keys of GROUPS (at most ``top``) that raise the probability by at least MIN_WEIGHT, strongest first.

    ``predict``: P(fraud) per row of a matrix, or a compiled ``Classifier`` (core.fraud.compiled), whose
    ``group_predict`` scores the variants by walking again only the trees a group's columns change."""
    key = (id(predict), id(reference), tuple(row), top)
    last = _last[0]
    if last is not None and last[0] == key:  # the same payment again (its alert's rule keys after its reasons)
        return list(last[1])
    ranked = _ranked(predict, reference, row, top)
    _last[0] = (key, tuple(ranked), predict, reference)  # holding both: their ids cannot be reused meanwhile
    return ranked


_last: list = [None]  # ranked_groups' last answer (one tuple, replaced whole: safe across threads)


def _ranked(predict: Callable[[np.ndarray], np.ndarray], reference: np.ndarray, row: Row, top: int) -> list[str]:
    x = np.asarray(row, dtype=np.float64)
    if getattr(predict, "forest", None) is not None and predict.predict_row(x) < MIN_WEIGHT:
        # a compiled forest's probability of the row, the same bits as group_predict's (its last row is kept, so
        # this costs nothing after the score): under MIN_WEIGHT, no variant (a probability, >= 0) can lower it
        # by MIN_WEIGHT, so no group is named; a third of the desk's payments skip the variants
        return []
    if hasattr(predict, "group_predict"):  # a compiled classifier: only the trees a group changes are walked again
        p0, p = predict.group_predict(x, reference, _GROUP_COLUMNS)
    else:
        variants = np.repeat(x[None, :], len(_COLUMNS) + 1, axis=0)
        for i, cols in enumerate(_COLUMNS.values(), start=1):
            variants[i, cols] = reference[cols]
        p = predict(variants)
        p0, p = p[0], p[1:]
    weights = p0 - p
    order = np.argsort(-weights)
    names = list(_COLUMNS)
    return [names[i] for i in order[:top] if weights[i] >= MIN_WEIGHT]


def explain(predict: Callable[[np.ndarray], np.ndarray], reference: np.ndarray, row: Row, tx: Txn,
            currency: str, top: int, said: frozenset[str] = frozenset()) -> list[str]:
    """The ``top`` feature groups that raise the probability most, in plain words; the groups in ``said`` are
    left out (a rule that hit already gives that reason, ``core.fraud.rules.said_by``)."""
    return [TEMPLATES[name](row, tx, currency) for name in ranked_groups(predict, reference, row, top)
            if name not in said]
