"""``qenex alerts`` and ``qenex cases``: JSON output, per-item batch results, refusals as one clear line."""
from __future__ import annotations

import json

import pytest

from app.cli import main
from core.fraud.config import FraudConfig
from core.fraud.screen import FraudScreen
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.persistence import migrate
from core.persistence.db import make_engine
from core.security.audit import AuditTrail
from core.security.audit_keys import AuditKeys, default_key_path
from core.security.passwords import PasswordHasher
from core.security.roles import SYSTEM_ACTOR, Role
from core.security.users import UserService


@pytest.fixture
def held(tmp_path, monkeypatch):
    """A bank with three payments held for review and two analysts; returns the transfer ids."""
    data = tmp_path / "data"
    url = f"sqlite:///{tmp_path / 'bank.db'}"
    monkeypatch.setenv("QENEX_DATA_DIR", str(data))
    monkeypatch.setenv("QENEX_DATABASE_URL", url)
    monkeypatch.setenv("QENEX_TIMEZONE", "Europe/Berlin")
    engine = make_engine(url)
    migrate.upgrade(engine)
    audit = AuditTrail(AuditKeys(default_key_path(data)))
    ledger = Ledger(engine, audit=audit, screen=FraudScreen(engine, config=FraudConfig(amount_limits={"USD": 100_00})))
    users = UserService(engine, audit, hasher=PasswordHasher(memory_kib=8, iterations=1, lanes=1))
    for name in ("anna", "bob"):
        users.add_user(SYSTEM_ACTOR, name, Role.ANALYST, "correct horse battery", must_change_password=False)
    numbers = []
    for name in ("Ada Lovelace", "Grace Hopper"):
        customer = ledger.add_customer(SYSTEM_ACTOR, name)
        numbers.append(ledger.open_account(SYSTEM_ACTOR, customer.id, "USD").number)
    ledger.deposit(SYSTEM_ACTOR, numbers[0], 5_000_00, "USD")
    for i, amount in enumerate((150_00, 900_00, 300_00)):
        ledger.transfer(SYSTEM_ACTOR, TransferRequest(f"h{i}", numbers[0], numbers[1], amount, "USD"))
    engine.dispose()
    return ["h0", "h1", "h2"]


def run(capsys, *argv: str) -> tuple[int, object, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, json.loads(out) if "--json" in argv and out.strip() else out, err


def test_alerts_flow(held, capsys):
    code, data, _ = run(capsys, "alerts", "list", "--json")
    assert code == 0 and data["total"] == 3 and {a["transfer_id"] for a in data["alerts"]} == set(held)
    code, text, _ = run(capsys, "alerts", "list", "--sort", "amount")
    assert code == 0 and "$900.00" in text.splitlines()[1] and "Europe/Berlin (UTC+0" in text
    code, claimed, _ = run(capsys, "alerts", "next", "--as", "anna", "--json")
    assert code == 0 and claimed["assignee"] == "anna"
    code, _, err = run(capsys, "alerts", "claim", str(claimed["id"]), "--as", "bob")
    assert code == 1 and err.strip() == f"qenex: claimed_by_other: alert #{claimed['id']} is claimed by anna; " \
                                        "ask anna to release it, or a supervisor to reassign it to you"
    code, _, err = run(capsys, "alerts", "disposition", str(claimed["id"]), "--outcome", "confirmed", "--as", "anna")
    assert code == 1 and err.startswith("qenex: note_required: confirming fraud needs a note") and "--note TEXT" in err
    code, result, _ = run(capsys, "alerts", "disposition", str(claimed["id"]), "--outcome", "confirmed",
                          "--note", "customer did not pay this", "--as", "anna", "--json")
    assert code == 0 and (result["code"], result["money"], result["label"]) == ("TRUE_POSITIVE", "voided", True)
    code, _, err = run(capsys, "alerts", "claim", str(claimed["id"]), "--as", "bob")
    assert code == 1 and err.startswith("qenex: alert_closed:")
    rest = [str(a["id"]) for a in run(capsys, "alerts", "list", "--json")[1]["alerts"]]
    run(capsys, "alerts", "claim", rest[0], "--as", "bob")
    code, batch, _ = run(capsys, "alerts", "disposition", *rest, "999", "--outcome", "false-positive", "--as", "anna",
                         "--json")
    assert code == 1 and batch["decided"] == 1 and batch["refused"] == 2
    assert [(r["ok"], r.get("error")) for r in batch["results"]] == [(False, "claimed_by_other"), (True, None),
                                                                     (False, "alert_not_found")]
    code, text, _ = run(capsys, "alerts", "show", rest[0])
    assert code == 0 and "against the customer's normal:" in text and "claimed by bob" in text
    import re

    assert re.search(r"customer .+ \(7\d{8}, US\)", text), text  # the customer number staff use, not the id
    assert run(capsys, "alerts", "release", rest[0], "--as", "bob")[0] == 0
    code, _, err = run(capsys, "alerts", "list", "--as", "nobody")
    assert code == 1 and err.startswith("qenex: not_found: no user 'nobody'")
    code, _, err = run(capsys, "alerts", "disposition", rest[0], "--outcome", "inconclusive", "--snooze-until", "soon",
                       "--as", "anna")
    assert code == 1 and "is not a date" in err
    with pytest.raises(SystemExit):  # deciding an alert needs a named analyst or supervisor, never the system
        run(capsys, "alerts", "disposition", rest[0], "--outcome", "false-positive")
    assert "required: --as" in capsys.readouterr().err


def test_cases_flow(held, capsys, tmp_path):
    ids = [a["id"] for a in run(capsys, "alerts", "list", "--json")[1]["alerts"]]
    code, case, _ = run(capsys, "cases", "open", "--title", "Mule payments", "--alert", str(ids[0]), "--as", "anna",
                        "--json")
    assert code == 0 and case["alerts"] == 1
    cid = str(case["id"])
    assert run(capsys, "cases", "add", cid, str(ids[1]), "--json", "--as", "anna")[1]["alerts"] == 2
    assert run(capsys, "cases", "note", cid, "--note", "same beneficiary", "--json",
               "--as", "anna")[1]["status"] == "investigating"
    evidence = tmp_path / "letter.txt"
    evidence.write_text("the customer's letter")
    assert run(capsys, "cases", "attach", cid, str(evidence), "--json", "--as", "anna")[1]["name"] == "letter.txt"
    code, _, err = run(capsys, "cases", "close", cid, "--outcome", "confirmed", "--note", "mule ring confirmed", "--as", "anna")
    assert code == 1 and "still has 2 open alerts" in err
    run(capsys, "alerts", "disposition", str(ids[0]), str(ids[1]), "--outcome", "confirmed", "--note", "mule account confirmed",
        "--as", "anna")
    code, closed, _ = run(capsys, "cases", "close", cid, "--outcome", "confirmed", "--note", "mule ring confirmed", "--json",
                          "--as", "anna")
    assert code == 0 and (closed["status"], closed["outcome"]) == ("resolved", "TRUE_POSITIVE")
    code, listing, _ = run(capsys, "cases", "list", "--status", "all", "--json")
    assert listing["total"] == 1
    code, text, _ = run(capsys, "cases", "show", cid)
    assert "file letter.txt" in text and "case resolved by anna (confirmed fraud)" in text
    code, _, err = run(capsys, "cases", "note", "77", "--note", "x", "--as", "anna")
    assert code == 1 and err.startswith("qenex: case_not_found:")
