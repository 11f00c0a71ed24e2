"""Cash at the desk through the teller's open drawer: deposits and withdrawals (CTR flags with the customer's ID
document, four eyes for a withdrawal above the teller's limit), their checks before the confirmation, and
cash between the vault and a drawer. Mixed into ``core.drawers.service.Drawers``, whose ledger, limits,
remembered open sessions, ``_read`` and ``_own`` it uses.
"""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select

from core.drawers import checks, ctr, records
from core.drawers.errors import DrawerState, IdDocumentRequired, NoOpenDrawer
from core.drawers.posting import OPERATION, cash_held, gl_request, post_gl
from core.drawers.records import CR, S, SessionView
from core.ledger import money, store
from core.ledger.errors import InsufficientFunds
from core.ledger.posting import check_amount
from core.ledger.views import TransferRequest, TransferResult
from core.payments.clearing import account_number as gl_number
from core.security.roles import Actor, Permission

if TYPE_CHECKING:
    from core.drawers.limits import DrawerLimits
    from core.ledger.service import Ledger


class CashDesk:
    """``Drawers``' cash methods (see the module doc)."""

    ledger: Ledger
    limits: DrawerLimits
    _open: dict[tuple[str, str], SessionView]
    _read: Any  # Drawers._read
    _own: Any  # Drawers._own

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
        return checks.blind(actor, checks.drawer_ready(self._read, actor.username, amount, code, deposit=deposit))

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
                           {"account": account, **money.figure(result.amount, result.currency), "id_type": document[0]})

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
            result = post_gl(self.ledger, conn, actor, [gl_request(tid, debit, credit, amount, code, "vault_transfer",
                                                             f"{'vault to drawer' if to_drawer else 'drawer to vault'} "
                                                             f"{view.drawer}")])[0]
            if not to_drawer and cash_held(conn, view.account) < 0:
                raise InsufficientFunds(f"drawer {view.drawer} holds less than {money.format_minor(amount, code)}",
                                        account=view.account)
            return result

        return self.ledger.run(work)


class _StaleSession(DrawerState):
    """The remembered session was counted or closed meanwhile (the cash posting looks again once)."""
