"""Applying transfers to locked account state: the one rule path shared by single, linked and batch posting."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from core.errors import ValidationError
from core import text
from core.ledger import desk_controls, money, numbers, state
from core.ledger.errors import (
    AccountNotFound, AlreadyCorrected, BackdatingNotAllowed, IdConflict, InvalidAmount, InvalidTimeout,
    NotCorrectable, SameAccount, TransferNotFound,
)
from core.ledger.state import AccountState
from core.ledger.views import TransferRequest, TransferResult
from core.security.roles import Actor, Role

MAX_ID = 64
MAX_TIMEOUT_SECONDS = 30 * 24 * 3600  # a pending transfer's hold lasts at most 30 days (card schemes' longest
# authorisation hold); longer reservations are account holds, which a supervisor releases


def normalize(req: TransferRequest, actor: Actor) -> TransferRequest:
    """Check the request's shape (nothing in the database) and return it normalized."""
    check_id(req.id)
    cur = check_amount(req.amount, req.currency)
    debit, credit = numbers.validate(req.debit), numbers.validate(req.credit)
    if debit == credit:
        raise SameAccount(f"cannot transfer from account {debit} to itself", account=debit)
    if req.timeout_seconds is not None:
        check_timeout(req.timeout_seconds, pending=req.pending)
    if req.at is not None and actor.role is not Role.SYSTEM:
        raise BackdatingNotAllowed("only the system operator may post with an earlier date (imports)")
    if req.at is not None and req.at.tzinfo is None:
        raise ValidationError("transfer time must be timezone-aware")
    description = _text_fields(req)
    # A desk payment names the desk it was made at (its receipt says so): the person's workstation. It is the
    # bank's, never the customer's device (core.fraud.txn.customer_device leaves it out of links and habits).
    device = actor.device if req.device is None and req.channel == "desk" and actor.device else req.device
    if device is not None and len(device) > 64:
        device = device[:64]
    if (debit, credit, cur, description, device) == (req.debit, req.credit, req.currency, req.description, req.device):
        return req
    return replace(req, debit=debit, credit=credit, currency=cur, description=description, device=device)


# The transfers table's text columns and their sizes (core.persistence.models.ledger.Transfer).
_TEXT_LIMITS = (("code", 20), ("channel", 16), ("counterparty", 64), ("device", 64))


def _text_fields(req: TransferRequest) -> str:
    """The description as stored (``core.text.clean``); the other text fields checked against their columns."""
    description = text.clean(req.description, "the description") if req.description else ""
    if len(description) > 200:
        raise ValidationError(f"a description has at most 200 characters, got {len(description)}")
    for name, size in _TEXT_LIMITS:
        value = getattr(req, name)
        if value is not None and (not isinstance(value, str) or len(value) > size or not value.isprintable()):
            raise ValidationError(f"{name} must be at most {size} printable characters, got {str(value)[:size + 10]!r}")
    country = req.counterparty_country
    if country is not None and not (isinstance(country, str) and len(country) == 2 and country.isascii()
                                    and country.isalpha()):
        raise ValidationError(f"counterparty country must be an ISO 3166 two-letter code, got {country!r}")
    return description


def check_amount(amount: object, currency: str) -> str:
    """A transfer's amount: positive integer minor units up to ``money.max_transfer``; returns the
    normalised currency. Raises InvalidAmount, AmountTooLarge or UnknownCurrency."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidAmount(f"amount must be an integer number of minor units, got {amount!r}")
    if amount <= 0:
        raise InvalidAmount(f"the amount must be positive, got {amount}", amount=amount)
    cur = money.currency(currency)
    money.check_transfer_amount(amount, cur)
    return cur


def check_id(value: object, what: str = "transfer id") -> str:
    """A transfer id as stored: 1-MAX_ID printable characters without spaces. Raises ValidationError."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID or not value.isprintable() or " " in value:
        shown = repr(value)[:MAX_ID + 10]
        raise ValidationError(f"a {what} has 1-{MAX_ID} printable characters without spaces, got {shown}")
    return value


def check_timeout(seconds: object, *, pending: bool = True) -> int:
    """A pending transfer's timeout: whole seconds, 1 .. MAX_TIMEOUT_SECONDS. Raises InvalidTimeout."""
    if not pending:
        raise InvalidTimeout("a timeout applies to a pending transfer only (add --pending)")
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 < seconds <= MAX_TIMEOUT_SECONDS:
        raise InvalidTimeout(f"a pending transfer's timeout is 1 to {MAX_TIMEOUT_SECONDS:,} seconds (30 days), "
                             f"got {seconds!r}", timeout=seconds)
    return seconds


