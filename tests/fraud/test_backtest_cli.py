"""``qenex fraud backtest`` on tiny generated handbook-format files, and its refusals of bad input."""
from __future__ import annotations

import csv
import gzip
from datetime import datetime, timezone

import pytest

from app.cli import main

from .synth import traffic

HEADER = ["TRANSACTION_ID", "TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT", "TX_FRAUD"]


def _rows(txns, frauds, offset=0):  # noqa: ANN001, ANN202
    for i, (t, f) in enumerate(zip(txns, frauds)):
        when = datetime.fromtimestamp(t.ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        yield [i + offset, when, t.card.split(":")[0], t.counterparty.lstrip("T"), f"{t.amount:.2f}", int(f)]


def _write(path, rows, header=HEADER, opener=open):  # noqa: ANN001, ANN202
    with opener(path, "wt", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.setenv("QENEX_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    txns, frauds = traffic(2600, spacing=1200)
    history = _write(tmp_path / "history.csv.gz", _rows(txns[:2300], frauds[:2300]), opener=gzip.open)
    test_rows = [r[:5] for r in _rows(txns[2300:], frauds[2300:], offset=2300)]
    test = _write(tmp_path / "test.csv", test_rows, header=HEADER[:5])
    return history, test, tmp_path


def test_backtest_scores_every_test_transaction(files, capsys):
    history, test, tmp = files
    out = tmp / "scores.csv"
    assert main(["fraud", "backtest", "--history", str(history), "--test", str(test), "--out", str(out)]) == 0
    with open(out) as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["TRANSACTION_ID", "SCORE"]
    assert [int(r[0]) for r in rows[1:]] == list(range(2300, 2600))
    assert all(0.0 <= float(r[1]) <= 1.0 for r in rows[1:])
    assert "scored 300 test transactions" in capsys.readouterr().out


def test_test_labels_are_never_used(files):
    history, test, tmp = files
    with open(test) as fh:
        rows = list(csv.reader(fh))[1:]
    for flag in (0, 1):
        _write(tmp / f"labelled{flag}.csv", [r + [flag] for r in rows])
        assert main(["fraud", "backtest", "--history", str(history), "--test", str(tmp / f"labelled{flag}.csv"),
                     "--out", str(tmp / f"s{flag}.csv")]) == 0
    assert (tmp / "s0.csv").read_text() == (tmp / "s1.csv").read_text()


@pytest.mark.parametrize("problem, message", [
    ("missing", "missing column(s) TX_AMOUNT"),
    ("date", "line 3: '2024-13-45 99:00:00' is not a date"),
    ("order", "must come after the history"),
])
def test_bad_files_are_refused_and_nothing_is_written(files, capsys, problem, message):
    history, test, tmp = files
    with open(test) as fh:
        rows = list(csv.reader(fh))
    if problem == "missing":
        bad = _write(tmp / "bad.csv", [r[:4] for r in rows[1:]], header=HEADER[:4])
    elif problem == "date":
        rows[2][1] = "2024-13-45 99:00:00"
        bad = _write(tmp / "bad.csv", rows[1:], header=HEADER[:5])
    else:
        rows[1][1] = "2020-01-01 00:00:00"
        bad = _write(tmp / "bad.csv", rows[1:], header=HEADER[:5])
    out = tmp / "never.csv"
    assert main(["fraud", "backtest", "--history", str(history), "--test", str(bad), "--out", str(out)]) == 1
    assert message in capsys.readouterr().err
    assert not out.exists() and not list(tmp.glob(".never.csv.*"))
