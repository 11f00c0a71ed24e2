"""What a cash review can check without writing, in the order a teller can act on (QA: a $5,000.00
withdrawal was reviewed "Pay out $5,000.00 in cash" from a drawer holding $2,700.00, and a deposit with no
drawer open asked for the ID document first): first an open drawer in the currency, then (cash out) whether
it holds the amount, and only then the customer's ID document for a currency transaction report.

The drawer's cash is read, not locked: the posting checks it again in its own transaction. A teller's count
is blind, so the refusal never says how much the drawer holds.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, select

from core.drawers import records
from core.drawers.errors import NoOpenDrawer
from core.drawers.records import SessionView
from core.ledger import money, store
from core.ledger.errors import InsufficientFunds
from core.security.roles import Actor, Permission


def no_open_drawer(code: str) -> NoOpenDrawer:
    return NoOpenDrawer(f"you have no open {code} cash drawer; open one on the Drawer tab (qenex drawer open) "
                        "before taking or paying cash", currency=code)


def short(view: SessionView, amount: int, code: str) -> InsufficientFunds:
    """The refusal of cash out the drawer does not hold (the same words before the review and at posting)."""
    return InsufficientFunds(f"drawer {view.drawer} holds less than {money.format_minor(amount, code)}; bring cash "
                             "from the vault first (Drawer tab)", account=view.account, field="amount")


def cash_on_hand(conn: Connection, number: str) -> int:
    """Cash a drawer account holds, cash promised out (a withdrawal waiting for approval) counted as gone, as
    ``core.drawers.posting.cash_held`` says it but without a lock."""
    a = store.A
    row = conn.execute(select(a.c.debits_posted, a.c.credits_posted, a.c.credits_pending)
                       .where(a.c.number == number)).one()
    return row.debits_posted - row.credits_posted - row.credits_pending


def drawer_ready(read: Callable[[Callable[[Connection], Any]], Any], teller: str, amount: int, code: str, *,
                 deposit: bool) -> SessionView:
    """The teller's open drawer in ``code`` for this cash, or NoOpenDrawer / InsufficientFunds (cash out
    more than the drawer holds)."""
    def work(conn: Connection) -> tuple[list[SessionView], int | None]:
        mine = records.live_sessions(conn, teller=teller, currency=code)
        held = cash_on_hand(conn, mine[0].account) if mine and not deposit else None
        return mine, held

    mine, held = read(work)
    if not mine:
        raise no_open_drawer(code)
    records.require_status(mine[0], "open")  # counted, not yet closed: DrawerState says what to do
    if held is not None and held < amount:
        raise short(mine[0], amount, code)
    return mine[0]


def blind(actor: Actor, view: SessionView) -> SessionView:
    """The count is blind: before it, a teller is not told the cash the ledger expects in the drawer (``cash`` is
    None); a supervisor (``drawer.supervise``) is. After the count the expected figure is fixed and shown."""
    if view.status != "open" or actor.can(Permission.DRAWER_SUPERVISE):
        return view
    return replace(view, cash=None)
