"""qenex drawer open|close|status|vault|report|ctr and qenex standing add|list|runs|run|cancel (--json)."""
from __future__ import annotations

import io

from tests.ledger.test_cli import qenex  # noqa: F401 - the fixture
from tests.teller.test_cli import bank  # noqa: F401 - the fixture


def test_drawer_open_vault_close_with_a_note_and_report(qenex, tmp_path, monkeypatch):  # noqa: F811
    code, s, _ = qenex("drawer", "open", "--system", "d1", "--currency", "USD", "--count", "100x10", "--count", "20x25", "--json")
    assert code == 0 and (s["drawer"], s["opening_float"], s["expected_cash"]) == ("D1", "1500.00", "1500.00")
    code, _, err = qenex("drawer", "open", "--system", "D1", "--currency", "USD", "--count", "20x1")
    assert code == 1 and "drawer_busy" in err
    assert qenex("drawer", "vault", "--system", "D1", "--currency", "USD", "--amount", "500", "--to", "drawer")[0] == 0
    status = qenex("drawer", "status", "--json")[1]
    assert status["open"][0]["expected_cash"] == "2000.00"
    code, _, err = qenex("drawer", "close", "--system", "D1", "--currency", "USD", "--count", "100x19")  # short 100.00
    assert code == 1 and "supervisor_note_required" in err and "the count is kept" in err
    assert "expected $2,000.00" in err
    code, _, err = qenex("drawer", "close", "--system", "D1", "--currency", "USD", "--count", "100x20")
    assert code == 1 and "already counted blind" in err  # a count is final
    code, _, err = qenex("drawer", "close", "--system", "D1", "--currency", "USD", "--supervisor", "nobody", "--note",
                         "one bundle missing")
    assert code == 1 and "not an active supervisor" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery staple\n"))
    assert qenex("user", "add", "sam", "--role", "supervisor", "--password-stdin")[0] == 0
    close = ("drawer", "close", "--system", "D1", "--currency", "USD", "--supervisor", "sam", "--note", "one bundle missing")
    monkeypatch.delenv("QENEX_SUPERVISOR_PASSWORD", raising=False)
    code, _, err = qenex(*close)  # typing a supervisor's name is not their sign-off (QA #16)
    assert code == 1 and "needs supervisor sam's password" in err and "QENEX_SUPERVISOR_PASSWORD" in err
    monkeypatch.setenv("QENEX_SUPERVISOR_PASSWORD", "not the password")
    code, _, err = qenex(*close)
    assert code == 1 and "not sam's password" in err
    monkeypatch.setenv("QENEX_SUPERVISOR_PASSWORD", "correct horse battery staple")
    code, closed, _ = qenex(*close, "--json")
    assert code == 0 and (closed["difference"], closed["supervisor"], closed["status"]) == ("-100.00", "sam", "closed")
    pdf = tmp_path / "d.pdf"
    assert qenex("drawer", "report", str(closed["session"]), "--pdf", str(pdf))[0] == 0
    assert pdf.read_bytes().startswith(b"%PDF")


def test_drawer_bad_input_is_one_line_and_writes_nothing(qenex):  # noqa: F811
    for argv, fragment in ((("--count", "3x1"), "not a USD note or coin"), (("--count", "20"), "DENOMINATIONxPIECES"),
                           (("--count", "20x-1"), "not a number of pieces"), ((), "count the opening float")):
        code, _, err = qenex("drawer", "open", "--system", "D1", "--currency", "USD", *argv)
        assert code == 1 and fragment in err and len(err.strip().splitlines()) == 1
    assert qenex("drawer", "status", "--json")[1]["open"] == []
    assert qenex("drawer", "ctr", "--json")[1] == []


def test_standing_add_run_list_runs(qenex, bank):  # noqa: F811
    _ada, acc = bank
    other = qenex("account", "open", "--customer", "1", "--currency", "USD", "--json")[1]["number"]
    code, si, _ = qenex("standing", "add", "--system", "--from", acc, "--to", other, "--amount", "300", "--every", "weekly",
                        "--description", "savings", "--json")
    assert code == 0 and si["next_due"] is not None and si["amount"] == "300.00"
    runs = qenex("standing", "run", "--system", "--json")[1]
    assert [r["state"] for r in runs] == ["posted"]
    assert qenex("standing", "run", "--system", "--json")[1] == []  # never twice
    listed = qenex("standing", "list", "--account", acc, "--json")[1]
    assert listed[0]["last_run"]["state"] == "posted"
    assert qenex("standing", "runs", str(si["id"]), "--json")[1][0]["transfer_id"].startswith("standing-")
    code, _, err = qenex("standing", "add", "--system", "--from", acc, "--to", other, "--amount", "1", "--every", "weekly",
                         "--start", "2001-01-01")
    assert code == 1 and "invalid_instruction" in err and "today" in err
    code, text, _ = qenex("standing", "add", "--system", "--from", acc, "--to", other, "--amount", "100000", "--every", "weekly")
    assert code == 0 and "\nwarning: account " in text and "less than one run of $100,000.00" in text  # QA2 #29
    assert qenex("standing", "cancel", str(si["id"]), "--system", "--json")[1]["status"] == "cancelled"
