"""A second desk for the cross-process tests: ``python -m tests.events.child listen|post URL [args]``.

listen: start an event bus on URL, print "ready", then one JSON line per event received (with the
receive time) until stdin closes. post: post a transfer through the desk's services, print the time
right after the commit. post-as-teller: the same, made by a teller (so four eyes may hold it for approval).
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from core.persistence.db import make_engine


def listen(url: str, redis_url: str | None) -> None:
    from core.events import EventBus

    engine = make_engine(url)
    bus = EventBus(engine, redis_url=redis_url)
    bus.subscribe(lambda e: print(json.dumps({"name": e.name, "payload": e.payload, "at": time.time()}), flush=True))
    bus.start()
    while bus.state != "live":
        time.sleep(0.01)
    print("ready", flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    bus.stop()
    engine.dispose()


def post(url: str, debit: str, credit: str, amount: str, as_teller: bool = False) -> None:
    from app.services import Services
    from app.settings import Settings
    from core.ledger.views import TransferRequest
    from core.security.roles import SYSTEM_ACTOR, Actor, Role

    engine = make_engine(url)
    services = Services.build(Settings(url, None, Path(tempfile.mkdtemp())), engine)
    actor = Actor("tina", Role.TELLER, device="desk-2") if as_teller else SYSTEM_ACTOR
    result = services.ledger.transfer(actor, TransferRequest(id=f"child-{time.time_ns()}", debit=debit, credit=credit,
                                                           amount=int(amount), currency="USD"))
    print(json.dumps({"committed": time.time(), "state": result.state, "approval": result.approval}), flush=True)
    services.close()
    engine.dispose()


if __name__ == "__main__":
    command, url, *rest = sys.argv[1:]
    if command == "listen":
        listen(url, rest[0] if rest else None)
    else:
        post(url, *rest, as_teller=command == "post-as-teller")
