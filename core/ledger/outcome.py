"""What a transfer did, in words for the teller and the command line (issue 8 §6: a held transfer is reported
as held with its funds reserved, never as "posted … (pending)"; a declined one says what to do next)."""
from __future__ import annotations

from core.ledger.money import format_minor
from core.ledger.views import TransferResult

DECLINED_NEXT = ("Nothing was posted and no funds are held. Next: check the payment with the customer (payee, "
                 "amount, did they start it themselves?); if it is genuine, ask a supervisor to have the fraud team "
                 "review it before trying again; if not, keep the account safe (place a hold or ask a supervisor to "
                 "freeze it) and report it")
# What a person without fraud details (a teller) is told of a decline: not the score or the reasons (QA4 #3).
DECLINED_AT_DESK = ("declined by the fraud screen: the fraud team can see why (the reasons are not shown at the "
                    "desk).")
HELD_FOR_REVIEW = "held for fraud review: its funds are reserved on the account, not posted, until an analyst decides"


def describe(result: TransferResult, amount: str | None = None) -> str:
    """One sentence for ``result``; ``amount`` is the amount as the caller shows it (default "$12.50": grouped, with
    the currency's symbol, as everywhere)."""
    amount = amount or format_minor(result.amount, result.currency)
    moved = f"{amount} from {result.debit} to {result.credit}"
    ref = f"id {result.id}" + ("; already done earlier, nothing new" if result.replayed else "")
    approval = getattr(result, "approval", None)
    if approval is not None and result.state == "pending":
        return (f"Waiting for approval: {moved} is reserved on the account, not posted; request #{approval} is in "
                f"a supervisor's approvals inbox ({ref})")
    if result.state == "pending":
        decision = getattr(result.fraud, "decision", None)
        if decision == "review":
            return (f"Held for fraud review: {moved} is reserved on the account, not posted; an analyst decides "
                    f"(it posts if cleared, the funds are released if not) ({ref})")
        if result.fraud is None and result.replayed:
            return f"Held, not posted: {moved} is reserved on the account as a pending transfer ({ref})"
        return (f"Held as a pending transfer: {moved} is reserved on the account, not posted, until it is posted "
                f"or voided or its timeout passes ({ref})")
    if result.state == "resolved":
        return f"Voided: the hold of {amount} on {result.debit} is released; nothing was posted ({ref})"
    if result.state == "expired":
        return f"Expired: the hold of {amount} on {result.debit} was released at its timeout; nothing posted ({ref})"
    if result.kind == "post_pending":
        return f"Posted {moved} from the pending transfer ({ref})"
    return f"Posted {moved} ({ref})"
