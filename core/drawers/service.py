"""The cash drawer service: sessions, cash at the desk through the teller's open drawer, vault
transfers, the blind close with over/short, CTR flags and the end-of-day report. ``Drawers`` keeps the sessions
and reports; its cash methods are ``core.drawers.cash.CashDesk``, its count and close
``core.drawers.closing.BlindClose``.

Sign convention: every balance is credits - debits, so cash a drawer holds is its GL account's
debits - credits (a deposit debits the drawer and credits the customer). Money is minor units.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Connection, insert, select

from core import text as text_input
from core.documents.pdf import Document
from core.drawers import records
from core.drawers.checks import blind as _blind
from core.drawers import denominations as dn
from core.drawers.cash import CashDesk
from core.drawers.closing import BlindClose
from core.drawers.errors import DrawerBusy, DrawerState, NoOpenDrawer
from core.drawers.limits import DrawerLimits
from core.drawers.posting import cash_held, gl_request, post_gl
from core.drawers.records import D, S, CashReportView, SessionView
from core.errors import PermissionDenied, ValidationError
from core.ledger import accounts as account_ops
from core.ledger import money, store
from core.ledger.service import Ledger
from core.payments.clearing import account_number as gl_number
from core.security.roles import Actor, Permission
from core.security.users import UserService

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,31}")


def check_name(name: str) -> str:
    value = text_input.clean(name or "", "the drawer name").strip().upper() if name else ""
    if not _NAME.fullmatch(value):
        raise ValidationError("a drawer name is 1-32 letters, digits, spaces, dots or dashes, e.g. D1 or TILL 2",
                              field="drawer")
    return value


class Drawers(CashDesk, BlindClose):
    """Built over the desk's Ledger (engine, audit trail, fraud screen, clock) and the drawer limits: sessions and
    reports here; cash at the desk and vault transfers in ``core.drawers.cash``, the blind count and close in
    ``core.drawers.closing``."""

    def __init__(self, ledger: Ledger, limits: DrawerLimits | None = None, users: UserService | None = None) -> None:
        self.ledger, self.engine = ledger, ledger.engine
        self.limits = limits or DrawerLimits.from_env()
        # checks a supervisor's sign-off (password, and code once enrolled) as a sign-in: lockout and audit
        self.users = users or UserService(ledger.engine, ledger.audit, clock=ledger.clock)
        # (teller, currency) -> the open session last seen; every posting re-checks it in its own transaction
        self._open: dict[tuple[str, str], SessionView] = {}

    def _read(self, work):  # noqa: ANN001, ANN202
        with self.engine.connect() as conn:
            return work(conn)

    # -- sessions -------------------------------------------------------------------------------
    def open(self, actor: Actor, name: str, currency: str, counts: dict[int, int]) -> SessionView:
        """Open drawer ``name`` in ``currency`` with the float counted by denomination; the float moves
        from the vault into the drawer. DrawerBusy if the drawer or this teller (in this currency) has a
        live session; InvalidCount for a bad count."""
        self.ledger.authorize(actor, Permission.CASH, name)
        name, code = check_name(name), money.currency(currency)
        counts = dn.check(counts, code)
        opening = dn.total(counts)
        if opening > money.max_transfer(code):
            raise ValidationError(f"an opening float of {money.format_minor(opening, code)} is more than one "
                                  "transfer may move; count again", field="counts")
        vault = gl_number(self.ledger, actor, "vault", code)

        def work(conn: Connection) -> SessionView:
            drawer_id, account = self._drawer(conn, actor, name, code)
            busy = records.live_sessions(conn, drawer=name, currency=code) or \
                records.live_sessions(conn, teller=actor.username, currency=code)
            if busy:
                b = busy[0]
                raise DrawerBusy(f"drawer {b.drawer} ({code}) is already open by {b.teller} (session {b.id}); close "
                                 "it first" if b.drawer == name else
                                 f"you already have drawer {b.drawer} open in {code} (session {b.id}); close it "
                                 "first", session=b.id)
            left = cash_held(conn, account)
            if left:
                raise DrawerState(f"drawer {name} still holds {money.format_minor(left, code)} from before; move "
                                  "it to the vault first", drawer=name)
            now = self.ledger.clock()
            sid = conn.execute(insert(S).values(
                drawer_id=drawer_id, teller=actor.username, currency=code, status="open", opened_at=now,
                opening_float=opening, opening_counts=dn.to_json(counts)).returning(S.c.id)).scalar_one()
            if opening:
                post_gl(self.ledger, conn, actor, [gl_request(f"drawer-{sid}-float", account, vault, opening, code,
                                                        "drawer_float", f"opening float, drawer {name}")])
            self.ledger.record(conn, actor, "drawer.open", f"{name}/{code}", None,
                               {"session": sid, "float": money.plain(opening, code), "counts": dn.to_json(counts)})
            return records.session(conn, sid)

        return self.ledger.run(work)

    def _drawer(self, conn: Connection, actor: Actor, name: str, code: str) -> tuple[int, str]:
        """The drawer's id and GL account number, both made on first use."""
        row = conn.execute(select(D.c.id, D.c.account_id).where(D.c.name == name, D.c.currency == code)).first()
        if row is not None:
            return row.id, store.account_numbers(conn, [row.account_id])[row.account_id]
        acc = account_ops.open_account(self.ledger, conn, actor, None, code, None, "drawer",
                                       name=f"Cash drawer {name} {code}")
        did = conn.execute(insert(D).values(name=name, currency=code, account_id=acc.id,
                                            created_at=self.ledger.clock()).returning(D.c.id)).scalar_one()
        return did, acc.number

    def sessions(self, actor: Actor, *, mine: bool = False, currency: str | None = None) -> list[SessionView]:
        """Live sessions (all with ``drawer.supervise``; else, or ``mine``, the actor's), with each drawer's cash."""
        self.ledger.authorize(actor, Permission.LEDGER_VIEW)
        mine = mine or not actor.can(Permission.DRAWER_SUPERVISE)
        code = money.currency(currency) if currency else None
        return [_blind(actor, v) for v in
                self._read(lambda c: records.live_sessions(c, teller=actor.username if mine else None, currency=code))]

    def session(self, actor: Actor, session_id: int) -> SessionView:
        """One session: the actor's own, or any with ``drawer.supervise``."""
        self.ledger.authorize(actor, Permission.LEDGER_VIEW, str(session_id))
        view = self._read(lambda c: records.session(c, session_id))
        self._own(actor, view, "read")
        return _blind(actor, view)

    def recent(self, actor: Actor, limit: int = 20, mine: bool = False) -> list[SessionView]:
        """Recent sessions, newest first: the actor's own (``mine``, and always without ``drawer.supervise``)."""
        self.ledger.authorize(actor, Permission.LEDGER_VIEW)
        mine = mine or not actor.can(Permission.DRAWER_SUPERVISE)
        return [_blind(actor, v) for v in
                self._read(lambda c: records.recent_sessions(c, limit, actor.username if mine else None))]

    def find(self, actor: Actor, name: str, currency: str) -> SessionView:
        """The live session of drawer ``name`` in ``currency`` (NoOpenDrawer if none)."""
        self.ledger.authorize(actor, Permission.LEDGER_VIEW)
        name, code = check_name(name), money.currency(currency)
        found = self._read(lambda c: records.live_sessions(c, drawer=name, currency=code))
        if not found:
            raise NoOpenDrawer(f"drawer {name} ({code}) is not open; open it with a counted float first", drawer=name)
        return _blind(actor, found[0])

    def _own(self, actor: Actor, view: SessionView, verb: str = "use") -> None:
        """Another teller's drawer is used, counted, closed or read only with ``drawer.supervise`` (audited)."""
        if view.teller == actor.username or actor.can(Permission.DRAWER_SUPERVISE):
            return
        try:
            self.ledger.authorize(actor, Permission.DRAWER_SUPERVISE, f"{view.drawer}/{view.currency}")
        except PermissionDenied as err:
            raise PermissionDenied(f"drawer {view.drawer} (session {view.id}) is {view.teller}'s; only they may {verb} "
                                   f"it ({err.message})", **err.details) from None

    # -- reports ----------------------------------------------------------------------------------
    def cash_reports(self, actor: Actor, since: datetime | None = None, until: datetime | None = None,
                     limit: int = 500) -> list[CashReportView]:
        """Cash flagged for a currency transaction report, newest first (with the customers' ID documents:
        for those who take cash, ``Permission.CASH``, as the Drawer tab shows them)."""
        self.ledger.authorize(actor, Permission.CASH, "ctr")
        return self._read(lambda c: records.cash_reports(c, since, until, limit))

    def report(self, actor: Actor, session_id: int) -> Document:
        """The end-of-day drawer report (PDF); audited as ``drawer.report``."""
        from core.drawers.report import drawer_report

        self.ledger.authorize(actor, Permission.LEDGER_VIEW, str(session_id))
        view = self._read(lambda c: records.session(c, session_id))
        self._own(actor, view, "read the report of")
        if _blind(actor, view).cash is None:  # the report lists the drawer's cash after every movement
            raise DrawerState(f"the report of drawer {view.drawer} (session {view.id}) is ready once the drawer is "
                              "counted: the count is blind; count and close it first", session=view.id)
        with self.engine.connect() as conn:
            doc = drawer_report(conn, records.session(conn, session_id), self.limits)
        self.ledger.run(lambda conn: self.ledger.record(conn, actor, "drawer.report", str(session_id), None, {}))
        return doc

