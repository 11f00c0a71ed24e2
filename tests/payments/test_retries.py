"""Network errors: the SDK retries with backoff under the same idempotency key; a provider that stays
away gives a clear error and moves no money."""
from __future__ import annotations

import socket
import threading
from urllib.parse import urlparse

import pytest

from core.payments.errors import ProviderUnavailable
from core.payments.stripe_provider import StripeProvider
from core.security.roles import SYSTEM_ACTOR
from tests.payments.conftest import API_KEY, WEBHOOK_SECRET
from tests.payments.test_card_payments import TELLER, request


class FlakyProxy:
    """Forwards to ``target`` on loopback but drops the first ``drop`` connections; records request heads."""

    def __init__(self, target: str, drop: int) -> None:
        url = urlparse(target)
        self.target = (url.hostname, url.port)
        self.drop = drop
        self.heads: list[bytes] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self.drop > 0:
                self.drop -= 1
                client.recv(65536)
                client.close()
                continue
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.target)

        def copy(src: socket.socket, dst: socket.socket, record: bool) -> None:
            try:
                while data := src.recv(65536):
                    if record:
                        self.heads.append(data)
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                dst.close()

        threading.Thread(target=copy, args=(upstream, client, False), daemon=True).start()
        copy(client, upstream, True)

    def close(self) -> None:
        self.server.close()


def test_a_dropped_connection_is_retried_with_the_same_idempotency_key(pay_env, localstripe):
    svc, ledger, _audit, account, _keys = pay_env
    proxy = FlakyProxy(localstripe, drop=1)
    svc.provider = StripeProvider(API_KEY, proxy.url, WEBHOOK_SECRET, max_retries=2)
    try:
        payment = svc.create(TELLER, request(account, 2_000))
    finally:
        proxy.close()
    assert proxy.drop == 0 and payment.status == "succeeded"  # the first connection was dropped, then retried
    assert ledger.balance(SYSTEM_ACTOR, account).current == 12_000
    keys = [line for head in proxy.heads for line in head.split(b"\r\n") if line.lower().startswith(b"idempotency-key")]
    assert any(payment.id.encode() in k for k in keys)


def test_an_unreachable_provider_moves_no_money_and_the_same_id_retries(pay_env, localstripe):
    svc, ledger, _audit, account, _keys = pay_env
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"  # nothing listens there once closed
    svc.provider = StripeProvider(API_KEY, dead, WEBHOOK_SECRET, max_retries=1)
    req = request(account, 2_000)
    with pytest.raises(ProviderUnavailable, match="try again"):
        svc.create(TELLER, req)
    shown = svc.show(TELLER, req.id)
    assert (shown.status, shown.captured) == ("pending", 0)
    assert ledger.balance(SYSTEM_ACTOR, account).current == 10_000
    svc.provider = StripeProvider(API_KEY, localstripe, WEBHOOK_SECRET, max_retries=1)  # it is back
    done = svc.create(TELLER, req)
    assert (done.status, done.captured) == ("succeeded", 2_000)
    assert ledger.balance(SYSTEM_ACTOR, account).current == 12_000
