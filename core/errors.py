"""The error hierarchy every core service raises. Each error has a stable code and a plain message."""
from __future__ import annotations


class QenexError(Exception):
    """Base of every refusal core gives. ``code`` is stable; ``str(err)`` is for people."""

    code = "error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, object]:
        return {"error": self.code, "message": self.message, **{k: str(v) for k, v in self.details.items()}}


class Refusals(QenexError):
    """Several independent refusals of one request at once (e.g. an unknown payee account and too little
    money), so a form shows each under its field instead of one per attempt. ``errors``: the refusals."""

    code = "refused"

    def __init__(self, errors: list[QenexError]) -> None:
        super().__init__("; ".join(e.message for e in errors), count=len(errors))
        self.errors = list(errors)


class ValidationError(QenexError):
    """Input that can never be right (bad amount, unknown currency, malformed id)."""

    code = "invalid"


class NotFound(QenexError):
    code = "not_found"


class PermissionDenied(QenexError):
    """The acting user's role does not allow the call."""

    code = "permission_denied"


class ConfigurationError(QenexError):
    code = "configuration"


class DatabaseUnavailable(QenexError):
    """The database could not be reached (connection lost, server restarting, SQLite file locked) for longer
    than the retry budget (``core.persistence.outage``). The outcome of the call is unknown only in that
    it may have committed before the connection broke: repeat it with the same id, which never posts twice."""

    code = "database_unavailable"
