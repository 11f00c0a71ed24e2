"""The demo bank's first fraud model trains in a child process (``core.child_process``): it registers the
model, Cancel stops the child at once, and a refusal in the child is one plain error."""
from __future__ import annotations

import multiprocessing

import pytest

from app.demo import _train_first_model
from core.demo.seed import Cancelled
from core.errors import QenexError
from core.fraud import registry
from tests.fraud.synth import seed_payments, traffic


def _children() -> list:
    return [p for p in multiprocessing.active_children() if p.name == "qenex-demo-training"]


def test_the_first_model_trains_in_a_child_and_cancel_stops_it(sqlite_engine):
    engine = sqlite_engine
    with pytest.raises(QenexError, match="training the first fraud model failed: no "):
        _train_first_model(engine, None, lambda: False)  # an empty bank: nothing to train on
    txns, frauds = traffic(1500, spacing=3000)
    seed_payments(engine, txns, frauds)

    with pytest.raises(Cancelled, match="cancelled while training the first fraud model"):
        _train_first_model(engine, None, lambda: True)
    assert _children() == []
    with engine.connect() as conn:
        assert registry.list_models(conn) == []

    steps = []
    label = _train_first_model(engine, lambda d, t, s: steps.append((d, t)), lambda: False)
    with engine.connect() as conn:
        assert label == registry.info(conn, registry.active_version(conn)).label
    assert steps[-1] == (1000, 1000) and _children() == []