@dataclass
class Posting:
    """The rows one database transaction will write, built while rules are applied in memory."""

    actor: Actor
    now: datetime
    accounts: dict[str, AccountState]
    existing: dict[str, Any]
    transfers: list[dict[str, Any]] = field(default_factory=list)
    entries: list[tuple] = field(default_factory=list)  # rows in store.ENTRY_COLUMNS order
    touched: dict[int, AccountState] = field(default_factory=dict)
    corrected: set[str] = field(default_factory=set)
    link_id: str | None = None
    # The operation that owns the GL accounts this posting may touch (core.ledger.desk_controls.OWNERS):
    # set only by that operation's core code (cash, hold, card, rail), never from a request.
    operation: str | None = None
    # (transfer id, reason) of each supervisor's direct GL movement: the caller audits them.
    gl_movements: list[tuple[str, str]] = field(default_factory=list)

    def account(self, number: str) -> AccountState:
        try:
            return self.accounts[number]
        except KeyError:
            raise AccountNotFound(f"no account {number}", account=number) from None

    def replay(self, req: TransferRequest) -> TransferResult | None:
        """The earlier result for a retried id, None for a new id, IdConflict for reused ids."""
        row = self.existing.get(req.id)
        if row is None:
            return None
        if row["fingerprint"] != req.fingerprint():
            raise IdConflict(f"transfer id {req.id} was already used for a different transfer", id=req.id)
        return TransferResult(id=req.id, state=row["state"], kind=row["kind"], amount=row["amount"],
                              currency=row["currency"], debit=req.debit, credit=req.credit,
                              created_at=row["created_at"], replayed=True)

    def apply(self, req: TransferRequest, *, hold: bool = False) -> TransferResult:
        """Apply one normalized request; on refusal nothing in memory has changed."""
        replayed = self.replay(req)
        if replayed is not None:
            return replayed
        debit, credit = self.account(req.debit), self.account(req.credit)
        state.check_pair(debit, credit, req.currency)
        if req.reverses_id is not None:
            self._check_correction(req, debit, credit)
        override = desk_controls.check(self.actor, debit, credit, operation=self.operation, reason=req.description,
                                       correction=req.reverses_id is not None)
        state.check_funds(debit, req.amount)
        at = req.at or self.now
        pending = req.pending or hold
        if pending:
            state.reserve(debit, credit, req.amount)
        else:
            state.post(debit, credit, req.amount)
        if req.reverses_id is not None:
            self.corrected.add(req.reverses_id)
        if not pending:
            self.entries.append((req.id, debit.id, -req.amount, debit.balance, at))
            self.entries.append((req.id, credit.id, req.amount, credit.balance, at))
        self.touched[debit.id] = debit
        self.touched[credit.id] = credit
        kind = "pending" if pending else "single"
        expires = at + timedelta(seconds=req.timeout_seconds) if req.timeout_seconds else None
        row = {
            "id": req.id, "debit_account_id": debit.id, "credit_account_id": credit.id, "amount": req.amount,
            "currency": req.currency, "kind": kind, "state": "pending" if pending else "posted",
            "pending_id": None, "reverses_id": req.reverses_id, "expires_at": expires, "code": req.code,
            "description": req.description, "channel": req.channel, "counterparty": req.counterparty,
            "counterparty_country": req.counterparty_country, "device": req.device, "link_id": self.link_id,
            "fingerprint": req.fingerprint(), "created_by": self.actor.username, "created_at": at,
        }
        self.transfers.append(row)
        self.existing[req.id] = row
        if override:
            self.gl_movements.append((req.id, req.description))
        return TransferResult(id=req.id, state=row["state"], kind=kind, amount=req.amount, currency=req.currency,
                              debit=req.debit, credit=req.credit, created_at=at)

    def _check_correction(self, req: TransferRequest, debit: AccountState, credit: AccountState) -> None:
        original = self.existing.get(req.reverses_id)
        if original is None:
            raise TransferNotFound(f"no transfer {req.reverses_id} to correct", id=req.reverses_id)
        if original["kind"] not in ("single", "post_pending") or original["state"] != "posted":
            raise NotCorrectable(f"transfer {req.reverses_id} is {original['kind']}/{original['state']}; "
                                 "only posted transfers are corrected (void a pending one instead)")
        if req.reverses_id in self.corrected:
            raise AlreadyCorrected(f"transfer {req.reverses_id} was already corrected", id=req.reverses_id)
        if (original["debit_account_id"], original["credit_account_id"]) != (credit.id, debit.id):
            raise NotCorrectable("a correction must move money back between the same two accounts")
        if req.amount > original["amount"]:
            raise NotCorrectable("a correction cannot exceed the original amount")
