"""``qenex ai`` and ``qenex fraud label``: JSON output, supervisors only, refusals as one clear line."""
from __future__ import annotations

import json

import pytest

from app.cli import main
from core.persistence import migrate
from core.persistence.db import make_engine
from core.security.audit import AuditTrail
from core.security.audit_keys import AuditKeys, default_key_path
from core.security.passwords import PasswordHasher
from core.security.roles import SYSTEM_ACTOR, Role
from core.security.users import UserService

from .stream import seeded


@pytest.fixture
def bank(tmp_path, monkeypatch):
    data = tmp_path / "data"
    url = f"sqlite:///{tmp_path / 'bank.db'}"
    monkeypatch.setenv("QENEX_DATA_DIR", str(data))
    monkeypatch.setenv("QENEX_DATABASE_URL", url)
    engine = make_engine(url)
    migrate.upgrade(engine)
    txns, frauds = seeded(engine)
    users = UserService(engine, AuditTrail(AuditKeys(default_key_path(data))),
                        hasher=PasswordHasher(memory_kib=8, iterations=1, lanes=1))
    users.add_user(SYSTEM_ACTOR, "sam", Role.SUPERVISOR, "correct horse battery", must_change_password=False)
    users.add_user(SYSTEM_ACTOR, "tina", Role.TELLER, "correct horse battery", must_change_password=False)
    engine.dispose()
    return txns, frauds


def run(capsys, *argv: str):  # noqa: ANN201
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, json.loads(out) if "--json" in argv and out.strip() else out, err


def test_label_retrain_accept_reject_rollback(bank, capsys):
    txns, frauds = bank
    genuine = next(t.id for t, f in zip(txns, frauds) if not f)
    with pytest.raises(SystemExit):  # a label is a person's decision: --as is required
        run(capsys, "fraud", "label", genuine, "--fraud")
    assert "required: --as" in capsys.readouterr().err
    code, done, _ = run(capsys, "fraud", "label", genuine, "--fraud", "--json", "--as", "sam")
    assert code == 0 and done == {"transfer_id": genuine, "is_fraud": True, "previous": None, "changed_state": True}
    code, _, err = run(capsys, "fraud", "label", genuine, "--genuine", "--as", "sam")
    assert code == 1 and "changing a label needs a reason (--reason TEXT)" in err
    code, text, _ = run(capsys, "fraud", "label", genuine, "--genuine", "--as", "sam",
                        "--reason", "customer confirmed")
    assert code == 0 and "as genuine (was fraud)" in text
    code, _, err = run(capsys, "fraud", "label", "no-such-transfer", "--fraud", "--as", "sam")
    assert code == 1 and err.startswith("qenex: not_found: no transfer 'no-such-transfer'")

    code, text, _ = run(capsys, "ai", "recommendations")
    assert code == 0 and "no open recommendations (run: qenex ai retrain)" in text
    code, text, err = run(capsys, "ai", "retrain", "--as", "sam")
    assert code == 0, err
    assert "retrain #1 done" in text and "new model registered as v2" in text and "{" not in text
    assert "genuine payments flagged, per channel: new model card " in text
    code, text, _ = run(capsys, "ai", "retrain", "--if-due")
    assert code == 0 and "no retrain due" in text
    code, recs, _ = run(capsys, "ai", "recommendations", "--as", "sam", "--json")
    promote = next(r for r in recs if r["kind"] == "promote")
    drift = next(r for r in recs if r["kind"] == "drift")
    assert "evidence" not in promote and promote["status"] == "open"
    code, shown, _ = run(capsys, "ai", "show", str(promote["id"]), "--json")
    assert code == 0 and shown["evidence"]["evaluation"]["challenger"]["average_precision"] > 0

    code, _, err = run(capsys, "ai", "accept", str(promote["id"]), "--as", "tina")
    assert code == 1 and err.startswith("qenex: permission_denied: tina (teller) may not act on fraud-model "
                                        "recommendations; the supervisor role may")
    with pytest.raises(SystemExit):  # accepting needs a named supervisor, never the system operator
        run(capsys, "ai", "accept", str(promote["id"]))
    assert "required: --as" in capsys.readouterr().err
    code, text, _ = run(capsys, "ai", "accept", str(promote["id"]), "--as", "sam")
    assert code == 0 and "now in force: model v2, settings defaults" in text
    code, _, err = run(capsys, "ai", "reject", str(drift["id"]), "--reason", " ", "--as", "sam")
    assert code == 1 and "reason" in err
    code, _, err = run(capsys, "ai", "reject", str(drift["id"]), "--reason", "x", "--as", "sam")
    assert code == 1 and err.startswith("qenex: invalid: Say why in a few words")
    code, rejected, _ = run(capsys, "ai", "reject", f"#{drift['id']}", "--reason", "seasonal traffic", "--json",
                            "--as", "sam")
    assert code == 0 and rejected["status"] == "rejected" and rejected["reason"] == "seasonal traffic"
    code, text, _ = run(capsys, "ai", "rollback", str(promote["id"]), "--as", "sam")
    assert code == 0 and "model v1 in force again" in text
    assert "history: accepted by sam at " in text and "; rolled back by sam at " in text
    code, _, err = run(capsys, "ai", "rollback", str(promote["id"]), "--as", "sam")
    assert code == 1 and err.startswith("qenex: conflict: Recommendation") and "refresh" not in err
    code, _, err = run(capsys, "ai", "accept", "999", "--as", "sam")
    assert code == 1 and err.startswith("qenex: not_found: No recommendation #999")
    code, decided, _ = run(capsys, "ai", "recommendations", "--status", "decided", "--json")
    assert {r["status"] for r in decided} == {"rolled_back", "rejected"}
    rolled = next(r for r in decided if r["status"] == "rolled_back")
    assert [(h["action"], h["by"]) for h in rolled["history"]] == [("accepted", "sam"), ("rolled back", "sam")]
    code, text, _ = run(capsys, "ai", "recommendations", "--status", "decided")
    assert "rolled back  " in text and "[accepted by sam at " in text and "rolled_back" not in text
    code, text, _ = run(capsys, "ai", "show", str(promote["id"]))
    assert "{" not in text and "change: make model v2 the one that scores every payment" in text
    assert "frauds caught within analysts' capacity (recall at capacity): new model " in text


