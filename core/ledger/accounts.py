"""Opening customers and accounts, the bank's GL accounts, and account status changes."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, text, update

from core import text as text_input
from core.errors import ValidationError
from core.ledger import events, exponents, money, numbers, queries, store
from core.ledger.errors import AccountNotEmpty, AccountNotFound, CustomerNotFound
from core.ledger.views import AccountView, CustomerView
from core.persistence.ledger_tables import customers as C
from core.security.roles import Actor

if TYPE_CHECKING:
    from core.ledger.service import Ledger

A = store.A

GL_KINDS = {"teller_cash": "Teller cash", "clearing": "Clearing", "suspense": "Suspense", "fees": "Fee income"}
# GL accounts owned by one operation each (core.payments), opened on first use per currency, not by
# ensure_gl_accounts: card payments, the outgoing rails, and the bank's settlement (nostro) account.
OWNED_GL_KINDS = {"card_clearing": "Card clearing", "sepa_clearing": "SEPA clearing", "ach_clearing": "ACH clearing",
                  "wire_clearing": "Wire clearing", "nostro": "Settlement (nostro)",
                  # cash drawers (core.drawers): each drawer, the branch vault, and cash over/short
                  "drawer": "Cash drawer", "vault": "Vault cash", "cash_over_short": "Cash over/short"}
ACCOUNT_KINDS = {"deposit", *GL_KINDS, *OWNED_GL_KINDS}
STATUSES = ("open", "frozen", "closed")


def add_customer(ledger: Ledger, conn: Connection, actor: Actor, name: str, country: str) -> CustomerView:
    name = text_input.clean(name, "the customer's name") if name else ""
    if not name or len(name) > 200:
        raise ValidationError(f"a customer needs a name of 1-200 characters, got {len(name)}")
    country = text_input.compact(country, "the country").upper() if country else ""
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        raise ValidationError(f"country must be an ISO 3166 two-letter code like US or DE, got {country[:10]!r}")
    now = ledger.clock()
    cid = conn.execute(insert(C).values(name=name, country=country, created_at=now).returning(C.c.id)).scalar_one()
    ledger.record(conn, actor, "customer.add", str(cid), None, {"name": name, "country": country})
    return CustomerView(cid, name, country, now)


def open_account(ledger: Ledger, conn: Connection, actor: Actor, customer_id: int | None, currency: str,
                 overdraft: int | None, kind: str, name: str | None = None) -> AccountView:
    currency = money.currency(currency)
    if kind not in ACCOUNT_KINDS:
        raise ValidationError(f"unknown account kind {kind!r}; one of {', '.join(sorted(ACCOUNT_KINDS))}")
    if kind == "deposit":
        if customer_id is None:
            raise ValidationError("a deposit account needs a customer")
        row = conn.execute(select(C.c.name).where(C.c.id == customer_id)).first()
        if row is None:
            from core.teller.identifiers import customer_number  # the number staff use, never the internal id

            raise CustomerNotFound(f"no customer {customer_number(customer_id)}; find the number with a customer "
                                   "search", customer=customer_id)
        if isinstance(overdraft, bool) or not isinstance(overdraft, int) or overdraft < 0:
            raise ValidationError(f"the overdraft limit must be zero or positive minor units, got {overdraft!r}")
        name = name or f"{row.name} {currency}"
    else:
        overdraft = None  # internal GL accounts carry the bank's own position and have no limit
        name = name or f"{GL_KINDS.get(kind) or OWNED_GL_KINDS[kind]} {currency}"
    exponents.record(conn, currency)
    now = ledger.clock()
    # The number embeds the id, which the database assigns: insert under a unique placeholder, then set it.
    placeholder = f"new-{id(conn)}-{now.timestamp()}"[:20]
    acc_id = conn.execute(insert(A).values(
        number=placeholder, customer_id=customer_id, kind=kind, name=name, currency=currency, status="open",
        overdraft_limit=overdraft, debits_posted=0, credits_posted=0, debits_pending=0, credits_pending=0,
        created_at=now).returning(A.c.id)).scalar_one()
    number = numbers.make(acc_id, kind)
    conn.execute(update(A).where(A.c.id == acc_id).values(number=number))
    ledger.record(conn, actor, "account.open", number, None,
                  {"customer": customer_id, "kind": kind, "currency": currency,
                   **(money.figure(overdraft, currency, "overdraft") if overdraft is not None else {"overdraft": None})})
    return AccountView(acc_id, number, customer_id, kind, name, currency, "open", overdraft, 0, 0)


def ensure_gl_accounts(ledger: Ledger, conn: Connection, actor: Actor, currency: str) -> dict[str, AccountView]:
    currency = money.currency(currency)
    if conn.dialect.name == "postgresql":  # two desks asking at once must not create two cash accounts
        conn.execute(text("SELECT pg_advisory_xact_lock(7423002)"))
    found = {a.kind: a for a in queries.gl_accounts(conn, currency)}
    for kind in GL_KINDS:
        if kind not in found:
            found[kind] = open_account(ledger, conn, actor, None, currency, None, kind)
    return found


def _locked(conn: Connection, number: str) -> tuple[str, Any]:
    """(the number checked, its account locked for this transaction); AccountNotFound if there is none."""
    number = numbers.validate(number)
    locked = store.lock_accounts(conn, numbers=[number])
    if not locked:
        raise AccountNotFound(f"no account {number}", account=number)
    return number, locked[0]


def set_status(ledger: Ledger, conn: Connection, actor: Actor, number: str, status: str) -> AccountView:
    if status not in STATUSES:
        raise ValidationError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    number, acc = _locked(conn, number)
    if status == "closed" and (acc.balance != 0 or acc.debits_pending or acc.credits_pending):
        raise AccountNotEmpty(f"account {number} still holds {money.format_minor(acc.balance, acc.currency)} "
                              "or pending transfers; move them out before closing", account=number)
    if acc.status == "closed" and status != "closed":
        raise ValidationError(f"account {number} is closed; closed accounts are not reopened")
    conn.execute(update(A).where(A.c.id == acc.id).values(status=status))
    ledger.record(conn, actor, "account.status", number, {"status": acc.status}, {"status": status})
    events.account_changed(conn, number, status)
    return queries.account_view(conn, number)


def set_overdraft(ledger: Ledger, conn: Connection, actor: Actor, number: str, amount: int) -> AccountView:
    """Set a deposit account's overdraft limit (minor units). Who may set how much: ``core.approvals.overdraft``."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValidationError(f"the overdraft limit must be zero or positive minor units, got {amount!r}")
    number, acc = _locked(conn, number)
    if acc.overdraft_limit is None:
        raise ValidationError(f"account {number} is a bank GL account; it has no overdraft limit")
    if acc.status == "closed":
        raise ValidationError(f"account {number} is closed; closed accounts do not change")
    conn.execute(update(A).where(A.c.id == acc.id).values(overdraft_limit=amount))
    c = acc.currency
    ledger.record(conn, actor, "account.overdraft", number, {"overdraft": money.plain(acc.overdraft_limit, c)},
                  {"overdraft": money.plain(amount, c)})
    events.account_changed(conn, number, acc.status)
    return queries.account_view(conn, number)
