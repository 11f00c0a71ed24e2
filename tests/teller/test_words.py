"""Counts with their noun (core.words): one helper everywhere, babel's plural rule, grouped numbers."""
from __future__ import annotations

from core.words import counted, duration, plural


def test_counts_take_the_right_form_of_the_noun():
    assert counted(1, "payment") == "1 payment"
    assert counted(0, "payment") == "0 payments"
    assert counted(2, "entry", "entries") == "2 entries"
    assert counted(1204, "line") == "1,204 lines"
    assert counted(2.5, "minute") == "2.5 minutes" and counted(1.0, "minute") == "1 minute"
    assert plural(-1, "day") == "day" and plural(11, "day") == "days"


def test_no_count_is_glued_to_a_plural_by_hand():
    """Every count beside a noun goes through core.words (no ``(s)`` or ``'s' if n != 1`` built by hand)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    hand = re.compile(r"""\}\s*\w+\(s\)|'s' if [^:]*!= 1|"s" if [^:]*!= 1|'' if [^:]*== 1 else 's'""")
    found = [f"{p.relative_to(root)}:{n}" for d in ("core", "app", "ui") for p in (root / d).rglob("*.py")
             for n, line in enumerate(p.read_text().splitlines(), 1) if hand.search(line)]
    assert found == []


def test_a_duration_never_reads_0_min():
    """QA: an alert just past due said "overdue 0 min". Every duration shown to staff goes through
    core.words.duration: under a minute is "less than 1 min"."""
    assert [duration(s) for s in (0, 20, -20, 59.9, 60, 3599, 3600, 3 * 3600 + 5 * 60, 49 * 3600)] == [
        "less than 1 min", "less than 1 min", "less than 1 min", "less than 1 min", "1 min", "59 min", "1 h 00 min",
        "3 h 05 min", "2 d 1 h"]
    assert [duration(s, exact=True) for s in (5, 65, 3600)] == ["5 s", "1 min 05 s", "1 h 00 min"]


def test_the_console_and_the_command_line_say_it_the_same_way():
    """The fraud queue's SLA and age, the approvals inbox's age and time left, the CLI's SLA column and a
    fraud reason's "previous one … ago" all use the helper: none says "0 min" for a few seconds."""
    from datetime import datetime, timedelta, timezone
    from types import SimpleNamespace

    from app.commands.alerts import _sla_words
    from ui.approvals.columns import _left, age
    from ui.fraud.queue_model import sla_text

    now = datetime.now(timezone.utc)
    late = SimpleNamespace(status="open", due_at=now - timedelta(seconds=20), outcome=None, resolution=None)
    assert sla_text(late, now) == "overdue less than 1 min"
    assert _sla_words(late, now) == "OVERDUE less than 1 min"
    assert age(now) == "less than 1 min"
    assert _left(SimpleNamespace(state="pending", expires_at=now + timedelta(seconds=30))) == "less than 1 min"
    assert "0 min" not in _sla_words(SimpleNamespace(status="open", due_at=now + timedelta(seconds=10)), now)
    import math

    from core.fraud import reasons
    from core.fraud.features import FEATURE_NAMES, INDEX
    from core.fraud.txn import Txn

    row = [0.0] * len(FEATURE_NAMES)
    row[INDEX["card_n_1h"]], row[INDEX["log_secs_since_last"]] = 3, math.log1p(20)
    words = reasons._velocity(row, Txn("t", "1:USD", None, None, 5.0, 1_700_000_000, "card", None), "USD")
    assert words.endswith("previous less than 1 min ago"), words
