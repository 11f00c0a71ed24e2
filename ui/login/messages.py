"""Plain-language text for login refusals (lockouts say until when, in local time and UTC)."""
from __future__ import annotations

from core.security.errors import AccountLocked
from ui.errors import describe


def refusal_text(err: BaseException) -> str:
    if isinstance(err, AccountLocked):
        local = err.until.astimezone()
        return (f"Too many failed attempts: this account is locked until {local:%H:%M:%S} on {local:%Y-%m-%d} "
                f"({err.until:%H:%M:%S} UTC). Try again after that, or ask an administrator.")
    return describe(err)[1]
