"""The fraud analyst workspace (analysts, supervisors): the live alert queue, cases, charts, suppressions.

Alt+1..4 switch tabs. Changes from any desk reach every open page through one watcher (``ui.fraud.live``)
and reload views at most once per burst. While the page is on screen the desk also renews the leases of
the alerts it holds (every ``RENEW_MS``) and escalates alerts past their SLA (every ``SWEEP_MS``; any
desk may, each alert is escalated once).
"""
from __future__ import annotations

from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from app.services import Services
from app.tasks import Op
from core.security.roles import Actor, Permission
from ui.fraud.account_view import AccountWindow
from ui.fraud.cases_tab import CasesTab
from ui.fraud.charts import ChartsTab
from ui.fraud.live import QueueWatcher
from ui.fraud.queue_tab import QueueTab
from ui.fraud.suppressions_tab import SuppressionsTab
from ui.layout import page_header

RENEW_MS = 5 * 60_000
SWEEP_MS = 60_000


class FraudPage(QWidget):
    def __init__(self, services: Services, actor: Actor) -> None:
        super().__init__()
        self.services, self.actor = services, actor
        self.queue = QueueTab(services, actor)
        self.cases = CasesTab(services, actor)
        self.charts = ChartsTab(services, actor)
        self.suppressions = SuppressionsTab(services, actor)
        self.tabs = QTabWidget()
        for widget, text in ((self.queue, "&1 Queue"), (self.cases, "&2 Cases"), (self.charts, "&3 Charts"),
                             (self.suppressions, "&4 Suppressions")):
            self.tabs.addTab(widget, text)
            self.tabs.setTabToolTip(self.tabs.count() - 1, f"Alt+{self.tabs.count()}")
        self.tabs.currentChanged.connect(lambda _i: self.refresh())
        self.queue.case_opened.connect(self._show_case)
        self.queue.account_requested.connect(self.open_account)
        self.cases.alert_requested.connect(self._show_alert)

        self.watcher = QueueWatcher(services, actor, self)
        self.watcher.changed.connect(self._changed)
        self.renew_timer = QTimer(self, interval=RENEW_MS, timeout=self._renew)
        self.sweep_timer = QTimer(self, interval=SWEEP_MS, timeout=self._sweep)
        root = QVBoxLayout(self)
        root.setContentsMargins(18, 12, 18, 8)
        supervisor = actor.can(Permission.ALERT_SUPERVISE)
        root.addWidget(page_header("Fraud queue", "Payments the fraud screen held for review. Take the next alert, "
                                   "look at the customer, decide: the held funds follow your decision."
                                   + (" Escalated and overdue alerts are shown first." if supervisor else "")))
        root.addWidget(self.tabs, 1)
        self.account_windows: list[AccountWindow] = []

    # -- life cycle -----------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.watcher.start()
        self.renew_timer.start()
        self.sweep_timer.start()
        self._sweep()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt override
        super().hideEvent(event)
        self.watcher.stop()
        self.sweep_timer.stop()  # leases keep renewing: a claimed alert stays yours while you look elsewhere

    @property
    def timer(self) -> QTimer:
        """The poll timer of the live watcher (active while the page is on screen)."""
        return self.watcher.poll_timer

    def refresh(self) -> None:
        """F5: reload the tab on screen."""
        current = self.tabs.currentWidget()
        if current is not None and hasattr(current, "refresh"):
            current.refresh()

    def _changed(self) -> None:
        """Another desk (or this one) changed alerts or cases: reload what is on screen, mark the rest stale."""
        self.charts.mark_stale()
        current = self.tabs.currentWidget()
        if current is self.queue:
            self.queue.refresh()
        elif current is self.cases:
            self.cases.refresh()

    def _renew(self) -> None:
        desk, actor = self.services.fraud, self.actor
        Op(self, lambda _t: desk.renew(actor)).failure(lambda _e: None).run_in_background()

    def _sweep(self) -> None:
        desk, actor = self.services.fraud, self.actor
        Op(self, lambda _t: desk.escalate_overdue(actor)).success(
            lambda ids: ids and self.watcher.notify()).failure(lambda _e: None).run_in_background()

    # -- moving between tabs --------------------------------------------------------------------------------
    def _show_case(self, case_id: int) -> None:
        self.tabs.setCurrentWidget(self.cases)
        self.cases.open_case(case_id)

    def _show_alert(self, alert_id: int) -> None:
        self.tabs.setCurrentWidget(self.queue)
        self.queue.show_alert(alert_id)

    def open_account(self, number: str) -> AccountWindow:
        """The payer's account in the Teller view, read-only."""
        alert = self.queue.current.alert if self.queue.current else None
        window = AccountWindow(self.services, self.actor, number, alert.customer_id if alert else None, self)
        window.finished.connect(lambda _r: self.account_windows.remove(window) if window in self.account_windows else None)
        self.account_windows.append(window)
        window.show()
        return window

    # -- what tests and screenshots look at -----------------------------------------------------------------
    @property
    def model(self):  # noqa: ANN201
        return self.queue.model

    @property
    def table(self):  # noqa: ANN201
        return self.queue.table

    def alerts(self) -> list:
        return self.queue.alerts()
