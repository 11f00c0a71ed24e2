"""A transfer's dry run: exactly what would post, checked and screened, with nothing written.

The same rules as the posting path (``core.ledger.posting``: accounts usable, same currency, funds
within the overdraft limit) and the same fraud screen (``Ledger._screen``: read-only scoring) run in a
transaction that is rolled back. Refusals raise the same typed errors a real posting would. The fraud
decision is what the screen says now; the real posting screens again (its result is what counts).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from core.ledger import store
from core.ledger.errors import TransferDeclined
from core.ledger.money import plain
from core.ledger.posting import Posting, normalize
from core.ledger.state import AccountState
from core.ledger.views import TransferRequest
from core.persistence.models import Customer
from core.security.roles import Actor, sees_fraud_details

if TYPE_CHECKING:
    from core.ledger.service import Ledger

A, C = store.A, Customer.__table__
_STATE = (A.c.id, A.c.number, A.c.customer_id, A.c.kind, A.c.currency, A.c.status, A.c.overdraft_limit,
          A.c.debits_posted, A.c.credits_posted, A.c.debits_pending, A.c.credits_pending)


@dataclass(frozen=True)
class TransferPreview:
    """What ``req`` would do. Balances are the accounts' after the transfer (minor units)."""

    request: TransferRequest
    debit_name: str
    credit_name: str
    fee: int
    debit_current_after: int
    debit_available_after: int
    credit_current_after: int
    decision: str  # approve | review | decline | none (not screened: the bank's own accounts)
    score: float | None
    reasons: tuple[str, ...]
    approval: str | None = None  # why it will wait for a second person (core.approvals), if it will
    debit_customer_id: int | None = None  # whose account pays (None: a bank GL account)

    @property
    def outcome(self) -> str:
        """In words: what will happen when confirmed."""
        if self.approval and self.decision != "decline":
            return f"sent for approval ({self.approval}): the funds are reserved, nothing posts until a supervisor approves"
        return {"review": "held for fraud review (funds reserved, an analyst decides)",
                "decline": "declined by fraud screening (nothing will post; check it with the customer, and if it is "
                           "genuine ask a supervisor to have the fraud team review it)"}.get(self.decision, "posted at once")

    def to_dict(self) -> dict[str, Any]:
        c = self.request.currency
        return {"from": self.request.debit, "from_name": self.debit_name, "to": self.request.credit,
                "to_name": self.credit_name, "amount": plain(self.request.amount, c), "currency": c,
                "fee": plain(self.fee, c), "from_available_after": plain(self.debit_available_after, c),
                "from_current_after": plain(self.debit_current_after, c), "decision": self.decision,
                "score": self.score, "reasons": list(self.reasons), "approval": self.approval,
                "outcome": self.outcome}


def preview(ledger: Ledger, actor: Actor, req: TransferRequest) -> TransferPreview:
    req = normalize(req, actor)
    with ledger.engine.connect() as conn:
        try:
            rows = conn.execute(select(*_STATE).where(A.c.number.in_((req.debit, req.credit))).order_by(A.c.id))
            accounts = {r.number: AccountState(*r) for r in rows}
            now = ledger.clock()
            store.note_expired_holds(conn, accounts.values(), now)  # holds past their timeout reserve nothing
            posting = Posting(actor, now, accounts, {})
            names = dict(conn.execute(select(A.c.number, C.c.name.label("holder"))
                                      .select_from(A.outerjoin(C, C.c.id == A.c.customer_id))
                                      .where(A.c.number.in_((req.debit, req.credit)))).all())
            acc_names = dict(conn.execute(select(A.c.number, A.c.name).where(A.c.number.in_((req.debit, req.credit)))).all())
            decision, score, reasons = "none", None, ()
            _all_problems(posting, actor, req)
            try:
                screened = ledger._screen(conn, posting, req, [])
            except TransferDeclined as err:
                decision, score, reasons = "decline", err.score, err.reasons
            else:
                if screened is not None:
                    verdict = screened[1]
                    decision, score, reasons = verdict.decision, verdict.score, tuple(verdict.reasons)
            approval = None
            if decision != "decline":  # a declined payment never reaches the posting rules: nothing moves
                need = (ledger.four_eyes.need(conn, actor, req, posting.account(req.debit), posting.account(req.credit))
                        if ledger.four_eyes is not None else None)
                if need is not None:
                    approval = _why(need, actor, req.currency)
                posting.apply(req, hold=decision == "review" or need is not None)
        finally:
            conn.rollback()
    debit, credit = posting.account(req.debit), posting.account(req.credit)
    if not sees_fraud_details(actor):  # the decision only: no score or reasons for a teller (tipping off)
        score, reasons = None, ()
    return TransferPreview(req, names.get(req.debit) or acc_names.get(req.debit, ""),
                           names.get(req.credit) or acc_names.get(req.credit, ""), 0, debit.balance,
                           debit.available, credit.balance, decision, score, tuple(reasons), approval,
                           debit.customer_id)


def _why(need, actor: Actor, currency: str) -> str:  # noqa: ANN001 - core.approvals.Need
    from core.approvals.policy import why

    return why(need, actor, currency)


def _all_problems(posting: Posting, actor: Actor, req: TransferRequest) -> None:
    """Refusals (core.errors.Refusals) when more than one independent thing is wrong with ``req`` (each
    account, the GL rule, the funds), so the form shows every error at once (QA #6); one problem is left to
    the posting's own checks, which refuse it the usual way."""
    from core.errors import QenexError, Refusals
    from core.ledger import desk_controls, state
    from core.ledger.errors import CurrencyMismatch

    problems: list[QenexError] = []
    found = {}
    for number, as_debit in ((req.debit, True), (req.credit, False)):
        try:
            acc = posting.account(number)
            found[as_debit] = acc
            acc.ensure_usable(as_debit=as_debit)
            if acc.currency != req.currency:
                problems.append(CurrencyMismatch(f"account {acc.number} holds {acc.currency}, the transfer is in "
                                                 f"{req.currency}", account=acc.number, currency=req.currency))
        except QenexError as err:
            problems.append(err)
    checks = []
    if len(found) == 2:
        checks.append(lambda: desk_controls.check(actor, found[True], found[False], operation=None,
                                                  reason=req.description, correction=req.reverses_id is not None))
    if True in found and found[True].currency == req.currency:
        checks.append(lambda: state.check_funds(found[True], req.amount))
    for check in checks:
        try:
            check()
        except QenexError as err:
            problems.append(err)
    if len(problems) > 1:
        raise Refusals(problems)
