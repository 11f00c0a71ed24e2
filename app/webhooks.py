"""The webhook endpoint for the payment provider: ``qenex payments listen``.

A small HTTP server (standard library) that takes ``POST`` requests, hands the body and the
``Stripe-Signature`` header to ``PaymentService.handle_webhook`` (verify, record once, reconcile) and
answers 200 (applied, duplicate or ignored), 400 (bad signature: the provider will not be believed)
or 503 (the provider or database could not be reached: the provider retries later). It listens on
127.0.0.1 by default; put it behind the bank's reverse proxy (TLS) to receive the provider's calls.
"""
from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from core.errors import QenexError
from core.payments.errors import WebhookSignatureInvalid

log = logging.getLogger(__name__)
MAX_BODY = 1_000_000


def make_server(payments: Any, host: str = "127.0.0.1", port: int = 8765) -> ThreadingHTTPServer:
    """A server (not started: call ``serve_forever``) that applies webhooks to ``payments``."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                self._answer(400, {"error": "a webhook has a JSON body of at most 1 MB"})
                return
            body = self.rfile.read(length)
            try:
                outcome = payments.handle_webhook(body, self.headers.get("Stripe-Signature", ""))
            except WebhookSignatureInvalid as err:
                self._answer(400, err.to_dict())
            except QenexError as err:
                log.warning("webhook not applied: %s", err.message)
                self._answer(503, err.to_dict())
            else:
                self._answer(200, outcome)

        def _answer(self, status: int, data: dict) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
            print(json.dumps({"status": status, **data}), flush=True)

        def log_message(self, *args: Any) -> None:  # the outcome line above is the log
            pass

    return ThreadingHTTPServer((host, port), Handler)
