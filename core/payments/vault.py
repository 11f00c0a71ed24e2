"""The card vault: a card number is tokenised at entry and stored only as AES-256-GCM ciphertext.

- ``tokenise`` checks the card (Luhn, brand, expiry), encrypts the number with the newest key version
  (a fresh 96-bit nonce, the token as associated data so a ciphertext cannot be moved to another row)
  and returns a token; the same card again returns the same token (found by a keyed HMAC fingerprint).
- The CVV is never passed to the vault: it goes to the provider with the charge and is dropped.
- ``reveal`` needs ``Permission.CARD_REVEAL`` and a reason, and is audited (the token, the masked
  number and the reason; never the number).
- ``rotate`` adds a key version and re-encrypts every card under it.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, Engine, insert, select, update

from core.errors import PermissionDenied, ValidationError
from core.payments.cards import BRAND_NAMES, CardInput, mask
from core.payments.errors import VaultKeyError
from core.payments.vault_keys import VaultKeys
from core.persistence.base import utcnow
from core.persistence.models import VaultCard
from core.security.guard import authorize
from core.security.roles import Actor, Permission, Role

V = VaultCard.__table__


@dataclass(frozen=True)
class CardView:
    """What may be shown about a vaulted card."""

    token: str
    brand: str
    first6: str
    last4: str
    exp_month: int
    exp_year: int

    @property
    def display(self) -> str:
        """E.g. "Visa 424242…4242"."""
        return f"{BRAND_NAMES.get(self.brand, self.brand)} {self.first6}…{self.last4}"

    def to_dict(self) -> dict[str, Any]:
        return {"token": self.token, "brand": self.brand, "display": self.display,
                "expiry": f"{self.exp_month:02d}/{self.exp_year}"}


class Vault:
    """Tokenise, look up, reveal and re-encrypt cards. ``audit`` gets every tokenise, reveal and rotation."""

    def __init__(self, engine: Engine, keys: VaultKeys, audit: Any = None) -> None:
        self.engine = engine
        self.keys = keys
        self.audit = audit

    def tokenise(self, conn: Connection, actor: Actor, card: CardInput, brand: str) -> CardView:
        """The card's token (new, or the existing one for a card already vaulted), inside ``conn``'s transaction."""
        fingerprint = hmac.new(self.keys.fingerprint_key(), card.number.encode(), hashlib.sha256).hexdigest()
        row = conn.execute(select(V).where(V.c.fingerprint == fingerprint)).first()
        if row is not None:
            if (row.exp_month, row.exp_year) != (card.exp_month, card.exp_year):
                conn.execute(update(V).where(V.c.token == row.token)
                             .values(exp_month=card.exp_month, exp_year=card.exp_year))
            return CardView(row.token, row.brand, row.first6, row.last4, card.exp_month, card.exp_year)
        token = "card_" + secrets.token_hex(12)
        version, key = self.keys.current
        nonce = os.urandom(12)
        ciphertext = AESGCM(key).encrypt(nonce, card.number.encode(), token.encode())
        view = CardView(token, brand, card.number[:6], card.number[-4:], card.exp_month, card.exp_year)
        conn.execute(insert(V).values(
            token=token, key_version=version, nonce=nonce, ciphertext=ciphertext, fingerprint=fingerprint,
            first6=view.first6, last4=view.last4, brand=brand, exp_month=card.exp_month, exp_year=card.exp_year,
            created_by=actor.username, created_at=utcnow()))
        self._record(conn, actor, "card.tokenise", token, {"card": view.display, "key_version": version})
        return view

    def card(self, conn: Connection, token: str) -> CardView:
        row = conn.execute(select(V).where(V.c.token == token)).first()
        if row is None:
            raise ValidationError(f"no card {token} in the vault", token=token)
        return CardView(row.token, row.brand, row.first6, row.last4, row.exp_month, row.exp_year)

    def reveal(self, actor: Actor, token: str, reason: str) -> str:
        """The full card number. Needs CARD_REVEAL and a reason of at least 10 characters; audited."""
        from core.payments.views import checked_id

        token = checked_id(token, "card token")
        authorize(self.engine, self.audit, actor, Permission.CARD_REVEAL, token)
        if actor.role not in (Role.SUPERVISOR, Role.ADMIN) or not actor.username:
            raise PermissionDenied("a full card number is revealed to a named supervisor only (on the command line: "
                                   "--as USER), never to the system operator", permission=Permission.CARD_REVEAL.value)
        from core import reasons

        reason = reasons.check(reason, "the reason the full number is needed (e.g. a ticket number and why)")
        with self.engine.begin() as conn:
            row = conn.execute(select(V).where(V.c.token == token)).first()
            if row is None:
                raise ValidationError(f"no card {token} in the vault", token=token)
            number = self._decrypt(row)
            self._record(conn, actor, "card.reveal", token, {"card": mask(number), "reason": reason})
        return number

    def rotate(self, actor: Actor) -> dict[str, int]:
        """Add a key version (keyring or file source) and re-encrypt every card under the newest version.

        With ``QENEX_VAULT_KEY`` the operator adds the version to the variable first; rotate then only
        re-encrypts. Returns {"version": newest, "reencrypted": n}.
        """
        authorize(self.engine, self.audit, actor, Permission.VAULT_ROTATE, "card_vault")
        self.keys.keys()  # loads them, which tells the source
        if self.keys.source != "environment":
            self.keys.add_version()
        version, key = self.keys.current
        count = 0
        with self.engine.begin() as conn:
            rows = conn.execute(select(V).where(V.c.key_version != version)).all()
            for row in rows:
                nonce = os.urandom(12)
                ciphertext = AESGCM(key).encrypt(nonce, self._decrypt(row).encode(), row.token.encode())
                conn.execute(update(V).where(V.c.token == row.token)
                             .values(key_version=version, nonce=nonce, ciphertext=ciphertext))
                count += 1
            self._record(conn, actor, "vault.rotate", "card_vault", {"version": version, "reencrypted": count})
        return {"version": version, "reencrypted": count}

    def _decrypt(self, row: Any) -> str:
        try:
            return AESGCM(self.keys.key(row.key_version)).decrypt(row.nonce, row.ciphertext, row.token.encode()).decode()
        except InvalidTag:
            raise VaultKeyError(f"card {row.token} does not decrypt with key version {row.key_version}: "
                                "wrong key, or the row was altered") from None

    def _record(self, conn: Connection, actor: Actor, action: str, target: str, after: dict) -> None:
        if self.audit is not None:
            self.audit.append(conn, actor, action, target, None, after)
