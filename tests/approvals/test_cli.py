"""qenex approvals list|show|approve|reject|request|expire|limits, end to end on SQLite."""
from __future__ import annotations

import io
import os

import pytest
from sqlalchemy import text

from core.persistence.db import make_engine

from tests.ledger.test_cli import qenex  # noqa: F401 - the fixture


def _users(qenex, monkeypatch):  # noqa: ANN001, ANN202, F811
    for name, role in (("tina", "teller"), ("sam", "supervisor"), ("sue", "supervisor")):
        monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
        assert qenex("user", "add", name, "--role", role, "--password-stdin")[0] == 0
    engine = make_engine(os.environ["QENEX_DATABASE_URL"])  # as if each had signed in and chosen a password
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET must_change_password = false"))
    engine.dispose()


def test_request_list_show_approve_reject(qenex, monkeypatch):  # noqa: F811
    _users(qenex, monkeypatch)
    qenex("customer", "add", "--name", "Ada")
    acc = qenex("account", "open", "--customer", "1", "--currency", "USD", "--json")[1]["number"]
    qenex("deposit", "--system", "--account", acc, "--amount", "100", "--currency", "USD")
    hold = qenex("hold", "place", "--system", acc, "--amount", "10", "--reason", "fraud", "--days", "3", "--json")[1]["id"]

    code, freeze, _ = qenex("approvals", "request", "freeze", acc, "--note", "card stolen", "--as", "tina", "--json")
    assert code == 0 and freeze["state"] == "pending" and freeze["maker"] == "tina"
    code, _, err = qenex("approvals", "request", "release-hold", str(hold), "--as", "sam")  # QA #21: say why
    assert code == 1 and "the reason for releasing the hold is needed" in err
    release = qenex("approvals", "request", "release-hold", str(hold), "--note", "cheque has cleared", "--as", "sam",
                    "--json")[1]
    listed = qenex("approvals", "list", "--json")[1]
    code, text, _ = qenex("approvals", "list")  # QA3 #10: the word the console and --state use, from core
    assert code == 0 and " waiting " in text and "pending" not in text
    assert [r["id"] for r in listed["requests"]] == [freeze["id"], release["id"]] and listed["total"] == 2
    code, mine, err = qenex("approvals", "list", "--as", "tina", "--json")
    assert code == 0, err
    assert mine["total"] == 1  # a maker sees their own
    shown = qenex("approvals", "show", str(freeze["id"]), "--json")[1]
    assert shown["account"]["number"] == acc and shown["activity"][0]["amount"] == "100.00"

    with pytest.raises(SystemExit):  # approving is a named supervisor's decision: --as is required
        qenex("approvals", "approve", str(freeze["id"]))
    code, data, _ = qenex("approvals", "approve", str(freeze["id"]), str(release["id"]), "--as", "sam", "--json")
    assert code == 1 and [i["ok"] for i in data["results"]] == [True, False]
    assert data["results"][1]["error"] == "own_request"
    code, _, err = qenex("approvals", "reject", str(release["id"]), "--reason", " ", "--as", "sue")
    assert code == 1 and "invalid_approval" in err
    code, text, _ = qenex("approvals", "reject", str(release["id"]), "--reason", "keep it until Friday", "--as", "sue")
    assert code == 0 and "rejected" in text
    assert qenex("approvals", "list", "--state", "decided", "--json")[1]["total"] == 2
    assert qenex("approvals", "expire", "--json")[1] == {"expired": 0}
    again = qenex("approvals", "request", "close", acc, "--as", "tina", "--json")
    assert again[0] == 1 and "account_not_empty" in again[2]
    release = qenex("approvals", "request", "release-hold", str(hold), "--note", "the cheque has cleared", "--as",
                    "tina", "--json")[1]
    code, _, err = qenex("approvals", "withdraw", str(release["id"]), "--as", "sam")
    assert code == 1 and "only its maker" in err
    code, data, _ = qenex("approvals", "withdraw", str(release["id"]), "--as", "tina", "--json")
    assert code == 0 and data["state"] == "withdrawn" and data["result"] == "the hold stays"
    listed = qenex("approvals", "list", "--state", "withdrawn", "--json")[1]
    assert [(r["id"], r["state"]) for r in listed["requests"]] == [(release["id"], "withdrawn")]


