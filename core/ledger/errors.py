"""Typed refusals of the ledger. Each leaves the database exactly as it was."""
from __future__ import annotations

from core.errors import NotFound, QenexError, ValidationError


class InvalidAmount(ValidationError):
    code = "invalid_amount"


class TooManyDecimals(ValidationError):
    code = "too_many_decimals"


class AmountTooLarge(ValidationError):
    """Above the per-transfer maximum (``money.max_transfer``) or the ledger's 64-bit range."""

    code = "amount_too_large"


class InvalidTimeout(ValidationError):
    """A pending transfer's timeout outside 1 second .. ``posting.MAX_TIMEOUT_SECONDS``."""

    code = "invalid_timeout"


class UnknownCurrency(ValidationError):
    code = "unknown_currency"


class SameAccount(ValidationError):
    code = "same_account"


class InvalidAccountNumber(ValidationError):
    code = "invalid_account_number"


class AccountNotFound(NotFound):
    """No account has that number. A bare "no account N" gets what to do added (QA #6), wherever it is raised."""

    code = "account_not_found"
    ADVICE = "check the number with the customer, or find the account by name, phone or IBAN in the customer search"

    def __init__(self, message: str, **details: object) -> None:
        if ";" not in message and ":" not in message:
            message = f"{message}; {self.ADVICE}"
        super().__init__(message, **details)


class CustomerNotFound(NotFound):
    code = "customer_not_found"


class TransferNotFound(NotFound):
    code = "transfer_not_found"


class AccountFrozen(QenexError):
    code = "account_frozen"


class AccountClosed(QenexError):
    code = "account_closed"


class AccountNotEmpty(QenexError):
    code = "account_not_empty"


class CurrencyMismatch(QenexError):
    code = "currency_mismatch"


class InsufficientFunds(QenexError):
    code = "insufficient_funds"


class AccountTotalsFull(QenexError):
    """The transfer would take one of an account's 64-bit totals (debits/credits, posted/pending) past
    ``money.INT64_MAX``; nothing was written."""

    code = "account_totals_full"


class IdConflict(QenexError):
    """The transfer id was used before for different content."""

    code = "id_conflict"


class PendingNotFound(NotFound):
    code = "pending_not_found"


class PendingAlreadyResolved(QenexError):
    code = "pending_already_resolved"


class PendingExpired(QenexError):
    code = "pending_expired"


class PostExceedsPending(ValidationError):
    code = "post_exceeds_pending"


class AlreadyCorrected(QenexError):
    code = "already_corrected"


class NotCorrectable(QenexError):
    code = "not_correctable"


class BackdatingNotAllowed(QenexError):
    code = "backdating_not_allowed"


class LinkedTransferFailed(QenexError):
    """One transfer of a linked chain was refused, so none of them posted."""

    code = "linked_transfer_failed"

    def __init__(self, index: int, cause: QenexError) -> None:
        super().__init__(f"linked transfer #{index + 1} refused ({cause.code}: {cause.message}); nothing posted",
                         index=index, cause=cause.code)
        self.index = index
        self.cause = cause


class TransferDeclined(QenexError):
    """The fraud screen declined the transfer; it did not post.

    With the screen's ``reasons`` and ``score`` as raised; a person who may not see fraud details (a teller:
    ``core.security.roles.sees_fraud_details``) gets ``for_actor``'s copy, which says it was declined by the
    fraud screen and what to do, without the score or the reasons (QA4 #3: no tipping off)."""

    code = "declined"

    def __init__(self, reasons: tuple[str, ...], score: float | None) -> None:
        from core.ledger.outcome import DECLINED_AT_DESK, DECLINED_NEXT

        if score is None:  # the desk's copy
            super().__init__(DECLINED_AT_DESK + " " + DECLINED_NEXT)
            reasons = ()
        else:
            super().__init__("declined by fraud screening: " + ("; ".join(reasons) or "high risk score") + ". "
                             + DECLINED_NEXT, score=f"{score:.3f}")
        self.reasons = reasons
        self.score = score

    def for_actor(self, actor: object) -> "TransferDeclined":
        """This refusal as ``actor`` may read it: the same for roles that see fraud details, else without the
        score and reasons."""
        from core.security.roles import sees_fraud_details

        return self if self.score is None or sees_fraud_details(actor) else TransferDeclined((), None)
