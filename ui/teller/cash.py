"""Cash at the desk: a deposit or a withdrawal, chosen explicitly; Enter reviews the chosen one (never
the other), the confirmation shows the account and its balance after, Enter there posts it."""
from __future__ import annotations


from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QPushButton, QRadioButton, QWidget

from app.services import Services
from core.ledger.outcome import HELD_FOR_REVIEW
from core.ledger.views import TransferResult
from core.security.roles import Actor
from ui.teller.amounts import hint, show
from ui.teller.confirm import ConfirmDialog
from ui.teller.forms import LedgerForm


class CashForm(LedgerForm):
    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(services, actor, parent)
        self.deposit_radio = QRadioButton("&Deposit (cash in)", checked=True)
        self.withdraw_radio = QRadioButton("&Withdrawal (cash out)")
        group = QButtonGroup(self)
        for radio in (self.deposit_radio, self.withdraw_radio):
            group.addButton(radio)
            radio.toggled.connect(self._kind_changed)
        kind = QWidget()
        kind_box = QHBoxLayout(kind)
        kind_box.setContentsMargins(0, 0, 0, 0)
        kind_box.addWidget(self.deposit_radio)
        kind_box.addWidget(self.withdraw_radio)
        kind_box.addStretch(1)
        self.add_field("kind", "Kind", kind)
        self.line("account", "A&ccount", "account number", 24)
        self.line("amount", "&Amount", hint(), 32)
        self.line("currency", "C&urrency", "ISO code", 3)
        self.submit_button = QPushButton("&Review deposit…", objectName="primary", default=True)
        self.submit_button.clicked.connect(self.submit)
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.submit_button)
        box.addStretch(1)
        self.finish(row)
        order = [self.deposit_radio, self.fields["account"], self.fields["amount"], self.fields["currency"],
                 self.submit_button]
        for first, second in zip(order, order[1:]):
            QWidget.setTabOrder(first, second)

    @property
    def deposit(self) -> bool:
        return self.deposit_radio.isChecked()

    def _kind_changed(self) -> None:
        self._input_changed()  # switching between deposit and withdrawal is a different request
        self.submit_button.setText("&Review deposit…" if self.deposit else "&Review withdrawal…")
        self.clear_status()

    def submit(self) -> None:
        self.clear()
        account, amount = self.check_account("account"), self.check_money()
        if not (account and amount):
            return
        minor, code = amount
        deposit, teller, actor = self.deposit, self.services.teller, self.actor
        self.review(lambda: teller.account(actor, account),
                    lambda detail: self._confirm(account, minor, code, deposit, detail))

    def _confirm(self, account: str, minor: int, code: str, deposit: bool, detail) -> None:  # noqa: ANN001
        acc, loc = detail.account, self.locale
        if acc.currency != code:
            self.set_error("currency", f"account {account} holds {acc.currency}, not {code}")
            return
        after_current = acc.current + (minor if deposit else -minor)
        after_available = acc.available + (minor if deposit else -minor)
        rows = [("Kind", "Cash deposit (cash in)" if deposit else "Cash withdrawal (cash out)"),
                ("Account", f"{acc.number}  {acc.name}"), ("Amount", show(minor, code, loc)),
                ("Balance after", f"{show(after_current, code, loc)} current, "
                                  f"{show(after_available, code, loc)} available")]
        verb = "Pay out" if not deposit else "Take in"
        self.dialog = ConfirmDialog(self, "Confirm cash " + ("deposit" if deposit else "withdrawal"), rows,
                                    f"{verb} {show(minor, code, loc)} in cash.", lambda: self._post(account, minor,
                                                                                                  code, deposit),
                                    confirm_text="&Confirm " + ("deposit" if deposit else "withdrawal"))
        self.dialog.open()

    def _post(self, account: str, minor: int, code: str, deposit: bool) -> None:
        ledger, actor, loc = self.services.ledger, self.actor, self.locale
        call = ledger.deposit if deposit else ledger.withdraw
        verb = "Deposited" if deposit else "Withdrew"

        def done(r: TransferResult) -> str:
            if getattr(r, "approval", None) is not None:
                return (f"Waiting for approval: {show(r.amount, r.currency, loc)} is reserved on {account}, not paid "
                        f"out; request #{r.approval} is in a supervisor's approvals inbox.")
            if r.state == "pending":  # a withdrawal the fraud screen holds: no cash is paid out yet
                return (f"Do not pay out: the withdrawal of {show(r.amount, r.currency, loc)} from {account} is "
                        f"{HELD_FOR_REVIEW}.")
            return f"{verb} {show(r.amount, r.currency, loc)} ({'to' if deposit else 'from'} {account})."

        self.post(lambda request_id: call(actor, account, minor, code, id=request_id), done)

