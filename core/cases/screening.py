"""What the fraud screen asks of case work in the posting path: apply suppressions, raise review alerts.

``reconsider`` runs only for payments the screen would hold or decline (an approve costs nothing): active
suppressions for the paying card or the counterparty switch their rules off and the payment is scored
again. ``alert_for_review`` raises the queue's alert for a held payment. Both run in the posting
transaction.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, update

from core.cases import intake, reason_keys, rules, suppressions
from core.fraud.config import FraudConfig
from core.fraud.decision import Assessment, assess
from core.fraud.txn import Txn
from core.persistence.models import Suppression

if TYPE_CHECKING:
    from core.fraud.registry import LoadedModel
    from core.fraud.screen import ScreenInput, ScreenResult

_SUP = Suppression.__table__
_RANK = {"approve": 0, "review": 1, "decline": 2}


def reconsider(conn: Connection, config: FraudConfig, model: "LoadedModel | None", txn: Txn, row: list[float],
               result: Assessment, *, amount: int, currency: str, exponent: int, now: datetime) -> Assessment:
    """``result`` again with the rules suppressed for ``txn``'s card or counterparty switched off.

    Returns ``result`` unchanged when nothing is suppressed or the decision would not change; otherwise
    the new assessment, its reasons saying which suppression let the payment through, and the
    suppressions' hit counts raised.
    """
    active = suppressions.active_for(conn, card=txn.card, counterparty=txn.counterparty, now=now)
    if not active:
        return result
    rules_off = {s.rule for s in active}
    config2, row2 = reason_keys.neutralized(config, model, row, currency, rules_off)
    again = assess(model, config2, txn, row2, amount=amount, currency=currency, exponent=exponent)
    if _RANK[again.decision] >= _RANK[result.decision]:
        return result
    conn.execute(update(_SUP).where(_SUP.c.id.in_([s.id for s in active])).values(hits=_SUP.c.hits + 1))
    notes = tuple(f"rule '{rules.title(s.rule)}' suppressed for {s.label} until {s.until:%Y-%m-%d} "
                  f"by {s.created_by}" for s in active)
    return Assessment(again.score, again.decision, notes + again.reasons, again.probability, again.anomaly)


def alert_for_review(conn: Connection, config: FraudConfig, model: "LoadedModel | None", tx: "ScreenInput",
                     txn: Txn, result: "ScreenResult", now: datetime) -> int | None:
    """Raise the queue's alert for a payment held for review (None if the transfer has one already)."""
    keys = reason_keys.reason_keys(config, model, txn, list(result.features), amount=tx.amount, currency=tx.currency,
                             exponent=tx.exponent, reasons=result.reasons) if result.features else []
    return intake.raise_alert(conn, intake.NewAlert(
        transfer_id=tx.transfer_id, score=result.score, decision=result.decision, reasons=result.reasons,
        rules=tuple(keys), debit_account_id=tx.debit_account_id, credit_account_id=tx.credit_account_id,
        amount=tx.amount, currency=tx.currency, channel=tx.channel, counterparty=tx.counterparty,
        device=tx.device, card=txn.card), now)