def test_accepting_a_drift_card_retrains_and_a_child_that_cannot_start_is_one_line(bank, capsys, monkeypatch):
    code, result, err = run(capsys, "ai", "retrain", "--as", "sam", "--json")
    assert code == 0, err
    code, recs, _ = run(capsys, "ai", "recommendations", "--json")
    drift = [r for r in recs if r["kind"] == "drift"]
    code, text, _ = run(capsys, "ai", "show", str(drift[0]["id"]))
    assert "change: a retrain now" in text and "proposal: retrain now" in text
    code, done, err = run(capsys, "ai", "accept", str(drift[0]["id"]), "--as", "sam", "--json")
    assert code == 0, err
    assert done["status"] == "accepted" and done["run"]["status"] == "done"
    assert done["after"]["retrain"] == done["run"]["run"] != result["run"]

    import multiprocessing

    def refuse(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(multiprocessing.get_context("spawn"), "Process", refuse)
    code, out, err = run(capsys, "ai", "retrain", "--as", "sam")
    assert code == 1 and out == "" and "Traceback" not in err
    assert err.startswith("qenex: unavailable: could not start a separate process for retrain #")
    code, recs, _ = run(capsys, "ai", "recommendations", "--json")
    drift = next(r for r in recs if r["kind"] == "drift")
    code, _, err = run(capsys, "ai", "accept", str(drift["id"]), "--as", "sam")
    assert code == 1 and err.startswith("qenex: unavailable: could not start a separate process for retrain #")


def test_a_busy_sqlite_file_says_another_process_is_writing(bank, capsys, monkeypatch):
    """QA R7: not "unreachable … check that the server is running … same --id" for `ai rollback`."""
    import sqlite3

    from core.ai.service import AiDesk

    def locked(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        from sqlalchemy.exc import OperationalError

        raise OperationalError("UPDATE …", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(AiDesk, "rollback", locked)
    code, out, err = run(capsys, "ai", "rollback", "3", "--as", "sam")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith("qenex: database_unavailable: the database file ") and "is busy: another QENEX process" in err
    assert "server" not in err and "--id" not in err and "unreachable" not in err
