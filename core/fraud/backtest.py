"""Backtest on handbook-format files: train on labelled history, stream the test file through the
online scoring code in time order, and write ``TRANSACTION_ID,SCORE`` for every test transaction.

Test transactions may use the history and earlier test transactions, never test labels (a TX_FRAUD
column in the test file is ignored).
"""
from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import ValidationError
from core.fraud import features
from core.fraud.config import FraudConfig
from core.fraud.decision import assess
from core.fraud.registry import LoadedModel, ModelInfo, channel_scales, compile_bundle
from core.fraud.replay import replay
from core.fraud.state import MemoryStore
from core.fraud.training import Trained, train
from core.fraud.txn import DAY, Txn
from core.ledger import money

COLUMNS = ("TRANSACTION_ID", "TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT")
LABEL = "TX_FRAUD"
CURRENCY = "EUR"  # the handbook's amounts; minor units for the amount rules use its ISO 4217 exponent
EXPONENT = money.exponent(CURRENCY)


@dataclass(frozen=True)
class Frame:
    """A handbook file, sorted by time: ids, unix times, cards, terminals, amounts, labels (or None)."""

    ids: np.ndarray
    ts: np.ndarray
    cards: list[str]
    terminals: list[str]
    amounts: np.ndarray
    frauds: np.ndarray | None

    def __len__(self) -> int:
        return len(self.ids)

    def txns(self) -> Iterator[Txn]:
        for i, c, t, a, s in zip(self.ids.tolist(), self.cards, self.terminals, self.amounts.tolist(), self.ts.tolist()):
            yield Txn(str(i), c, t, None, a, s)


