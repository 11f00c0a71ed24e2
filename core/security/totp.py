"""Time-based one-time codes (RFC 6238: 6 digits, 30 s steps, ±1 step) and enrollment QR codes."""
from __future__ import annotations

import hmac
import io
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno

from core.security.errors import CodeReused, InvalidCode
from core.text import InvalidText, compact

ISSUER = "QENEX Console"
STEP_SECONDS = 30
WINDOW = 1  # accept the previous and the next step too (clock drift)


@dataclass(frozen=True)
class Enrollment:
    """What a user needs to add QENEX Console to an authenticator app: show ``otpauth_uri`` as a QR code."""

    username: str
    secret: str  # base32, for typing in by hand when the camera cannot scan
    otpauth_uri: str

    def qr_png(self, scale: int = 6) -> bytes:
        return qr_png(self.otpauth_uri, scale=scale)


def new_secret() -> str:
    """A fresh 160-bit base32 TOTP secret."""
    return pyotp.random_base32(32)


def enrollment(username: str, secret: str) -> Enrollment:
    uri = pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=username, issuer_name=ISSUER)
    return Enrollment(username=username, secret=secret, otpauth_uri=uri)


def qr_png(uri: str, scale: int = 6) -> bytes:
    """The PNG image of a QR code for ``uri`` (error correction M, with a quiet zone)."""
    out = io.BytesIO()
    segno.make(uri, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def time_step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def normalize(code: str) -> str:
    """The code as the authenticator shows it: full-width or other Unicode digits in ASCII, no spaces
    (``core.text.compact``); text that is not a code at all comes back empty."""
    try:
        return compact(code, "the code")
    except InvalidText:
        return ""


def is_totp_code(code: str) -> bool:
    """Six ASCII digits (after ``normalize``)."""
    return len(code) == 6 and code.isascii() and code.isdigit()


def accept(secret: str, code: str, now: datetime, last_step: int | None) -> int:
    """The time step ``code`` belongs to, if it is valid at ``now`` and newer than ``last_step``.

    ``code`` is normalised first (``１２３ ４５６`` is ``123456``). Raises InvalidCode, or CodeReused when
    the code matches a step already accepted (or an older one).
    """
    code = normalize(code)
    if not is_totp_code(code):
        raise InvalidCode("a code has 6 digits")
    otp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = time_step(now)
    matched = [s for s in range(current - WINDOW, current + WINDOW + 1)
               if hmac.compare_digest(otp.generate_otp(s), code)]
    if not matched:
        raise InvalidCode()
    fresh = [s for s in matched if last_step is None or s > last_step]
    if not fresh:
        raise CodeReused()
    return fresh[-1]
