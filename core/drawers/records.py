"""Rows of the drawer tables read as plain values, and the small queries the service shares."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from core.drawers import denominations as dn
from core.drawers.errors import DrawerState, NoOpenDrawer
from core.ledger import money, store
from core.persistence.models import CashReport, Drawer, DrawerSession

D, S, CR, A = Drawer.__table__, DrawerSession.__table__, CashReport.__table__, store.A


@dataclass(frozen=True)
class SessionView:
    """A drawer session. Amounts in minor units; ``cash`` is the cash the ledger says the drawer holds
    now (its expected balance: debits - credits of the drawer's GL account), None for a teller before the blind
    count (``Drawers`` leaves it out; a supervisor sees it); ``expected``, ``counted`` and
    ``difference`` are fixed by the blind count (None before it)."""

    id: int
    drawer: str
    currency: str
    account: str
    teller: str
    status: str
    opened_at: datetime
    opening_float: int
    opening_counts: dict[int, int]
    cash: int | None
    counted_at: datetime | None = None
    counted: int | None = None
    counts: dict[int, int] | None = None
    expected: int | None = None
    difference: int | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    supervisor: str | None = None
    supervisor_note: str | None = None

    def to_dict(self, *, blind: bool = False) -> dict[str, Any]:
        """JSON shape; ``blind`` leaves out the expected cash (a teller counting has not seen it yet)."""
        c = self.currency

        def amt(v: int | None) -> str | None:
            return None if v is None else money.plain(v, c)

        def cnt(counts: dict[int, int] | None) -> dict[str, int] | None:
            return None if counts is None else {dn.label(d, c): n for d, n in sorted(counts.items(), reverse=True)}

        data = {"session": self.id, "drawer": self.drawer, "currency": c, "account": self.account,
                "teller": self.teller, "status": self.status, "opened_at": self.opened_at.isoformat(),
                "opening_float": amt(self.opening_float), "opening_counts": cnt(self.opening_counts),
                "expected_cash": None if blind else amt(self.cash),
                "counted_at": self.counted_at.isoformat() if self.counted_at else None,
                "counted": amt(self.counted), "counts": cnt(self.counts), "expected_at_count": amt(self.expected),
                "difference": amt(self.difference), "closed_at": self.closed_at.isoformat() if self.closed_at else None,
                "closed_by": self.closed_by, "supervisor": self.supervisor, "supervisor_note": self.supervisor_note}
        return data


@dataclass(frozen=True)
class CountResult:
    """The blind count against the ledger: ``difference`` = counted - expected (over > 0, short < 0);
    ``needs_note``: the difference is above the limit a teller may close with alone (``limit``)."""

    session: SessionView
    counted: int
    expected: int
    difference: int
    limit: int
    needs_note: bool


@dataclass(frozen=True)
class CashReportView:
    id: int
    transfer_id: str
    session_id: int
    account: str
    customer_id: int | None
    direction: str
    amount: int
    currency: str
    id_type: str
    id_number: str
    teller: str
    flagged_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "transfer_id": self.transfer_id, "session": self.session_id, "account": self.account,
                "customer_id": self.customer_id, "direction": self.direction,
                "amount": money.plain(self.amount, self.currency), "currency": self.currency,
                "id_type": self.id_type, "id_number": self.id_number, "teller": self.teller,
                "flagged_at": self.flagged_at.isoformat()}


def _session_query():  # noqa: ANN202
    return (select(S, D.c.name.label("drawer_name"), A.c.number.label("account_number"),
                   A.c.debits_posted, A.c.credits_posted)
            .join(D, D.c.id == S.c.drawer_id).join(A, A.c.id == D.c.account_id))


def _view(row: Any) -> SessionView:
    return SessionView(
        id=row.id, drawer=row.drawer_name, currency=row.currency, account=row.account_number, teller=row.teller,
        status=row.status, opened_at=row.opened_at, opening_float=row.opening_float,
        opening_counts=dn.from_json(row.opening_counts), cash=row.debits_posted - row.credits_posted,
        counted_at=row.counted_at, counted=row.counted, counts=dn.from_json(row.counts) if row.counts else None,
        expected=row.expected, difference=row.difference, closed_at=row.closed_at, closed_by=row.closed_by,
        supervisor=row.supervisor, supervisor_note=row.supervisor_note)


def session(conn: Connection, session_id: int) -> SessionView:
    row = conn.execute(_session_query().where(S.c.id == session_id)).first()
    if row is None:
        raise NoOpenDrawer(f"no drawer session {session_id}", session=session_id)
    return _view(row)


def live_sessions(conn: Connection, *, teller: str | None = None, currency: str | None = None,
                  drawer: str | None = None) -> list[SessionView]:
    """Sessions not yet closed, oldest first, optionally of one teller, currency or drawer name."""
    q = _session_query().where(S.c.status != "closed")
    if teller is not None:
        q = q.where(S.c.teller == teller)
    if currency is not None:
        q = q.where(S.c.currency == currency)
    if drawer is not None:
        q = q.where(D.c.name == drawer)
    return [_view(r) for r in conn.execute(q.order_by(S.c.id))]


def recent_sessions(conn: Connection, limit: int = 20, teller: str | None = None) -> list[SessionView]:
    q = _session_query()
    if teller is not None:
        q = q.where(S.c.teller == teller)
    return [_view(r) for r in conn.execute(q.order_by(S.c.id.desc()).limit(limit))]


def require_status(view: SessionView, *wanted: str) -> None:
    if view.status not in wanted:
        what = {"open": "open", "counted": "counted blind and waiting to be closed", "closed": "closed"}[view.status]
        need = " or ".join(wanted)
        raise DrawerState(f"drawer {view.drawer} ({view.currency}) session {view.id} is {what}; this needs it {need}",
                          session=view.id, status=view.status)


def cash_reports(conn: Connection, since: datetime | None = None, until: datetime | None = None,
                 limit: int = 500) -> list[CashReportView]:
    q = select(CR)
    if since is not None:
        q = q.where(CR.c.flagged_at >= since)
    if until is not None:
        q = q.where(CR.c.flagged_at < until)
    rows = conn.execute(q.order_by(CR.c.flagged_at.desc(), CR.c.id.desc()).limit(limit))
    return [CashReportView(r.id, r.transfer_id, r.session_id, r.account, r.customer_id, r.direction, r.amount,
                           r.currency, r.id_type, r.id_number, r.teller, r.flagged_at) for r in rows]
