"""The teller service: every desk action on customers, holds, statements, previews and receipts, with
permissions checked (and refusals audited) in core, as ``core.ledger.service.Ledger`` does."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, select

from core.documents.pdf import Document
from core.ledger import desk_controls, money, numbers, queries, store
from core.ledger.service import Ledger
from core.ledger.views import AccountView, StatementLine, TransferRequest
from core.persistence.models import ReceiptPrint
from core.security.roles import Actor, Permission, Role
from core.teller import customers, documents, holds, overview, preview as preview_mod, search as search_mod
from core.teller import statement as st
from core.teller.customers import CustomerRecord, NewCustomer
from core.teller.holds import HoldView
from core.teller.overview import AccountDetail, CustomerOverview
from core.teller.preview import TransferPreview
from core.teller.search import SearchHit

R = ReceiptPrint.__table__


class Teller:
    """Built over the desk's Ledger (its engine, audit trail, fraud screen and clock)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.engine = ledger.engine

    def _read(self, work: Callable[[Connection], object]):  # noqa: ANN202
        with self.engine.connect() as conn:
            return work(conn)

    # -- customers ------------------------------------------------------------------------------
    def add_customer(self, actor: Actor, new: NewCustomer) -> CustomerRecord:
        """Add a customer with every know-your-customer field checked (InvalidCustomer names the field)."""
        self.ledger.authorize(actor, Permission.CUSTOMER_ADD)
        values = customers.validate(new, self.ledger.clock().astimezone().date())

        def work(conn: Connection) -> CustomerRecord:
            cid = customers.insert_customer(conn, values, self.ledger.clock())
            self.ledger.record(conn, actor, "customer.add", customers.customer_number(cid), None,
                               {k: str(v) for k, v in values.items()})
            return customers.load(conn, cid)

        return self.ledger.run(work)

    def search(self, actor: Actor, query: str, limit: int = 20) -> list[SearchHit]:
        self.ledger.authorize(actor, Permission.LEDGER_VIEW)
        return self._read(lambda conn: search_mod.search(conn, query, limit))

    def customer(self, actor: Actor, customer_id: int) -> CustomerOverview:
        """The customer with their accounts, active holds, recent transfers and open fraud alerts (scores
        and reasons only for roles that may view alerts)."""
        self.ledger.authorize(actor, Permission.LEDGER_VIEW, str(customer_id))
        return self._read(lambda conn: overview.customer_overview(
            conn, customer_id, self.ledger.clock(), fraud_details=actor.can(Permission.ALERT_VIEW)))

    def open_account(self, actor: Actor, customer_id: int, currency: str, overdraft: int = 0,
                     note: str = "") -> AccountView:
        """Open a deposit account; an overdraft above ``actor``'s overdraft limit opens without one and asks a
        supervisor (``AccountView.overdraft_request``; rule in ``core.approvals.overdraft``)."""
        return self.ledger.open_account(actor, customer_id, currency, overdraft, note=note)

    def overdraft_limit(self, actor: Actor, currency: str) -> int | None:
        """The highest overdraft ``actor`` may set alone in ``currency`` (minor units); None: not checked."""
        four_eyes = self.ledger.four_eyes
        if four_eyes is None or actor.role is Role.SYSTEM:
            return None
        return four_eyes.policy.overdraft_limit(actor.role, money.currency(currency))

    def overdraft_check(self, actor: Actor, currency: str, amount: int, current: int = 0) -> str | None:
        """Before the confirmation: why this overdraft limit waits for a supervisor (above ``actor``'s own), or
        None; AboveEveryApprovalLimit when no supervisor could approve it (core would refuse it). No database."""
        four_eyes = self.ledger.four_eyes
        return None if four_eyes is None else four_eyes.would_wait_overdraft(actor, amount, currency, current)

    # -- accounts and holds ---------------------------------------------------------------------
    def account(self, actor: Actor, number: str) -> AccountDetail:
        number = numbers.validate(number)
        self.ledger.authorize(actor, Permission.LEDGER_VIEW, number)
        desk_controls.check_readable(self.engine, actor, number)  # a drawer's balance: the blind count's figure
        return self._read(lambda conn: overview.account(conn, number, self.ledger.clock()))

    def place_hold(self, actor: Actor, account: str, amount: int, reason: str, expires_at: datetime,
                   note: str = "", hold_id: str | None = None) -> HoldView:
        """Block ``amount`` (minor units) on ``account`` until ``expires_at``; ``hold_id`` is the
        idempotency key (the same id again returns the first hold)."""
        self.ledger.authorize(actor, Permission.HOLD_PLACE, account)
        hold_id = hold_id or f"hold-{uuid.uuid4().hex}"
        return self.ledger.run(lambda conn: holds.place(self.ledger, conn, actor, hold_id, account, amount, reason,
                                                        expires_at, note))

    def release_hold(self, actor: Actor, hold_pk: int, note: str = "") -> HoldView:
        self.ledger.authorize(actor, Permission.HOLD_RELEASE, str(hold_pk))
        return holds.release(self.ledger, actor, hold_pk, note)

    def holds(self, actor: Actor, account: str, include_ended: bool = False) -> list[HoldView]:
        self.ledger.authorize(actor, Permission.LEDGER_VIEW, account)
        desk_controls.check_readable(self.engine, actor, account)
        return self._read(lambda conn: holds.list_holds(conn, [holds.account_id(conn, account)], self.ledger.clock(),
                                                        include_ended=include_ended))

    # -- statements -----------------------------------------------------------------------------
    def _account_id(self, conn: Connection, number: str) -> int:
        return holds.account_id(conn, number)

    def statement_count(self, actor: Actor, account: str, f: st.StatementFilter) -> int:
        self.ledger.authorize(actor, Permission.LEDGER_VIEW, account)
        desk_controls.check_readable(self.engine, actor, account)
        return self._read(lambda conn: st.count(conn, self._account_id(conn, account), f))

    def statement_page(self, actor: Actor, account: str, f: st.StatementFilter, offset: int,
                       limit: int) -> list[StatementLine]:
        self.ledger.authorize(actor, Permission.LEDGER_VIEW, account)
        desk_controls.check_readable(self.engine, actor, account)
        return self._read(lambda conn: st.page(conn, self._account_id(conn, account), f, offset, limit))

    def statement_summary(self, actor: Actor, account: str, f: st.StatementFilter,
                          with_count: bool = True) -> st.Summary:
        """Opening and closing balance of ``f``'s period and (``with_count``) its number of lines."""
        self.ledger.authorize(actor, Permission.LEDGER_VIEW, account)
        desk_controls.check_readable(self.engine, actor, account)
        return self._read(lambda conn: st.summary(conn, self._account_id(conn, account), f, with_count=with_count))

    def export_csv(self, actor: Actor, account: str, f: st.StatementFilter, path: Path,
                   progress: documents.Progress | None = None) -> int:
        """Write the statement lines of ``f`` to ``path`` (CSV); audited as ``statement.export``."""
        self.ledger.authorize(actor, Permission.LEDGER_VIEW, account)
        desk_controls.check_readable(self.engine, actor, account)
        with self.engine.connect() as conn:
            view = queries.account_view(conn, numbers.validate(account), self.ledger.clock())
            written = documents.statement_csv(conn, view, f, path, progress)
        self._audit(actor, "statement.export", view.number, {"format": "csv", "period": f.period_text(),
                                                             "lines": written})
        return written

    def statement_pdf(self, actor: Actor, account: str, f: st.StatementFilter) -> Document:
        """The PDF statement of ``f``'s period (see core.teller.documents); audited as ``statement.export``."""
        self.ledger.authorize(actor, Permission.LEDGER_VIEW, account)
        desk_controls.check_readable(self.engine, actor, account)
        with self.engine.connect() as conn:
            view = queries.account_view(conn, numbers.validate(account), self.ledger.clock())
            holder = customers.load(conn, view.customer_id).name if view.customer_id else None
            doc = documents.statement_pdf(conn, view, holder, f)
        self._audit(actor, "statement.export", view.number, {"format": "pdf", "period": f.period_text()})
        return doc

    # -- transfers: preview and receipts ---------------------------------------------------------
    def preview(self, actor: Actor, req: TransferRequest) -> TransferPreview:
        """What ``req`` would post (names, amount, fee, balances after, fraud decision); writes nothing."""
        self.ledger.authorize(actor, Permission.TRANSFER_POST, req.id)
        return preview_mod.preview(self.ledger, actor, req)

    def receipt(self, actor: Actor, transfer_id: str) -> tuple[Document, int]:
        """The receipt of a transfer and its copy number (1: original; more: a reprint, marked so).
        Each copy is recorded and audited (``receipt.print`` / ``receipt.reprint``)."""
        self.ledger.authorize(actor, Permission.LEDGER_VIEW, transfer_id)

        def work(conn: Connection) -> tuple[Document, int]:
            row = store.transfers_by_id(conn, [transfer_id]).get(transfer_id)
            if row is None:
                from core.ledger.errors import TransferNotFound

                raise TransferNotFound(f"no transfer {transfer_id}", id=transfer_id)
            names = {r.id: (r.number, r.name) for r in conn.execute(
                select(store.A.c.id, store.A.c.number, store.A.c.name)
                .where(store.A.c.id.in_((row["debit_account_id"], row["credit_account_id"]))))}
            copy = (conn.execute(select(R.c.copy).where(R.c.transfer_id == transfer_id)
                                 .order_by(R.c.copy.desc()).limit(1)).scalar() or 0) + 1
            now = self.ledger.clock()
            conn.execute(R.insert().values(transfer_id=transfer_id, copy=copy, printed_by=actor.username,
                                           device=actor.device, printed_at=now))
            self.ledger.record(conn, actor, "receipt.print" if copy == 1 else "receipt.reprint", transfer_id, None,
                               {"copy": copy, **money.figure(row["amount"], row["currency"])})
            if row["state"] == "pending" and row["expires_at"] is not None and row["expires_at"] <= now:
                row = {**row, "state": "expired"}  # past its timeout the hold is released (the job records it)
            fraud = _why_not_posted(conn, row)
            fee_row = store.transfers_by_id(conn, [f"{transfer_id}:fee"]).get(f"{transfer_id}:fee")
            fee = fee_row["amount"] if fee_row is not None and fee_row["state"] == "posted" else 0
            doc = documents.receipt_pdf(row, names[row["debit_account_id"]], names[row["credit_account_id"]], copy,
                                        actor.username, fraud, fee)
            return doc, copy

        return self.ledger.run(work)

    def _audit(self, actor: Actor, action: str, target: str, after: dict) -> None:
        if self.ledger.audit is not None:
            self.ledger.run(lambda conn: self.ledger.record(conn, actor, action, target, None, after))



def _why_not_posted(conn: Connection, row: dict) -> str | None:
    """Why a pending transfer is not posted, for its receipt: waiting for a second person (four eyes), held
    by the fraud screen for review, or simply reserved (a pending transfer or an account hold)."""
    if row["state"] != "pending" or row["code"] == "hold":
        return None
    from core.approvals import store as approvals_store
    from core.persistence.models import FraudScore

    request = approvals_store.pending_for_transfer(conn, row["id"])
    if request is not None:
        return f"waiting for a supervisor's approval (request #{request.id}); nothing posts until it is approved"
    S = FraudScore.__table__  # noqa: N806
    decision = conn.execute(select(S.c.decision).where(S.c.transfer_id == row["id"])).scalar()
    if decision == "review":
        return "held for fraud review; an analyst decides"
    return "pending; the funds are reserved until it is posted or voided"
