"""Training from the bank's own database: replay, fit, register, activate, and hand the state over."""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from core.errors import PermissionDenied, ValidationError
from core.fraud import registry
from core.fraud.dbtrain import train_from_database
from core.fraud.replay import memory_replay
from core.fraud.screen import FraudScreen, ScreenInput
from core.fraud.txn import Txn
from core.security.roles import SYSTEM_ACTOR, Actor, Role

from .synth import seed_payments, traffic


def test_train_from_database_registers_an_active_model_and_rebuilds_state(engine):
    txns, frauds = traffic(1500, spacing=1800)
    seed_payments(engine, txns, frauds)
    info = train_from_database(engine, actor=SYSTEM_ACTOR, candidates=("logistic",))
    assert info.active and info.kind == "logistic" and info.metrics["n_fraud"] > 0
    assert info.trained_from >= datetime.fromtimestamp(txns[0].ts, timezone.utc)
    with engine.connect() as conn:
        assert registry.active_version(conn) == info.version

    # the screen carries on from the replayed history exactly as an uninterrupted replay would
    nxt = Txn("next", txns[0].card, "T1", "FR", 42.0, txns[-1].ts + 600, "card", "d0")
    expected, _ = memory_replay(txns + [nxt], frauds + [False], 7)
    screen = FraudScreen(engine)
    tx = ScreenInput("next", int(nxt.card.split(":")[0]), 1, 999, "T1", "FR", 4200, "EUR", 2,
                     datetime.fromtimestamp(nxt.ts, timezone.utc), "card", "d0")
    with engine.begin() as conn:
        result = screen.screen(conn, tx)
    assert np.allclose(result.features, expected[-1], rtol=1e-9, atol=1e-9)
    assert result.model_version == info.label


def test_training_needs_permission_and_history(sqlite_engine):
    with pytest.raises(PermissionDenied):
        train_from_database(sqlite_engine, actor=Actor("teller", Role.TELLER))
    with pytest.raises(ValidationError, match="no posted customer payments"):
        train_from_database(sqlite_engine, actor=SYSTEM_ACTOR)


def test_cli_train_and_models(tmp_path, monkeypatch, capsys):
    import json

    from app.cli import main
    from core.persistence import migrate
    from core.persistence.db import make_engine

    url = f"sqlite:///{tmp_path / 'bank.db'}"
    monkeypatch.setenv("QENEX_DATABASE_URL", url)
    assert main(["fraud", "models"]) == 0
    assert "no fraud models yet" in capsys.readouterr().out
    engine = make_engine(url)
    migrate.upgrade(engine)
    txns, frauds = traffic(1200, spacing=1800)
    seed_payments(engine, txns, frauds)
    engine.dispose()
    assert main(["fraud", "train", "--models", "logistic", "--json"]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert (trained["version"], trained["kind"], trained["active"]) == ("v1", "logistic", True)
    assert main(["fraud", "models", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [m["version"] for m in listed] == ["v1"] and listed[0]["metrics"]["n_fraud"] > 0
    assert main(["fraud", "train", "--models", "nope"]) == 1
    assert "unknown model kinds" in capsys.readouterr().err
