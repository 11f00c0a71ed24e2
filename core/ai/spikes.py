"""Terminals (counterparties) whose confirmed fraud has spiked: the last week against the month before.

A spike: at least MIN_FRAUDS labelled frauds in the last 7 days, and a fraud share of at least SHARE and
at least RATIO times the counterparty's share over the 30 days before (a compromised terminal).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.ai.dataset import Dataset
from core.fraud.txn import DAY

RECENT_DAYS, BASE_DAYS = 7, 30
MIN_FRAUDS, SHARE, RATIO = 3, 0.2, 5.0
MAX_CARDS = 5


@dataclass(frozen=True)
class Spike:
    counterparty: str
    frauds: int
    payments: int
    share: float
    base_share: float
    daily: list[tuple[int, int, int]]  # (day start unix seconds, payments, frauds) over RECENT + BASE days
    base_payments: int = 0  # payments in the BASE_DAYS before (0: the terminal is new)


def find(data: Dataset) -> list[Spike]:
    end = data.last_ts + 1
    recent = data.ts >= end - RECENT_DAYS * DAY
    base = (data.ts >= end - (RECENT_DAYS + BASE_DAYS) * DAY) & ~recent
    out = []
    for cp in np.unique(data.counterparty[recent & (data.y == 1)]):
        if not cp:
            continue
        mine = data.counterparty == cp
        n7, f7 = int((mine & recent).sum()), int((mine & recent & (data.y == 1)).sum())
        nb, fb = int((mine & base).sum()), int((mine & base & (data.y == 1)).sum())
        share, base_share = f7 / n7, (fb / nb if nb else 0.0)
        if f7 >= MIN_FRAUDS and share >= SHARE and share >= RATIO * base_share:
            first = int(end // DAY) - RECENT_DAYS - BASE_DAYS
            days = data.day[mine & (recent | base)] - first
            ys = data.y[mine & (recent | base)]
            n = np.bincount(days, minlength=RECENT_DAYS + BASE_DAYS + 1)
            f = np.bincount(days, weights=ys, minlength=RECENT_DAYS + BASE_DAYS + 1)
            daily = [(int((first + k) * DAY), int(n[k]), int(f[k])) for k in range(len(n))]
            out.append(Spike(str(cp), f7, n7, round(share, 4), round(base_share, 4), daily, nb))
    return sorted(out, key=lambda s: -s.frauds)[:MAX_CARDS]
