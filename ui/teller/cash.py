"""Cash at the desk through the teller's open drawer: a deposit or a withdrawal, chosen explicitly; Enter
reviews the chosen one (never the other), the confirmation shows the account, its balance after and the
drawer's cash after, Enter there posts it. Without an open drawer nothing posts (the Drawer tab opens
one). Cash above the reporting threshold asks for the customer's ID document and is flagged for a CTR."""
from __future__ import annotations

from PySide6.QtWidgets import QButtonGroup, QComboBox, QHBoxLayout, QPushButton, QRadioButton, QWidget

from app.services import Services
from core.ledger.outcome import HELD_FOR_REVIEW
from core.ledger.views import TransferResult
from core.security.roles import Actor
from core.teller.customers import ID_TYPES
from ui.teller.amounts import hint, show
from ui.teller.confirm import SEND_FOR_APPROVAL, ConfirmDialog
from ui.teller.forms import LedgerForm, also_held


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
        self.id_type = QComboBox()
        for key, text in ID_TYPES.items():
            self.id_type.addItem(text, key)
        self.add_field("id_type", "&ID document", self.id_type)
        self.line("id_number", "Document &number", "as printed on the document", 40)
        self._show_id(False)
        self.submit_button = QPushButton("&Review deposit…", objectName="primary", default=True)
        self.submit_button.clicked.connect(self.submit)
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.submit_button)
        box.addWidget(self.make_receipt_button("Print r&eceipt"))
        box.addStretch(1)
        self.finish(row)
        order = [self.deposit_radio, self.fields["account"], self.fields["amount"], self.fields["currency"],
                 self.id_type, self.fields["id_number"], self.submit_button, self.receipt_button]
        for first, second in zip(order, order[1:]):
            QWidget.setTabOrder(first, second)

    @property
    def deposit(self) -> bool:
        return self.deposit_radio.isChecked()

    def _show_id(self, visible: bool) -> None:
        for key in ("id_type", "id_number"):
            self.layout_.setRowVisible(self.fields[key].parentWidget(), visible)

    def id_visible(self) -> bool:
        return self.layout_.isRowVisible(self.fields["id_number"].parentWidget())

    def _kind_changed(self) -> None:
        self._input_changed()  # switching between deposit and withdrawal is a different request
        self.submit_button.setText("&Review deposit…" if self.deposit else "&Review withdrawal…")
        self.clear_status()

    def use_account(self, number: str | None, currency: str | None) -> None:
        super().use_account(number, currency)
        self._show_id(False)
        self.fields["id_number"].clear()

    def submit(self) -> None:
        self.clear()
        account, amount = self.check_account("account"), self.check_money()
        if not (account and amount):
            self.look_up({"account": account})  # an unknown account shows with the other errors (QA7 #2)
            return
        minor, code = amount
        # core says whether this cash needs the customer's ID document (with the day's running total) and checks
        # a document typed against the one on file before the review opens (ctr_check)
        number = self.text("id_number") if self.id_visible() else ""
        document = (self.id_type.currentData(), number) if number else None
        deposit, teller, drawers, actor = self.deposit, self.services.teller, self.services.drawers, self.actor
        def checks() -> tuple:  # on the worker, in the order a teller can act on: the drawer first (core)
            drawer = drawers.cash_check(actor, minor, code, deposit=deposit)
            return (teller.account(actor, account), [drawer],
                    drawers.ctr_check(actor, account, minor, code, deposit=deposit, id_document=document),
                    drawers.approval_check(actor, account, minor, code, deposit=deposit))

        self.review(checks, lambda found: self._confirm(account, minor, code, deposit, document, *found))

    def _confirm(self, account: str, minor: int, code: str, deposit: bool, document, detail, sessions,  # noqa: ANN001
                 ctr_reason: str | None = None, approval: str | None = None) -> None:
        if not ctr_reason:  # not above the threshold today: nothing is reported, no document needed
            document = None
            self._show_id(False)
        elif document is None:  # the customer's cash today tips it over (core.drawers.ctr): ask for the ID
            self._show_id(True)
            self.set_error("id_number", ctr_reason)
            self.fields["id_number"].setFocus()
            return
        acc, loc = detail.account, self.locale
        if acc.currency != code:
            self.set_error("currency", f"account {account} holds {acc.currency}, not {code}")
            return
        open_ = [s for s in sessions if s.status == "open"]
        if not open_:
            self.no_drawer = True  # the message goes once a drawer opens (drawer_changed)
            self.forget_receipt()  # the line no longer describes the last posting (QA7 #1)
            self.set_status(f"You have no open {code} cash drawer, so no cash can be taken or paid: open one on the "
                            "Drawer tab first. Nothing was posted.", ok=False)
            return
        drawer = open_[0]
        if not deposit and drawer.cash is not None and drawer.cash < minor:  # else core refuses what is not there
            self.set_error("amount", f"drawer {drawer.drawer} holds {show(drawer.cash, code, loc)}; bring cash from "
                                     "the vault first (Drawer tab)")
            return
        after_current = acc.current + (minor if deposit else -minor)
        after_available = acc.available + (minor if deposit else -minor)
        drawer_after = (f"{drawer.drawer}: pays out nothing until a supervisor approves" if approval else
                        f"{drawer.drawer}: {'takes in' if deposit else 'pays out'} {show(minor, code, loc)}"
                        if drawer.cash is None else  # the teller's count is blind: no running drawer total
                        f"{drawer.drawer}: {show(drawer.cash + (minor if deposit else -minor), code, loc)} after")
        rows = [("Kind", "Cash deposit (cash in)" if deposit else "Cash withdrawal (cash out)"),
                ("Account", f"{acc.number}  {acc.name}"), ("Amount", show(minor, code, loc)),
                ("Balance after", f"{show(after_current, code, loc)} current, "
                                  f"{show(after_available, code, loc)} available") if not approval else
                ("Balance after", f"no change until a supervisor approves: {show(acc.current, code, loc)} current "
                                  f"stays, {show(acc.available - minor, code, loc)} available (reserved now); "
                                  f"{show(after_current, code, loc)} current once approved"),
                ("Drawer", drawer_after)]
        if document is not None:
            rows.append(("Reported", f"flagged for a currency transaction report ({ID_TYPES[document[0]]} "
                                     f"{document[1]})"))
        verb = "Pay out" if not deposit else "Take in"
        outcome = f"{verb} {show(minor, code, loc)} in cash."
        if approval:
            outcome = (f"Sent for approval ({approval}): {show(minor, code, loc)} is reserved on the account; do not pay "
                       "out until a supervisor approves.")
        self.dialog = ConfirmDialog(self, "Confirm cash " + ("deposit" if deposit else "withdrawal"), rows, outcome,
                                    lambda: self._post(account, minor, code, deposit, document),
                                    confirm_text=SEND_FOR_APPROVAL if approval else
                                    "&Confirm " + ("deposit" if deposit else "withdrawal"), warning=bool(approval))
        self.dialog.open()

    def drawer_changed(self) -> None:
        """A drawer opened on the Drawer tab: "You have no open … cash drawer" may no longer be true (QA4 #3);
        the next review checks again."""
        if getattr(self, "no_drawer", False):
            self.no_drawer = False
            self.clear_status()

    def _post(self, account: str, minor: int, code: str, deposit: bool, document) -> None:  # noqa: ANN001
        drawers, actor, loc = self.services.drawers, self.actor, self.locale
        call = drawers.deposit if deposit else drawers.withdraw
        verb = "Deposited" if deposit else "Withdrew"

        def done(r: TransferResult) -> str:
            self.remember(r)
            self.fields["id_number"].clear()
            self._show_id(False)
            if getattr(r, "approval", None) is not None:
                amount = show(r.amount, r.currency, loc)
                self.tell_when_decided(r.approval, f"the withdrawal of {amount} from {account}",
                                       f"pay out {amount} from {account} now", "nothing was paid out")
                return (f"Waiting for approval: {show(r.amount, r.currency, loc)} is reserved on {account}, not paid "
                        f"out; request #{r.approval} is in a supervisor's approvals inbox.{also_held(r)}")
            if r.state == "pending":  # a withdrawal the fraud screen holds: no cash is paid out yet
                return (f"Do not pay out: the withdrawal of {show(r.amount, r.currency, loc)} from {account} is "
                        f"{HELD_FOR_REVIEW}.")
            return f"{verb} {show(r.amount, r.currency, loc)} ({'to' if deposit else 'from'} {account})."

        self.post(lambda request_id: call(actor, account, minor, code, id=request_id, id_document=document), done)

    def field_for(self, err: Exception) -> str | None:
        field = str(getattr(err, "details", {}).get("field", "") or "")
        if getattr(err, "code", "") == "id_document_required" and field in self.fields:
            self._show_id(True)
            return field
        if getattr(err, "code", "") in ("no_open_drawer", "drawer_state"):
            self.no_drawer = True  # core's refusal (cash_check, before the review): it goes once a drawer opens
            return None
        return super().field_for(err)
