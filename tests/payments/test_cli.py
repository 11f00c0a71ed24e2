"""The command line for payments, payment orders and rail files: --json output, clear refusals."""
from __future__ import annotations

import io
import json

import pytest

from app.cli import main
from tests.payments.conftest import API_KEY, WEBHOOK_SECRET


@pytest.fixture
def qenex(tmp_path, monkeypatch, capsys, localstripe):
    monkeypatch.setenv("QENEX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QENEX_DATABASE_URL", f"sqlite:///{tmp_path / 'bank.db'}")
    monkeypatch.setenv("QENEX_STRIPE_API_KEY", API_KEY)
    monkeypatch.setenv("QENEX_STRIPE_API_BASE", localstripe)
    monkeypatch.setenv("QENEX_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.delenv("QENEX_VAULT_KEY", raising=False)

    def run(*argv: str, stdin: str = "") -> tuple[int, object, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(argv))
        out, err = capsys.readouterr()
        data = json.loads(out) if "--json" in argv and out.strip() and code == 0 else out
        return code, data, err

    return run


@pytest.fixture
def accounts(qenex):
    qenex("customer", "add", "--name", "Ada")
    usd = qenex("account", "open", "--customer", "1", "--currency", "USD", "--json")[1]["number"]
    eur = qenex("account", "open", "--customer", "1", "--currency", "EUR", "--json")[1]["number"]
    qenex("deposit", "--system", "--account", usd, "--amount", "500.00", "--currency", "USD")
    qenex("deposit", "--system", "--account", eur, "--amount", "500.00", "--currency", "EUR")
    return usd, eur


def test_card_payment_flow(qenex, accounts):
    usd, _eur = accounts
    code, pay, err = qenex("payments", "create", "--system", "--account", usd, "--amount", "40.00", "--currency", "USD",
                           "--expiry", "12/39", "--capture", "manual", "--json", stdin="4242424242424242\n123\n")
    assert code == 0, err
    assert pay["status"] == "requires_capture" and pay["card"] == "Visa 424242…4242"
    pid = pay["id"]
    assert qenex("payments", "capture", pid, "--amount", "30", "--system", "--json")[1]["captured"] == "30.00"
    assert qenex("payments", "refund", "--system", pid, "--amount", "10", "--json")[1]["refunded"] == "10.00"
    code, _out, err = qenex("payments", "refund", "--system", pid, "--amount", "25")
    assert code == 1 and err.startswith("qenex: refund_exceeds_captured:") and "Traceback" not in err
    for argv in (("refund", pid, "--amount", "1"), ("create", "--account", usd, "--amount", "5.00", "--currency",
                                                     "USD", "--expiry", "12/39")):  # QA: a named person, or --system
        code, _out, err = qenex("payments", *argv, stdin="4242424242424242\n123\n")
        assert code == 2 and "needs a named person: add --as USER" in err, err
    shown = qenex("payments", "show", pid, "--json")[1]
    assert [e["kind"] for e in shown["events"]][0] == "created"
    assert len(qenex("payments", "list", "--json")[1]) == 1
    assert qenex("balance", usd, "--json")[1]["current"] == "520.00"


@pytest.mark.parametrize(("argv", "stdin", "word"), [
    (["--amount", "10", "--currency", "USD", "--expiry", "12/39"], "4242424242424241\n123\n", "invalid_card"),
    (["--amount", "10", "--currency", "USD", "--expiry", "01/20"], "4242424242424242\n123\n", "card_expired"),
    (["--amount", "10", "--currency", "USD", "--expiry", "13/30"], "4242424242424242\n123\n", "invalid_expiry"),
    (["--amount", "0.49", "--currency", "USD", "--expiry", "12/39"], "4242424242424242\n123\n",
     "amount_below_minimum"),
    (["--amount", "10", "--currency", "USD", "--expiry", "12/39"], "4242424242424242\n12\n", "invalid_cvc"),
    (["--amount", "10", "--currency", "USD", "--expiry", "12/39"], "4000000000000341\n123\n", "card_declined"),
])
def test_bad_card_input_is_refused_with_its_reason(qenex, accounts, argv, stdin, word):
    usd, _eur = accounts
    code, _out, err = qenex("payments", "create", "--system", "--account", usd, *argv, stdin=stdin)
    assert code == 1 and err.startswith(f"qenex: {word}:"), err
    assert "4242424242424241" not in err and "Traceback" not in err
    assert qenex("balance", usd, "--json")[1]["current"] == "500.00"


def test_unknown_payment(qenex, accounts):
    code, _out, err = qenex("payments", "capture", "pay_nope", "--system")
    assert code == 1 and err.startswith("qenex: payment_not_found:")


def test_outgoing_transfers_and_rails(qenex, accounts, tmp_path):
    usd, eur = accounts
    code, sepa, err = qenex("transfer", "--system", "--from", eur, "--to-iban", "DE89 3704 0044 0532 0130 00", "--bic",
                            "COBADEFFXXX", "--beneficiary", "Erika Mustermann", "--reference", "rent",
                            "--amount", "120.00", "--currency", "EUR", "--json")
    assert code == 0, err
    assert sepa["rail"] == "sepa" and sepa["status"] == "created" and sepa["funds"] == "posted"
    code, ach, err = qenex("transfer", "--system", "--from", usd, "--routing", "011000015", "--to-account", "123456789",
                           "--beneficiary", "John Smith", "--amount", "80", "--currency", "USD", "--json")
    assert code == 0 and ach["rail"] == "ach", err
    code, wire, err = qenex("transfer", "--system", "--from", usd, "--wire", "--bic", "CHASUS33", "--to-account", "99887766",
                            "--beneficiary", "ACME Corp", "--amount", "50", "--currency", "USD", "--json")
    assert code == 0 and wire["rail"] == "wire", err
    assert (ach["fee"], wire["fee"], sepa["fee"]) == ("0.25", "25.00", "0.50")  # the default fee schedule
    assert qenex("balance", usd, "--json")[1]["current"] == "344.75"  # 500 - 80 - 50 - 0.25 - 25.00
    code, _out, err = qenex("transfer", "--system", "--from", eur, "--to-iban", "DE89370400440532013001", "--bic", "COBADEFFXXX",
                            "--beneficiary", "X", "--amount", "1", "--currency", "EUR")
    assert code == 1 and err.startswith("qenex: invalid_beneficiary:") and "IBAN" in err
    code, _out, err = qenex("transfer", "--system", "--from", usd, "--routing", "011000016", "--to-account", "1234",
                            "--beneficiary", "X", "--amount", "1", "--currency", "USD")
    assert code == 1 and "checksum" in err
    out = tmp_path / "ach.txt"
    exported = qenex("rails", "export", "--rail", "ach", "--out", str(out), "--json")[1]
    assert exported["orders"] == 1 and out.read_text().startswith("101")
    code, _out, err = qenex("rails", "return", ach["id"], "--reason", "AC04")  # a SEPA code on an ACH order
    assert code == 1 and err.startswith("qenex: invalid_return_code: AC04 is not an ACH return code"), err
    code, text, err = qenex("rails", "return", ach["id"], "--reason", "R01")
    assert code == 0 and "returned (R01 Insufficient funds)" in text and "funds credited back" in text, text
    assert "funds posted" not in text and "returned: R01" not in text
    code, _out, err = qenex("rails", "return", ach["id"], "--reason", "R03")  # the same order again
    assert code == 1 and err.startswith("qenex: already_returned:") and "already returned (R01" in err, err
    assert qenex("balance", usd, "--json")[1]["current"] == "425.00"  # the ACH and its fee came back, once
    qenex("rails", "export", "--rail", "sepa", "--out", str(tmp_path / "sepa.xml"))
    assert qenex("rails", "settle", sepa["id"], "--json")[1]["status"] == "settled"
    code, _out, err = qenex("rails", "settle", wire["id"])
    assert code == 1 and err.startswith("qenex: invalid_state:")
    assert qenex("ledger", "verify")[0] == 0


def test_reveal_needs_a_named_supervisor_and_a_reason(qenex, accounts, capsys, monkeypatch):
    usd, _eur = accounts
    monkeypatch.setenv("QENEX_PASSWORD", "correct horse battery staple 42")  # --as is a sign-in
    pay = qenex("payments", "create", "--system", "--account", usd, "--amount", "5.00", "--currency", "USD", "--expiry", "12/39",
                "--json", stdin="4242424242424242\n123\n")[1]
    for name, role in (("sam", "supervisor"), ("tina", "teller")):
        assert qenex("user", "add", name, "--role", role, "--password-stdin",
                     stdin="correct horse battery staple 42\n")[0] == 0
    with pytest.raises(SystemExit) as exited:
        qenex("vault", "reveal", pay["card_token"], "--reason", "ticket 4711 chargeback")
    assert exited.value.code == 2
    capsys.readouterr()
    code, _out, err = qenex("vault", "reveal", pay["card_token"], "--as", "tina", "--reason", "ticket 4711 chargeback")
    assert code == 1 and err.startswith("qenex: permission_denied:")
    code, _out, err = qenex("vault", "reveal", pay["card_token"], "--as", "sam", "--reason", "why")
    assert code == 1 and "say why" in err
    code, out, err = qenex("vault", "reveal", pay["card_token"], "--as", "sam", "--reason", "ticket 4711 chargeback")
    assert code == 0 and out.strip() == "4242424242424242", err


def test_payments_help_points_to_the_demo_bank(qenex, capsys):
    with pytest.raises(SystemExit):
        main(["payments", "--help"])
    text = capsys.readouterr().out
    assert "qenex demo seed" in text and "127.0.0.1" in text
    assert "demo bank" in qenex("payments", "list")[1]
