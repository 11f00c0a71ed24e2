"""The teller is told when a request they sent for a supervisor's approval is decided: the result line that
said "Waiting for approval … not paid out" becomes "Approved by sam: pay out $11,000.00 now" (or rejected,
with the supervisor's reason; expired; withdrawn). Decisions arrive live (``approval.decided``) and on a
refresh (F5), which reads each watched request again on the database worker.

    self.watch = DecisionWatch(form, services, actor)
    self.watch.watch(request_id, lambda view: form.set_status(*told(view, ...)))
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from app.services import Services
from app.tasks import Op
from core.security.roles import Actor
from ui.live import LiveRefresh

EVENTS = ("approval.decided", "bus.resync")


def told(view, what: str, go: str, nothing: str,  # noqa: ANN001
         undone: str = "its reserved funds are released") -> tuple[str, str]:
    """(words, tone) for the decided request ``view``; tone is ``ok``, ``warning`` or ``error``.

    ``what``: the request in words ("the withdrawal of $11,000.00 from 1000000107"); ``go``: what the teller
    does or what happened once approved ("pay out $11,000.00 now"); ``nothing``: what did not happen
    ("nothing was paid out"); ``undone``: what a refusal gives back ("its reserved funds are released")."""
    ref = f"request #{view.id}"
    result = str(view.result or "")
    if view.state == "approved":
        if "still held for fraud review" in result:
            return (f"Approved by {view.checker}, but {what} is still held for fraud review: {nothing} yet, and "
                    f"it goes ahead only when an analyst clears the alert ({ref}).", "warning")
        return f"Approved by {view.checker}: {go} ({ref}; {result}).", "ok"
    if view.state == "withdrawn":  # the maker took it back: a state of its own in core, never "rejected"
        return f"You withdrew {ref}: {nothing}; {what} is called off and {undone}.", "warning"
    if view.state == "rejected":
        reason = (view.decision_note or "no reason given").rstrip(".")
        return (f"Rejected by {view.checker}: {reason}. {nothing[0].upper()}{nothing[1:]}: {what} is refused and "
                f"{undone} ({ref}).", "error")
    if view.state == "expired":
        return (f"{ref[0].upper()}{ref[1:]} expired before a supervisor decided it: {nothing}; {what} is called off "
                f"and {undone}. Ask again if the customer still wants it.", "error")
    if view.state == "failed":
        return f"{ref[0].upper()}{ref[1:]} could not be carried out ({result or 'no detail'}): {nothing}.", "error"
    return "", ""


class DecisionWatch(QObject):
    """Requests this desk sent for approval; each callback runs once, with the request, when it is decided."""

    def __init__(self, widget: QWidget, services: Services, actor: Actor) -> None:
        super().__init__(widget)
        self.widget, self.services, self.actor = widget, services, actor
        self.waiting: dict[int, Callable] = {}
        self.live = LiveRefresh(widget, services, EVENTS, self._on_events)

    def watch(self, request_id: int, on_decided: Callable) -> None:
        self.waiting[int(request_id)] = on_decided

    def forget(self) -> None:
        """Another account or a new posting is on screen: earlier requests no longer speak on this form."""
        self.waiting.clear()

    def _on_events(self, events: list) -> None:
        ids = {e.payload.get("id") for e in events}
        if any(e.name == "bus.resync" for e in events) or ids & set(self.waiting):
            self.check()

    def check(self) -> None:
        """Read every watched request again (F5, or a decision arrived); report the decided ones."""
        approvals = self.services.approvals
        if not self.waiting or approvals is None:
            return
        ids, actor = list(self.waiting), self.actor

        def work(_task: object) -> list:
            found = []
            for request_id in ids:
                try:
                    found.append(approvals.get(actor, request_id))
                except Exception:  # noqa: BLE001 - gone or not readable: nothing to tell
                    continue
            return found

        Op(self.widget, work).success(self._read).failure(lambda _err: None).run_in_background()  # next refresh

    def _read(self, views: list) -> None:
        for view in views:
            if view.state == "pending":
                continue
            callback = self.waiting.pop(view.id, None)
            if callback is not None:
                callback(view)
