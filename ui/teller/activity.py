"""The activity tab: the customer's recent transfers across their accounts, and their open fraud alerts
(payments held for review; scores and reasons only for roles that may see fraud details)."""
from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QLabel, QVBoxLayout, QWidget

from core.teller.overview import CustomerOverview
from ui.columns import Column
from ui.layout import table_view
from ui.rows_model import RowsModel
from ui.teller.amounts import show

HELD, REVIEWING = "held for review", "funds held, analyst reviewing"


class ActivityPanel(QWidget):
    """``fraud_details``: the viewer sees the fraud screen's reasons (``alert.view``); without it core leaves them
    out, so the alerts list has no "Why" column at all (an empty column read as "no reason")."""

    def __init__(self, locale: str, fraud_details: bool = True) -> None:
        super().__init__()
        loc = locale
        self.recent_model = RowsModel((
            Column("When", lambda r: r.at.astimezone().strftime("%Y-%m-%d %H:%M")),
            Column("Account", lambda r: r.account),
            Column("Description", lambda r: r.description),
            Column("Amount", lambda r: show(r.amount, r.currency, loc), align_right=True),
            Column("State", lambda r: HELD if r.state == "pending" else r.state),
        ), self)
        alert_columns = (
            Column("When", lambda a: a.at.astimezone().strftime("%Y-%m-%d %H:%M")),
            Column("Account", lambda a: a.account),
            Column("Amount", lambda a: show(a.amount, a.currency, loc), align_right=True),
            Column("Status", lambda a: REVIEWING if a.transfer_state == "pending" else a.transfer_state),
            Column("Why", lambda a: "; ".join(a.reasons) if a.reasons else "—"),
        )
        self.alerts_model = RowsModel(alert_columns if fraud_details else alert_columns[:-1], self)
        self.recent = table_view()
        self.recent.setModel(self.recent_model)
        self.alerts = table_view()
        self.alerts.setModel(self.alerts_model)
        fits = self.recent.fontMetrics()  # the state words are known: their columns show them whole
        state = max(90, fits.horizontalAdvance(HELD) + 24)
        status = max(190, fits.horizontalAdvance(REVIEWING) + 24)
        alert_widths = (124, 92, 100, status, 0) if fraud_details else (124, 92, 100, 0)  # the last one stretches
        for view, widths, stretch in ((self.recent, (124, 92, 0, 100, state), 2), (self.alerts, alert_widths,
                                                                                    len(alert_widths) - 1)):
            for column, width in enumerate(widths):
                if width:
                    view.setColumnWidth(column, width)
            view.horizontalHeader().setStretchLastSection(False)
            view.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        self.recent_title = QLabel("Recent transfers", objectName="muted")
        self.alerts_title = QLabel("Open fraud alerts", objectName="muted")
        root = QVBoxLayout(self)
        root.setContentsMargins(6, 6, 6, 6)
        root.addWidget(self.recent_title)
        root.addWidget(self.recent, 3)
        root.addWidget(self.alerts_title)
        root.addWidget(self.alerts, 1)

    def show_customer(self, overview: CustomerOverview | None) -> None:
        recent = overview.recent if overview else []
        alerts = overview.alerts if overview else []
        self.recent_model.set_rows(recent)
        self.alerts_model.set_rows(alerts)
        self.recent_title.setText(f"Recent transfers across the customer's accounts ({len(recent)})")
        self.alerts_title.setText(f"Open fraud alerts ({len(alerts)})" if alerts else "Open fraud alerts: none")
