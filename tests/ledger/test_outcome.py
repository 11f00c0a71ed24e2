"""How a transfer's outcome reads (issue 8 §6): held is held with funds reserved, never "posted (pending)";
declined says what the teller can do next. The command line prints the same sentences."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

from app.cli import main
from core.ledger.errors import TransferDeclined
from core.ledger.outcome import describe
from core.ledger.views import TransferResult

AT = datetime(2026, 1, 2, tzinfo=timezone.utc)


def result(state: str, kind: str = "single", fraud=None, replayed: bool = False) -> TransferResult:  # noqa: ANN001
    return TransferResult("t-1", state, kind, 12_50, "USD", "1000000016", "1000000024", AT, replayed, fraud)


def test_held_for_review_is_reported_as_held_with_funds_reserved():
    text = describe(result("pending", "pending", SimpleNamespace(decision="review")))
    assert text.startswith("Held for fraud review: $12.50 from 1000000016 to 1000000024 is reserved")
    assert "not posted" in text and "an analyst decides" in text
    assert "Posted" not in text and "(pending)" not in text


def test_every_state_has_its_own_words():
    assert describe(result("posted")).startswith("Posted $12.50")
    assert describe(result("pending", "pending")).startswith("Held as a pending transfer")
    assert describe(result("pending", "pending", replayed=True)).startswith("Held, not posted")
    assert describe(result("resolved", "void_pending")).startswith("Voided")
    assert describe(result("expired", "pending")).startswith("Expired")
    assert describe(result("posted", "post_pending")).startswith("Posted $12.50 from 1000000016")
    assert "already done earlier" in describe(result("posted", replayed=True))
    for state in ("pending", "resolved", "expired"):
        assert "Posted" not in describe(result(state, "pending"))


def test_a_decline_says_what_to_do_next():
    message = TransferDeclined(("amount above the USD limit",), 0.97).message
    assert message.startswith("declined by fraud screening: amount above the USD limit.")
    assert "Nothing was posted and no funds are held" in message
    assert "check the payment with the customer" in message and "supervisor" in message


def test_the_command_line_reports_a_pending_transfer_as_held(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QENEX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QENEX_DATABASE_URL", f"sqlite:///{tmp_path / 'bank.db'}")
    for name in ("Ada", "Bob"):
        assert main(["customer", "add", "--name", name]) == 0
    numbers = []
    for customer in ("1", "2"):
        assert main(["account", "open", "--customer", customer, "--currency", "USD"]) == 0
    capsys.readouterr()
    main(["accounts", "--json"])
    import json

    numbers = [a["number"] for a in json.loads(capsys.readouterr().out) if a["kind"] == "deposit"]
    assert main(["deposit", "--system", "--account", numbers[0], "--amount", "100.00", "--currency", "USD"]) == 0
    assert capsys.readouterr().out.startswith("Posted $100.00")
    assert main(["transfer", "--system", "--from", numbers[0], "--to", numbers[1], "--amount", "30", "--currency", "USD",
                 "--pending", "--id", "h1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Held as a pending transfer: $30.00") and "reserved" in out and "Posted" not in out
    assert main(["transfer", "void", "h1", "--system"]) == 0
    assert capsys.readouterr().out.startswith("Voided")
