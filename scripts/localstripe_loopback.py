"""Run localstripe (Stripe's API as a test double) bound to 127.0.0.1 only, state in memory.

The stock ``localstripe`` launcher listens on every interface and writes its state to
/tmp/localstripe.pickle; this one does neither. For trying the console's payments on the demo bank:

    .venv/bin/python scripts/localstripe_loopback.py 8420
    export QENEX_STRIPE_API_KEY=sk_test_demo QENEX_STRIPE_API_BASE=http://127.0.0.1:8420

(The test fixtures start the same server: tests/payments/localstripe_server.py.)
"""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: scripts/localstripe_loopback.py PORT   (e.g. 8420)")
    print(f"localstripe on http://127.0.0.1:{sys.argv[1]} (loopback only; Ctrl+C stops)", flush=True)
    runpy.run_path(str(Path(__file__).resolve().parents[1] / "tests" / "payments" / "localstripe_server.py"),
                   run_name="__main__")
