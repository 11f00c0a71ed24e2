"""Payment orders as read: the order with where its money and fee are (``OrderView``), the confirmation
step's preview (``OrderPreview``), and the query both are read with."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from core.ledger import money
from core.ledger import store as ledger_store
from core.payments.beneficiary import Beneficiary
from core.persistence.models import ApprovalRequest, PaymentOrder

O = PaymentOrder.__table__
A = ledger_store.A
T = ledger_store.T
AR = ApprovalRequest.__table__  # four eyes: an order above the maker's limit waits for a supervisor


@dataclass(frozen=True)
class OrderView:
    id: str
    rail: str
    status: str
    account: str
    amount: int
    currency: str
    beneficiary: str
    name: str
    iban: str | None
    bic: str | None
    routing: str | None
    account_number: str | None
    reference: str
    transfer_id: str
    funds: str  # posted | held for review | released (the hold was voided) | ...
    batch_id: str | None
    return_reason: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    fraud: Any = None
    fee: int = 0  # charged with the order (customer -> fee income), minor units
    account_name: str = ""
    fee_status: str = ""  # charged | reserved | not charged | credited back ('' without a fee): core.payments.order_fees

    def to_dict(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in ("id", "rail", "status", "account", "currency", "beneficiary", "name",
                                              "iban", "bic", "routing", "account_number", "reference", "transfer_id",
                                              "funds", "batch_id", "return_reason", "created_by")}
        data.update(amount=money.plain(self.amount, self.currency), fee=money.plain(self.fee, self.currency),
                    account_name=self.account_name, fee_status=self.fee_status, created_at=self.created_at.isoformat(),
                    updated_at=self.updated_at.isoformat())
        if self.fraud is not None:
            score = self.fraud.score  # None: left out for a teller (core.security.roles.sees_fraud_details)
            data["fraud"] = {"decision": self.fraud.decision, "score": None if score is None else round(score, 4),
                             "reasons": list(self.fraud.reasons)}
        return data


@dataclass(frozen=True)
class OrderPreview:
    """What ``create`` would post, for the confirmation step (nothing is written)."""

    rail: str
    account: str
    account_name: str
    clearing_account: str
    amount: int
    fee: int
    currency: str
    available_after: int
    beneficiary: str
    decision: str | None  # the fraud screen's decision now: approve | review | decline (None: no screen)
    score: float | None
    reasons: tuple[str, ...]
    approval: str | None = None  # why it will wait for a second person (core.approvals), if it will


_FUNDS = {"posted": "posted", "pending": "held for fraud review", "voided": "released: the review refused it",
          "expired": "released: the hold expired"}


_FEE, _FEE_BACK = T.alias("fee_transfer"), T.alias("fee_return")


def _select():  # noqa: ANN202
    return (select(O, A.c.number.label("account_number_from"), A.c.name.label("account_name"),
                   T.c.state.label("transfer_state"), _FEE.c.amount.label("fee_amount"),
                   _FEE.c.state.label("fee_state"), _FEE_BACK.c.id.label("fee_back"), AR.c.state.label("approval_state"))
            .join(A, A.c.id == O.c.account_id).join(T, T.c.id == O.c.transfer_id, isouter=True)
            .join(_FEE, _FEE.c.id == O.c.id + ":fee", isouter=True)
            .join(_FEE_BACK, _FEE_BACK.c.id == O.c.id + ":fee-return", isouter=True)
            .join(AR, AR.c.transfer_id == O.c.transfer_id, isouter=True))


def _funds(transfer_state: str | None, approval_state: str | None, status: str = "") -> str:
    """Where the order's money is, in words (a transfer held by four eyes waits for a supervisor, not the fraud team)."""
    if status == "returned":
        return "credited back"  # the rail returned it: amount and fee are back on the account
    if status == "canceled" and transfer_state == "posted":
        return "returned to the account: the order was canceled before it was sent"
    if approval_state is not None:
        if transfer_state == "pending":
            return "waiting for approval: reserved on the account until a supervisor decides"
        if transfer_state == "voided":  # the request's own state says which (withdrawn is not rejected)
            return ("released: its maker withdrew the approval request" if approval_state == "withdrawn"
                    else "released: the approval was refused")
    return _FUNDS.get(transfer_state or "", transfer_state or "unknown")


def _view(row: Any) -> OrderView:
    m = row._mapping
    ben = Beneficiary(m["rail"], m["beneficiary_name"], m["iban"], m["bic"], m["routing"], m["account_number"],
                      m["reference"])
    return OrderView(
        id=m["id"], rail=m["rail"], status=m["status"], account=m["account_number_from"], amount=m["amount"],
        currency=m["currency"], beneficiary=ben.display, name=m["beneficiary_name"], iban=m["iban"], bic=m["bic"],
        routing=m["routing"], account_number=m["account_number"], reference=m["reference"],
        transfer_id=m["transfer_id"], funds=_funds(m["transfer_state"], m["approval_state"], m["status"]),
        batch_id=m["batch_id"], return_reason=m["return_reason"], created_by=m["created_by"],
        created_at=m["created_at"], updated_at=m["updated_at"], fee=m["fee_amount"] or 0,
        account_name=m["account_name"] or "", fee_status=_fee_status(m["fee_state"], m["fee_back"]))


def _fee_status(state: str | None, back: str | None) -> str:
    """charged | reserved (held with the payment) | not charged (the payment did not go out) | credited back | ''."""
    if state is None:
        return ""
    if back is not None:
        return "credited back"
    return {"posted": "charged", "pending": "reserved"}.get(state, "not charged")


def count_waiting(engine: Engine, rail: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(O.join(T, T.c.id == O.c.transfer_id))
                                .where(O.c.rail == rail, O.c.status == "created", T.c.state == "posted")).scalar_one())
