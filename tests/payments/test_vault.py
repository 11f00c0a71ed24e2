"""The card vault: encrypted at rest, keys rotate, reveal needs a role and a reason, and no full card
number or CVV is ever written to the database, a log or the audit trail."""
from __future__ import annotations

import logging
import os
import re
import stat
import uuid

import pytest
from sqlalchemy import MetaData, select

from core.errors import PermissionDenied, ValidationError
from core.payments import cards
from core.payments.errors import PaymentDeclined, VaultKeyError
from core.payments.vault_keys import VaultKeys, new_key_text
from core.payments.views import PaymentRequest
from core.security.roles import SYSTEM_ACTOR, Actor, Role
from tests.payments.test_card_payments import TELLER, card

SUPERVISOR = Actor("sam", Role.SUPERVISOR, device="desk-2")
MASTERCARD = "5555555555554444"
CVV = "958"


def test_no_full_number_or_cvv_anywhere(pay_env, caplog, tmp_path):
    svc, _ledger, audit, account, _keys = pay_env
    caplog.set_level(logging.DEBUG)
    numbers = [MASTERCARD, "4242424242424242", "4000000000000341"]
    ids = []
    for number in numbers:
        req = PaymentRequest(f"pay_{uuid.uuid4().hex[:20]}", account, 1_500, "USD",
                             cards.CardInput(number, 11, 2031, CVV))
        ids.append(req.id)
        try:
            svc.create(TELLER, req)
        except PaymentDeclined:
            pass
    svc.refund(TELLER, ids[0], 500)
    number = svc.vault.reveal(SUPERVISOR, svc.show(TELLER, ids[0]).card_token, "ticket 4411: chargeback query")
    assert number == MASTERCARD
    audit.seal(svc.engine)
    # every cell of every table
    meta = MetaData()
    meta.reflect(svc.engine)
    with svc.engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                for cell in row:
                    text = cell.decode("latin-1") if isinstance(cell, bytes) else str(cell)
                    for n in numbers:
                        assert n not in text, f"full card number in {table.name}"
                    if isinstance(cell, str):  # ids are random hex: a CVV must stand alone to count
                        assert not re.search(rf"(?<![0-9A-Za-z.]){CVV}(?![0-9A-Za-z])", text), \
                            f"CVV in {table.name}: {text[:80]}"
    # the database files themselves (SQLite: the file and its write-ahead log)
    if svc.engine.dialect.name == "sqlite":
        path = svc.engine.url.database
        for name in (path, path + "-wal"):
            if os.path.exists(name):
                data = open(name, "rb").read()
                for n in numbers:
                    assert n.encode() not in data
    # the logs
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert any(r.name.startswith("stripe") for r in caplog.records), "the SDK logged nothing: test is blind"
    for n in numbers:
        assert n not in logged
    assert not re.search(rf"cvc\]?=?{CVV}|cvc%5D={CVV}", logged)


def test_card_input_never_prints_its_number_or_cvv():
    text = repr(cards.CardInput(MASTERCARD, 11, 2031, CVV)) + str(cards.CardInput(MASTERCARD, 11, 2031, CVV))
    assert MASTERCARD not in text and CVV not in text and "555555…4444" in text


def test_reveal_needs_the_role_and_a_reason_and_is_audited(pay_env):
    svc, _ledger, audit, account, _keys = pay_env
    payment = svc.create(TELLER, PaymentRequest(f"pay_{uuid.uuid4().hex[:8]}", account, 900, "USD", card()))
    with pytest.raises(PermissionDenied):
        svc.vault.reveal(TELLER, payment.card_token, "customer asked for it")
    with pytest.raises(ValidationError, match="why"):
        svc.vault.reveal(SUPERVISOR, payment.card_token, "because")
    assert svc.vault.reveal(SUPERVISOR, payment.card_token, "dispute 7781 needs the PAN") == "4242424242424242"
    entries = audit.query(svc.engine, SYSTEM_ACTOR, action="card.reveal")
    assert len(entries) == 1 and entries[0].after["reason"] == "dispute 7781 needs the PAN"
    assert entries[0].after["card"] == "424242…4242"
    denied = audit.query(svc.engine, SYSTEM_ACTOR, action="permission.denied")
    assert any(e.after["permission"] == "card.reveal" for e in denied)


