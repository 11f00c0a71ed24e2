"""Who may move money on the bank's own GL accounts (clearing, suspense, fee income, card and rail clearing,
nostro, teller cash).

The rule (issue 8 §6), applied by ``Posting.apply`` on every path (single, optimistic, linked, batch, holds,
previews) and by ``pending.resolve_on`` when a pending transfer is posted:

- A transfer between customer accounts is not concerned.
- The system operator (command line, scheduled jobs) keeps its power; its postings are audited as usual.
- An *operation* that owns a GL account moves money on it for anyone allowed to run the operation: cash at
  the desk on the teller cash account (``Ledger.deposit``/``withdraw``), an account hold on suspense
  (``core.teller.holds``), fees on fee income, card payments on card clearing (``core.payments``), payment
  orders on the rail clearing and nostro accounts (``core.payments.orders``). A correction moves money back
  between the same two accounts of a posted transfer (``Ledger.correct``, fraud reversals) and owns both.
- A supervisor may move money on a GL account directly only with a reason (the transfer's description);
  the ledger audits it as ``transfer.gl_movement`` with that reason.
- Everyone else (tellers, analysts, administrators) is refused with ``GLMovementRefused`` (audited as
  ``permission.denied``), which names the account and the operation to use instead.

Source: the four-eyes and segregation-of-duties controls of Fineract's teller/cashier module (GL postings
only through cashier transactions) and issue 8 §6.
"""
from __future__ import annotations

from typing import Protocol

from core.errors import PermissionDenied
from core.security.roles import Actor, Role

# Operation -> the GL account kinds it owns (core.ledger.accounts GL_KINDS and OWNED_GL_KINDS).
OWNERS: dict[str, frozenset[str]] = {
    # cash at the desk: the teller cash account, and the drawers, the vault and cash over/short (core.drawers)
    "cash": frozenset({"teller_cash", "drawer", "vault", "cash_over_short"}),
    "hold": frozenset({"suspense"}),
    "fee": frozenset({"fees"}),
    "card": frozenset({"card_clearing"}),
    "rail": frozenset({"sepa_clearing", "ach_clearing", "wire_clearing", "nostro"}),
}
# The transfer code each operation writes: a pending transfer with one of these codes is completed by its
# operation (a held card refund, a held payment order, an account hold); any other pending transfer that
# touches a GL account is posted only by a supervisor or the system operator.
CODES: dict[str, str] = {
    "deposit": "cash", "withdrawal": "cash", "hold": "hold", "fee": "fee", "card_capture": "card",
    "card_refund": "card", "sepa_out": "rail", "ach_out": "rail", "wire_out": "rail", "sepa_settle": "rail",
    "ach_settle": "rail", "wire_settle": "rail", "sepa_return": "rail", "ach_return": "rail", "wire_return": "rail",
}
CORRECTION = "correction"

WHAT_INSTEAD = ("cash goes through Deposit or Withdraw (your open cash drawer), holds through Place hold, "
                "card payments and payment orders through Payments; a supervisor can post a GL movement with a "
                "reason")


class GLMovementRefused(PermissionDenied):
    """A teller (or anyone but a supervisor with a reason, an owning operation or the system) tried to debit
    or credit one of the bank's own GL accounts directly. ``account`` names it."""

    code = "gl_movement_refused"


class _Account(Protocol):
    number: str
    kind: str
    currency: str


def may_move_gl(actor: Actor) -> bool:
    """Whether ``actor`` may ever debit or credit a GL account outside its operations (a supervisor with a
    reason, the system); forms use it to decide whether to offer a GL account as From/To."""
    return actor.role in (Role.SUPERVISOR, Role.SYSTEM)


def is_gl(account: _Account) -> bool:
    """Whether the account is one of the bank's own (every kind but a customer's deposit account)."""
    return account.kind != "deposit"


def gl_name(account: _Account) -> str:
    from core.ledger.accounts import GL_KINDS, OWNED_GL_KINDS

    label = GL_KINDS.get(account.kind) or OWNED_GL_KINDS.get(account.kind) or account.kind
    return f"{account.number} ({label} {account.currency})"


def check(actor: Actor, debit: _Account, credit: _Account, *, operation: str | None, reason: str,
          correction: bool = False) -> bool:
    """Return True when this is a supervisor's GL movement (the caller audits it with ``reason``), False
    when nothing needs recording; raise GLMovementRefused when ``actor`` may not make it."""
    gl = [a for a in (debit, credit) if is_gl(a)]
    if not gl or actor.role is Role.SYSTEM or correction:
        return False
    owned = OWNERS.get(operation or "", frozenset())
    foreign = [a for a in gl if a.kind not in owned]
    if not foreign:
        return False
    account = foreign[0]
    if actor.role is Role.SUPERVISOR:
        from core import reasons

        if reasons.acceptable(reason):
            return True
        raise GLMovementRefused(
            f"{gl_name(account)} is one of the bank's own GL accounts: a supervisor moves money on it only with "
            f"a reason; write the reason in the description ({reasons.RULE})",
            account=account.number, role=actor.role.value)
    who = {Role.TELLER: "tellers"}.get(actor.role, f"the {actor.role.value} role")
    raise GLMovementRefused(
        f"{gl_name(account)} is one of the bank's own GL accounts, and {who} do not debit or credit it directly; "
        f"nothing was posted. {WHAT_INSTEAD[0].upper()}{WHAT_INSTEAD[1:]}",
        account=account.number, role=actor.role.value)


def check_resolve(actor: Actor, debit: _Account, credit: _Account, code: str | None, reason: str) -> bool:
    """Posting a pending transfer: its operation (by its code) completes it; otherwise ``check``'s rules."""
    return check(actor, debit, credit, operation=CODES.get(code or ""), reason=reason,
                 correction=code == CORRECTION)
