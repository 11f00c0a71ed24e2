"""Columns of the approvals inbox and of the checker's view of the account's recent activity."""
from __future__ import annotations

from datetime import datetime, timezone

from core.approvals import ApprovalView
from core.approvals.store import STATE_WORDS  # one word per state, from core: the CLI says the same
from core.ledger.money import format_minor
from core.words import duration
from ui.columns import Column


def state_word(request) -> str:  # noqa: ANN001 - ApprovalView
    """The request's state in one word, from core (a maker's withdrawal is its own state, "withdrawn")."""
    return STATE_WORDS.get(request.state, request.state)


def age(when: datetime) -> str:
    """How long ago ``when`` was ("7 min", "2 h 05 min", "less than 1 min": core.words.duration)."""
    return duration(max((datetime.now(timezone.utc) - when).total_seconds(), 0.0))


def _left(r: ApprovalView) -> str:
    """The time a waiting request has before it expires ("23 h 59 min", "40 min"); empty once decided."""
    if r.state != "pending":
        return ""
    return duration(max((r.expires_at - datetime.now(timezone.utc)).total_seconds(), 0.0))


def _decided(r: ApprovalView) -> str:
    """When a request was decided or withdrawn (an expired one: when its time ran out), local time; empty while
    it waits."""
    if r.state == "pending":
        return ""
    when = r.decided_at or r.expires_at
    return when.astimezone().strftime("%Y-%m-%d %H:%M") if when else ""


# the last column follows the view chosen (QA7 #3): time left while waiting, when decided after
LAST_COLUMN = {
    "waiting": Column("Time left", _left, align_right=True),
    "decided": Column("Decided", _decided),
    "all": Column("Time left or decided", lambda r: _left(r) if r.state == "pending" else _decided(r)),
}


HINTS = {  # the subtitle of each view (SHOW), for a checker (True) and for a maker (False) (QA7 #3)
    True: {"waiting": "Four eyes: what waits for a second person, the funds held meanwhile. The maker never "
                      "approves their own.",
           "decided": "Requests already approved, rejected, withdrawn by their maker or expired, and when.",
           "all": "Every request: those waiting for a second person and those already decided."},
    False: {"waiting": "Your requests waiting for a supervisor's approval.",
            "decided": "Your requests a supervisor decided, that you withdrew or that expired, and when.",
            "all": "All your requests: waiting for a supervisor's approval or already decided."},
}


SHORT_KIND = {"transfer": "Transfer", "gl": "GL movement", "correction": "Correction", "freeze": "Freeze",
              "close": "Closure", "hold_release": "Hold release",
              "overdraft": "Overdraft"}

REQUEST_COLUMNS = (  # what each request is about in full: the checker's view beside the list
    Column("#", lambda r: str(r.id), align_right=True),
    Column("Request", lambda r: SHORT_KIND.get(r.kind, r.kind)),
    Column("Account", lambda r: r.account or ""),
    Column("Amount", lambda r: r.amount_text, align_right=True),
    Column("Score", lambda r: "" if r.score is None else f"{r.score:.2f}", align_right=True),
    Column("Maker", lambda r: r.maker),
    Column("Status", lambda r: state_word(r)),
    Column("Time left", _left, align_right=True),
)


def request_columns(fraud_details: bool, view: str = "waiting") -> tuple[Column, ...]:
    """The inbox's columns: the fraud score only for those who see fraud details (core leaves it out for the
    others, e.g. a teller looking at their own requests); the last one follows ``view`` (``SHOW`` keys)."""
    columns = REQUEST_COLUMNS[:-1] + (LAST_COLUMN.get(view, REQUEST_COLUMNS[-1]),)
    return columns if fraud_details else tuple(c for c in columns if c.title != "Score")


def activity_columns(currency: str) -> tuple[Column, ...]:
    return (
        Column("When", lambda ln: ln.at.astimezone().strftime("%m-%d %H:%M")),
        Column("Amount", lambda ln: format_minor(ln.amount, currency), align_right=True),
        Column("Description", lambda ln: ln.description or ln.code),
    )
