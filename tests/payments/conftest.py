"""Payments fixtures: a localstripe server on loopback (started once per session on a free port), a
Stripe provider pointed at it, and a webhook receiver. No test reaches the internet."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from core.payments.stripe_provider import StripeProvider

WEBHOOK_SECRET = "whsec_qenex_tests"
API_KEY = "sk_test_qenex"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe():
    """Base URL of a localstripe server on 127.0.0.1 (stopped at the end of the session)."""
    port = free_port()
    script = Path(__file__).with_name("localstripe_server.py")
    proc = subprocess.Popen([sys.executable, str(script), str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"localstripe did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def stripe_provider(localstripe):
    return StripeProvider(API_KEY, localstripe, WEBHOOK_SECRET, max_retries=1)


class Receiver:
    """A webhook endpoint on loopback: collects (body, signature) pairs as localstripe sends them."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, str]] = []
        self.event = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.received.append((body, self.headers.get("Stripe-Signature", "")))
                outer.event.set()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, event_type: str, ref: str, timeout: float = 10.0) -> tuple[bytes, str]:
        """The first ``event_type`` webhook about object ``ref`` (earlier tests' events may arrive too)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for body, sig in list(self.received):
                event = json.loads(body)
                if event["type"] == event_type and event["data"]["object"].get("id") == ref:
                    return body, sig
            self.event.clear()
            self.event.wait(0.1)
        raise AssertionError(f"no {event_type} webhook within {timeout} s; got "
                             f"{[json.loads(b)['type'] for b, _ in self.received]}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhooks(localstripe):
    """A registered webhook receiver (unregistered by pointing it nowhere at the end)."""
    receiver = Receiver()
    hook_id = f"qenex{free_port()}"
    _post(f"{localstripe}/_config/webhooks/{hook_id}",
          f"url={receiver.url}&secret={WEBHOOK_SECRET}".encode())
    yield receiver
    _post(f"{localstripe}/_config/webhooks/{hook_id}", f"url=http://127.0.0.1:9/&secret={WEBHOOK_SECRET}".encode())
    receiver.close()


def _post(url: str, data: bytes) -> None:
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    urllib.request.urlopen(req, timeout=5).read()


@pytest.fixture
def pay_env(engine, tmp_path, stripe_provider):
    """(PaymentService, Ledger, audit, a funded customer account, vault keys) on a fresh database."""
    from core.fraud.screen import FraudScreen
    from core.ledger.service import Ledger
    from core.payments.service import PaymentService
    from core.payments.vault import Vault
    from core.payments.vault_keys import VaultKeys
    from core.security.audit import AuditTrail
    from core.security.audit_keys import AuditKeys
    from core.security.roles import SYSTEM_ACTOR

    audit = AuditTrail(AuditKeys(tmp_path / "audit" / "ml-dsa-65.key"))
    keys = VaultKeys(tmp_path, environ={}, use_keyring=False)
    vault = Vault(engine, keys, audit)
    screen = FraudScreen(engine)
    ledger = Ledger(engine, audit=audit, screen=screen)
    svc = PaymentService(engine, provider=stripe_provider, vault=vault, screen=screen, audit=audit)
    customer = ledger.add_customer(SYSTEM_ACTOR, "Ada Lovelace")
    account = ledger.open_account(SYSTEM_ACTOR, customer.id, "USD").number
    ledger.deposit(SYSTEM_ACTOR, account, 10_000, "USD")
    return svc, ledger, audit, account, keys
