"""The one rule for a reason or note a decision needs (rejecting a request or a recommendation, asking to
release a hold, signing a drawer difference, revealing a card number): it must say something, at least
``MIN_CHARS`` characters and ``MIN_WORDS`` words, at most ``MAX_CHARS``, plain text. Whitespace is tidied.
Every such reason is audited and shown to the person the decision is about, so "x" or "ok" is refused.
"""
from __future__ import annotations

from core import text as text_input
from core.errors import QenexError, ValidationError

MIN_CHARS, MIN_WORDS, MAX_CHARS = 10, 2, 500
RULE = f"at least {MIN_CHARS} characters and {MIN_WORDS} words"


def check(reason: str | None, what: str = "the reason", *, field: str = "reason",
          error: type[QenexError] = ValidationError, max_chars: int = MAX_CHARS) -> str:
    """``reason`` with its whitespace tidied, or ``error`` (``field`` in its details) saying
    what is missing: ``what`` names it, e.g. "a reason for rejecting"."""
    text = text_input.clean(reason or "", what) if reason else ""
    if not text:
        raise error(f"{what} is needed: say why in a few words ({RULE}); it is audited", field=field)
    words = [w for w in text.split() if any(ch.isalnum() for ch in w)]
    if len(text) < MIN_CHARS or len(words) < MIN_WORDS:
        raise error(f"{what} must say why in a few words ({RULE}); {text!r} is too short", field=field)
    if len(text) > max_chars:
        raise error(f"{what} has at most {max_chars} characters, got {len(text)}", field=field)
    return text


def acceptable(reason: str | None) -> bool:
    """Whether ``check`` would accept ``reason`` (for a dialog's live hint; core still checks)."""
    try:
        check(reason)
    except ValidationError:
        return False
    return True
