"""Payment orders (outgoing SEPA, ACH and wire transfers): the list, and the rail desk's actions.

Export writes a rail's file of the waiting orders; Settle and Return record what the rail answered.
Each opens a confirmation that says exactly what will post (Enter there confirms, Escape cancels); a
return takes its reason from the rail's standard codes (NACHA for ACH, ISO 20022/SEPA for SEPA, the SWIFT
return reasons for wires) shown with plain words; core refuses another rail's code and a second return. An order whose funds the fraud screen holds says where it is decided (the
fraud queue, searched by the order id). The actions need ``rails.operate`` (supervisors); others see
the list. The list refreshes on ``payment_order.updated`` and F5.
"""
from __future__ import annotations


from PySide6.QtCore import QItemSelection
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from app.services import Services
from app.tasks import Op
from core.errors import QenexError
from core.ledger.money import format_minor
from core.payments import return_codes, rail_files
from core.payments.beneficiary import RAIL_NAMES
from core.payments.orders import OrderView
from core.security.roles import Actor, Permission
from ui.columns import Column
from ui.layout import button_row, table_view
from ui.live import LiveRefresh
from ui.rows_model import RowsModel
from ui.send_dialog import Sender, TextDialog
from ui.teller.confirm import ConfirmDialog
from ui.files import save_file_name
from core.words import counted
from ui.errors import console_words

ORDER_COLUMNS = (
    Column("When", lambda o: o.created_at.astimezone().strftime("%m-%d %H:%M")),
    Column("Rail", lambda o: o.rail.upper()),
    Column("Status", lambda o: o.status),
    Column("Amount", lambda o: format_minor(o.amount, o.currency), align_right=True),
    Column("Fee", lambda o: f"{format_minor(o.fee, o.currency)} {o.fee_status}" if o.fee else "", align_right=True),
    Column("From", lambda o: o.account),
    Column("To", lambda o: o.beneficiary),
    Column("Funds", lambda o: o.funds),
    Column("Order", lambda o: o.id),
)