def test_keys_rotate_and_old_cards_stay_readable(pay_env, tmp_path):
    svc, _ledger, _audit, account, keys = pay_env
    payment = svc.create(TELLER, PaymentRequest(f"pay_{uuid.uuid4().hex[:8]}", account, 900, "USD", card()))
    assert keys.source == "file" and stat.S_IMODE(keys.key_file.stat().st_mode) == 0o600
    result = svc.vault.rotate(SYSTEM_ACTOR)
    assert result == {"version": 2, "reencrypted": 1}
    fresh = VaultKeys(tmp_path, environ={}, use_keyring=False)  # another desk reading the same key file
    svc.vault.keys = fresh
    assert sorted(fresh.keys()) == [1, 2]
    assert svc.vault.reveal(SUPERVISOR, payment.card_token, "rotation check after upgrade") == "4242424242424242"
    again = svc.create(TELLER, PaymentRequest(f"pay_{uuid.uuid4().hex[:8]}", account, 900, "USD", card()))
    assert again.card_token == payment.card_token  # the fingerprint survives rotation


def test_environment_keys_and_their_errors(tmp_path):
    one, two = new_key_text(), new_key_text()
    keys = VaultKeys(tmp_path, environ={"QENEX_VAULT_KEY": f"2:{two},1:{one}"}, use_keyring=False)
    assert keys.current[0] == 2 and keys.source == "environment"
    with pytest.raises(VaultKeyError, match="add a new version"):
        keys.add_version()
    for bad in ("not-base64!", "c2hvcnQ=", "x:" + one):
        with pytest.raises(VaultKeyError):
            VaultKeys(tmp_path, environ={"QENEX_VAULT_KEY": bad}, use_keyring=False).keys()
    assert not (tmp_path / "audit").exists()  # an environment key never writes a file


def test_a_key_file_readable_by_others_is_refused(tmp_path):
    keys = VaultKeys(tmp_path, environ={}, use_keyring=False)
    keys.keys()
    os.chmod(keys.key_file, 0o644)
    with pytest.raises(VaultKeyError, match="chmod 600"):
        VaultKeys(tmp_path, environ={}, use_keyring=False).keys()


@pytest.mark.parametrize(("number", "brand"), [
    ("4242424242424242", "visa"), ("5555555555554444", "mastercard"), ("2223003122003222", "mastercard"),
    ("378282246310005", "amex"), ("6011111111111117", "discover"), ("3566002020360505", "jcb"),
    ("36227206271667", "diners"), ("6200000000000005", "unionpay"),
])
def test_brands_and_luhn(number, brand):
    assert cards.validate_number(number) == (number, brand)
    broken = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(cards.InvalidCard, match="check digit"):
        cards.validate_number(broken)


def test_card_shapes():
    with pytest.raises(cards.InvalidCard, match="only digits"):
        cards.validate_number("4242-4242-abcd-4242")
    with pytest.raises(cards.InvalidCard, match="12 to 19"):
        cards.validate_number("4242")
    with pytest.raises(cards.InvalidCvc, match="4 digits"):
        cards.parse_card("378282246310005", 1, 2040, "123")
    assert cards.parse_expiry("07/29") == (7, 29)
    with pytest.raises(cards.InvalidExpiry):  # a typing slip, not an expired card (QA2 #12)
        cards.parse_expiry("7-29")
    assert cards.mask("4242 4242 4242 4242") == "424242…4242"


def test_pasted_and_full_width_card_numbers_are_read_as_typed():
    assert cards.digits_only("４２４２ ４２４２\u00a04242-4242") == "4242424242424242"
    with pytest.raises(cards.InvalidCard, match="no keyboard"):
        cards.validate_number("4242\x004242")
