"""The cash drawer service: sessions, cash at the desk through the teller's open drawer, vault
transfers, the blind close with over/short, CTR flags and the end-of-day report.

Sign convention: every balance is credits - debits, so cash a drawer holds is its GL account's
debits - credits (a deposit debits the drawer and credits the customer). Money is minor units.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from core import text as text_input
from core.documents.pdf import Document
from core.drawers import checks, ctr, records, signoff
from core.drawers import denominations as dn
from core.drawers.errors import DrawerBusy, DrawerState, IdDocumentRequired, NoOpenDrawer
from core.drawers.limits import DrawerLimits
from core.drawers.posting import OPERATION, cash_held, pending_on, post_gl
from core.drawers.records import CR, D, S, CashReportView, CountResult, SessionView
from core.errors import PermissionDenied, ValidationError
from core.ledger import accounts as account_ops
from core.ledger import money, store
from core.ledger.errors import InsufficientFunds
from core.ledger.posting import check_amount
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest, TransferResult
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


class Drawers:
    """Built over the desk's Ledger (engine, audit trail, fraud screen, clock) and the drawer limits."""

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
                post_gl(self.ledger, conn, actor, [_req(f"drawer-{sid}-float", account, vault, opening, code,
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

    # -- cash at the desk ------------------------------------------------------------------------
    def deposit(self, actor: Actor, account: str, amount: int, currency: str, *, id: str | None = None,
                id_document: tuple[str, str] | None = None, description: str = "cash deposit") -> TransferResult:
        """Cash in through the actor's open drawer (NoOpenDrawer without one). Cash above the CTR
        threshold needs ``id_document`` = (type, number) and is flagged for a currency transaction report."""
        return self._cash(actor, account, amount, currency, id, id_document, description, deposit=True)

    def withdraw(self, actor: Actor, account: str, amount: int, currency: str, *, id: str | None = None,
                 id_document: tuple[str, str] | None = None, description: str = "cash withdrawal") -> TransferResult:
        """Cash out of the actor's open drawer (refused if the drawer holds less than ``amount``)."""
        return self._cash(actor, account, amount, currency, id, id_document, description, deposit=False)

    def _cash(self, actor: Actor, account: str, amount: int, currency: str, id: str | None,  # noqa: A002
              id_document: tuple[str, str] | None, description: str, *, deposit: bool) -> TransferResult:
        self.ledger.authorize(actor, Permission.CASH, account)
        code = check_amount(amount, currency)
        ready = checks.drawer_ready(self._read, actor.username, amount, code, deposit=deposit)  # drawer first
        threshold = self.limits.ctr_threshold(code)
        earlier = self._read(lambda c: ctr.earlier_today(c, ctr.customer_of(c, account), code,
                                                        "in" if deposit else "out", self.ledger.clock()))
        reported = threshold is not None and earlier + amount > threshold
        document = None
        if reported:
            if not id_document or not all(id_document):
                raise IdDocumentRequired(ctr.reason(threshold, code, earlier, amount, deposit), field="id_number")
            document = self._document(account, id_document)
        key = (actor.username, code)
        view = self._open.get(key) or self._open.setdefault(key, ready)
        try:
            return self._post_cash(actor, view, account, amount, code, id, document if reported else None,
                                   description, deposit)
        except _StaleSession:  # counted or closed since this desk last looked (e.g. at another desk)
            self._open.pop(key, None)
            return self._post_cash(actor, self._live(actor, code), account, amount, code, id,
                                   document if reported else None, description, deposit)

    def _live(self, actor: Actor, code: str) -> SessionView:
        """The actor's open session in ``code`` (remembered: the posting re-checks it in its transaction)."""
        mine = self._read(lambda c: records.live_sessions(c, teller=actor.username, currency=code))
        if not mine:
            raise checks.no_open_drawer(code)
        records.require_status(mine[0], "open")
        self._open[(actor.username, code)] = mine[0]
        return mine[0]

    def _post_cash(self, actor: Actor, view: SessionView, account: str, amount: int, code: str, id: str | None,  # noqa: A002
                   document: tuple[str, str] | None, description: str, deposit: bool) -> TransferResult:
        tid = id or uuid.uuid4().hex
        debit, credit = (view.account, account) if deposit else (account, view.account)
        req = TransferRequest(id=tid, debit=debit, credit=credit, amount=amount, currency=code,
                              code="deposit" if deposit else "withdrawal", description=description, channel="desk")
        threshold = self.limits.ctr_threshold(code)

        def also(conn: Connection, result: TransferResult) -> None:
            status = conn.execute(select(S.c.status).where(S.c.id == view.id)).scalar()
            if status != "open" and not result.replayed:
                raise _StaleSession(f"drawer {view.drawer} was counted or closed meanwhile; open a drawer again",
                                    session=view.id)
            if not deposit and not result.replayed and cash_held(conn, view.account) < 0:
                raise checks.short(view, amount, code)
            if result.replayed:
                return
            direction = "in" if deposit else "out"
            customer = ctr.customer_of(conn, account)
            total = ctr.earlier_today(conn, customer, code, direction, self.ledger.clock())  # this one included
            if threshold is not None and total > threshold:  # another desk's cash meanwhile can tip it over
                if document is None:
                    raise IdDocumentRequired(ctr.reason(threshold, code, total - amount, amount, deposit),
                                             field="id_number")
                self._flag(conn, actor, view, result, account, document)
                ctr.flag_day(conn, customer, code, direction, self.ledger.clock(), document)

        return self.ledger.transfer(actor, req, also=also, operation=OPERATION, four_eyes=True)

    def _document(self, account: str, id_document: tuple[str, str]) -> tuple[str, str]:
        """The ID document shown, checked and compared with the one on file (IdDocumentRequired if not it)."""
        from core.teller.customers import InvalidCustomer, check_id_document

        try:
            document = check_id_document(*id_document)
        except InvalidCustomer as err:
            raise IdDocumentRequired(err.message, field=err.field) from None
        self._read(lambda c: ctr.check_on_file(c, account, document))
        return document

    def cash_check(self, actor: Actor, amount: int, currency: str, *, deposit: bool) -> SessionView:
        """Before the review, first of all: the actor's open drawer in ``currency`` (NoOpenDrawer) and, for cash
        out, that it holds ``amount`` (InsufficientFunds, never saying how much it holds: the count is blind).
        Read only; the posting checks again (``core.drawers.checks``)."""
        self.ledger.authorize(actor, Permission.CASH)
        code = check_amount(amount, currency)
        return _blind(actor, checks.drawer_ready(self._read, actor.username, amount, code, deposit=deposit))

    def approval_check(self, actor: Actor, account: str, amount: int, currency: str, *, deposit: bool) -> str | None:
        """Before the confirmation: why this cash would wait for a second person (a withdrawal above the teller's
        limit: the cash is reserved, not paid out, until a supervisor approves), or None. Deposits never wait."""
        self.ledger.authorize(actor, Permission.CASH, account)
        code = check_amount(amount, currency)
        if deposit or self.ledger.four_eyes is None:
            return None
        return self.ledger.four_eyes.would_wait(actor, amount, code)

    def ctr_check(self, actor: Actor, account: str, amount: int, currency: str, *, deposit: bool,
                  id_document: tuple[str, str] | None = None) -> str | None:
        """Before the confirmation: None, or why this cash needs the customer's ID document (the customer's
        cash of that direction today plus ``amount`` is above the CTR threshold, with the day's running total;
        ``core.drawers.ctr``). With ``id_document`` it is checked now against the one on file
        (IdDocumentRequired), so a wrong document never reaches the review."""
        self.ledger.authorize(actor, Permission.CASH, account)
        code = check_amount(amount, currency)
        threshold = self.limits.ctr_threshold(code)
        if threshold is None:
            return None
        earlier = self._read(lambda c: ctr.earlier_today(c, ctr.customer_of(c, account), code,
                                                        "in" if deposit else "out", self.ledger.clock()))
        if earlier + amount <= threshold:
            return None
        if id_document and all(id_document):
            self._document(account, id_document)
        return ctr.reason(threshold, code, earlier, amount, deposit)

    def _flag(self, conn: Connection, actor: Actor, view: SessionView, result: TransferResult, account: str,
              document: tuple[str, str]) -> None:
        customer_id = conn.execute(select(store.A.c.customer_id).where(store.A.c.number == account)).scalar()
        ctr.check_on_file(conn, account, document)  # again in the posting's transaction (the file may change)
        conn.execute(insert(CR).values(
            transfer_id=result.id, session_id=view.id, account=account, customer_id=customer_id,
            direction="in" if result.credit == account else "out", amount=result.amount, currency=result.currency,
            id_type=document[0], id_number=document[1], teller=actor.username, flagged_at=self.ledger.clock()))
        self.ledger.record(conn, actor, "cash.ctr_flag", result.id, None,
                           {"account": account, "amount": money.plain(result.amount, result.currency),
                            "currency": result.currency, "id_type": document[0]})

    def vault_transfer(self, actor: Actor, session_id: int, amount: int, *, to_drawer: bool,
                       id: str | None = None) -> TransferResult:  # noqa: A002
        """Cash from the vault into the open drawer (``to_drawer``) or back to the vault."""
        self.ledger.authorize(actor, Permission.CASH, str(session_id))
        view = self._read(lambda c: records.session(c, session_id))
        self._own(actor, view)
        code = check_amount(amount, view.currency)
        vault = gl_number(self.ledger, actor, "vault", code)
        tid = id or uuid.uuid4().hex

        def work(conn: Connection) -> TransferResult:
            records.require_status(records.session(conn, session_id), "open")
            debit, credit = (view.account, vault) if to_drawer else (vault, view.account)
            result = post_gl(self.ledger, conn, actor, [_req(tid, debit, credit, amount, code, "vault_transfer",
                                                             f"{'vault to drawer' if to_drawer else 'drawer to vault'} "
                                                             f"{view.drawer}")])[0]
            if not to_drawer and cash_held(conn, view.account) < 0:
                raise InsufficientFunds(f"drawer {view.drawer} holds less than {money.format_minor(amount, code)}",
                                        account=view.account)
            return result

        return self.ledger.run(work)

    # -- the blind close -------------------------------------------------------------------------
    def count(self, actor: Actor, session_id: int, counts: dict[int, int]) -> CountResult:
        """Record the blind count (once; no cash moves through the drawer after it) and compare it with
        the cash the ledger expects. Returns the figures the teller sees only now."""
        self.ledger.authorize(actor, Permission.CASH, str(session_id))

        def work(conn: Connection) -> CountResult:
            view = records.session(conn, session_id)
            self._own(actor, view)
            records.require_status(view, "open")
            checked = dn.check(counts, view.currency)
            if pending_on(conn, view.account):
                raise DrawerState(f"drawer {view.drawer} has cash waiting for a decision (a withdrawal waiting for "
                                  "approval or held for fraud review); count it once that is approved or "
                                  "rejected", session=view.id)
            counted = dn.total(checked)
            expected = cash_held(conn, view.account)
            difference = counted - expected
            now = self.ledger.clock()
            conn.execute(update(S).where(S.c.id == session_id).values(
                status="counted", counted_at=now, counted=counted, counts=dn.to_json(checked), expected=expected,
                difference=difference))
            c = view.currency
            self.ledger.record(conn, actor, "drawer.count", f"{view.drawer}/{c}", None,
                               {"session": session_id, "counted": money.plain(counted, c),
                                "expected": money.plain(expected, c), "difference": money.plain(difference, c)})
            limit = self.limits.variance_limit(c)
            return CountResult(records.session(conn, session_id), counted, expected, difference, limit,
                               abs(difference) > limit)

        return self.ledger.run(work)

    def close(self, actor: Actor, session_id: int, *, supervisor: str | None = None, password: str | None = None,
              code: str | None = None, note: str = "") -> SessionView:
        """Close a counted session: the difference posts to cash over/short, the counted cash goes back to
        the vault. A difference above the limit needs a supervisor's sign-off: ``supervisor`` (an active
        supervisor's username, not the teller), their own ``password`` and, once they enrolled two-factor
        sign-in, a current ``code`` (checked by ``UserService.verify`` with the lockout and audit of a sign-in,
        as ``drawer.signoff``), and a ``note``; the supervisor and note are stored and audited."""
        self.ledger.authorize(actor, Permission.CASH, str(session_id))
        view = self._read(lambda c: records.session(c, session_id))
        self._own(actor, view)
        records.require_status(view, "counted")
        c, diff = view.currency, view.difference or 0
        limit = self.limits.variance_limit(c)
        note = text_input.clean(note or "", "the note").strip() if note else ""
        who = None
        if abs(diff) > limit or supervisor or note:
            who = signoff.check(self.engine, self.users, actor, view, supervisor, note, diff, limit, password, code)
        vault = gl_number(self.ledger, actor, "vault", c)
        over_short = gl_number(self.ledger, actor, "cash_over_short", c)

        def work(conn: Connection) -> SessionView:
            records.require_status(records.session(conn, session_id), "counted")
            reqs = []
            if diff > 0:
                reqs.append(_req(f"drawer-{session_id}-over", view.account, over_short, diff, c, "cash_over",
                                 f"cash over, drawer {view.drawer}"))
            elif diff < 0:
                reqs.append(_req(f"drawer-{session_id}-short", over_short, view.account, -diff, c, "cash_short",
                                 f"cash short, drawer {view.drawer}"))
            if view.counted:
                reqs.append(_req(f"drawer-{session_id}-return", vault, view.account, view.counted, c,
                                 "vault_transfer", f"close: drawer {view.drawer} to vault"))
            post_gl(self.ledger, conn, actor, reqs)
            now = self.ledger.clock()
            conn.execute(update(S).where(S.c.id == session_id).values(
                status="closed", closed_at=now, closed_by=actor.username, supervisor=who,
                supervisor_note=note or None))
            self.ledger.record(conn, actor, "drawer.close", f"{view.drawer}/{c}", None,
                               {"session": session_id, "difference": money.plain(diff, c), "supervisor": who,
                                "note": note or None})
            return records.session(conn, session_id)

        return self.ledger.run(work)

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


def _blind(actor: Actor, view: SessionView) -> SessionView:
    """The count is blind: before it, a teller is not told the cash the ledger expects in the drawer (``cash`` is
    None); a supervisor (``drawer.supervise``) is. After the count the expected figure is fixed and shown."""
    if view.status != "open" or actor.can(Permission.DRAWER_SUPERVISE):
        return view
    return replace(view, cash=None)


class _StaleSession(DrawerState):
    """The remembered session was counted or closed meanwhile (the cash posting looks again once)."""


def _req(tid: str, debit: str, credit: str, amount: int, code: str, kind: str, description: str) -> TransferRequest:
    return TransferRequest(id=tid, debit=debit, credit=credit, amount=amount, currency=code, code=kind,
                           description=description, channel="desk")