class OrdersTab(QWidget):
    def __init__(self, services: Services, actor: Actor) -> None:
        super().__init__()
        self.services, self.actor = services, actor
        self.selected: OrderView | None = None
        self.dialog: ConfirmDialog | TextDialog | None = None
        self.status_filter = QComboBox()
        for status in ("", "created", "submitted", "settled", "returned", "canceled"):
            self.status_filter.addItem(status or "all statuses", status)
        self.status_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        show_label = QLabel("Sho&w")
        show_label.setBuddy(self.status_filter)
        self.model = RowsModel(ORDER_COLUMNS, self)
        self.table = table_view()
        self.table.setModel(self.model)
        for column, width in enumerate((86, 46, 78, 92, 150, 96, 240, 170)):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.rail = QComboBox()
        for key in ("sepa", "ach", "wire"):
            self.rail.addItem(RAIL_NAMES[key], key)
        self.export_button = QPushButton("E&xport file…")
        self.settle_button = QPushButton("Se&ttle…")
        self.reason = QComboBox()
        self.reason.setMinimumContentsLength(28)
        reason_label = QLabel("Reason &code")
        reason_label.setBuddy(self.reason)
        self.return_button = QPushButton("Ret&urn…")
        self.cancel_button = QPushButton("Cance&l order…")
        self.cancel_button.setToolTip("Stop an order not yet sent: its money and its fee go back to the customer")
        self.cancel_button.clicked.connect(self.cancel_order)
        self.export_button.clicked.connect(self.export)
        self.settle_button.clicked.connect(self.settle)
        self.return_button.clicked.connect(self.return_order)
        self.note = QLabel("", objectName="formStatus", wordWrap=True)
        may = actor.can(Permission.RAILS_OPERATE)
        for widget in (self.export_button, self.settle_button, self.return_button, self.cancel_button, self.reason,
                       self.rail):
            widget.setEnabled(may)
            if not may:
                widget.setToolTip("A supervisor operates the rails (rails.operate)")
        top = QHBoxLayout()
        top.addWidget(show_label)
        top.addWidget(self.status_filter)
        top.addStretch(1)
        top.addWidget(self.rail)
        top.addWidget(self.export_button)
        actions = QHBoxLayout()
        actions.addWidget(button_row(self.settle_button))
        actions.addWidget(reason_label)
        actions.addWidget(self.reason, 1)
        actions.addWidget(self.return_button)
        actions.addWidget(self.cancel_button)
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 8, 0, 0)
        root.addLayout(top)
        root.addWidget(self.table, 1)
        root.addLayout(actions)
        root.addWidget(self.note)
        self.live = LiveRefresh(self, services, ("payment_order.updated", "bus.resync"), lambda _e: self.refresh())
        self._show(None)
        self.refresh()

    # -- reading --------------------------------------------------------------------------------
    def refresh(self) -> None:
        orders, actor, status = self.services.orders, self.actor, self.status_filter.currentData() or None
        Op(self, lambda _t: orders.list(actor, status=status, limit=500)).success(self._loaded).failure(
            self._failed).run_in_background()

    def _loaded(self, rows: list[OrderView]) -> None:
        keep = self.selected.id if self.selected else None
        self.model.set_rows(rows)
        match = next((i for i, o in enumerate(rows) if o.id == keep), None)
        if match is not None:
            self.table.selectRow(match)
            self._show(rows[match])
        else:
            self._show(None)

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        self._show(self.model.row_object(rows[0].row()) if rows else None)

    def _show(self, order: OrderView | None) -> None:
        self.selected = order
        may = self.actor.can(Permission.RAILS_OPERATE)
        self.settle_button.setEnabled(may and order is not None and order.status == "submitted")
        self.return_button.setEnabled(may and order is not None and order.status in ("submitted", "settled"))
        self.cancel_button.setEnabled(may and order is not None and order.status == "created")
        self.reason.clear()
        if order is not None:
            for code, text in return_codes.choices(order.rail):
                self.reason.addItem(text, code)
            if order.funds == "held for fraud review":
                self._say(f"Order {order.id}: the fraud screen holds its funds; an analyst releases or declines it "
                          f"in the Fraud queue (search {order.id}). It is exported only once released.", ok=False)
            elif order.return_reason:
                verb = "was returned" if order.status == "returned" else "was not sent"
                self._say(f"Order {order.id} {verb}: {order.return_reason}", ok=True)

    # -- actions --------------------------------------------------------------------------------
    def export(self) -> None:
        rail = self.rail.currentData()
        path = save_file_name(self, f"Export the {RAIL_NAMES[rail]} file",
                              f"{rail}-orders.{'xml' if rail == 'sepa' else 'txt' if rail == 'ach' else 'csv'}")
        if path:
            self.confirm_export(rail, path)

    def confirm_export(self, rail: str, path: str) -> ConfirmDialog:
        waiting = [o for o in self.model._rows if o.rail == rail and o.status == "created" and o.funds == "posted"]
        total = {}
        for o in waiting:
            total[o.currency] = total.get(o.currency, 0) + o.amount
        rows = [("Rail", RAIL_NAMES[rail]), ("Orders", f"{len(waiting)} waiting (funds posted)"),
                ("Total", ", ".join(format_minor(v, c) for c, v in total.items()) or "—"), ("File", path)]
        return self._confirm("Export rail file", rows, f"The file is written and these orders become submitted; "
                             "settle or return each when the rail answers.", "&Export",
                             lambda: self._run(lambda o, a: rail_files.export(o, a, rail, path, self.services.rails),
                                               lambda r: f"Wrote {counted(r.orders, 'order')} to {r.path} "
                                                         f"(batch {r.batch_id})"))

    def settle(self) -> ConfirmDialog | None:
        o = self.selected
        if o is None or o.status != "submitted":
            return None
        self._say("", ok=True)  # the last result or refusal is about an earlier step
        rows = [("Order", f"{o.id} ({RAIL_NAMES[o.rail]})"), ("Amount", format_minor(o.amount, o.currency)),
                ("To", o.beneficiary), ("Posts", f"{o.rail.upper()} clearing → nostro (the bank's settlement account)")]
        return self._confirm("Settle order", rows, "The rail confirmed the payment: the order becomes settled.",
                             "&Settle", lambda: self._run(lambda s, a: s.settle(a, o.id), lambda v: f"Settled {v.id}"))

    def return_order(self) -> ConfirmDialog | None:
        o = self.selected
        if o is None or o.status not in ("submitted", "settled"):
            return None
        self._say("", ok=True)  # the last result or refusal is about an earlier step
        code = self.reason.currentData()
        if not code:
            self._say("choose the reason the rail gave", ok=False)
            return None
        source = "nostro" if o.status == "settled" else f"{o.rail.upper()} clearing"
        back = o.amount + o.fee
        rows = [("Order", f"{o.id} ({RAIL_NAMES[o.rail]})"), ("Reason", return_codes.describe(code, o.rail)),
                ("Credited back", f"{format_minor(back, o.currency)} to {o.account}"
                 + (f" (amount {format_minor(o.amount, o.currency)} + fee {format_minor(o.fee, o.currency)})"
                    if o.fee else "")),
                ("Posts", f"{source} → {o.account}")]
        return self._confirm("Return order", rows, "The rail returned the payment: the customer gets the money back.",
                             "&Return", lambda: self._run(lambda s, a: s.return_order(a, o.id, code),
                                                          lambda v: f"Returned {v.id}: {v.return_reason}"))

    def cancel_order(self) -> TextDialog | None:
        """Ask why, then core cancels (the dialog stays open with core's answer until it accepts)."""
        o = self.selected
        if o is None or o.status != "created":
            return None
        self._say("", ok=True)  # the last result or refusal is about an earlier step
        orders, actor = self.services.orders, self.actor
        back = format_minor(o.amount + o.fee, o.currency)
        self.dialog = TextDialog("Cancel order", f"&Why is order {o.id} cancelled? It is not sent; {back} (amount and "
                                 f"fee) goes back to {o.account}.", self.window(), line=True,
                                 placeholder="e.g. the customer called it off", sender=Sender(
                                     lambda reason: orders.cancel(actor, o.id, reason),
                                     lambda v: (self._say(f"Cancelled {v.id}: {v.funds}; fee {v.fee_status or 'none'}",
                                                          ok=True), self.refresh())))
        self.dialog.open()
        return self.dialog

    def _confirm(self, title: str, rows: list[tuple[str, str]], outcome: str, verb: str, then) -> ConfirmDialog:  # noqa: ANN001
        self.dialog = ConfirmDialog(self.window(), title, rows, outcome, then, confirm_text=verb)
        self.dialog.open()
        return self.dialog

    def _run(self, call, words) -> None:  # noqa: ANN001
        orders, actor = self.services.orders, self.actor
        Op(self, lambda _t: call(orders, actor)).success(lambda r: (self._say(words(r), ok=True), self.refresh())) \
            .failure(self._failed).run_in_background()

    def _failed(self, err: Exception) -> None:
        self._say(console_words(err), ok=False)

    def _say(self, text: str, *, ok: bool) -> None:
        self.note.setText(text)
        self.note.setProperty("state", "ok" if ok else "error")
        self.note.style().unpolish(self.note)
        self.note.style().polish(self.note)
