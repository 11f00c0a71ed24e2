"""Standing instructions: a customer's recurring transfer of a fixed amount, weekly or monthly, valid
from a date (which fixes the weekday or the day of month) until an optional last date.

``run_due`` is the scheduled job (the console's worker runs it at start-up and every few minutes;
``qenex standing run`` too). Each due date runs at most once, whichever desk gets there first: the
transfer id is ``standing-<instruction>-<due date>`` (the ledger's idempotency key) and
``standing_runs`` is unique per (instruction, due date), written in the posting's own transaction.
Runs go through the ledger's screened path (fraud screen, audit trail, events) as the system; a refusal
(insufficient funds, a frozen account, a fraud decline) is recorded as a failed run with its reason and
is not retried. Missed due dates (the console was closed) run on the next job, oldest first.
Months without the day (the 31st in April) use their last day.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from core import text as text_input
from core.errors import NotFound, PermissionDenied, QenexError, Refusals, ValidationError
from core.ledger import money, numbers, store
from core.ledger.errors import AccountNotFound
from core.ledger.posting import check_amount
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest, TransferResult
from core.persistence.models import StandingInstruction, StandingRun
from core.security.roles import Actor, Permission, Role

SI, SR, A = StandingInstruction.__table__, StandingRun.__table__, store.A
FREQUENCIES = ("weekly", "monthly")
MAX_CATCH_UP = 60  # due dates one job runs per instruction (a console closed for years catches up in steps)


class InvalidInstruction(ValidationError):
    """One field of a new standing instruction is wrong; ``field`` names it."""

    code = "invalid_instruction"

    def __init__(self, field_: str, message: str) -> None:
        super().__init__(message, field=field_)
        self.field = field_


class InvalidInstructionFields(Refusals, ValidationError):
    """More than one field of a new standing instruction is wrong: ``errors`` has an InvalidInstruction each."""

    code = "invalid_instruction"


def _refuse(problems: list[InvalidInstruction]) -> None:
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise InvalidInstructionFields(list(problems))


class InstructionNotFound(NotFound):
    code = "instruction_not_found"


def due_dates(frequency: str, valid_from: date, valid_until: date | None, after: date | None, through: date,
              limit: int = MAX_CATCH_UP) -> list[date]:
    """Due dates later than ``after`` (None: from the start) up to ``through`` and ``valid_until``."""
    out: list[date] = []
    k = 0
    while len(out) < limit:
        if frequency == "weekly":
            due = valid_from + timedelta(weeks=k)
        else:
            month0 = valid_from.month - 1 + k
            year, month = valid_from.year + month0 // 12, month0 % 12 + 1
            due = date(year, month, min(valid_from.day, calendar.monthrange(year, month)[1]))
        if due > through or (valid_until is not None and due > valid_until):
            break
        if after is None or due > after:
            out.append(due)
        k += 1
    return out


@dataclass(frozen=True)
class RunView:
    instruction_id: int
    due_date: date
    state: str  # posted | held | failed
    transfer_id: str
    error_code: str | None
    message: str | None
    ran_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"instruction": self.instruction_id, "due_date": self.due_date.isoformat(), "state": self.state,
                "transfer_id": self.transfer_id, "error": self.error_code, "message": self.message,
                "ran_at": self.ran_at.isoformat()}


@dataclass(frozen=True)
class InstructionView:
    """A standing instruction with what the desk shows beside it: the next due date (None when it has
    ended), the last run and the number of failed runs."""

    id: int
    customer_id: int
    debit: str
    credit: str
    credit_name: str
    amount: int
    currency: str
    frequency: str
    valid_from: date
    valid_until: date | None
    description: str
    status: str
    created_by: str
    next_due: date | None
    last_run: RunView | None
    failures: int
    warning: str | None = None  # at creation: the payer's available balance does not cover one run

    def to_dict(self) -> dict[str, Any]:
        return {**({"warning": self.warning} if self.warning else {}), "id": self.id, "customer_id": self.customer_id, "from": self.debit, "to": self.credit,
                "to_name": self.credit_name, **money.figure(self.amount, self.currency),
                "frequency": self.frequency, "valid_from": self.valid_from.isoformat(),
                "valid_until": self.valid_until.isoformat() if self.valid_until else None,
                "description": self.description, "status": self.status, "created_by": self.created_by,
                "next_due": self.next_due.isoformat() if self.next_due else None,
                "last_run": self.last_run.to_dict() if self.last_run else None, "failures": self.failures}


def _run(row: Any) -> RunView:
    return RunView(row.instruction_id, row.due_date, row.state, row.transfer_id, row.error_code, row.message,
                   row.ran_at)


class StandingOrders:
    """Standing instructions over the desk's Ledger (screen, audit trail, clock)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger, self.engine = ledger, ledger.engine

    def today(self) -> date:
        return self.ledger.clock().astimezone().date()

    # -- instructions ---------------------------------------------------------------------------
    def add(self, actor: Actor, debit: str, credit: str, amount: int, frequency: str, valid_from: date,
            valid_until: date | None = None, description: str = "") -> InstructionView:
        """Add an instruction from a customer's account to another customer account (same currency).
        InvalidInstruction names the wrong field (from, to, amount, frequency, valid_from, valid_until,
        description); nothing is written on a refusal."""
        self.ledger.authorize(actor, Permission.TRANSFER_POST, debit)
        problems: list[InvalidInstruction] = []  # every wrong field at once (QA2 #3), not one per attempt

        def check(key: str, call: Any) -> Any:
            try:
                return call()
            except InvalidInstruction as err:
                problems.append(err)
            except QenexError as err:
                problems.append(InvalidInstruction(key, err.message))
            return None

        debit, credit = check("from", lambda: self._number(debit, "from")), check("to", lambda: self._number(credit, "to"))
        if debit is not None and debit == credit:
            problems.append(InvalidInstruction("to", "a standing instruction pays into another account than it takes "
                                                     "from"))
        frequency = (frequency or "").strip().lower()
        if frequency not in FREQUENCIES:
            problems.append(InvalidInstruction("frequency", "choose weekly or monthly"))
        today = self.today()
        if not isinstance(valid_from, date) or valid_from < today:
            problems.append(InvalidInstruction("valid_from", f"the first due date must be today ({today}) or later"))
        elif valid_from > today + timedelta(days=5 * 366):
            problems.append(InvalidInstruction("valid_from", "the first due date must be within five years"))
        elif valid_until is not None and valid_until < valid_from:
            problems.append(InvalidInstruction("valid_until", f"the last date must be on or after the first "
                                                              f"({valid_from})"))
        description = check("description", lambda: text_input.clean(description or "", "the description").strip()
                            if description else "") or ""
        if len(description) > 140:
            problems.append(InvalidInstruction("description", "a description has at most 140 characters"))
        if debit is None or credit is None:
            _refuse(problems)

        def work(conn: Connection) -> InstructionView:
            accs = {r.number: r for r in conn.execute(select(A.c.id, A.c.number, A.c.customer_id, A.c.kind, A.c.currency,
                                                              A.c.status, A.c.name)
                                                       .where(A.c.number.in_((debit, credit))))}
            src, dst = accs.get(debit), accs.get(credit)
            found = list(problems)
            for key, acc, number in (("from", src, debit), ("to", dst, credit)):
                if acc is None:
                    found.append(InvalidInstruction(key, f"no account {number}"))
                elif acc.kind != "deposit":
                    found.append(InvalidInstruction(key, f"{number} is one of the bank's own accounts; standing "
                                                         "instructions move money between customer accounts"))
                elif acc.status == "closed":
                    found.append(InvalidInstruction(key, f"account {number} is closed"))
            if src is not None and dst is not None and dst.currency != src.currency:
                found.append(InvalidInstruction("to", f"{credit} holds {dst.currency}, {debit} holds {src.currency}"))
            currency = src.currency if src is not None else dst.currency if dst is not None else None
            try:
                if currency is not None:
                    check_amount(amount, currency)
                    self._within_limit(conn, actor, amount, currency, found)
            except QenexError as err:
                found.append(InvalidInstruction("amount", err.message))
            _refuse(found)
            now = self.ledger.clock()
            iid = conn.execute(insert(SI).values(
                customer_id=src.customer_id, debit_account_id=src.id, credit_account_id=dst.id, amount=amount,
                currency=src.currency, frequency=frequency, valid_from=valid_from, valid_until=valid_until,
                description=description, status="active", created_by=actor.username, created_at=now
            ).returning(SI.c.id)).scalar_one()
            self.ledger.record(conn, actor, "standing.add", str(iid), None, {
                "from": debit, "to": credit, **money.figure(amount, src.currency),
                "frequency": frequency, "valid_from": valid_from.isoformat(),
                "valid_until": valid_until.isoformat() if valid_until else None})
            return self._views(conn, SI.c.id == iid)[0]

        view = self.ledger.run(work)
        return replace(view, warning=self.funding_warning(actor, debit, amount))

    def _within_limit(self, conn: Connection, actor: Actor, amount: int, currency: str, found: list) -> None:
        """QA3 #2: each run posts as the system with no second look, so an instruction above its creator's
        transfer limit (four eyes, core.approvals) is refused: someone whose limit covers it sets it up."""
        four_eyes = getattr(self.ledger, "four_eyes", None)
        need = four_eyes.policy.limit_need(conn, actor, amount, currency) if four_eyes is not None else None
        if need is not None:
            found.append(InvalidInstruction("amount", (
                f"{money.format_minor(amount, currency)} a run is above the {actor.role} limit of "
                f"{money.format_minor(need.limit or 0, currency)}; runs post without a second person, so ask a "
                "supervisor whose limit covers it to set up this instruction (nothing was saved)")))

    def funding_warning(self, actor: Actor, debit: str, amount: int) -> str | None:
        """A warning (never a refusal: money may come in before the first due date) when ``debit``'s available
        balance is less than one run of ``amount``; None when it covers it."""
        balance = self.ledger.balance(actor, debit)
        if not isinstance(amount, int) or balance.available >= amount:
            return None
        cur = balance.currency
        return (f"account {debit} has {money.format_minor(balance.available, cur)} available, less than one run of "
                f"{money.format_minor(amount, cur)}: unless money comes in before each due date, the run fails "
                "(the run history shows it)")

    @staticmethod
    def _number(value: str, key: str) -> str:
        try:
            return numbers.validate(value)
        except QenexError as err:
            raise InvalidInstruction(key, err.message) from None

    def cancel(self, actor: Actor, instruction_id: int) -> InstructionView:
        self.ledger.authorize(actor, Permission.TRANSFER_POST, str(instruction_id))

        def work(conn: Connection) -> InstructionView:
            view = self._one(conn, instruction_id)
            if view.status == "active":
                conn.execute(update(SI).where(SI.c.id == instruction_id).values(status="cancelled"))
                self.ledger.record(conn, actor, "standing.cancel", str(instruction_id), {"status": "active"},
                                   {"status": "cancelled"})
            return self._one(conn, instruction_id)

        return self.ledger.run(work)

    def list(self, actor: Actor, account: str | None = None, customer_id: int | None = None,
             include_ended: bool = True) -> list[InstructionView]:
        self.ledger.authorize(actor, Permission.LEDGER_VIEW, account or "")
        with self.engine.connect() as conn:
            cond = SI.c.id > 0
            if account is not None:
                number = numbers.validate(account)
                acc_id = conn.execute(select(A.c.id).where(A.c.number == number)).scalar()
                if acc_id is None:
                    raise AccountNotFound(f"no account {number}", account=number)
                cond = cond & ((SI.c.debit_account_id == acc_id) | (SI.c.credit_account_id == acc_id))
            if customer_id is not None:
                cond = cond & (SI.c.customer_id == customer_id)
            views = self._views(conn, cond)
        return [v for v in views if include_ended or (v.status == "active" and v.next_due is not None)]

    def runs(self, actor: Actor, instruction_id: int, limit: int = 100) -> list[RunView]:
        """The instruction's run history, newest due date first."""
        self.ledger.authorize(actor, Permission.LEDGER_VIEW, str(instruction_id))
        with self.engine.connect() as conn:
            self._one(conn, instruction_id)
            rows = conn.execute(select(SR).where(SR.c.instruction_id == instruction_id)
                                .order_by(SR.c.due_date.desc()).limit(limit))
            return [_run(r) for r in rows]

    def _one(self, conn: Connection, instruction_id: int) -> InstructionView:
        found = self._views(conn, SI.c.id == instruction_id)
        if not found:
            raise InstructionNotFound(f"no standing instruction {instruction_id}", instruction=instruction_id)
        return found[0]

    def _views(self, conn: Connection, cond) -> list[InstructionView]:  # noqa: ANN001
        rows = conn.execute(select(SI).where(cond).order_by(SI.c.id)).all()
        if not rows:
            return []
        ids = [r.id for r in rows]
        nums = {r.id: (r.number, r.name) for r in conn.execute(select(A.c.id, A.c.number, A.c.name).where(
            A.c.id.in_({r.debit_account_id for r in rows} | {r.credit_account_id for r in rows})))}
        last = {}
        for r in conn.execute(select(SR).where(SR.c.instruction_id.in_(ids)).order_by(SR.c.due_date)):
            last[r.instruction_id] = _run(r)
        failures = dict(conn.execute(select(SR.c.instruction_id, func.count()).where(
            SR.c.instruction_id.in_(ids), SR.c.state == "failed").group_by(SR.c.instruction_id)).all())
        out = []
        for r in rows:
            done = last.get(r.id)
            nxt = None
            if r.status == "active":
                upcoming = due_dates(r.frequency, r.valid_from, r.valid_until, done.due_date if done else None,
                                     date.max - timedelta(days=40), limit=1)
                nxt = upcoming[0] if upcoming else None
            out.append(InstructionView(r.id, r.customer_id, nums[r.debit_account_id][0], nums[r.credit_account_id][0],
                                       nums[r.credit_account_id][1], r.amount, r.currency, r.frequency, r.valid_from,
                                       r.valid_until, r.description, r.status, r.created_by, nxt, done,
                                       failures.get(r.id, 0)))
        return out

    # -- the scheduled job ----------------------------------------------------------------------
    def run_due(self, actor: Actor, through: date | None = None,
                instruction_id: int | None = None) -> list[RunView]:
        """Run every due date up to ``through`` (default today) not run yet, oldest first; returns the
        runs this call made (posted, held or failed). Never runs a due date twice.

        The scheduler's job: only the system (the console's worker, the command line) or a supervisor
        (``Permission.STANDING_RUN``; a teller gets PermissionDenied naming who may) starts it. The runs
        post as the system with the caller's desk, as the scheduled job does; a person starting it is
        audited (``standing.run_now``)."""
        try:
            self.ledger.authorize(actor, Permission.STANDING_RUN, "standing")
        except PermissionDenied as err:
            raise PermissionDenied(f"{err.message} (or the system's scheduler, which runs due instructions on its "
                                   "own every few minutes); nothing was run", **err.details) from None
        if actor.role is not Role.SYSTEM:
            self.ledger.run(lambda conn: self.ledger.record(conn, actor, "standing.run_now", "standing", None, {
                "instruction": instruction_id, "through": (through or self.today()).isoformat()}))
            actor = Actor("system", Role.SYSTEM, device=actor.device)
        through = through or self.today()
        with self.engine.connect() as conn:
            cond = (SI.c.status == "active") & (SI.c.valid_from <= through)
            if instruction_id is not None:
                self._one(conn, instruction_id)
                cond = cond & (SI.c.id == instruction_id)
            work = []
            for r in conn.execute(select(SI).where(cond).order_by(SI.c.id)).all():
                latest = conn.execute(select(func.max(SR.c.due_date)).where(SR.c.instruction_id == r.id)).scalar()
                for due in due_dates(r.frequency, r.valid_from, r.valid_until, latest, through):
                    work.append((r, due))
            nums = store.account_numbers(conn, {r.debit_account_id for r, _ in work} |
                                         {r.credit_account_id for r, _ in work})
        return [run for run in (self._run_one(actor, r, due, nums) for r, due in work) if run is not None]

    def _run_one(self, actor: Actor, r: Any, due: date, nums: dict[int, str]) -> RunView | None:
        tid = f"standing-{r.id}-{due.isoformat()}"
        req = TransferRequest(id=tid, debit=nums[r.debit_account_id], credit=nums[r.credit_account_id],
                              amount=r.amount, currency=r.currency, code="standing",
                              description=r.description or f"standing instruction {r.id}", channel="transfer")
        made: list[RunView] = []

        def also(conn: Connection, result: TransferResult) -> None:
            if conn.execute(select(SR.c.id).where(SR.c.instruction_id == r.id, SR.c.due_date == due)).first():
                return  # another desk's job ran this date
            state = "held" if result.state == "pending" else "posted"
            made.append(self._record(conn, actor, r.id, due, state, tid, None, None))

        try:
            self.ledger.transfer(actor, req, also=also)
        except QenexError as err:
            try:
                return self.ledger.run(lambda conn: self._record(conn, actor, r.id, due, "failed", tid, err.code,
                                                                 err.message[:500]), attempts=1)
            except IntegrityError:
                return None  # another desk recorded this date meanwhile
        return made[0] if made else None

    def _record(self, conn: Connection, actor: Actor, iid: int, due: date, state: str, tid: str,
                code: str | None, message: str | None) -> RunView:
        now = self.ledger.clock()
        conn.execute(insert(SR).values(instruction_id=iid, due_date=due, state=state, transfer_id=tid,
                                       error_code=code, message=message, ran_at=now, attempts=1))
        self.ledger.record(conn, actor, "standing.run" if state != "failed" else "standing.failed", str(iid), None,
                           {"due_date": due.isoformat(), "state": state, "transfer_id": tid, "error": code})
        return RunView(iid, due, state, tid, code, message, now)