def read(path: str | Path, *, labelled: bool) -> Frame:
    """Read and check a handbook CSV (optionally .gz); any problem is a ValidationError naming it."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"{path}: no such file")
    need = COLUMNS + ((LABEL,) if labelled else ())
    try:
        df = pd.read_csv(path, dtype={"TX_DATETIME": str, "CUSTOMER_ID": str, "TERMINAL_ID": str, "TX_AMOUNT": str},
                     keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError, EOFError) as exc:
        raise ValidationError(f"{path}: not a readable CSV file ({exc})".splitlines()[0]) from None
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValidationError(f"{path}: missing column(s) {', '.join(missing)}", file=str(path))
    if df.empty:
        raise ValidationError(f"{path}: no transactions", file=str(path))
    when = pd.to_datetime(df["TX_DATETIME"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    _first_bad(path, when.isna(), df["TX_DATETIME"], "a date (YYYY-MM-DD HH:MM:SS)")
    ids = pd.to_numeric(df["TRANSACTION_ID"], errors="coerce")
    _first_bad(path, ids.isna() | (ids != ids.round()), df["TRANSACTION_ID"], "an integer TRANSACTION_ID")
    if ids.duplicated().any():
        raise ValidationError(f"{path}: TRANSACTION_ID {int(ids[ids.duplicated()].iloc[0])} appears twice")
    amounts = _amounts(path, df["TX_AMOUNT"])
    for col in ("CUSTOMER_ID", "TERMINAL_ID"):
        _first_bad(path, df[col].isna() | (df[col].str.strip() == ""), df[col], f"a {col}")
    frauds = None
    if labelled:
        lab = pd.to_numeric(df[LABEL], errors="coerce")
        _first_bad(path, ~lab.isin([0, 1]), df[LABEL], "TX_FRAUD 0 or 1")
        frauds = lab.to_numpy(dtype=np.int8)
    ts = when.to_numpy().astype("datetime64[s]").astype(np.int64)
    order = np.lexsort((ids.to_numpy(), ts))
    return Frame(ids.to_numpy(dtype=np.int64)[order], ts[order], df["CUSTOMER_ID"].str.strip().to_numpy()[order].tolist(),
                 df["TERMINAL_ID"].str.strip().to_numpy()[order].tolist(), amounts.to_numpy(dtype=np.float64)[order],
                 frauds[order] if frauds is not None else None)


def _amounts(path: Path, raw: pd.Series) -> pd.Series:
    """TX_AMOUNT as floats (model features), read as strictly as ``core.ledger.money.to_minor`` reads amounts:
    plain digits with one decimal point, no sign, exponent, NaN or grouping, at most the currency's decimals.

    One allowance: the handbook's published file was written by a float printer, so some cent amounts
    appear as their binary neighbour (``85.64999999999999`` for 85.65, about 1 row in 1,400). A value
    within 1e-9 (relative) of a whole number of cents is that cent amount; ``12.345`` is refused.
    """
    text = raw.astype(str).str.strip()
    _first_bad(path, ~text.str.fullmatch(r"[0-9]+(\.[0-9]+)?"), raw,
               "a TX_AMOUNT written as digits with one decimal point (no sign, exponent or grouping)")
    amounts = text.astype(np.float64)
    scale = 10 ** EXPONENT
    cents = np.round(amounts * scale) / scale
    _first_bad(path, (amounts - cents).abs() > 1e-9 * np.maximum(1.0, amounts), raw,
               f"a TX_AMOUNT with at most {EXPONENT} decimals ({CURRENCY})")
    _first_bad(path, amounts * scale > money.max_transfer(CURRENCY), raw,
               f"a TX_AMOUNT within the per-transfer maximum of {money.plain(money.max_transfer(CURRENCY), CURRENCY)}")
    return cents


def _first_bad(path: Path, bad: pd.Series, raw: pd.Series, what: str) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValidationError(f"{path}: line {i + 2}: {raw.iloc[i]!r} is not {what}", file=str(path), line=i + 2)


def loaded(trained: Trained, frame: Frame, rows: np.ndarray, delay_days: int) -> LoadedModel:
    """The in-memory twin of a registered model (same compiled scorer, no database)."""
    utc = timezone.utc
    info = ModelInfo(0, trained.kind, datetime.now(utc), "backtest", datetime.fromtimestamp(int(frame.ts[rows].min()), utc),
                     datetime.fromtimestamp(int(frame.ts[rows].max()), utc), delay_days, features.FEATURE_NAMES,
                     dict(trained.metrics), True)
    return compile_bundle(info, {"classifier": trained.classifier, "anomaly": trained.anomaly,
                                 "reference": trained.reference, "anomaly_floor": trained.anomaly_floor,
                                 **channel_scales(trained)})


def run(history_path: str | Path, test_path: str | Path, out_path: str | Path, *, delay_days: int = 7,
        train_days: int | None = 28, config: FraudConfig | None = None) -> dict[str, object]:
    """The whole backtest; writes ``out_path`` only when everything succeeded."""
    config = config or FraudConfig(label_delay_days=delay_days)
    history = read(history_path, labelled=True)
    test = read(test_path, labelled=False)
    if test.ts[0] < history.ts[-1]:
        raise ValidationError("the test transactions must come after the history (time order)")
    store = MemoryStore(delay_days)
    X = replay(history.txns(), len(history), store, delay_days=delay_days, frauds=history.frauds.tolist())
    rows = np.ones(len(history), dtype=bool)
    if train_days is not None:
        rows = history.ts > history.ts[-1] - train_days * DAY
    trained = train(X[rows], history.frauds[rows], history.ts[rows])
    model = loaded(trained, history, rows, delay_days)
    scores = np.empty(len(test))
    for i, tx in enumerate(test.txns()):
        row = features.compute(store.snapshot(tx), tx, delay_days)
        scores[i] = assess(model, config, tx, row, amount=int(round(tx.amount * 10 ** EXPONENT)), currency=CURRENCY,
                           exponent=EXPONENT, explain=False).score
        store.add_transaction(tx, row)
    write_scores(out_path, test.ids, scores)
    return {"history": len(history), "trained_on": int(rows.sum()), "test": len(test), "model": trained.kind,
            "metrics": trained.metrics}


def write_scores(out_path: str | Path, ids: np.ndarray, scores: np.ndarray) -> None:
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["TRANSACTION_ID", "SCORE"])
            w.writerows(zip(ids.tolist(), (f"{s:.6g}" for s in scores.tolist())))
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
