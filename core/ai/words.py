"""The loop's figures in plain words: feature names a supervisor reads, bin edges with units, recall changes in
points and in frauds caught (the cards' titles, the page's detail and charts, ``qenex ai``). No Qt.
"""
from __future__ import annotations

import math

PSI_MEANING = ("the shift index (PSI, population stability index) says how much this week's values differ from "
               "last week's; above 0.2 is a real shift")
_PERIOD = {"1h": "the last hour", "1d": "the last day", "7d": "the last 7 days", "30d": "the last 30 days",
           "10m": "the last 10 minutes"}

# feature -> (plain name, unit of its values: share, amount, count, ratio, hour, days, flag, score, log, code)
FEATURES: dict[str, tuple[str, str]] = {
    "amount": ("payment amount", "amount"), "log_amount": ("payment amount (log scale)", "log"),
    "hour": ("hour of the day", "hour"), "night": ("payments at night", "flag"),
    "weekend": ("payments at the weekend", "flag"),
    "z_30d": ("how unusual the amount is for the card (30 days)", "ratio"),
    "velocity_10m": ("the card's payments in the last 10 minutes", "count"),
    "log_secs_since_last": ("time since the card's previous payment (log scale)", "log"),
    "new_counterparty": ("payments to a new payee", "flag"), "new_device": ("payments from a new device", "flag"),
    "card_known_frauds": ("confirmed frauds on the card", "count"),
    "ratio_usual_30d": ("payment size against the card's usual payment (30 days)", "ratio"),
    "card_max_ratio_7d": ("the card's largest payment against its usual (7 days)", "ratio"),
    "cp_first_fraud_age": ("days since the payee's first fraud", "days"),
    "cp_last_fraud_age": ("days since the payee's latest fraud", "days"),
    "cp_streak_fraud_share": ("fraud share of the payee's recent payments", "share"),
    "cp_n_after_last_fraud": ("the payee's payments since its latest fraud", "count"),
    "country_n_30d": ("payments to the country in the last 30 days", "count"),
    "country_risk_30d": ("the country's fraud share over the last 30 days", "share"),
    "channel": ("payment channel", "code"), "score": ("the model's fraud score", "score"),
}
for _p in ("1h", "1d", "7d", "30d"):
    FEATURES[f"card_n_{_p}"] = (f"the card's payments in {_PERIOD[_p]}", "count")
    FEATURES[f"card_sum_{_p}"] = (f"amount the card paid in {_PERIOD[_p]}", "amount")
for _p in ("1d", "7d", "30d"):
    FEATURES[f"card_avg_{_p}"] = (f"the card's average payment over {_PERIOD[_p]}", "amount")
    FEATURES[f"ratio_{_p}"] = (f"payment size against the card's average over {_PERIOD[_p]}", "ratio")
    FEATURES[f"cp_n_{_p}"] = (f"the payee's payments in {_PERIOD[_p]}", "count")
    FEATURES[f"cp_risk_{_p}"] = (f"the payee's fraud share over {_PERIOD[_p]}", "share")
for _p in ("7d", "30d"):
    FEATURES[f"card_outliers_{_p}"] = (f"unusually large payments on the card in {_PERIOD[_p]}", "count")


def feature(name: str) -> str:
    """``country_risk_30d`` -> "the country's fraud share over the last 30 days" (unknown names as they are)."""
    return FEATURES.get(name, (name.replace("_", " "), ""))[0]


def unit(name: str) -> str:
    return FEATURES.get(name, (name, ""))[1]


def value(v: float, unit_: str, extra: int = 0) -> str:
    """One value in its unit, short enough for a chart's axis: 81k, 1.2M, 35 %, 2.5×, 14:00, 3 d.

    ``extra`` more digits where two neighbouring values would otherwise read the same (``bins``)."""
    if unit_ == "share":
        digits = (0 if abs(v) >= 0.1 or v == 0 else 1) + extra
        return f"{v * 100:.{digits}f} %"
    if unit_ == "amount":
        for size, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
            if abs(v) >= size:
                return f"{v / size:.{3 + extra}g}{suffix}"
        return f"{v:.{3 + extra}g}"
    if unit_ == "count":
        return f"{v:,.{extra}f}" if abs(v) >= 10 else f"{v:.{3 + extra}g}"
    if unit_ == "ratio":
        return f"{v:.{2 + extra}g}×"
    if unit_ == "hour":
        return f"{int(v) % 24:02d}:{int(round(v % 1 * 60)) % 60:02d}" if extra else f"{int(v) % 24:02d}:00"
    if unit_ == "days":
        return f"{v:.{extra}f} d"
    if unit_ == "log":
        return value(math.expm1(v) if v < 50 else v, "amount", extra)
    return f"{v:.{3 + extra}g}"


