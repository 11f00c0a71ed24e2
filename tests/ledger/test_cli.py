"""The operator's command line: JSON output, refusals exit non-zero with the reason and change nothing."""
from __future__ import annotations

import json

import pytest

from app.cli import main


@pytest.fixture
def qenex(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QENEX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QENEX_DATABASE_URL", f"sqlite:///{tmp_path / 'bank.db'}")

    def run(*argv: str) -> tuple[int, object, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        data = json.loads(out) if "--json" in argv and out.strip() else out
        return code, data, err

    return run


def add_person(tmp_path, name: str, role: str) -> None:
    """A user ``--as`` can name (human-only decisions: roles.HUMAN_ONLY), in the qenex fixture's bank."""
    from core.persistence.db import make_engine
    from core.security.passwords import PasswordHasher
    from core.security.roles import SYSTEM_ACTOR
    from core.security.totp_keys import TotpSecrets
    from core.security.users import UserService

    engine = make_engine(f"sqlite:///{tmp_path / 'bank.db'}")
    UserService(engine, None, hasher=PasswordHasher(memory_kib=8, iterations=1, lanes=1),
                totp_secrets=TotpSecrets(tmp_path / "data" / "audit")).add_user(
        SYSTEM_ACTOR, name, role, "correct horse battery", must_change_password=False)
    engine.dispose()


def test_status_and_corrections_need_a_named_person(qenex, tmp_path, capsys):
    """Never the system operator (``--as`` is required); a supervisor directly is refused too while four eyes is
    on: the command says to ask for it (qenex approvals)."""
    qenex("customer", "add", "--name", "Ada")
    a = qenex("account", "open", "--customer", "1", "--currency", "USD", "--json")[1]["number"]
    qenex("deposit", "--system", "--account", a, "--amount", "100.00", "--currency", "USD", "--id", "cash")
    add_person(tmp_path, "sue", "supervisor")
    add_person(tmp_path, "tom", "teller")
    for argv in (("account", "status", a, "frozen"), ("transfer", "correct", "cash")):
        with pytest.raises(SystemExit):
            qenex(*argv)
        assert "the following arguments are required: --as" in capsys.readouterr().err
    code, _, err = qenex("account", "status", a, "frozen", "--as", "tom")
    assert code == 1 and "tom (teller) may not freeze, unfreeze or close accounts; the supervisor role may" in err
    code, _, err = qenex("account", "status", a, "frozen", "--as", "sue")
    assert code == 1 and "needs a second person" in err and "qenex approvals request" in err
    code, _, err = qenex("transfer", "correct", "cash", "--as", "tom")
    assert code == 1 and "tom (teller) may not correct posted transfers; the supervisor role may" in err


def test_operator_flow(qenex):
    assert qenex("customer", "add", "--name", "Ada", "--json")[1]["id"] == 1
    qenex("customer", "add", "--name", "Bob")
    a = qenex("account", "open", "--customer", "1", "--currency", "USD", "--json")[1]["number"]
    b = qenex("account", "open", "--customer", "2", "--currency", "USD", "--overdraft", "10.00", "--json")[1]["number"]
    assert qenex("deposit", "--system", "--account", a, "--amount", "100.00", "--currency", "USD")[0] == 0
    code, data, _ = qenex("transfer", "--system", "--from", a, "--to", b, "--amount", "12.34", "--currency", "USD",
                          "--id", "t1", "--json")
    assert code == 0 and data["state"] == "posted" and data["amount"] == "12.34"
    assert qenex("transfer", "--system", "--from", a, "--to", b, "--amount", "12.34", "--currency", "USD", "--id", "t1",
                 "--json")[1]["replayed"] is True
    assert qenex("transfer", "--system", "--from", a, "--to", b, "--amount", "30", "--currency", "USD", "--id", "h",
                 "--pending", "--json")[1]["state"] == "pending"
    assert qenex("balance", a, "--json")[1]["available"] == "57.66"
    assert qenex("transfer", "post", "h", "--amount", "10", "--system", "--json")[1]["amount"] == "10.00"
    assert qenex("balance", a, "--json")[1] == {
        "account": a, "currency": "USD", "current": "77.66", "available": "77.66",
        "pending_debits": "0.00", "pending_credits": "0.00"}
    lines = qenex("statement", a, "--json")[1]["lines"]
    assert [ln["balance_after"] for ln in lines] == ["77.66", "87.66", "100.00"]
    assert qenex("withdraw", "--system", "--account", a, "--amount", "7.66", "--currency", "USD")[0] == 0
    assert len(qenex("accounts", "--json")[1]) == 6  # two customer accounts and four GL accounts
    # QA 40: --customer takes the customer number shown everywhere (the internal id still works)
    from core.teller.identifiers import customer_number

    assert [r["number"] for r in qenex("accounts", "--customer", customer_number(2), "--json")[1]] == [b]
    assert [r["number"] for r in qenex("accounts", "--customer", "2", "--json")[1]] == [b]
    code, _, err = qenex("accounts", "--customer", customer_number(9))
    assert code == 1 and f"no customer {customer_number(9)}" in err
    wrong = customer_number(2)[:-1] + str((int(customer_number(2)[-1]) + 1) % 10)
    with pytest.raises(SystemExit) as stop:
        qenex("accounts", "--customer", wrong)
    assert stop.value.code == 2
    assert qenex("ledger", "verify")[0] == 0
    # QA 41: the revision with its place in the order migrations apply (0007 is the newest, after 0008)
    from core.persistence import migrate

    out = qenex("db", "current")[1]
    assert out.startswith(f"{migrate.script_head()}: ") and "up to date" in out and len(migrate.chain()) >= 13


@pytest.mark.parametrize("argv,code_word", [
    (["transfer", "--system", "--from", "{a}", "--to", "{b}", "--amount", "1.234", "--currency", "USD"], "too_many_decimals"),
    (["transfer", "--system", "--from", "{a}", "--to", "{b}", "--amount", "1000", "--currency", "USD"], "insufficient_funds"),
    (["transfer", "--system", "--from", "{a}", "--to", "{a}", "--amount", "1", "--currency", "USD"], "same_account"),
    (["transfer", "--system", "--from", "{a}", "--to", "{b}", "--amount", "1", "--currency", "EUR"], "currency_mismatch"),
    (["transfer", "--system", "--from", "{a}", "--to", "{b}", "--amount", "-1", "--currency", "USD"], "invalid_amount"),
    (["transfer", "--system", "--from", "{a}", "--to", "1234567890", "--amount", "1", "--currency", "USD"], "invalid_account_number"),
    (["transfer", "void", "nope", "--system"], "pending_not_found"),
    (["account", "open", "--customer", "99", "--currency", "USD"], "customer_not_found"),
    (["deposit", "--system", "--account", "{a}", "--amount", "1", "--currency", "usdx"], "unknown_currency"),
])
def test_refusals_exit_nonzero_with_reason_and_change_nothing(qenex, argv, code_word):
    qenex("customer", "add", "--name", "Ada")
    a = qenex("account", "open", "--customer", "1", "--currency", "USD", "--json")[1]["number"]
    b = qenex("account", "open", "--customer", "1", "--currency", "USD", "--json")[1]["number"]
    qenex("deposit", "--system", "--account", a, "--amount", "5", "--currency", "USD")
    before = qenex("accounts", "--json")[1]
    code, _, err = qenex(*[x.format(a=a, b=b) for x in argv])
    assert code == 1 and code_word in err
    assert qenex("accounts", "--json")[1] == before


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("customer", "account", "transfer", "deposit", "withdraw", "balance", "statement", "accounts",
                    "demo", "db", "user", "audit"):
        assert command in out


def test_unreachable_database_gets_a_clear_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("QENEX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("QENEX_DATABASE_URL", "postgresql+psycopg://bob:secret@127.0.0.1:1/nowhere?connect_timeout=2")
    assert main(["accounts"]) == 1
    err = capsys.readouterr().err
    assert "cannot use the database" in err and "QENEX_DATABASE_URL" in err and "secret" not in err


def test_issue_8_examples_on_the_command_line(qenex):
    """IQD posts at ISO's 3 decimals; exponent notation, rounding, 64-bit overflow and a huge timeout are
    one-line refusals that write nothing."""
    qenex("customer", "add", "--name", "Ada")
    iqd = qenex("account", "open", "--customer", "1", "--currency", "IQD", "--json")[1]["number"]
    usd = qenex("account", "open", "--customer", "1", "--currency", "USD", "--json")[1]["number"]
    code, data, _ = qenex("deposit", "--system", "--account", iqd, "--amount", "1000.250", "--currency", "IQD", "--json")
    assert code == 0 and data["amount"] == "1000.250"
    assert qenex("balance", iqd, "--json")[1]["current"] == "1000.250"
    before = qenex("accounts", "--json")[1]
    for argv, word in [
        (["--amount", "1e3"], "invalid_amount"),
        (["--amount", "4.99999999999999999999999999999"], "too_many_decimals"),
        (["--amount", "92233720368547758.08"], "amount_too_large"),
        (["--amount", "10000000000000.01"], "amount_too_large"),
    ]:
        code, _, err = qenex("deposit", "--system", "--account", usd, "--currency", "USD", *argv)
        assert code == 1 and err.startswith(f"qenex: {word}: ") and err.count("\n") == 1, err
    with pytest.raises(SystemExit) as done:
        qenex("transfer", "--system", "--from", usd, "--to", iqd, "--amount", "1", "--currency", "USD", "--pending",
              "--timeout", "999999999999")
    assert done.value.code == 2
    assert qenex("accounts", "--json")[1] == before


def test_amounts_typed_in_other_digit_forms_post(qenex):
    qenex("customer", "add", "--name", "Ada")
    usd = qenex("account", "open", "--customer", "1", "--currency", "USD", "--overdraft", "５００", "--json")[1]
    assert usd["overdraft_limit"] == "500.00"
    code, data, _ = qenex("deposit", "--system", "--account", usd["number"].translate(str.maketrans("0123456789", "０１２３４５６７８９")),
                          "--amount", "１２.５０", "--currency", "ｕｓｄ", "--json")
    assert code == 0 and data["amount"] == "12.50"
