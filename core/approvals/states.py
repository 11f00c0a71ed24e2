"""The states a four-eyes request can be in and the word people read for each (console and CLI alike); no
imports, so the command line's help names them without loading the database layer."""
from __future__ import annotations

# withdrawn: taken back by its maker (a state of its own since migration 0019, never "rejected")
STATES = ("pending", "approved", "rejected", "withdrawn", "expired", "failed")
# The word people read for each state (console, CLI): a pending request is "waiting" (as ``--state waiting``).
STATE_WORDS = {"pending": "waiting", "approved": "approved", "rejected": "rejected", "withdrawn": "withdrawn",
               "expired": "expired", "failed": "failed"}
LIST_STATES = ("waiting", "decided", "all", *STATES)  # what ``Approvals.list`` and ``--state`` take
