"""One desk in the concurrent-claims test: a separate process with its own connections.

    python -m tests.cases.claim_worker URL ANALYST [ALERT_ID ...]

Connects, prints "ready", waits for a line on stdin (every desk starts at once), then claims every given
alert in order (a race with the other desks), then takes Next until the queue is empty, and prints one
JSON object: {"raced": [...won...], "refused": n, "next": [...]}.
"""
from __future__ import annotations

import json
import sys

from core.cases.errors import ClaimedByOther, NothingToClaim
from core.cases.service import FraudDesk
from core.ledger.service import Ledger
from core.persistence.db import make_engine
from core.security.roles import Actor, Role


def main(argv: list[str]) -> int:
    url, analyst, ids = argv[0], argv[1], [int(a) for a in argv[2:]]
    engine = make_engine(url, pool_size=2)
    desk = FraudDesk(Ledger(engine))
    actor = Actor(analyst, Role.ANALYST, device=f"desk-{analyst}")
    with engine.connect():
        pass
    print("ready", flush=True)
    sys.stdin.readline()
    raced, refused, taken = [], 0, []
    for alert_id in ids:
        try:
            raced.append(desk.claim(actor, alert_id).id)
        except ClaimedByOther:
            refused += 1
    while True:
        try:
            taken.append(desk.next(actor).id)
        except NothingToClaim:
            break
    print(json.dumps({"raced": raced, "refused": refused, "next": taken}), flush=True)
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
