"""Desk configuration and health checks composed in app.services (no screen needed)."""
from __future__ import annotations

import pytest

from app.services import check_database, check_payments, check_redis, idle_lock_seconds
from app.start import demo_context
from core.errors import ConfigurationError


@pytest.mark.parametrize(("raw", "seconds"), [("", 300), ("5", 300), ("0.5", 30), ("15", 900)])
def test_idle_lock_minutes(raw, seconds):
    assert idle_lock_seconds({"QENEX_IDLE_LOCK_MINUTES": raw}) == seconds


@pytest.mark.parametrize("raw", ["five", "0", "-3", "2000"])
def test_bad_idle_lock_minutes_are_refused_clearly(raw):
    with pytest.raises(ConfigurationError, match="QENEX_IDLE_LOCK_MINUTES"):
        idle_lock_seconds({"QENEX_IDLE_LOCK_MINUTES": raw})


def test_health_checks(sqlite_engine):
    assert check_database(sqlite_engine).state == "ok"
    assert check_redis(None).state == "not configured"
    down = check_redis("redis://127.0.0.1:1/0")
    assert down.state == "down" and down.detail
    assert check_payments().state == "not configured"


def test_demo_context_is_a_fresh_database_in_the_data_folder(tmp_path):
    from app.context import Context
    from app.settings import Settings

    ctx = Context(Settings(database_url="sqlite:///elsewhere.db", redis_url=None, data_dir=tmp_path))
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "bank.db").write_text("old demo")
    demo = demo_context(ctx)
    assert demo.settings.database_url == f"sqlite:///{tmp_path / 'demo' / 'bank.db'}"
    assert not (tmp_path / "demo" / "bank.db").exists()
