"""The fraud queue (analyst, supervisor): open alerts newest first, and why the selected one was held.

Read-only. Refreshes on F5 and every 30 seconds while the page is on screen; a refresh keeps the
selected alert selected (found again by its transfer id) as long as it is still open and loaded.
"""
from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.services import Services
from core.cases.queue import AlertFilter
from core.cases.queue import AlertRow as AlertView
from core.ledger.money import format_minor
from core.security.roles import Actor
from ui.columns import Column
from ui.errors import show_error
from ui.layout import card, page_header, table_view
from ui.lazy_model import PAGE_SIZE, LazyTableModel

REFRESH_MS = 30_000
NO_TRANSFER = "—"


def _amount(alert: AlertView) -> str:
    if alert.amount is None or alert.currency is None:
        return NO_TRANSFER
    return format_minor(alert.amount, alert.currency)


def _when(alert: AlertView) -> str:
    return alert.created_at.astimezone().strftime("%Y-%m-%d %H:%M")


ALERT_COLUMNS = (
    Column("Score", lambda a: f"{a.score:.2f}", align_right=True),
    Column("When", _when),
    Column("Amount", _amount, align_right=True),
    Column("From", lambda a: a.account or NO_TRANSFER),
    Column("To", lambda a: a.beneficiary or NO_TRANSFER),
    Column("Channel", lambda a: a.channel or NO_TRANSFER),
    Column("Counterparty", lambda a: a.counterparty or ""),
)


class FraudQueuePage(QWidget):
    def __init__(self, services: Services, actor: Actor) -> None:
        super().__init__()
        self.services, self.actor = services, actor
        self.selected: AlertView | None = None
        self._shown_before = False

        self.model = LazyTableModel(ALERT_COLUMNS, *self._query(), self)
        self.model.failed.connect(self._failed)
        self.model.loaded.connect(self._counted)
        self.model.page_loaded.connect(lambda _page: self._reselect())
        self.model.modelReset.connect(self._reselect)
        self.table = table_view()
        self.table.setModel(self.model)
        for column, width in enumerate((54, 130, 96, 98, 98, 76)):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.count_label = QLabel("", objectName="muted")

        self.detail_card, box = card()
        self.detail_card.setFixedWidth(330)
        self.title_label = QLabel("Select an alert to see why the payment was held", objectName="muted",
                                  wordWrap=True)
        self.amount_label = QLabel("", objectName="bigNumber")
        self.route_label = QLabel("", wordWrap=True)
        self.meta_label = QLabel("", objectName="muted", wordWrap=True)
        self.reasons_title = QLabel("Why it was held", objectName="muted")
        self.reasons_label = QLabel("", wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        self.reasons_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reasons_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        for widget in (self.title_label, self.amount_label, self.route_label, self.meta_label):
            box.addWidget(widget)
        box.addSpacing(8)
        box.addWidget(self.reasons_title)
        box.addWidget(self.reasons_label)
        box.addStretch(1)
        self._show_detail(None)

        left = QVBoxLayout()
        left.addWidget(self.table, 1)
        left.addWidget(self.count_label)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addWidget(self.detail_card)
        root = QVBoxLayout(self)
        root.setContentsMargins(18, 14, 18, 10)
        root.addWidget(page_header("Fraud queue", "Payments the fraud screen held for review, newest first. "
                                                  "The funds stay on hold until the transfer is resolved."))
        root.addLayout(body, 1)

        self.timer = QTimer(self, interval=REFRESH_MS, timeout=self.refresh)
        self.model.reload()

    def _query(self):  # noqa: ANN202
        desk, actor, newest = self.services.fraud, self.actor, AlertFilter(sort="newest")
        return (lambda: desk.count(actor, newest),
                lambda offset, limit: desk.alerts(actor, newest, offset, limit))

    # -- refresh --------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the queue in place (F5, and every 30 s while visible)."""
        if self.isVisible() and not self.timer.isActive():
            self.timer.start()  # resumes after a failure stopped it
        self.model.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._shown_before:
            self.refresh()
        self._shown_before = True
        self.timer.start()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt override
        super().hideEvent(event)
        self.timer.stop()

    def _failed(self, err: Exception) -> None:
        self.timer.stop()  # one dialog, not one every 30 s; F5 tries again
        show_error(self, err)

    def _counted(self) -> None:
        n = self.model.rowCount()
        self.count_label.setText("No open alerts" if n == 0 else f"{n:,} open alert{'' if n == 1 else 's'}")

    # -- selection and detail -------------------------------------------------------------------
    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = selected.indexes()
        alert = self.model.row_object(rows[0].row()) if rows else None
        if alert is not None:
            self._show_detail(alert)

    def _reselect(self) -> None:
        """After a refresh, show the selected alert's fresh row, or clear the pane once it left the queue."""
        if self.selected is None:
            return
        wanted = self.selected.transfer_id
        rows = self.table.selectionModel().selectedRows()
        current = self.model.row_object(rows[0].row()) if rows else None
        if current is not None and current.transfer_id == wanted:
            self._show_detail(current)
            return
        for page in self.model.cached_pages():
            for row in range(page * PAGE_SIZE, min((page + 1) * PAGE_SIZE, self.model.rowCount())):
                alert = self.model.row_object(row)
                if alert is not None and alert.transfer_id == wanted:
                    self.table.selectRow(row)
                    return
        if current is not None or self.model.cached_pages():
            self.table.clearSelection()
            self._show_detail(None)

    def _show_detail(self, alert: AlertView | None) -> None:
        self.selected = alert
        for widget in (self.amount_label, self.route_label, self.meta_label, self.reasons_title,
                       self.reasons_label):
            widget.setVisible(alert is not None)
        if alert is None:
            self.title_label.setText("Select an alert to see why the payment was held")
            return
        self.title_label.setText(f"Transfer {alert.transfer_id}")
        self.amount_label.setText(_amount(alert))
        if alert.account is None:
            self.route_label.setText("No ledger transfer has this id")
        else:
            via = f"Counterparty {alert.counterparty} · {alert.channel}" if alert.counterparty else alert.channel
            self.route_label.setText(f"From {alert.account} to {alert.beneficiary}\n{via}")
        state = f" · {alert.status}"
        self.meta_label.setText(f"Score {alert.score:.2f} · held {alert.created_at.astimezone():%Y-%m-%d %H:%M:%S}"
                                f"{state}")
        self.reasons_label.setText("\n".join(f"• {reason}" for reason in alert.reasons) or "(no reason recorded)")

    def alerts(self) -> list[AlertView | None]:
        """The rows as loaded so far (None for rows whose page has not arrived)."""
        return [self.model.row_object(r) for r in range(self.model.rowCount())]
