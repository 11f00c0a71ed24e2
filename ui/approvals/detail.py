"""The checker's view of one request: what was asked, by whom and until when, the account now, its recent
activity and the fraud score; filled from ``core.approvals.ApprovalDetail`` (read on the worker)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from core.approvals import ApprovalDetail
from core.ledger.money import format_minor
from ui.approvals.columns import activity_columns, age, state_word
from ui.layout import table_view
from ui.rows_model import RowsModel
from ui.table_fit import keep_whole


class RequestDetail(QWidget):
    def __init__(self, parent: QWidget | None = None, *, fraud_details: bool = True) -> None:
        super().__init__(parent)
        self.fraud_details = fraud_details  # a teller is not shown the fraud screen's view (core leaves it out)
        self.title = QLabel("Select a request to see it, the account and its recent activity", objectName="muted",
                            wordWrap=True)
        self.amount = QLabel("", objectName="bigNumber")
        self.meta = QLabel("", wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fraud = QLabel("", wordWrap=True)
        self.account = QLabel("", wordWrap=True)
        self.activity_label = QLabel("Recent activity", objectName="muted")
        self.activity_model = RowsModel(activity_columns("USD"), self)
        self.activity = table_view()
        self.activity.setModel(self.activity_model)
        self.activity.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # the time and amount whole, the description takes the rest (it was cut to a few letters, QA4 #2)
        self.activity_fit = keep_whole(self.activity, whole=(0, 1), fill=2, hide_empty=False)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        for widget in (self.title, self.amount, self.meta, self.fraud, self.account, self.activity_label):
            box.addWidget(widget)
        box.addWidget(self.activity, 1)
        self.show_detail(None)

    def show_detail(self, detail: ApprovalDetail | None, several: int = 0) -> None:
        shown = detail is not None
        for widget in (self.amount, self.meta, self.fraud, self.account, self.activity_label, self.activity):
            widget.setVisible(shown)
        self.fraud.setVisible(shown and self.fraud_details)
        if detail is None:
            self.title.setObjectName("muted")
            self.title.setText(f"{several} requests selected: approve or reject them together (a result for each)"
                               if several > 1 else "Select a request to see it, the account and its recent activity")
            self.activity_model.set_rows([])
            return
        r = detail.request
        self.title.setText(f"#{r.id} {r.kind_text} — {state_word(r)}")
        self.amount.setText(r.amount_text or (r.account or ""))
        since = age(r.created_at)
        asked = (f"Asked by {r.maker} ({r.maker_role}) at {r.created_at.astimezone():%Y-%m-%d %H:%M}, "
                 + f"{since} ago")
        lines = [r.summary, asked,
                 (f"Expires {r.expires_at.astimezone():%Y-%m-%d %H:%M}"
                  + (" (the held funds are released then)" if r.transfer_id else "")) if r.state == "pending" else ""]
        if r.note:
            lines.append(f"Maker's note: {r.note}")
        if r.checker or r.result:
            lines.append(f"Decided by {r.checker or 'the system'}: {r.decision_note or '—'}; {r.result or ''}")
        self.meta.setText("\n".join(x for x in lines if x))
        if r.kind == "overdraft":
            self.fraud.setText("A credit decision: approving sets this overdraft limit; nothing is paid out now")
        elif r.score is None:
            self.fraud.setText("Fraud score: not screened (the bank's own accounts, or no payment)")
        else:
            reasons = f": {'; '.join(detail.reasons[:3])}" if detail.reasons else ""
            self.fraud.setText(f"Fraud score {r.score:.2f} ({detail.decision or 'screened'}){reasons}")
        if detail.open_alert:
            self.fraud.setText(f"Held for fraud review: alert #{detail.open_alert} is open; approving keeps the money "
                               f"held until an analyst decides it. {self.fraud.text()}")
        a = detail.account
        if a is None:
            self.account.setText("")
            self.activity_model.set_rows([])
            return
        limit = "" if a.overdraft_limit in (None, 0) else f", overdraft {format_minor(a.overdraft_limit, a.currency)}"
        self.account.setText(f"{a.number} {a.name} ({a.status}): {format_minor(a.current, a.currency)} current, "
                             f"{format_minor(a.available, a.currency)} available{limit}")
        self.activity_model.set_rows(detail.activity, activity_columns(a.currency))
