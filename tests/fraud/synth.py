"""Small synthetic card traffic the fraud tests make themselves (never the shared handbook files)."""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from core.fraud.txn import Txn

START = int(datetime(2024, 3, 1, tzinfo=timezone.utc).timestamp())


def traffic(n: int = 3000, *, cards: int = 40, terminals: int = 30, seed: int = 0, spacing: int = 900,
            compromised: str | None = "T3") -> tuple[list[Txn], list[bool]]:
    """Time-ordered payments: each card spends around its own mean; a few are ×5 (fraud), and every
    payment at the ``compromised`` terminal in the second half is fraud."""
    rng = np.random.default_rng(seed)
    means = rng.uniform(10, 80, size=cards)
    txns, frauds = [], []
    for i in range(n):
        c = int(rng.integers(cards))
        terminal = f"T{int(rng.integers(terminals))}"
        amount = max(0.5, float(rng.normal(means[c], means[c] / 3)))
        fraud = bool(rng.random() < 0.02)
        if fraud:
            amount *= 5
        if compromised and terminal == compromised and i > n // 2:
            fraud = True
        ts = START + i * spacing + int(rng.integers(0, spacing // 2))
        txns.append(Txn(f"x{i}", f"{c + 1}:EUR", terminal, "FR" if i % 7 else "DE", round(amount, 2), ts,
                        "card", f"d{c % 5}"))
        frauds.append(fraud)
    return txns, frauds


def seed_payments(engine, txns: list[Txn], frauds: list[bool] | None = None) -> dict[str, int]:  # noqa: ANN001
    """Write ``txns`` as posted card payments straight into the ledger tables (fast, no ledger rules).

    Cards are "<customer id>:EUR"; every payment credits one merchant account. Returns card -> account id.
    """
    from sqlalchemy import insert

    from core.persistence.models.fraud import FraudLabel
    from core.persistence.models.ledger import Account, Customer, Transfer

    now = datetime.fromtimestamp(START, timezone.utc)
    cards = sorted({t.card for t in txns}, key=lambda c: int(c.split(":")[0]))
    accounts = {card: 1000 + int(card.split(":")[0]) for card in cards}
    with engine.begin() as conn:
        conn.execute(insert(Customer), [{"id": int(c.split(":")[0]), "name": f"C{c}", "country": "FR",
                                         "created_at": now} for c in cards])
        conn.execute(insert(Account), [
            {"id": 999, "number": "MERCHANTS", "customer_id": None, "kind": "gl", "name": "merchants",
             "currency": "EUR", "status": "open", "overdraft_limit": None, "created_at": now},
            *({"id": accounts[c], "number": f"ACC{accounts[c]}", "customer_id": int(c.split(":")[0]),
               "kind": "deposit", "name": c, "currency": "EUR", "status": "open", "overdraft_limit": 0,
               "created_at": now} for c in cards)])
        conn.execute(insert(Transfer), [
            {"id": t.id, "debit_account_id": accounts[t.card], "credit_account_id": 999,
             "amount": int(round(t.amount * 100)), "currency": "EUR", "kind": "single", "state": "posted",
             "channel": t.channel, "counterparty": t.counterparty, "counterparty_country": t.country,
             "device": t.device, "fingerprint": t.id, "created_by": "test",
             "created_at": datetime.fromtimestamp(t.ts, timezone.utc)} for t in txns])
        if frauds is not None:
            conn.execute(insert(FraudLabel), [
                {"transfer_id": t.id, "is_fraud": True, "labelled_at": now, "labelled_by": "test"}
                for t, f in zip(txns, frauds) if f])
    return accounts

