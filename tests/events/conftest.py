"""Fixtures for live updates: a collector of received events, Redis (skipped loudly without a server)."""
from __future__ import annotations

import os
import threading
import time
import warnings

import pytest

from tests.conftest import IN_CI

REDIS_URL = os.environ.get("QENEX_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class Collector:
    """Subscriber that remembers events; ``wait(pred)`` blocks until one matches (or times out)."""

    def __init__(self) -> None:
        self.events: list = []
        self.times: list[float] = []
        self._cond = threading.Condition()

    def __call__(self, event) -> None:  # noqa: ANN001
        with self._cond:
            self.events.append(event)
            self.times.append(time.monotonic())
            self._cond.notify_all()

    def wait(self, pred, timeout: float = 3.0):  # noqa: ANN001, ANN201
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events:
                    if pred(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def names(self) -> list[str]:
        return [e.name for e in self.events]


@pytest.fixture
def collector() -> Collector:
    return Collector()


def wait_state(bus, state: str, timeout: float = 5.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while bus.state != state:
        if time.monotonic() > deadline:
            raise AssertionError(f"bus state is {bus.state} ({bus.detail}), expected {state}")
        time.sleep(0.02)


@pytest.fixture
def redis_url() -> str:
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.ping()
        client.close()
    except Exception as exc:  # noqa: BLE001
        reason = f"Redis at {REDIS_URL} is not reachable ({type(exc).__name__}: {exc})"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}; Redis tests must run in CI")
        warnings.warn(f"SKIPPING Redis tests: {reason}", stacklevel=1)
        pytest.skip(f"SKIPPED LOUDLY: {reason}")
    return REDIS_URL
