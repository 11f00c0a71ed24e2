"""What the Payments page does to the selected card payment: capture, refund, cancel, continue after 3-D Secure
and reveal the card number. Each opens a confirmation saying exactly what will happen (Enter confirms, Escape
cancels), then runs on the worker and shows the payment as core left it.

``PaymentActions`` is mixed into ``ui.payments.page.PaymentsPage``, which owns the widgets it reads and writes
(``selected``, ``refund_amount``, the action buttons, ``action_status``, ``model``) and ``_show``/``_load``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from app.tasks import Op
from core import reasons
from core.errors import QenexError
from core.ledger.money import format_minor, parse_amount
from core.payments import checks
from core.payments.views import PaymentView
from ui.errors import notify, console_words
from ui.required import reason_missing
from ui.send_dialog import Sender, TextDialog
from ui.teller.confirm import ConfirmDialog

if TYPE_CHECKING:
    from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QWidget

    from app.services import Services
    from core.security.roles import Actor
    from ui.lazy_model import LazyTableModel


class PaymentActions:
    """The money-moving actions of the Payments page (a mixin: the page gives the widgets)."""

    services: Services
    actor: Actor
    selected: PaymentView | None
    dialog: ConfirmDialog | None
    refund_amount: QLineEdit
    action_status: QLabel
    model: LazyTableModel
    capture_button: QPushButton
    refund_button: QPushButton
    cancel_button: QPushButton
    continue_button: QPushButton

    if TYPE_CHECKING:
        def window(self) -> QWidget: ...
        def _show(self, payment: PaymentView | None) -> None: ...
        def _load(self, payment_id: str) -> None: ...

    def _amount_entered(self) -> None:
        """Enter in Amount opens the review of what the amount is for: the capture of an authorization, else
        the refund (as the README says); nothing moves before the confirmation."""
        p = self.selected
        if p is None or (self.dialog is not None and self.dialog.isVisible()):
            return
        if p.status == "requires_capture" and self.capture_button.isEnabled():
            self.capture()
        elif p.refundable > 0 and self.refund_button.isEnabled():
            self.refund()
        else:
            self._say(f"Payment {p.id} is {p.state_words}: there is nothing to capture or refund.", ok=False)

    def _amount(self, p: PaymentView, default: int) -> int | None:
        self._say("", ok=True)  # the last action's result or refusal goes: it is about an earlier step
        text = self.refund_amount.text().strip()
        try:
            return parse_amount(text, p.currency) if text else default
        except QenexError as err:
            self._say(console_words(err), ok=False)
            return None

    def _confirm(self, title: str, rows: list[tuple[str, str]], outcome: str, verb: str, then) -> ConfirmDialog:  # noqa: ANN001
        self.dialog = ConfirmDialog(self.window(), title, rows, outcome, then, confirm_text=verb)
        self.dialog.open()
        return self.dialog

    def capture(self) -> ConfirmDialog | None:
        p = self.selected
        if p is None or p.status != "requires_capture":
            return None
        amount = self._amount(p, p.amount)
        if amount is None:
            return None
        try:
            checks.capture(amount, p.amount, p.currency)  # core's rule, before the confirmation
        except QenexError as err:
            self._say(console_words(err), ok=False)
            return None
        fmt = lambda minor: format_minor(minor, p.currency)  # noqa: E731
        rows = [("Payment", p.id), ("Card", p.card), ("Capture", fmt(amount)), ("Authorized", fmt(p.amount)),
                ("Released", fmt(p.amount - amount) + (" (the rest of the authorization)" if amount < p.amount
                                                        else " (nothing)")),
                ("Posts", f"card clearing → {p.account}")]
        closes = (f" This releases the payment held for fraud review: fraud alert #{p.review_alert} closes (hold "
                  "posted here, no fraud outcome recorded)." if p.review_alert is not None else "")
        if p.review_alert is not None:
            rows.append(("Fraud alert", f"#{p.review_alert} closes (hold posted here)"))
        return self._confirm("Confirm capture", rows, f"{fmt(amount)} is taken from the card and credited to account "
                             f"{p.account}.{closes}", "&Capture", lambda: self._run(
                                 lambda svc, actor: svc.capture(actor, p.id, amount), "Captured"))

    def refund(self) -> ConfirmDialog | None:
        p = self.selected
        if p is None or p.refundable <= 0:
            return None
        amount = self._amount(p, p.refundable)
        if amount is None:
            return None
        fmt = lambda minor: format_minor(minor, p.currency)  # noqa: E731
        try:
            checks.refund(amount, p.captured, p.refunded, p.currency)  # core's rule, before the confirmation
        except QenexError as err:
            self._say(console_words(err), ok=False)
            return None
        rows = [("Payment", p.id), ("Refund", fmt(amount)), ("To card", p.card), ("From account", p.account),
                ("Left to refund after", fmt(p.refundable - amount)), ("Posts", f"{p.account} → card clearing")]
        return self._confirm("Confirm refund", rows, f"{fmt(amount)} leaves account {p.account} now and goes back to "
                             "the card.", "&Refund", lambda: self._run(
                                 lambda svc, actor: svc.refund(actor, p.id, amount), "Refunded"))

    def cancel(self) -> ConfirmDialog | None:
        p = self.selected
        if p is None or p.status not in ("requires_capture", "requires_action"):
            return None
        self._say("", ok=True)
        rows = [("Payment", p.id), ("Card", p.card), ("Authorized", format_minor(p.amount, p.currency)),
                ("Posts", "nothing (no money was captured)")]
        if p.review_alert is not None:
            rows.append(("Fraud alert", f"#{p.review_alert} closes (hold voided here)"))
        return self._confirm("Cancel payment", rows, "The authorization is released: the cardholder is not charged.",
                             "Cancel &payment", lambda: self._run(lambda svc, actor: svc.cancel(actor, p.id),
                                                                  "Canceled"))

    def continue_3ds(self) -> ConfirmDialog | None:
        p = self.selected
        if p is None or p.status != "requires_action":
            return None
        self._say("", ok=True)
        then = ("it is captured at once and credited to account " + p.account if p.capture_mode == "automatic"
                else "it waits for capture")
        rows = [("Payment", p.id), ("Card", p.card), ("Amount", format_minor(p.amount, p.currency))]
        return self._confirm("Continue after 3-D Secure", rows, f"The provider is asked for the bank's answer. If the "
                             f"cardholder approved, {then}; if not, nothing moves.", "&Continue", lambda: self._run(
                                 lambda svc, actor: svc.confirm(actor, p.id), "Continued"))

    def reveal(self) -> None:
        p = self.selected
        if p is None:
            return
        vault, actor = self.services.payments.vault, self.actor
        self.reveal_dialog = TextDialog(
            "Reveal card number", f"&Why is the full number of {p.card} needed? ({reasons.RULE}, e.g. a "
            "ticket number and why; audited)", self, line=True,
            rule=lambda t: reason_missing(t, "why the full number is needed"), sender=Sender(
                lambda reason: vault.reveal(actor, p.card_token, reason),
                lambda number: notify(self, "Card number", f"{p.card}: "
                                      f"{' '.join(number[i:i + 4] for i in range(0, len(number), 4))}"
                                      "\n\nThis reveal is in the audit trail.")))
        self.reveal_dialog.open()  # a refused reason (too short) stays in the dialog to be corrected

    def _run(self, call, verb: str) -> None:  # noqa: ANN001
        svc, actor = self.services.payments, self.actor
        for button in (self.capture_button, self.refund_button, self.cancel_button, self.continue_button):
            button.setEnabled(False)
        Op(self, lambda _task: call(svc, actor)).success(lambda view: self._done(view, verb)).failure(
            self._failed).run_in_background()

    def _done(self, view: PaymentView, verb: str) -> None:
        self.refund_amount.clear()
        self._show(view)
        c = view.currency
        left = f"; {format_minor(view.refundable, c)} left to refund" if view.captured else ""
        self._say(f"{verb}: the payment is {view.state_words}; captured "
                  f"{format_minor(view.captured, c)}, refunded {format_minor(view.refunded, c)}{left}", ok=True)
        self.model.refresh()

    def _failed(self, err: Exception) -> None:
        self._say(console_words(err), ok=False)
        if self.selected is not None:
            self._load(self.selected.id)

    def _say(self, text: str, *, ok: bool) -> None:
        self.action_status.setText(text)
        self.action_status.setProperty("state", "ok" if ok else "error")
        self.action_status.style().unpolish(self.action_status)
        self.action_status.style().polish(self.action_status)
