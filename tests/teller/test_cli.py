"""qenex customer add|search|show, statement with a period and exports, hold place|release|list."""
from __future__ import annotations

import csv

import pytest

from tests.ledger.test_cli import add_person, qenex  # noqa: F401 - the fixture


@pytest.fixture
def bank(qenex):  # noqa: F811
    code, ada, _ = qenex("customer", "add", "--name", "Ada Lovelace", "--dob", "1985-12-10", "--phone",
                         "+1 202 555 0143", "--address", "12 Main Street, Springfield", "--id-type", "passport",
                         "--id-number", "X1234567", "--json")
    assert code == 0 and ada["kyc_missing"] == []
    acc = qenex("account", "open", "--customer", str(ada["id"]), "--currency", "USD", "--json")[1]["number"]
    qenex("deposit", "--system", "--account", acc, "--amount", "500", "--currency", "USD")
    qenex("withdraw", "--system", "--account", acc, "--amount", "20", "--currency", "USD")
    return ada, acc


def test_customer_search_and_show(qenex, bank):  # noqa: F811
    ada, acc = bank
    hits = qenex("customer", "search", "lovelce", "--json")[1]
    assert hits[0]["customer_number"] == ada["number"]
    assert not hits[0]["exact"]  # a near match (QA #3)
    code, text, _ = qenex("customer", "search", acc)
    assert code == 0 and "exact account number" in text.splitlines()[0]
    shown = qenex("customer", "show", ada["number"], "--json")[1]
    assert shown["accounts"][0]["number"] == acc and shown["accounts"][0]["iban"].startswith("DE")
    assert len(shown["recent_transfers"]) == 2
    code, text, _ = qenex("customer", "show", ada["number"])
    assert code == 0 and "Ada Lovelace" in text and acc in text
    # QA 46: an empty search says what to type (an argument error); a long one is not echoed in full
    code, _, err = qenex("customer", "search", "")
    assert code == 2 and "type at least two letters" in err and "qenex customer search --help" in err
    code, text, _ = qenex("customer", "search", "zq" * 2_500)
    assert code == 0 and "no customer matches" in text and len(text) < 200


def test_name_only_customer_is_flagged_and_bad_fields_are_refused(qenex):  # noqa: F811
    code, data, _ = qenex("customer", "add", "--name", "Imported Person", "--json")
    assert code == 0 and "phone" in data["kyc_missing"]
    code, _, err = qenex("customer", "add", "--name", "Bob", "--dob", "31/12/1990", "--phone", "+12025550143",
                         "--address", "1 Road, Town", "--id-type", "passport", "--id-number", "AB12345")
    assert code == 1 and "invalid_customer" in err and "YYYY-MM-DD" in err and "Traceback" not in err


def test_statement_period_csv_and_pdf(qenex, bank, tmp_path):  # noqa: F811
    _ada, acc = bank
    data = qenex("statement", acc, "--json")[1]
    assert [ln["amount"] for ln in data["lines"]] == ["-20.00", "500.00"] and data["closing"] == "480.00"
    out = tmp_path / "s.csv"
    assert qenex("statement", acc, "--from", "2020-01-01", "--to", "2099-12-31", "--csv", str(out))[0] == 0
    assert [r["amount"] for r in csv.DictReader(out.open())] == ["-20.00", "500.00"]
    pdf = tmp_path / "s.pdf"
    assert qenex("statement", acc, "--pdf", str(pdf), "--json")[1]["pdf"] == str(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    code, _, err = qenex("statement", acc, "--from", "2026-13-01")
    assert code == 2 and "YYYY-MM-DD" in err and "qenex statement --help" in err  # QA 44: an argument error
    code, _, err = qenex("statement", acc, "--pdf", str(tmp_path / "nowhere" / "x.pdf"))
    assert code == 1 and "document_failed" in err


def test_hold_place_list_release(qenex, bank, tmp_path):  # noqa: F811
    _ada, acc = bank
    hold = qenex("hold", "place", "--system", acc, "--amount", "80", "--reason", "legal", "--days", "30", "--json")[1]
    assert hold["state"] == "active" and hold["placed_by"] == "system"
    assert qenex("balance", acc, "--json")[1]["available"] == "400.00"
    assert [h["id"] for h in qenex("hold", "list", acc, "--json")[1]] == [hold["id"]]
    code, _, err = qenex("hold", "place", "--system", acc, "--amount", "1", "--reason", "other", "--days", "3")
    assert code == 1 and "needs a note" in err
    with pytest.raises(SystemExit):  # releasing a hold early is a person's decision: --as is required
        qenex("hold", "release", str(hold["id"]), "--note", "court lifted it")
    add_person(tmp_path, "sue", "supervisor")
    add_person(tmp_path, "tom", "teller")
    code, _, err = qenex("hold", "release", str(hold["id"]), "--note", "court lifted it", "--as", "sue")
    assert code == 1 and "needs a second person" in err  # four eyes: ask, and a supervisor approves
    asked = qenex("approvals", "request", "release-hold", str(hold["id"]), "--note", "court lifted it", "--as", "tom",
                  "--json")[1]
    assert qenex("approvals", "approve", str(asked["id"]), "--as", "sue")[0] == 0
    assert qenex("hold", "list", acc, "--json")[1] == []
    assert qenex("hold", "list", acc, "--all", "--json")[1][0]["released_by"] == "sue"
    placed = qenex("hold", "place", acc, "--amount", "1", "--reason", "legal", "--days", "2", "--as", "tom", "--json")
    assert placed[1]["placed_by"] == "tom"  # QA 44: --as names the teller placing a hold


def test_accounts_says_when_the_list_goes_on(qenex, bank):  # noqa: F811
    code, rows, err = qenex("accounts", "--limit", "1", "--json")
    assert code == 0 and len(rows) == 1 and rows[0]["kind"] == "deposit"  # customer accounts first
    assert "showing accounts 1-1 of" in err and "--offset 1" in err