def test_limits(qenex):  # noqa: F811
    code, data, _ = qenex("approvals", "limits", "--json")
    assert code == 0 and {"role": "teller", "currency": "USD", "limit": "10000.00", "source": "default"} in data["limits"]
    assert qenex("approvals", "limits", "--set", "teller", "EUR", "2500", "--json")[1]["limit"] == "2500.00"
    code, _, err = qenex("approvals", "limits", "--set", "teller", "EUR", "-5")
    assert code == 1 and err.startswith("qenex: ")


def test_overdraft_above_the_tellers_limit_waits_for_a_supervisor(qenex, monkeypatch):  # noqa: F811
    """QA #20: qenex account open/overdraft --as a teller follow the same credit rule as the console."""
    _users(qenex, monkeypatch)
    qenex("customer", "add", "--name", "Ada Lovelace")
    code, _, err = qenex("account", "open", "--customer", "1", "--currency", "USD", "--overdraft", "5000000",
                         "--as", "tina", "--note", "salary")  # above every checker's overdraft limit: told at once
    assert code == 1 and "above_every_approval_limit" in err and "ask for $25,000.00 or less" in err, err
    assert qenex("accounts", "--json")[1] == []  # nothing was created
    monkeypatch.setenv("QENEX_OVERDRAFT_LIMITS", "supervisor=5000000")
    code, text, err = qenex("account", "open", "--customer", "1", "--currency", "USD", "--overdraft", "5000000",
                            "--as", "tina", "--note", "salary")
    monkeypatch.delenv("QENEX_OVERDRAFT_LIMITS")  # lowered while it waits
    assert code == 0, err
    assert "$5,000,000.00 requested, waiting for approval" in text and "until then the account has no overdraft" in text
    assert "above your limit" in text
    acc = qenex("accounts", "--json")[1][0]
    assert acc["overdraft_limit"] == "0.00"
    code, data, _ = qenex("account", "overdraft", acc["number"], "500", "--as", "tina", "--json")
    assert code == 0 and data["overdraft_limit"] == "500.00" and "overdraft_approval" not in data
    [req] = qenex("approvals", "list", "--json")[1]["requests"]
    assert req["kind"] == "overdraft" and req["amount"] == "5000000.00"
    code, _, err = qenex("approvals", "approve", str(req["id"]), "--as", "sam")  # QA4 #1: above sam's own limit
    assert code == 1 and "above_approval_limit" in err and "above your supervisor limit of $25,000.00" in err
    assert "QENEX_OVERDRAFT_LIMITS" in err and "nothing was changed" in err
    assert qenex("accounts", "--json")[1][0]["overdraft_limit"] == "500.00"
    monkeypatch.setenv("QENEX_OVERDRAFT_LIMITS", "supervisor=5000000")
    assert qenex("approvals", "approve", str(req["id"]), "--as", "sam")[0] == 0
    monkeypatch.setenv("QENEX_OVERDRAFT_LIMITS", "supervisor=9000000")
    assert qenex("accounts", "--json")[1][0]["overdraft_limit"] == "5000000.00"
    # QA: raising a kept limit says it is kept, not that the account has none
    code, text, err = qenex("account", "overdraft", acc["number"], "9000000", "--as", "tina")
    assert code == 0, err
    assert "$9,000,000.00 requested, waiting for approval" in text and "until then the limit stays $5,000,000.00" in text
    assert "has no overdraft" not in text


def test_moving_customer_money_from_the_command_line_needs_a_named_person(qenex, monkeypatch):  # noqa: F811
    """QA: 'qenex transfer --from A --to B --amount 15000' without --as posted $15,000.00 as the unnamed system
    operator, past every four-eyes limit. Now --as USER (a sign-in; their limits apply) or an explicit --system
    (imports and batch jobs)."""
    _users(qenex, monkeypatch)
    qenex("customer", "add", "--name", "Ada")
    qenex("customer", "add", "--name", "Bob")
    a = qenex("account", "open", "--customer", "1", "--currency", "USD", "--json")[1]["number"]
    b = qenex("account", "open", "--customer", "2", "--currency", "USD", "--json")[1]["number"]
    for argv in (("transfer", "--from", a, "--to", b, "--amount", "15000"), ("deposit", "--account", a, "--amount", "9"),
                 ("withdraw", "--account", a, "--amount", "9")):
        code, _, err = qenex(*argv)
        assert code == 2 and "needs a named person: add --as USER" in err and "Nothing was moved" in err, err
    assert qenex("balance", a, "--json")[1]["current"] == "0.00"
    assert qenex("deposit", "--system", "--account", a, "--amount", "20000")[0] == 0  # the documented operator path
    code, _, err = qenex("transfer", "--system", "--as", "tina", "--from", a, "--to", b, "--amount", "1")
    assert code == 2 and "not both" in err
    monkeypatch.setenv("QENEX_PASSWORD", "correct horse battery")
    code, text, err = qenex("transfer", "--from", a, "--to", b, "--amount", "15000", "--as", "tina")
    assert code == 0, err
    assert "$15,000.00" in text and "approval" in text  # above the teller's limit: it waits for a supervisor
    assert qenex("balance", b, "--json")[1]["current"] == "0.00"
    [req] = qenex("approvals", "list", "--json")[1]["requests"]
    assert req["kind"] == "transfer" and req["maker"] == "tina" and req["amount"] == "15000.00"


