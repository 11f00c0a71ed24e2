"""A card's bins kept as text in its fraud_cards row (issue 9): floats read back bit for bit, unchanged bins keep
their text, windows drop old bins, and migration 0018 moves the bin rows into the rows and back exactly."""
from __future__ import annotations

import random

import pytest

from alembic import command
from sqlalchemy import text

from core.fraud.cardbins import WIDTH, CardBins, bin_text, floors
from core.fraud.state import MemoryStore, QUARTER_BINS
from core.fraud.txn import DAY, HOUR, QUARTER, Txn
from core.persistence import migrate

_VALUES = ("n", "total", "sumsq", "frauds", "outliers", "outlier_total", "max_ratio")


def test_the_text_reads_back_every_float_bit_for_bit():
    rnd = random.Random(5)
    bins = CardBins()
    expected = {}
    for slot in range(40):
        values = [float(rnd.randint(0, 9)), rnd.random() * 10 ** rnd.randint(-3, 9), rnd.random() * 1e12,
                  float(rnd.randint(0, 2)), 0.0, 0.1 + 0.2, 1e-300 if slot % 2 else 0.0]
        bins.grains["d"][slot] = values
        bins.grains["q"][slot] = values[:2]
        expected[slot] = values
    again = CardBins(bins.text())
    assert again.grains["d"] == expected and all(len(v) == WIDTH["d"] for v in again.grains["d"].values())
    assert again.grains["q"] == {s: v[:2] for s, v in expected.items()} and again.grains["h"] == {}
    assert bin_text(7, [2.0, 12.5]) == "7,2,12.5"
    for bad in ("1,2", "1,2|3,4", "1,2,3|x|"):
        with pytest.raises(ValueError):
            CardBins(bad)


def test_a_payment_changes_its_three_bins_and_the_window_drops_old_ones():
    ts = 20_000 * DAY + 10 * HOUR
    q, h, d = ts // QUARTER, ts // HOUR, ts // DAY
    old = f"{q - QUARTER_BINS},1,5|{h - 1},1,5.25|{d - 60},3,9,27,0,0,0,0;{d - 1},1,4,16,1,0,0,0"
    bins = CardBins(old)
    bins.add_payment(ts, 12.5, [0.0] * 60)
    written = bins.text(floors(ts, 39))
    assert f"{h - 1},1,5.25" in written and f"{d - 1},1,4,16,1,0,0,0" in written  # kept as they were read
    assert f"{q - QUARTER_BINS}," not in written and f"{d - 60}," not in written  # past their windows
    again = CardBins(written)
    assert again.grains["q"][q] == [1.0, 12.5] and again.grains["d"][d][:3] == [1.0, 12.5, 156.25]
    assert again.grains["d"][d - 1] == [1.0, 4.0, 16.0, 1.0, 0.0, 0.0, 0.0]


def test_a_memory_replay_and_the_card_rows_count_alike():
    memory = MemoryStore(7)
    tx = Txn("t1", "1:USD", "ACME", None, 12.5, 20_000 * DAY, "desk", None)
    memory.add_transaction(tx, [0.0] * 60)
    bins = CardBins()
    bins.add_payment(tx.ts, tx.amount, [0.0] * 60)
    assert bins.grains["d"] == memory.card_d["1:USD"]
    assert {s: b[:2] for s, b in memory.card_q["1:USD"].items()} == bins.grains["q"]


def _rows(engine):  # noqa: ANN001, ANN202
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(text(
            f"SELECT key, grain, slot, {', '.join(_VALUES)} FROM fraud_bins WHERE kind = 'card'")))


def test_migration_0018_moves_the_card_bins_into_the_rows_and_back(engine):
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0017")
    rows = [("1:USD", "q", 66_000_000, 1, 12.5, 0.0, 0, 0, 0.0, 0.0),
            ("1:USD", "d", 20_000, 3, 0.1 + 0.2, 1e-7 / 3, 1, 1, 7.25, 123.456789012345678),
            ("2:EUR", "h", 480_000, 2, 1e15 + 0.5, 0.0, 0, 0, 0.0, 0.0)]  # 2:EUR: bins but no card row
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO fraud_cards (card, last_ts) VALUES ('1:USD', 1728000000)"))
        for r in rows:
            conn.execute(text(f"INSERT INTO fraud_bins (kind, key, grain, slot, {', '.join(_VALUES)}) VALUES "
                              f"('card', :k, :g, :s, {', '.join(':' + v for v in _VALUES)})"),
                         {"k": r[0], "g": r[1], "s": r[2], **dict(zip(_VALUES, r[3:]))})
    migrate.upgrade(engine)
    assert _rows(engine) == []
    with engine.connect() as conn:
        cards = dict(conn.execute(text("SELECT card, bins FROM fraud_cards")).all())
        last = dict(conn.execute(text("SELECT card, last_ts FROM fraud_cards")).all())
    assert last == {"1:USD": 1728000000, "2:EUR": None}
    for key, grain, slot, *values in rows:
        assert CardBins(cards[key]).grains[grain][slot] == [float(v) for v in values][:WIDTH[grain]]  # bit for bit
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0017")
    assert _rows(engine) == sorted(rows)
    migrate.upgrade(engine)
