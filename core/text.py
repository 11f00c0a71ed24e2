"""The one normaliser for what people type or paste: codes, account numbers, IBANs, amounts, names.

Keyboards, input methods and clipboards bring text in many Unicode forms that look alike: full-width
digits from an East Asian input method (``１２３``), Arabic-Indic digits (``١٢٣``), no-break and thin
spaces from a spreadsheet or a PDF, zero-width spaces and direction marks from a web page. Every check
in core runs on the normalised text, so these compare equal to what the format expects.

- ``compact(text)``: formats without spaces (TOTP and recovery codes, account numbers, IBANs, amounts,
  currency and country codes, user names). NFKC (Unicode Standard Annex #15: full-width and other
  compatibility forms fold to their plain form), every decimal digit of any script (category Nd) to its
  ASCII digit, then every whitespace and invisible formatting character (category Cf: zero-width space,
  direction marks, byte-order mark) removed.
- ``clean(text)``: free text (customer names, descriptions): NFKC, every run of whitespace becomes one
  space, none at the ends, invisible formatting characters removed (except the zero-width joiner and
  non-joiner, which spell words in Persian, Indic scripts and emoji).

Both raise ``InvalidText`` for text that cannot be stored as typed: control characters (NUL, escape,
...) and unpaired surrogates (what undecodable bytes on a command line turn into).
"""
from __future__ import annotations

import unicodedata

from core.errors import ValidationError


class InvalidText(ValidationError):
    """Text with control characters or undecodable bytes: nothing a person types."""

    code = "invalid_text"


_JOINERS = {"\u200c", "\u200d"}  # zero-width non-joiner and joiner: part of the spelling in some scripts
_DIGITS: dict[int, str] = {}  # code point -> ASCII digit, filled on first sight of each non-ASCII digit


def _ascii_digit(ch: str) -> str:
    mapped = _DIGITS.get(ord(ch))
    if mapped is None:
        value = unicodedata.decimal(ch, None)
        mapped = _DIGITS[ord(ch)] = str(value) if value is not None else ch
    return mapped


def _checked(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidText(f"{what} must be text, got {type(value).__name__}")
    for ch in value:
        cat = unicodedata.category(ch)
        if cat == "Cs" or (cat == "Cc" and not ch.isspace()):
            shown = f"U+{ord(ch):04X}"
            raise InvalidText(f"{what} contains a character that is not text ({shown}); type it again", char=shown)
    return unicodedata.normalize("NFKC", value)


def compact(value: str, what: str = "the text") -> str:
    """``value`` with compatibility forms folded, digits in ASCII and no whitespace or invisible characters.

    ``compact(" １２３ ４５６\\u200b")`` is ``"123456"``. ``what`` names the field in refusals.
    Raises InvalidText (control characters, unpaired surrogates, not a string).
    """
    text = _checked(value, what)
    if text.isascii():
        return "".join(text.split()) if not text.isalnum() else text
    out = []
    for ch in text:
        if ch.isspace() or unicodedata.category(ch) == "Cf":
            continue
        out.append(ch if ch.isascii() else _ascii_digit(ch))
    return "".join(out)


def clean(value: str, what: str = "the text") -> str:
    """Free text: NFKC, whitespace runs as one space, trimmed, invisible formatting characters removed.

    Raises InvalidText (control characters, unpaired surrogates, not a string).
    """
    text = _checked(value, what)
    if not text.isascii():
        text = "".join(ch for ch in text if ch in _JOINERS or unicodedata.category(ch) != "Cf")
    return " ".join(text.split())
