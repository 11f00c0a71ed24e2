"""Raising alerts: from the fraud screen (a payment held for review) or by hand (an analyst flags a transfer).

An alert copies what the queue shows (customer, accounts, amount, channel, counterparty) and gets its
SLA band and due time, its rule keys, and links to the entities it names (card, counterparty,
beneficiary, device) so related alerts are one index look-up away. All in the caller's transaction.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from core.cases import live, sla, timeline
from core.fraud.dbstate import insert_for
from core.ledger.money import exponent
from core.persistence.models import Account, AlertLink, Customer, FraudAlert

_AL = FraudAlert.__table__
_LINK = AlertLink.__table__
_A = Account.__table__
_C = Customer.__table__
SCALE = 4  # amount_scaled holds 1/10,000 of a currency unit


@dataclass(frozen=True)
class NewAlert:
    """What an alert is raised about (amount in minor units of ``currency``; ``at`` UTC-aware)."""

    transfer_id: str
    score: float
    decision: str
    reasons: tuple[str, ...]
    rules: tuple[str, ...]
    debit_account_id: int
    credit_account_id: int
    amount: int
    currency: str
    channel: str | None
    counterparty: str | None
    device: str | None
    card: str | None  # the fraud engine's card key (customer and currency)
    source: str = "screen"


def scaled(amount: int, currency: str) -> int:
    """``amount`` minor units as 1/10,000 of the currency unit (comparable across currencies, no FX)."""
    exp = exponent(currency)
    return amount * 10 ** (SCALE - exp) if exp <= SCALE else amount // 10 ** (exp - SCALE)


def raise_alert(conn: Connection, alert: NewAlert, now: datetime, actor: str = "system") -> int | None:
    """Insert the alert (once per transfer) with its links and a 'raised' event; returns its id, or None if
    the transfer already has one. Publishes ``alert.updated`` (new) after commit; the screen itself publishes
    ``fraud.detected``."""
    parties = _parties(conn, alert.debit_account_id, alert.credit_account_id)
    band, due = sla.load(conn).due(now, alert.score)
    debit, credit = parties.get(alert.debit_account_id, {}), parties.get(alert.credit_account_id, {})
    stmt = insert_for(conn, _AL).values(
        transfer_id=alert.transfer_id, score=alert.score, decision=alert.decision,
        reasons=json.dumps(list(alert.reasons)), status="open", created_at=now, updated_at=now, updated_by=actor,
        source=alert.source, rule=alert.rules[0] if alert.rules else None, rules=json.dumps(list(alert.rules)),
        customer_id=debit.get("customer_id"), customer_name=debit.get("name"), account=debit.get("number"),
        beneficiary=alert.counterparty if is_iban(alert.counterparty) else credit.get("number"),
        amount=alert.amount, amount_scaled=scaled(alert.amount, alert.currency), currency=alert.currency,
        channel=alert.channel, counterparty=alert.counterparty, device=alert.device, band=band, due_at=due,
    ).on_conflict_do_nothing().returning(_AL.c.id)
    alert_id = conn.execute(stmt).scalar()
    if alert_id is None:
        return None
    link(conn, alert_id, link_keys(alert, credit.get("number"), debit.get("customer_id")))
    timeline.add(conn, actor, "raised", now, alert_id=alert_id, score=f"{alert.score:.2f}", band=band,
                 due=due.isoformat(timespec="minutes"), source=alert.source)
    live.publish(conn, live.ALERT_UPDATED, {"alert_id": alert_id, "transfer_id": alert.transfer_id,
                                            "status": "open", "new": True})
    return alert_id


def link_keys(alert: NewAlert, credit_number: str | None, customer_id: int | None) -> list[tuple[str, str]]:
    """The (kind, key) links of ``alert`` (keys cut to the column's 96 characters), sorted, without blanks."""
    from core.fraud.txn import customer_device  # a desk's workstation links no customers

    keys = {("card", alert.card), ("counterparty", alert.counterparty),
            ("device", customer_device(alert.channel, alert.device)),
            ("beneficiary", credit_number), ("customer", _str(customer_id))}
    if is_iban(alert.counterparty):
        keys.add(("beneficiary", alert.counterparty))
    keys |= {("rule", key) for key in alert.rules}
    return sorted({(kind, key[:96]) for kind, key in keys if key})


def link(conn: Connection, alert_id: int, keys: Iterable[tuple[str, str | None]]) -> None:
    rows = [{"kind": kind, "key": key[:96], "alert_id": alert_id} for kind, key in keys if key]
    if rows:
        conn.execute(insert_for(conn, _LINK).values(rows).on_conflict_do_nothing())


def _parties(conn: Connection, *account_ids: int) -> dict[int, dict[str, Any]]:
    rows = conn.execute(select(_A.c.id, _A.c.number, _A.c.customer_id, _C.c.name)
                        .select_from(_A.outerjoin(_C, _C.c.id == _A.c.customer_id))
                        .where(_A.c.id.in_(account_ids))).all()
    return {r.id: {"number": r.number, "customer_id": r.customer_id, "name": r.name} for r in rows}


def is_iban(value: str | None) -> bool:
    return bool(value) and len(value) >= 15 and value[:2].isalpha() and value[2:4].isdigit()


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def raise_manual(conn: Connection, actor: str, transfer_id: str, note: str, now: datetime) -> int:
    """An analyst flags a transfer as an alert (score 1.0, rule ``manual``); AlertExists-style refusal if the
    transfer has an alert already, NotFound if the ledger has no such customer payment."""
    from core.errors import NotFound, ValidationError
    from core.fraud.txn import card_key
    from core.ledger import store

    t = store.transfers_by_id(conn, [transfer_id]).get(transfer_id)
    if t is None or t["kind"] not in ("single", "pending"):
        raise NotFound(f"no customer payment {transfer_id!r} to raise an alert for", transfer_id=transfer_id)
    existing = conn.execute(select(_AL.c.id).where(_AL.c.transfer_id == transfer_id)).scalar()
    if existing is not None:
        raise ValidationError(f"transfer {transfer_id} already has alert #{existing}", alert_id=existing)
    payer = _parties(conn, t["debit_account_id"]).get(t["debit_account_id"], {})
    alert_id = raise_alert(conn, NewAlert(
        transfer_id=transfer_id, score=1.0, decision="manual", reasons=(f"raised by {actor}: {note}",),
        rules=("manual",), debit_account_id=t["debit_account_id"], credit_account_id=t["credit_account_id"],
        amount=t["amount"], currency=t["currency"], channel=t["channel"], counterparty=t["counterparty"],
        device=t["device"], card=card_key(payer.get("customer_id"), t["debit_account_id"], t["currency"]),
        source="manual"), now, actor)
    if alert_id is None:  # a concurrent raise won the unique transfer id
        raise ValidationError(f"transfer {transfer_id} already has an alert", transfer_id=transfer_id)
    if t["kind"] == "pending" and t["state"] == "pending":
        _hold_for_review(conn, transfer_id, now)
    return alert_id


def _hold_for_review(conn: Connection, transfer_id: str, now: datetime) -> None:
    """QA4 #2: a held transfer flagged by hand stays held until the analyst decides (its timeout is lifted),
    unless a four-eyes request still waits on it: that request's expiry ends it if nobody approves in time
    (approving lifts the timeout then, core.approvals.execute)."""
    from core.approvals.store import pending_for_transfer  # four eyes sits beside case work, above the ledger
    from core.ledger.pending import hold_for_review

    if pending_for_transfer(conn, transfer_id) is None:
        hold_for_review(conn, transfer_id, now)