def bins(name: str, edges: list[float]) -> list[str]:
    """Readable labels of the bins that ``edges`` cut: "under 81k", "81k–120k", …, "2.1M and over"; with as
    many digits as it takes for different edges to read differently (no "0.5 %–0.5 %"). Two edges that are
    the same as stored (rounded) cut a narrow bin around that value: "about 0.50 %"."""
    u = unit(name)
    if not edges:
        return ["all"]
    distinct = sorted(set(edges))
    for extra in range(4):
        if len({value(e, u, extra) for e in distinct}) == len(distinct):
            break
    shown = [value(e, u, extra) for e in edges]
    out = [f"under {shown[0]}"]
    out += [f"about {a}" if ea == eb else f"{a}–{b}" for a, b, ea, eb in zip(shown, shown[1:], edges, edges[1:])]
    return out + [f"{shown[-1]}+"]


def fraction(r: float) -> str:
    """A relative change in words: 0.26 -> "about a quarter", 0.5 -> "about half", 0.12 -> "about 12 %"."""
    r = abs(r)
    for low, high, words in ((0.22, 0.28, "about a quarter"), (0.3, 0.37, "about a third"),
                             (0.45, 0.55, "about half"), (0.95, 1.05, "about twice as many")):
        if low <= r < high:
            return words
    return f"about {r * 100:.0f} %"


def recall_change(old: float | None, new: float | None) -> str:
    """"recall 65 % → 47 % (-18 points): about a quarter fewer frauds caught" (percentage points, and the
    relative change in frauds caught)."""
    if old is None or new is None:
        return "recall unknown (no labelled fraud in the shadow run)"
    points = round((new - old) * 100)
    head = f"recall {old * 100:.0f} % → {new * 100:.0f} % ({points:+d} points)"
    if points == 0 or old == 0:
        return head + (": about as many frauds caught" if points == 0 else "")
    rel = (new - old) / old
    more = "fewer" if rel < 0 else "more"
    words = fraction(rel)
    if words == "about twice as many" and rel > 0:
        return f"{head}: about twice as many frauds caught"
    if words == "about half" and rel < 0:
        return f"{head}: about half as many frauds caught"
    if words in ("about half", "about twice as many"):  # "about half more" reads oddly
        words = f"about {abs(rel) * 100:.0f} %"
    return f"{head}: {words} {more} frauds caught"


def percent(v: float | None) -> str:
    """A share as a percentage with one decimal below 10 % (7.5 %, 65 %); "n/a" when undefined."""
    if v is None:
        return "n/a"
    return f"{v * 100:.1f} %" if 0 < abs(v) < 0.1 else f"{v * 100:.0f} %"


STATUS = {"open": "open", "accepted": "accepted", "rejected": "rejected", "rolled_back": "rolled back",
          "superseded": "superseded by a later run"}


def change(kind: str, values: dict) -> str:
    """What accepting a card applies, in words: "make model v2 the active model", "block list: C1775"."""
    if kind == "drift":
        return "a retrain now (nothing else changes)"
    if kind == "promote" and "model" in values:
        return f"make model v{values['model']} the one that scores every payment"
    parts = []
    for key, v in (values.get("settings") or {}).items():
        if key == "review_threshold":
            parts.append(f"review threshold {v:.2f}")
        elif key == "blocked_counterparties":
            parts.append("block list: " + (", ".join(v) if v else "empty"))
        elif key == "velocity_limit_1h":
            parts.append(f"velocity limit {v} payments an hour per customer")
        elif key == "amount_limits":
            from core.fraud.rules import _major
            from core.ledger.money import exponent

            parts.append("amount limits: " + ", ".join(f"{_major(amount, exponent(cur))} {cur}"
                                                      for cur, amount in v.items()))
        else:
            parts.append(f"{key.replace('_', ' ')} {v}")
    return "; ".join(parts) or "nothing"


def channels(fpr: dict | None) -> str:
    """False-positive rate per channel: "card 0.4 %, atm 1.2 %"."""
    return ", ".join(f"{ch} {percent(v)}" for ch, v in sorted((fpr or {}).items())) or "n/a"


def shadow(sh: dict, arrow: str = "→") -> str:
    """A shadow run's evidence in one sentence (``sh``: days, payments, frauds, current and proposed alerts and
    declines a day and recall), with one arrow (→) on the page and the command line alike."""
    from core.words import counted

    cur, new = sh["current"], sh["proposed"]
    return (f"shadow run over the last {counted(sh['days'], 'day')} ({counted(sh['payments'], 'payment')}, "
            f"{counted(sh['frauds'], 'fraud')}): alerts a day {cur['alerts_per_day']:g} {arrow} "
            f"{new['alerts_per_day']:g}, declines a day {cur['declines_per_day']:g} {arrow} "
            f"{new['declines_per_day']:g}; {recall_change(cur['recall'], new['recall'])}")
