"""The checks a payer's account passes before the fraud screen is asked (or a hold is placed).

An outgoing transfer or a refund debits a customer's account. Whether that account is a customer
account, open, in the payment's currency and holds the money (available balance plus its overdraft
limit, the ledger's own rule in ``core.ledger.state``) is known without scoring anything, so it is
checked first and refused in words the desk can act on; the ledger checks again when it posts.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from core.errors import ValidationError
from core.ledger import queries, store
from core.ledger.errors import AccountClosed, AccountFrozen, AccountNotFound, CurrencyMismatch, InsufficientFunds
from core.ledger.money import format_minor

A = store.A


class NotCustomerAccount(ValidationError):
    """The bank's own GL accounts (clearing, suspense, fees, cash) never pay a customer's transfer."""

    code = "not_customer_account"


@dataclass(frozen=True)
class Payer:
    number: str
    name: str
    currency: str
    available: int  # available balance now (minor units)
    overdraft: int  # the overdraft limit (minor units, 0 when none)


def check_payer(engine: Engine, number: str, currency: str, total: int, *, what: str = "this transfer") -> Payer:
    """``number`` may pay ``total`` minor units of ``currency`` now, or a typed refusal (nothing is written).

    Raises AccountNotFound, NotCustomerAccount, AccountFrozen/AccountClosed, CurrencyMismatch,
    InsufficientFunds (the message names the available balance and the amount needed)."""
    with engine.connect() as conn:
        acc = conn.execute(select(A.c.id, A.c.name, A.c.kind, A.c.currency, A.c.status, A.c.overdraft_limit,
                                  A.c.customer_id).where(A.c.number == number)).first()
    if acc is None:
        raise AccountNotFound(f"no account {number}", account=number)
    if acc.kind != "deposit" or acc.customer_id is None:
        raise NotCustomerAccount(f"account {number} is one of the bank's GL accounts ({acc.name}); {what} is paid "
                                 "from a customer's account", account=number)
    if acc.status != "open":
        err = AccountFrozen if acc.status == "frozen" else AccountClosed
        raise err(f"account {number} is {acc.status}; {what} needs an open account", account=number)
    if acc.currency != currency:
        raise CurrencyMismatch(f"account {number} holds {acc.currency}, {what} is in {currency}; pay from a "
                               f"{currency} account or change the currency", account=number)
    available = queries.balance(engine, number).available
    overdraft = acc.overdraft_limit or 0
    if acc.overdraft_limit is not None and available + overdraft < total:
        room = f"{format_minor(available, currency)} available" + (
            f" plus an overdraft of {format_minor(overdraft, currency)}" if overdraft else "")
        raise InsufficientFunds(f"account {number} has {room}; {what} needs {format_minor(total, currency)}",
                                account=number)
    return Payer(number, acc.name, acc.currency, available, overdraft)
