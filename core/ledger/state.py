"""In-memory account state and the posting rules that every path (single, linked, batch) applies."""
from __future__ import annotations

from dataclasses import dataclass

from core.ledger.errors import AccountClosed, AccountFrozen, AccountTotalsFull, CurrencyMismatch, InsufficientFunds
from core.ledger.money import INT64_MAX, format_minor, format_number, plain


@dataclass(slots=True)
class AccountState:
    """One account's row, locked for the duration of a posting transaction."""

    id: int
    number: str
    customer_id: int | None
    kind: str
    currency: str
    status: str
    overdraft_limit: int | None
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int
    version: int | None = None  # PostgreSQL's xmin when read without a lock (the optimistic desk path)
    # Pending debits of holds whose timeout has passed but that nobody released yet (store.note_expired_holds):
    # the rules treat them as released, as TigerBeetle does, so a hold stops reserving funds at its timeout.
    expired_pending: int = 0

    @property
    def balance(self) -> int:
        return self.credits_posted - self.debits_posted

    @property
    def reserved(self) -> int:
        """Funds held by live pending debits (holds past their timeout no longer count)."""
        return self.debits_pending - self.expired_pending

    @property
    def available(self) -> int:
        return self.balance - self.reserved

    def ensure_usable(self, *, as_debit: bool) -> None:
        if self.status == "closed":
            raise AccountClosed(f"account {self.number} is closed", account=self.number)
        if self.status == "frozen":
            side = "pay from" if as_debit else "pay into"
            raise AccountFrozen(f"account {self.number} is frozen: cannot {side} it", account=self.number)


def check_pair(debit: AccountState, credit: AccountState, currency: str) -> None:
    """Both accounts usable and in the transfer's currency."""
    debit.ensure_usable(as_debit=True)
    credit.ensure_usable(as_debit=False)
    for acc in (debit, credit):
        if acc.currency != currency:
            raise CurrencyMismatch(
                f"account {acc.number} holds {acc.currency}, the transfer is in {currency}",
                account=acc.number, currency=currency,
            )


def check_funds(debit: AccountState, amount: int) -> None:
    """The debit account's available balance may not fall below minus its overdraft limit."""
    if debit.overdraft_limit is None:
        return
    if debit.available - amount < -debit.overdraft_limit:
        c = debit.currency
        limit = (f" plus an overdraft of {format_minor(debit.overdraft_limit, c)}" if debit.overdraft_limit
                 else " and no overdraft")
        raise InsufficientFunds(
            f"account {debit.number} has {format_minor(debit.available, c)} available{limit}; "
            f"{format_minor(amount, c)} requested",
            account=debit.number, available=plain(debit.available, c), requested=plain(amount, c),
        )


def check_room(acc: AccountState, total: str, amount: int) -> None:
    """Raise AccountTotalsFull unless ``acc.<total> + amount`` stays within the 64-bit column range.

    Totals only grow (a balance is credits - debits), so a bank's cash or clearing account, which takes
    every deposit or payment, is the first to fill; ``money.max_transfer`` keeps that far away.
    """
    if getattr(acc, total) + amount > INT64_MAX:
        side = total.replace("_", " ")
        raise AccountTotalsFull(
            f"account {acc.number} cannot take {format_number(amount, acc.currency)} {acc.currency}: its {side} "
            f"would pass the ledger's 64-bit limit of {format_number(INT64_MAX, acc.currency)}; nothing was "
            "posted. Ask the bank's operations team to continue this account's activity on a new account",
            account=acc.number, total=total)


def post(debit: AccountState, credit: AccountState, amount: int) -> None:
    """Move ``amount`` now (checked first: on refusal neither account changed)."""
    check_room(debit, "debits_posted", amount)
    check_room(credit, "credits_posted", amount)
    debit.debits_posted += amount
    credit.credits_posted += amount


def reserve(debit: AccountState, credit: AccountState, amount: int) -> None:
    """Hold ``amount`` for a pending transfer (checked first: on refusal neither account changed)."""
    check_room(debit, "debits_pending", amount)
    check_room(credit, "credits_pending", amount)
    debit.debits_pending += amount
    credit.credits_pending += amount


def release(debit: AccountState, credit: AccountState, amount: int, *, expired: bool = False) -> None:
    """Give back a hold's reservation; ``expired``: the hold is past its timeout (already not counted)."""
    debit.debits_pending -= amount
    credit.credits_pending -= amount
    if expired:
        debit.expired_pending = max(0, debit.expired_pending - amount)
