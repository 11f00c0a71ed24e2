"""The end-of-day drawer report (PDF, core.documents): the session, the opening float and the closing
count by denomination, every cash movement of the session with the drawer's cash after it, the expected
cash, the difference and the supervisor's note, and the cash flagged for a currency transaction report."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from core.documents.pdf import Document, TableColumn
from core.drawers import denominations as dn
from core.drawers import records
from core.drawers.limits import DrawerLimits
from core.drawers.records import SessionView
from core.ledger import store
from core.ledger.money import format_minor
from core.persistence.models import Entry, Transfer

E, T = Entry.__table__, Transfer.__table__
MAX_LINES = 5_000


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "-"


def movements(conn: Connection, view: SessionView) -> list[dict[str, Any]]:
    """The drawer account's entries of the session, oldest first: at, transfer id, code, description,
    amount (cash in > 0) and the cash in the drawer after it."""
    account_id = conn.execute(select(store.A.c.id).where(store.A.c.number == view.account)).scalar_one()
    q = (select(E.c.created_at, E.c.transfer_id, E.c.amount, E.c.balance_after, T.c.code, T.c.description)
         .join(T, T.c.id == E.c.transfer_id).where(E.c.account_id == account_id, E.c.created_at >= view.opened_at))
    if view.closed_at is not None:
        q = q.where(E.c.created_at <= view.closed_at)
    rows = conn.execute(q.order_by(E.c.id).limit(MAX_LINES))
    # entries are credit-positive; cash in a drawer is the other way round
    return [{"at": r.created_at, "transfer_id": r.transfer_id, "code": r.code, "description": r.description,
             "amount": -r.amount, "cash_after": -r.balance_after} for r in rows]


def drawer_report(conn: Connection, view: SessionView, limits: DrawerLimits) -> Document:
    c = view.currency
    doc = Document("Cash drawer report", period=f"{_when(view.opened_at)} to {_when(view.closed_at)}",
                   subtitle=f"Drawer {view.drawer} ({c}), session {view.id}, teller {view.teller}")
    diff = view.difference
    state = {"open": "open (not yet counted)", "counted": "counted, not yet closed", "closed": "closed"}[view.status]
    doc.key_values([
        ("Drawer GL account", view.account), ("Status", state), ("Opening float", format_minor(view.opening_float, c)),
        ("Expected cash", "-" if view.expected is None else format_minor(view.expected, c)),
        ("Counted cash", "-" if view.counted is None else format_minor(view.counted, c)),
        ("Difference", "-" if diff is None else
         ("none" if diff == 0 else f"{'over' if diff > 0 else 'short'} {format_minor(abs(diff), c)}")),
        ("Limit without a note", format_minor(limits.variance_limit(c), c)),
        ("Supervisor", view.supervisor or "-"), ("Supervisor's note", view.supervisor_note or "-"),
        ("Closed by", view.closed_by or "-"),
    ])
    cols = [TableColumn("Denomination", 40, "R"), TableColumn("Opening pieces", 35, "R"),
            TableColumn("Opening value", 35, "R"), TableColumn("Closing pieces", 35, "R"),
            TableColumn("Closing value", 35, "R")]
    closing = view.counts or {}
    denoms = [d for d in dn.denominations(c) if view.opening_counts.get(d) or closing.get(d)]
    doc.heading("Counts by denomination")
    doc.table(cols, [(dn.label(d, c), view.opening_counts.get(d, 0) or "", format_minor(d * view.opening_counts.get(d, 0), c),
                      closing.get(d, 0) or "", format_minor(d * closing.get(d, 0), c)) for d in denoms],
              totals=("Total", "", format_minor(view.opening_float, c), "",
                      "-" if view.counted is None else format_minor(view.counted, c)))
    doc.heading("Cash movements")
    moves = movements(conn, view)
    cols = [TableColumn("Time", 28), TableColumn("Kind", 24), TableColumn("Description", 58),
            TableColumn("Cash in/out", 35, "R"), TableColumn("Drawer after", 35, "R")]
    doc.table(cols, [(_when(m["at"]), m["code"], m["description"], format_minor(m["amount"], c),
                      format_minor(m["cash_after"], c)) for m in moves])
    flagged = [r for r in records.cash_reports(conn) if r.session_id == view.id]
    doc.heading(f"Cash flagged for a currency transaction report ({len(flagged)})")
    if flagged:
        cols = [TableColumn("Time", 28), TableColumn("Account", 26), TableColumn("In/out", 16),
                TableColumn("Amount", 35, "R"), TableColumn("ID document", 75)]
        doc.table(cols, [(_when(r.flagged_at), r.account, r.direction, format_minor(r.amount, c),
                          f"{r.id_type.replace('_', ' ')} {r.id_number}") for r in flagged])
    else:
        doc.paragraph("None.")
    return doc
