"""How balances read to a banker: customer accounts signed, the bank's own GL accounts by their side.

Every balance in the ledger is credits - debits. A customer's deposit is the bank's liability, so a
positive balance is money the customer has (negative: overdrawn). The bank's own accounts are read
by their normal side: teller cash, clearing and suspense are assets (debit balances), fee income is
income (credit balance). Their amount is shown without a sign, followed by Dr or Cr, so teller cash
holding 3,208,650.00 reads "$3,208,650.00 Dr", not "-$3,208,650.00" (which reads as a shortage).
"""
from __future__ import annotations

from core.ledger.money import format_minor

DEBIT_NORMAL = {"teller_cash", "clearing", "suspense", "drawer", "vault"}


def is_gl(kind: str) -> bool:
    return kind != "deposit"


def banker_balance(minor: int, currency: str, kind: str, locale: str = "en_US") -> str:
    """``minor`` (credits - debits) as a banker reads it for an account of ``kind``."""
    if not is_gl(kind):
        return format_minor(minor, currency, locale)
    if minor == 0:
        return format_minor(0, currency, locale)
    side = "Dr" if minor < 0 else "Cr"
    return f"{format_minor(abs(minor), currency, locale)} {side}"


def normal_side(kind: str) -> str:
    """'debit' or 'credit': the side an account of ``kind`` normally carries its balance on."""
    return "debit" if kind in DEBIT_NORMAL else "credit"
