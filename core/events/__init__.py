"""Live updates across desks (PLAN.md, "Live updates"): ``publish(conn, name, payload)`` inside a
database transaction, delivered to every desk after that transaction commits; ``EventBus.subscribe``.

    from core.events import publish, TRANSACTION_CREATED
    publish(conn, TRANSACTION_CREATED, {"id": transfer_id, **account_list([debit, credit])})
"""
from core.events.bus import EventBus, bus_for, publish
from core.events.commit import after_commit
from core.events.event import (
    ACCOUNT_UPDATED, ALERT_UPDATED, APPROVAL_DECIDED, APPROVAL_REQUESTED, CASE_UPDATED, DRAWER_UPDATED,
    FRAUD_DETECTED, HOLD_PLACED, HOLD_RELEASED, PAYMENT_UPDATED, RECOMMENDATION_CREATED, RECOMMENDATION_RUN,
    RECOMMENDATION_UPDATED, RESYNC, STANDING_RAN,
    TRANSACTION_COMPLETED, TRANSACTION_CREATED, Event, account_list,
)

__all__ = [
    "EventBus", "Event", "bus_for", "publish", "after_commit", "account_list",
    "TRANSACTION_CREATED", "TRANSACTION_COMPLETED", "HOLD_PLACED", "HOLD_RELEASED", "FRAUD_DETECTED",
    "ALERT_UPDATED", "APPROVAL_REQUESTED", "APPROVAL_DECIDED", "DRAWER_UPDATED", "PAYMENT_UPDATED",
    "CASE_UPDATED", "RECOMMENDATION_CREATED", "RECOMMENDATION_UPDATED",
    "RECOMMENDATION_RUN", "ACCOUNT_UPDATED", "STANDING_RAN", "RESYNC",
]
