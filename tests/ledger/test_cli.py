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


def test_operator_flow(qenex):
    assert qenex("customer", "add", "--name", "Ada", "--json")[1]["id"] == 1
    qenex("customer", "add", "--name", "Bob")
    a = qenex("account", "open", "--customer", "1", "--currency", "USD", "--json")[1]["number"]
    b = qenex("account", "open", "--customer", "2", "--currency", "USD", "--overdraft", "10.00", "--json")[1]["number"]
    assert qenex("deposit", "--account", a, "--amount", "100.00", "--currency", "USD")[0] == 0
    code, data, _ = qenex("transfer", "--from", a, "--to", b, "--amount", "12.34", "--currency", "USD",
                          "--id", "t1", "--json")
    assert code == 0 and data["state"] == "posted" and data["amount"] == "12.34"
    assert qenex("transfer", "--from", a, "--to", b, "--amount", "12.34", "--currency", "USD", "--id", "t1",
                 "--json")[1]["replayed"] is True
    assert qenex("transfer", "--from", a, "--to", b, "--amount", "30", "--currency", "USD", "--id", "h",
                 "--pending", "--json")[1]["state"] == "pending"
    assert qenex("balance", a, "--json")[1]["available"] == "57.66"
    assert qenex("transfer", "post", "h", "--amount", "10", "--json")[1]["amount"] == "10.00"
    assert qenex("balance", a, "--json")[1] == {
        "account": a, "currency": "USD", "current": "77.66", "available": "77.66",
        "pending_debits": "0.00", "pending_credits": "0.00"}
    lines = qenex("statement", a, "--json")[1]["lines"]
    assert [ln["balance_after"] for ln in lines] == ["77.66", "87.66", "100.00"]
    assert qenex("withdraw", "--account", a, "--amount", "7.66", "--currency", "USD")[0] == 0
    assert len(qenex("accounts", "--json")[1]) == 6  # two customer accounts and four GL accounts
    assert qenex("ledger", "verify")[0] == 0


@pytest.mark.parametrize("argv,code_word", [
    (["transfer", "--from", "{a}", "--to", "{b}", "--amount", "1.234", "--currency", "USD"], "too_many_decimals"),
    (["transfer", "--from", "{a}", "--to", "{b}", "--amount", "1000", "--currency", "USD"], "insufficient_funds"),
    (["transfer", "--from", "{a}", "--to", "{a}", "--amount", "1", "--currency", "USD"], "same_account"),
    (["transfer", "--from", "{a}", "--to", "{b}", "--amount", "1", "--currency", "EUR"], "currency_mismatch"),
    (["transfer", "--from", "{a}", "--to", "{b}", "--amount", "-1", "--currency", "USD"], "invalid_amount"),
    (["transfer", "--from", "{a}", "--to", "1234567890", "--amount", "1", "--currency", "USD"], "invalid_account_number"),
    (["transfer", "void", "nope"], "pending_not_found"),
    (["account", "open", "--customer", "99", "--currency", "USD"], "customer_not_found"),
    (["deposit", "--account", "{a}", "--amount", "1", "--currency", "usdx"], "unknown_currency"),
])
def test_refusals_exit_nonzero_with_reason_and_change_nothing(qenex, argv, code_word):
    qenex("customer", "add", "--name", "Ada")
    a = qenex("account", "open", "--customer", "1", "--currency", "USD", "--json")[1]["number"]
    b = qenex("account", "open", "--customer", "1", "--currency", "USD", "--json")[1]["number"]
    qenex("deposit", "--account", a, "--amount", "5", "--currency", "USD")
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
