"""Counts with their noun (core.words): one helper everywhere, babel's plural rule, grouped numbers."""
from __future__ import annotations

from core.words import counted, plural


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
