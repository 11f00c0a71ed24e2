"""A second desk for tests/drawers/test_standing.py: run the standing-instruction job on the database at
argv[1] through argv[2] (an ISO date) and print how many runs this process made."""
from __future__ import annotations

import sys
from datetime import date

from core.ledger.service import Ledger
from core.persistence.db import make_engine
from core.security.roles import SYSTEM_ACTOR
from core.teller.standing import StandingOrders

if __name__ == "__main__":
    engine = make_engine(sys.argv[1])
    runs = StandingOrders(Ledger(engine)).run_due(SYSTEM_ACTOR, through=date.fromisoformat(sys.argv[2]))
    print(len(runs))
    engine.dispose()
