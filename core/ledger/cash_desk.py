"""Cash at the desk (deposit, withdraw) through the bank's cash GL account, with the teller's permission and
amount checked in core before anything is written; mixed into ``core.ledger.service.Ledger``."""
from __future__ import annotations

import uuid
from typing import Any

from core.ledger.money import currency as iso_currency
from core.ledger.posting import check_amount
from core.ledger.views import TransferRequest, TransferResult
from core.security.roles import Actor, Permission


class LedgerCash:
    """Deposits and withdrawals over the Ledger's ``authorize``, ``transfer`` and ``ensure_gl_accounts``."""

    _cash: dict[str, str]
    authorize: Any
    transfer: Any
    ensure_gl_accounts: Any

    def deposit(self, actor: Actor, account: str, amount: int, currency: str, id: str | None = None,
                description: str = "cash deposit") -> TransferResult:
        """Cash in at the desk: from the bank's cash GL account into ``account``."""
        self.authorize(actor, Permission.CASH, account)
        check_amount(amount, currency)  # before the cash account is made: a refusal writes nothing
        cash = self._cash_account(actor, currency)
        _not_the_till(account, cash, "deposited into")
        return self.transfer(actor, _cash_request(id, cash, account, amount, currency, "deposit", description),
                             operation="cash")

    def withdraw(self, actor: Actor, account: str, amount: int, currency: str, id: str | None = None,
                 description: str = "cash withdrawal") -> TransferResult:
        """Cash out at the desk: from ``account`` into the bank's cash GL account."""
        self.authorize(actor, Permission.CASH, account)
        check_amount(amount, currency)
        cash = self._cash_account(actor, currency)
        _not_the_till(account, cash, "withdrawn from")
        return self.transfer(actor, _cash_request(id, account, cash, amount, currency, "withdrawal", description),
                             operation="cash")

    def _cash_account(self, actor: Actor, currency: str) -> str:
        """The bank's cash GL account for ``currency``, created on first use and then remembered."""
        code = iso_currency(currency)
        if code not in self._cash:
            self._cash[code] = self.ensure_gl_accounts(actor, code)["teller_cash"].number
        return self._cash[code]


def _cash_request(id: str | None, debit: str, credit: str, amount: int, currency: str, code: str,
                  description: str) -> TransferRequest:
    return TransferRequest(id=id or uuid.uuid4().hex, debit=debit, credit=credit, amount=amount,
                           currency=currency, code=code, description=description, channel="desk")


def _not_the_till(account: str, cash: str, what: str) -> None:
    """Cash moves between the bank's cash account and a customer's: never that cash account itself."""
    from core.ledger.errors import SameAccount

    if (account or "").strip() == cash:
        raise SameAccount(f"account {cash} is the bank's own cash account, so cash cannot be {what} it; give the "
                          "customer's account number")
