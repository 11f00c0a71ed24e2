"""The transfer form: from, to, amount (in the operator's locale), currency, description; Enter reviews
the transfer in a confirmation that shows exactly what will post; Enter there posts it; then a receipt."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from app.services import Services
from core.ledger.outcome import describe
from core.ledger.views import TransferRequest, TransferResult
from core.security.roles import Actor
from core.teller.preview import TransferPreview
from ui.teller.amounts import hint, show
from ui.teller.confirm import HOLD_FOR_REVIEW, SEND_FOR_APPROVAL, ConfirmDialog, screen_words
from ui.teller.forms import LedgerForm, also_held
from ui.teller.receipts import link, print_receipt


class TransferForm(LedgerForm):
    # (account, words): the From account is another customer's; the page switches to them (QA #9)
    payer_elsewhere = Signal(str, str)

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(services, actor, parent)
        self.after_posting = ("to", "amount", "description")
        self.line("from", "&From account", "account number (10 digits)", 24)
        self.line("to", "&To account", "account number", 24)
        self.line("amount", "&Amount", hint(), 32)
        self.line("currency", "C&urrency", "ISO code, e.g. USD", 3)
        self.line("description", "&Description", "optional, shown on both statements", 200)
        self.submit_button = QPushButton("&Review transfer…", objectName="primary", default=True)
        self.submit_button.clicked.connect(self.submit)
        self.make_receipt_button("Print rece&ipt")
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.submit_button)
        box.addWidget(self.receipt_button)
        box.addStretch(1)
        self.finish(row)
        order = [self.fields[k] for k in ("from", "to", "amount", "currency", "description")]
        order += [self.submit_button, self.receipt_button]
        for first, second in zip(order, order[1:]):
            QWidget.setTabOrder(first, second)

    def submit(self) -> None:
        """Check the fields, then preview on the worker and ask for confirmation."""
        self.clear()
        debit, credit, amount = self.check_account("from"), self.check_account("to"), self.check_money()
        if debit and credit and debit == credit:
            self.set_error("to", "the destination must differ from the source account")
            self.look_up({"from": debit})
            return
        if not (debit and credit and amount):
            self.look_up({"from": debit, "to": credit})  # an unknown account shows with the other errors (QA7 #2)
            return
        minor, code = amount
        req = TransferRequest(id=self.request_id(), debit=debit, credit=credit, amount=minor, currency=code,
                              description=self.text("description"), channel="desk", device=self.actor.device)
        teller, actor = self.services.teller, self.actor
        self.review(lambda: teller.preview(actor, req), lambda p: self._confirm(req, p))

    def _confirm(self, req: TransferRequest, p: TransferPreview) -> None:
        if self.shown_customer is not None and p.debit_customer_id != self.shown_customer:
            whose = f"{p.debit_name}'s" if p.debit_customer_id is not None else "one of the bank's own accounts"
            self.payer_elsewhere.emit(req.debit, f"The From account {req.debit} is {whose}, not the customer who was "
                                                 "on screen: the page now shows it. Check with the customer, then "
                                                 "review again. Nothing was posted.")
            return
        c, loc = req.currency, self.locale
        # a transfer waiting for approval is previewed as pending: its current balance moves only once approved
        rows = [("From", f"{req.debit}  {p.debit_name}"), ("To", f"{req.credit}  {p.credit_name}"),
                ("Amount", show(req.amount, c, loc)), ("Fees", show(p.fee, c, loc) + " (none)" if not p.fee else show(p.fee, c, loc)),
                ("Balance after", f"{show(p.debit_current_after, c, loc)} current, "
                                  f"{show(p.debit_available_after, c, loc)} available") if not p.approval else
                ("Balance after", f"no change until a supervisor approves: {show(p.debit_available_after, c, loc)} "
                                  f"available (reserved now); {show(p.debit_current_after - req.amount - p.fee, c, loc)} current once "
                                  "approved"),
                ("Description", req.description or "—")]
        if p.decision != "none":
            rows.append(("Fraud screen", screen_words(p.decision, p.score, p.reasons)))
        outcome = f"This transfer will be {p.outcome}."
        self.dialog = ConfirmDialog(self, "Confirm transfer", rows, outcome, lambda: self._post(req),
                                    confirm_text=SEND_FOR_APPROVAL if p.approval else HOLD_FOR_REVIEW
                                    if p.decision == "review" else "&Confirm and post",
                                    warning=p.decision == "review" or bool(p.approval),
                                    blocked=p.decision == "decline")
        self.dialog.finished.connect(lambda _r: self.fields["amount"].setFocus())
        self.dialog.open()

    def _post(self, req: TransferRequest) -> None:
        ledger, actor, loc = self.services.ledger, self.actor, self.locale

        def done(r: TransferResult) -> str:
            self.remember(r)
            if getattr(r, "approval", None) is not None and r.state == "pending":
                moved = f"{show(r.amount, r.currency, loc)} from {r.debit} to {r.credit}"
                self.tell_when_decided(r.approval, f"the transfer of {moved}", f"the transfer of {moved} is posted",
                                       "nothing was posted")
            return describe(r._replace(id=f"{r.id[:12]}…"), show(r.amount, r.currency, loc)) + "." + (
                also_held(r) if getattr(r, "approval", None) is not None else "")

        self.post(lambda request_id: ledger.transfer(actor, req), done)