def test_every_command_that_moves_holds_or_voids_customer_money_needs_a_named_person(qenex, monkeypatch):  # noqa: F811
    """The same rule for the rest of the kind: posting or voiding a pending transfer, capturing or cancelling a
    card payment, placing a hold, cancelling a rail order, standing instructions (add, run, cancel) and the cash
    drawer's moves (open with its float, vault transfers, close) refuse to
    run as the unnamed operator; --as USER or --system, as transfer/deposit/withdraw."""
    _users(qenex, monkeypatch)
    qenex("customer", "add", "--name", "Ada")
    qenex("customer", "add", "--name", "Bob")
    a = qenex("account", "open", "--customer", "1", "--currency", "USD", "--json")[1]["number"]
    b = qenex("account", "open", "--customer", "2", "--currency", "USD", "--json")[1]["number"]
    assert qenex("deposit", "--system", "--account", a, "--amount", "100")[0] == 0
    code, t, err = qenex("transfer", "--system", "--from", a, "--to", b, "--amount", "5", "--pending", "--id", "p1",
                         "--json")
    assert code == 0, err
    for argv in (("transfer", "post", "p1"), ("transfer", "void", "p1"), ("payments", "capture", "pay_x"),
                 ("payments", "cancel", "pay_x"), ("hold", "place", a, "--amount", "1", "--reason", "legal",
                                                   "--days", "2"),
                 ("rails", "cancel", "po_x", "--reason", "customer called"),
                 ("standing", "add", "--from", a, "--to", b, "--amount", "1", "--every", "weekly"),
                 ("standing", "run"), ("standing", "cancel", "1"),
                 ("drawer", "open", "D1", "--currency", "USD", "--count", "20x5"),
                 ("drawer", "vault", "D1", "--currency", "USD", "--amount", "1", "--to", "drawer"),
                 ("drawer", "close", "D1", "--currency", "USD", "--count", "20x5")):
        code, _, err = qenex(*argv)
        assert code == 2 and "needs a named person: add --as USER" in err, (argv, err)
    assert qenex("balance", a, "--json")[1]["available"] == "95.00"  # the pending transfer still holds its 5
    assert qenex("transfer", "void", "p1", "--system", "--json")[0] == 0
    assert qenex("balance", a, "--json")[1]["available"] == "100.00"


def test_bulk_approve_refuses_each_request_above_the_checkers_limit(qenex, monkeypatch):  # noqa: F811
    """QA4 #1: qenex approvals approve ID ID: a request above the checker's own limit is refused on its own line."""
    _users(qenex, monkeypatch)
    numbers = []
    for n, name in enumerate(("Ada Lovelace", "Bob Example"), 1):
        qenex("customer", "add", "--name", name)
        numbers.append(qenex("account", "open", "--customer", str(n), "--currency", "USD", "--json")[1]["number"])
    monkeypatch.setenv("QENEX_OVERDRAFT_LIMITS", "teller=1000,supervisor=30000")
    for number, amount in zip(numbers, ("2000", "30000")):  # teller overdraft limit 1,000, supervisor 30,000
        code, _, err = qenex("account", "overdraft", number, amount, "--as", "tina")
        assert code == 0, err
    monkeypatch.delenv("QENEX_OVERDRAFT_LIMITS")  # supervisor 25,000 again while they wait
    small, big = (r["id"] for r in qenex("approvals", "list", "--json")[1]["requests"])
    code, text, _ = qenex("approvals", "approve", str(small), str(big), "--as", "sam")
    assert code == 1 and f"request #{small}: approved" in text
    assert f"request #{big}: refused: above_approval_limit" in text and "above your supervisor limit of $25,000.00" in text
    assert "1 approved, 1 refused" in text
    assert qenex("approvals", "list", "--json")[1]["total"] == 1  # the big one still waits
