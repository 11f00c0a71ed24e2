"""Currency transaction reports: cash is aggregated per customer per business day.

The US rule (31 CFR 1010.311, with the aggregation rule of 31 CFR 1010.313): a bank files a CTR for each
deposit, withdrawal or other payment of currency of more than 10,000 USD, and several currency
transactions are treated as one when the bank knows they are by or for the same person and they total
more than 10,000 USD during one business day. Cash in and cash out are aggregated separately (never
netted against each other; FinCEN's CTR guidance).

So a deposit of 6,000 USD after one of 5,000 USD the same day by the same customer (into any of their
accounts, at any teller's drawer) makes 11,000 USD cash in: it needs the customer's ID document, and
every cash-in transaction of that customer that day is flagged (``cash_reports``), the earlier ones with
the document shown now. Cash counted is cash at the desk (through a drawer); the operator's back-office
``qenex deposit``/``withdraw`` on the cash GL account is not a customer at a desk and is not counted. The business day is the bank's local
calendar day (the host's time zone, like the standing instructions' due dates).
"""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Connection, and_, func, insert, select, union_all

from core.ledger import money, store
from core.drawers.errors import IdDocumentRequired
from core.persistence.models import CashReport, Customer, Drawer, DrawerSession

A, T, E = store.A, store.T, store.E
DA = A.alias("drawer_account")
CR, D, S = CashReport.__table__, Drawer.__table__, DrawerSession.__table__
CODES = {"in": "deposit", "out": "withdrawal"}


def day_start(now: datetime) -> datetime:
    """The start of ``now``'s business day (local midnight), as an aware datetime."""
    local = now.astimezone()
    return datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)


def _cash_today(customer_id: int, currency: str, direction: str, now: datetime):  # noqa: ANN202
    """The customer's cash transfers of ``direction`` today: posted ones through their entries (indexed by
    account and time), plus withdrawals still waiting for approval (pending)."""
    start, code = day_start(now), CODES[direction]
    cols = (T.c.id, T.c.amount, T.c.created_at, T.c.debit_account_id, T.c.credit_account_id, A.c.number.label("account"))
    drawer_side = T.c.debit_account_id if direction == "in" else T.c.credit_account_id
    posted = (select(*cols).select_from(E.join(A, A.c.id == E.c.account_id).join(T, T.c.id == E.c.transfer_id)
                                        .join(DA, DA.c.id == drawer_side))
              .where(A.c.customer_id == customer_id, E.c.created_at >= start,
                     (E.c.amount > 0) if direction == "in" else (E.c.amount < 0), DA.c.kind == "drawer",
                     T.c.code == code, T.c.currency == currency, T.c.kind.in_(("single", "post_pending"))))
    side = T.c.credit_account_id if direction == "in" else T.c.debit_account_id
    waiting = (select(*cols).join(A, A.c.id == side).join(DA, DA.c.id == drawer_side)
               .where(T.c.state == "pending", A.c.customer_id == customer_id, T.c.code == code,
                      DA.c.kind == "drawer", T.c.currency == currency, T.c.created_at >= start))
    return union_all(posted, waiting)


def reason(threshold: int, code: str, earlier: int, amount: int, deposit: bool) -> str:
    """Why this cash needs the customer's ID document, with the day's figures when earlier cash counts."""
    f = money.format_minor
    if not earlier:
        return (f"cash above {f(threshold, code)} needs the customer's ID document (type and number); it is "
                "flagged for a currency transaction report")
    return (f"the customer's {'cash in' if deposit else 'cash out'} today comes to {f(earlier + amount, code)} "
            f"({f(earlier, code)} earlier and {f(amount, code)} now), above {f(threshold, code)} in one business "
            "day: it needs the customer's ID document (type and number); the day's cash is flagged for a currency "
            "transaction report")


def customer_of(conn: Connection, account: str) -> int | None:
    return conn.execute(select(A.c.customer_id).where(A.c.number == account)).scalar()


def check_on_file(conn: Connection, account: str, document: tuple[str, str]) -> None:
    """IdDocumentRequired unless ``document`` (type, number; checked) is the account holder's ID document on file
    (a customer without one on file may show any valid document)."""
    C = Customer.__table__
    row = conn.execute(select(C.c.id_type, C.c.id_number).join(A, A.c.customer_id == C.c.id)
                       .where(A.c.number == account)).first()
    if row is not None and row.id_number and (row.id_type, row.id_number) != tuple(document):
        raise IdDocumentRequired(f"that ID document is not the one on file for the account holder "
                                 f"({row.id_type.replace('_', ' ')} ending {row.id_number[-3:]}); ask for it",
                                 field="id_number")


def earlier_today(conn: Connection, customer_id: int | None, currency: str, direction: str, now: datetime) -> int:
    """Minor units of cash ``direction`` (in | out) the customer moved earlier today, every account."""
    if customer_id is None:
        return 0
    sub = _cash_today(customer_id, currency, direction, now).subquery()
    return int(conn.execute(select(func.coalesce(func.sum(sub.c.amount), 0))).scalar_one())


def flag_day(conn: Connection, customer_id: int | None, currency: str, direction: str, now: datetime,
             document: tuple[str, str]) -> list[str]:
    """Flag the customer's cash transactions of today not flagged yet (through a drawer) with ``document``;
    returns their transfer ids. The caller flags the transaction being posted itself."""
    if customer_id is None:
        return []
    done = select(CR.c.transfer_id).where(CR.c.customer_id == customer_id, CR.c.flagged_at >= day_start(now))
    flagged_ids = set(conn.execute(done).scalars())
    rows = [r for r in conn.execute(_cash_today(customer_id, currency, direction, now)).all()
            if r.id not in flagged_ids]
    flagged = []
    for r in rows:
        drawer_account = r.debit_account_id if direction == "in" else r.credit_account_id
        session = conn.execute(select(S.c.id, S.c.teller).join(D, D.c.id == S.c.drawer_id).where(
            and_(D.c.account_id == drawer_account, S.c.opened_at <= r.created_at))
            .order_by(S.c.opened_at.desc()).limit(1)).first()
        if session is None:
            continue
        conn.execute(insert(CR).values(
            transfer_id=r.id, session_id=session.id, account=r.account, customer_id=customer_id, direction=direction,
            amount=r.amount, currency=currency, id_type=document[0], id_number=document[1], teller=session.teller,
            flagged_at=now))
        flagged.append(r.id)
    return flagged
