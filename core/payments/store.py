"""SQL for card payments: rows, forward-only status changes, the event history, filtered lists."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, or_, select, update

from core.ledger import store as ledger_store
from core.payments.errors import PaymentNotFound
from core.payments.views import PaymentEventView, PaymentView
from core.persistence.models import Payment, PaymentEvent

P = Payment.__table__
PE = PaymentEvent.__table__
A = ledger_store.A

# Forward-only: a status moves only along these arrows, so a late or replayed webhook can never undo
# what happened since (a payment captured stays captured whatever an older event says).
NEXT = {
    "pending": {"requires_action", "requires_capture", "succeeded", "canceled", "failed", "declined"},
    "requires_action": {"requires_capture", "succeeded", "canceled", "failed"},
    "requires_capture": {"succeeded", "canceled", "failed"},
    "succeeded": {"refunded"},
    "refunded": set(), "canceled": set(), "failed": set(), "declined": set(),
}


def advances(old: str, new: str) -> bool:
    """True when status ``old`` may become ``new``."""
    return new in NEXT.get(old, set())


def get(conn: Connection, payment_id: str, *, lock: bool = False) -> dict[str, Any]:
    query = select(P, A.c.number.label("account_number")).join(A, A.c.id == P.c.account_id).where(P.c.id == payment_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update(of=P)
    row = conn.execute(query).first()
    if row is None:
        raise PaymentNotFound(f"no payment {payment_id}; check the id (qenex payments list shows them)",
                              payment=payment_id)
    return dict(row._mapping)


def exists(conn: Connection, payment_id: str) -> bool:
    return conn.execute(select(P.c.id).where(P.c.id == payment_id)).first() is not None


def find_by_ref(conn: Connection, ref: str) -> str | None:
    return conn.execute(select(P.c.id).where(P.c.provider_ref == ref)).scalar()


def insert_payment(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(P).values(**row))


def set_fields(conn: Connection, payment_id: str, now: datetime, **values: Any) -> None:
    conn.execute(update(P).where(P.c.id == payment_id).values(updated_at=now, **values))


def add_event(conn: Connection, payment_id: str, kind: str, status: str, *, actor: str, source: str,
              at: datetime, amount: int | None = None, detail: str = "", transfer_id: str | None = None,
              provider_event: str | None = None) -> None:
    conn.execute(insert(PE).values(payment_id=payment_id, kind=kind, status=status, amount=amount, source=source,
                                   provider_event=provider_event, transfer_id=transfer_id, detail=detail[:2000],
                                   actor=actor, at=at))


def has_event(conn: Connection, *, provider_event: str | None = None, payment_id: str | None = None,
              kind: str | None = None, transfer_id: str | None = None) -> bool:
    query = select(PE.c.id)
    if provider_event is not None:
        query = query.where(PE.c.provider_event == provider_event)
    if payment_id is not None:
        query = query.where(PE.c.payment_id == payment_id)
    if kind is not None:
        query = query.where(PE.c.kind == kind)
    if transfer_id is not None:
        query = query.where(PE.c.transfer_id == transfer_id)
    return conn.execute(query.limit(1)).first() is not None


def last_event_amount(conn: Connection, payment_id: str, kind: str) -> int | None:
    return conn.execute(select(PE.c.amount).where(PE.c.payment_id == payment_id, PE.c.kind == kind)
                        .order_by(PE.c.id.desc()).limit(1)).scalar()


def events(conn: Connection, payment_id: str) -> tuple[PaymentEventView, ...]:
    rows = conn.execute(select(PE).where(PE.c.payment_id == payment_id).order_by(PE.c.id))
    return tuple(PaymentEventView(r.id, r.at, r.kind, r.status, r.amount, r.source, r.actor, r.detail, r.transfer_id)
                 for r in rows)


def view(row: dict[str, Any], evts: tuple[PaymentEventView, ...] = (), replayed: bool = False) -> PaymentView:
    return PaymentView(
        id=row["id"], provider=row["provider"], provider_ref=row["provider_ref"], account=row["account_number"],
        amount=row["amount"], currency=row["currency"], captured=row["captured"], refunded=row["refunded"],
        status=row["status"], capture_mode=row["capture_mode"], card=row["card_display"],
        card_token=row["card_token"], description=row["description"], decline_code=row["decline_code"],
        message=row["message"], fraud_decision=row["fraud_decision"], fraud_score=row["fraud_score"],
        created_by=row["created_by"], created_at=row["created_at"], updated_at=row["updated_at"], events=evts,
        replayed=replayed)


def _filtered(query, status: str | None, account: str | None, search: str | None):  # noqa: ANN001, ANN202
    if status:
        query = query.where(P.c.status == status)
    if account:
        query = query.where(A.c.number == account)
    if search:
        text = search.strip()
        like = f"%{text.lower()}%"
        matches = [func.lower(P.c.id).like(like), func.lower(P.c.provider_ref).like(like),
                   func.lower(P.c.card_display).like(like), func.lower(P.c.description).like(like)]
        digits = "".join(ch for ch in text if ch.isdigit())
        if digits and len(digits) == len("".join(text.split()).replace("-", "")):
            if len(digits) >= 12:  # a whole card number typed or pasted: its first six and last four
                matches.append(P.c.card_display.like(f"%{digits[:6]}…{digits[-4:]}"))
            elif len(digits) == 4:  # the last four digits
                matches.append(P.c.card_display.like(f"%…{digits}"))
        query = query.where(or_(*matches))
    return query


def listing(engine: Engine, *, status: str | None = None, account: str | None = None, search: str | None = None,
            offset: int = 0, limit: int = 100) -> list[PaymentView]:
    """Payments newest first, filtered by status, account number and free text (id, card, description)."""
    query = select(P, A.c.number.label("account_number")).join(A, A.c.id == P.c.account_id)
    query = _filtered(query, status, account, search).order_by(P.c.created_at.desc(), P.c.id.desc())
    with engine.connect() as conn:
        return [view(dict(r._mapping)) for r in conn.execute(query.offset(max(offset, 0)).limit(max(limit, 0)))]


def count(engine: Engine, *, status: str | None = None, account: str | None = None, search: str | None = None) -> int:
    query = select(func.count()).select_from(P.join(A, A.c.id == P.c.account_id))
    with engine.connect() as conn:
        return int(conn.execute(_filtered(query, status, account, search)).scalar_one())
