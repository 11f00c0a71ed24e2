"""The normalized transaction every fraud component sees (app, training and backtest alike)."""
from __future__ import annotations

from dataclasses import dataclass

DAY = 86_400
HOUR = 3_600
QUARTER = 300  # the 5-minute bin behind the 1-hour window and short velocity

CHANNELS = ("card", "desk", "online", "mobile", "atm", "transfer", "batch")


@dataclass(frozen=True, slots=True)
class Txn:
    """One payment. ``card`` is the paying customer's key (customer and currency), amounts in major units.

    ``amount`` is a statistic input for features (a float is fine here); the ledger keeps the exact
    integer minor units.
    """

    id: str
    card: str
    counterparty: str | None
    country: str | None
    amount: float
    ts: int  # seconds since the Unix epoch, UTC
    channel: str = "card"
    device: str | None = None


# Channels whose recorded device is the bank's own workstation (the teller's desk), never the customer's
STAFF_CHANNELS = frozenset({"desk"})


def customer_device(channel: str | None, device: str | None) -> str | None:
    """The customer's device behind a payment, or None: a desk payment's device is the bank's workstation
    (recorded so a receipt names the desk), not the customer's, so link analysis, habits and the fraud
    screen never treat it as one (QA: customers served at the same desk were "Linked: same device")."""
    return None if channel in STAFF_CHANNELS else device


def card_key(customer_id: int | None, debit_account_id: int, currency: str) -> str:
    """The 'card' whose habits features follow: the paying customer in one currency (else the account)."""
    owner = str(customer_id) if customer_id is not None else f"account-{debit_account_id}"
    return f"{owner}:{currency.upper()}"


def channel_code(channel: str) -> int:
    try:
        return CHANNELS.index(channel)
    except ValueError:
        return len(CHANNELS)
