"""The alert queue: filter and sort, take the next alert, claim, release, decide (one or many), reassign,
put alerts in a case, open the payer's account; the selected alert in full below.

Every action runs on the database worker through ``Op``; the table is a lazy model (a million alerts
cost a count and the pages on screen). Keyboard: Alt+N next, Alt+C claim, Alt+R release, Alt+D decide,
Alt+A case, Alt+I reassign, Alt+O account; Ctrl+A then Alt+D decides every selected alert. The detail
below: Alt+P payment, Alt+U customer, Alt+T habits, Alt+K linked, Alt+Y history, Alt+W writes a note.
"""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget,
)

from app.services import Services
from app.tasks import Op
from app.zone import operator_zone, zone_name
from core.cases import claims
from core.cases.detail import AlertDetail
from core.cases.queue import AlertFilter, AlertRow
from core.persistence.base import utcnow
from core.security.roles import Actor, Permission
from ui.errors import notify, show_error, console_words
from ui.fraud.decide import DecideDialog
from ui.fraud.detail import AlertDetailPanel
from ui.fraud.dialogs import BatchResults, CaseChooser, ReassignDialog, result_words, warn_refusals
from ui.fraud.filters import FilterBar
from ui.fraud.queue_model import COLUMNS, AlertQueueModel, shown, size_columns
from ui.layout import share, sort_arrow, table_view
from ui.lazy_model import PAGE_SIZE
from ui.required import note_missing
from ui.send_dialog import Sender, TextDialog
from core.words import counted

DETAIL_DELAY_MS = 120
MIN_ROWS = 6  # the queue always shows this many rows, however much the alert below holds
MAX_BATCH = 500


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


class QueueTab(QWidget):
    """``case_opened(id)``: a case was made or extended from here (the cases tab shows it);
    ``account_requested(number)``: show this account read-only."""

    case_opened = Signal(int)
    account_requested = Signal(str)

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services, self.actor, self.desk = services, actor, services.fraud
        self.filter = AlertFilter(status="supervise" if actor.can(Permission.ALERT_SUPERVISE) else "active")
        self.current: AlertDetail | None = None
        self._wanted: int | None = None  # the alert to show (selected row, or the one Next took)
        self._listed: int | None = None  # the shown alert, while the list's filter picks it

        self.filters = FilterBar()
        self.filters.set_status(self.filter.status)
        self.filters.changed.connect(self.set_filter)
        self.next_button = QPushButton("&Next alert", objectName="primary",
                                       toolTip="Claim the most urgent unclaimed alert")
        self.claim_button = QPushButton("&Claim")
        self.release_button = QPushButton("&Release")
        self.decide_button = QPushButton("&Decide…")
        self.case_button = QPushButton("Add to c&ase…", toolTip="Put the selected alerts in a new or open case")
        self.reassign_button = QPushButton("Reass&ign…")
        self.account_button = QPushButton("Open acc&ount", toolTip="The payer's account, read-only")
        actions = QHBoxLayout()
        for b in (self.next_button, self.claim_button, self.release_button, self.decide_button, self.case_button,
                  self.reassign_button, self.account_button):
            actions.addWidget(b)
        actions.addStretch(1)
        self.next_button.clicked.connect(self.take_next)
        self.claim_button.clicked.connect(self.claim)
        self.release_button.clicked.connect(self.release)
        self.decide_button.clicked.connect(lambda: self.decide())
        self.case_button.clicked.connect(self.add_to_case)
        self.reassign_button.clicked.connect(self.reassign)
        self.account_button.clicked.connect(self._open_account)

        self.model = AlertQueueModel(actor.username, *self._query(), self)
        self.model.failed.connect(lambda err: show_error(self, err))
        self.model.loaded.connect(self._counted)
        self.model.page_loaded.connect(lambda _p: self._reselect())
        self.model.sort_requested.connect(
            lambda key: self.filters.set_sort(key, self.model.reverse) if key else self._show_sort())
        self.table = table_view()
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        sort_arrow(self.table.horizontalHeader(), -1, descending=False)
        self.table.setSortingEnabled(True)  # after the indicator: enabling sorts by it at once (none: priority)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self._show_sort()
        size_columns(self.table)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.setMinimumHeight(MIN_ROWS * self.table.verticalHeader().defaultSectionSize() + 40)
        self.count_label = QLabel("", objectName="muted")

        self.detail = AlertDetailPanel()
        self.detail.note_requested.connect(self._note)
        self.detail.alert_requested.connect(self.show_alert)
        self.detail.raise_requested.connect(self._raise)

        top = QWidget()
        top_box = QVBoxLayout(top)
        top_box.setContentsMargins(0, 0, 0, 0)
        top_box.addWidget(self.filters)
        top_box.addLayout(actions)
        top_box.addWidget(self.table, 1)
        top_box.addWidget(self.count_label)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.detail)
        self.detail.setMinimumHeight(120)  # its tabs scroll: the list is what the analyst scans first
        share(self.splitter, 3, 1)  # the list 3/4 of the height: 9 or more alerts at the default window size
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 6, 0, 0)
        root.addWidget(self.splitter)
        self._detail_timer = QTimer(self, singleShot=True, interval=DETAIL_DELAY_MS, timeout=self._load_detail)
        self.setTabOrder(self.filters.search, self.next_button)
        self.setTabOrder(self.account_button, self.table)
        self.setTabOrder(self.table, self.detail)
        self._update_buttons()
        self.model.reload()

    # -- the queue ------------------------------------------------------------------------------------------
    def _query(self):  # noqa: ANN202
        desk, actor, f = self.desk, self.actor, self.filter
        return (lambda: desk.count(actor, f), lambda offset, limit: shown(desk.alerts(actor, f, offset, limit)))

    def set_filter(self, f: AlertFilter) -> None:
        """Show the alerts ``f`` picks; unless only the order changed, the alert below is put away (it may not be
        among them, and the buttons would act on an alert the list does not show)."""
        if replace(f, sort=self.filter.sort, reverse=self.filter.reverse) != self.filter:
            self._wanted, self._listed, self.current = None, None, None
            self.detail.show_detail(None)
            self._update_buttons()
        self.filter = f
        self._show_sort()
        self.model.reload(*self._query())

    def _show_sort(self) -> None:
        """The header arrow for the order shown (none for priority): on the column clicked if it sorts so, else
        on the first that does; ▼ where its values run from largest down, ▲ where they go up."""
        columns = [i for i, (_c, key, _d) in enumerate(COLUMNS) if key == self.filter.sort]
        column = self.model.clicked if self.model.clicked in columns else columns[0] if columns else -1
        sort_arrow(self.table.horizontalHeader(), column, column >= 0 and COLUMNS[column][2] != self.filter.reverse)

    def refresh(self) -> None:
        """Reload in place (keeps scroll position and selection) and the shown alert."""
        self.model.refresh()
        if self._wanted is not None:
            self._detail_timer.start()

    def _counted(self) -> None:
        n = self.model.rowCount()
        self.count_label.setText(f"{counted(n, 'alert')} · {self.filters.status.currentText()} · times in "
                                 f"{zone_name(operator_zone())} · red rows are past their SLA")

    def alerts(self) -> list[AlertRow | None]:
        return [self.model.row_object(r) for r in range(self.model.rowCount())]

    def selected_alerts(self) -> list[AlertRow]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [a for a in (self.model.row_object(r) for r in rows) if a is not None]

    # -- selection and detail -------------------------------------------------------------------------------
    def _selection_changed(self, _sel: QItemSelection, _desel: QItemSelection) -> None:
        chosen = self.selected_alerts()
        if len(chosen) == 1:
            self.show_alert(chosen[0].id)
        self._update_buttons()

    def show_alert(self, alert_id: int) -> None:
        """Show ``alert_id`` in the detail panel (loaded on the worker)."""
        self._wanted = alert_id
        self._detail_timer.start()

    def _load_detail(self) -> None:
        """Load the wanted alert's detail, and whether the list's filter still picks it (both on the worker)."""
        wanted = self._wanted
        if wanted is None:
            return
        desk, actor, zone, f = self.desk, self.actor, operator_zone(), self.filter
        listed = replace(f, ids=(wanted,)) if not f.ids or wanted in f.ids else None

        def work(_t):  # noqa: ANN001, ANN202
            return desk.detail(actor, wanted, zone), listed is not None and desk.count(actor, listed) > 0

        Op(self, work).success(lambda got: self._detail_loaded(wanted, *got)).failure(
            self._detail_failed).run_in_background()

    def _detail_loaded(self, alert_id: int, detail: AlertDetail, listed: bool = True) -> None:
        if alert_id != self._wanted:
            return  # the analyst moved on meanwhile
        if not listed and self._listed == alert_id:  # decided (here or at another desk): it left this list
            self._wanted, self._listed, self.current = None, None, None
            self.detail.show_detail(None, f"Alert #{alert_id} left this list ({self._left_words(detail)}). Select "
                                          "another alert, or take the next one (Alt+N).")
            self._update_buttons()
            return
        self._listed = alert_id if listed else None  # an alert opened from a link may not be in the list
        self.current = detail
        self.detail.show_detail(detail)
        self._update_buttons()

    @staticmethod
    def _left_words(detail: AlertDetail) -> str:
        a = detail.alert
        if a.status == "closed":
            who = f" by {a.closed_by}" if a.closed_by else ""
            outcome = {"TRUE_POSITIVE": "confirmed fraud", "FALSE_POSITIVE": "false positive"}.get(
                a.outcome or "", (a.outcome or a.resolution or "closed").replace("_", " ").lower())
            return f"closed{who}: {outcome}"
        return a.state(utcnow()) + (f", with {a.assignee}" if a.assignee else "")

    def _detail_failed(self, err: Exception) -> None:
        self.current = None
        self.detail.show_detail(None)
        self._update_buttons()
        show_error(self, err)

    def _reselect(self) -> None:
        """After a reload the rows may have moved: keep the shown alert's row selected if it is on a loaded page,
        and never leave another alert's row selected under its detail (a multi-selection stays as made)."""
        if self._wanted is None:
            return
        selection = self.table.selectionModel()
        rows = selection.selectedRows()
        if len(rows) > 1:
            return
        current = self.model.row_object(rows[0].row()) if rows else None
        if current is not None and current.id == self._wanted:
            return
        found = next((row for page in self.model.cached_pages()
                      for row in range(page * PAGE_SIZE, min((page + 1) * PAGE_SIZE, self.model.rowCount()))
                      if getattr(self.model.row_object(row), "id", None) == self._wanted), None)
        selection.blockSignals(True)
        if found is not None:
            self.table.selectRow(found)
        elif rows:
            self.table.clearSelection()
        selection.blockSignals(False)
        self.table.viewport().update()

    def _update_buttons(self) -> None:
        """Claim and Decide are off (their tooltip says why, in core's words: ``claims.refusal``) when core would
        refuse them: an alert escalated to the supervisors for an analyst, one someone else holds, a closed one."""
        a = self.current.alert if self.current else None
        chosen = self.selected_alerts()
        can = self.actor.can(Permission.ALERT_DISPOSITION)
        mine = a is not None and a.assignee == self.actor.username
        refused = claims.refusal(self.actor, a, utcnow()) if a is not None else None
        why = _sentence(console_words(refused)) if refused is not None else ""
        workable = a is not None and refused is None
        self.next_button.setEnabled(can)
        self.claim_button.setEnabled(can and workable and not mine)
        self.claim_button.setToolTip(why or ("This alert is already yours" if mine else "Take this alert (Alt+C)"))
        self.release_button.setEnabled(can and mine)
        many = len(chosen) > 1
        self.decide_button.setEnabled(can and (many or workable))
        self.decide_button.setToolTip("Decide each selected alert (each is checked on its own)" if many
                                      else why or "Decide this alert (Alt+D)")
        self.case_button.setEnabled(can and (many or a is not None))
        self.reassign_button.setEnabled(can and a is not None and a.status != "closed"
                                        and (mine or self.actor.can(Permission.ALERT_REASSIGN)))
        self.account_button.setEnabled(a is not None and bool(a.account))
        self.decide_button.setText(f"&Decide {len(chosen)}…" if many else "&Decide…")

    # -- actions --------------------------------------------------------------------------------------------
    def _after(self, alert: AlertRow | None = None, message: str | None = None) -> None:
        if alert is not None:
            self.show_alert(alert.id)
        self.refresh()
        window = self.window()
        if message and hasattr(window, "statusBar"):
            window.statusBar().showMessage(message, 8000)

    def take_next(self) -> None:
        desk, actor = self.desk, self.actor
        Op(self, lambda _t: desk.next(actor)).success(
            lambda row: self._after(row, f"Alert #{row.id} is yours")).failure(
            lambda err: notify(self, "Queue empty", console_words(err)) if getattr(err, "code", "") == "queue_empty"
            else show_error(self, err)).run_in_background()

    def claim(self) -> None:
        if self.current is None:
            return
        alert_id, desk, actor = self.current.alert.id, self.desk, self.actor
        Op(self, lambda _t: desk.claim(actor, alert_id)).success(
            lambda row: self._after(row, f"Alert #{row.id} claimed")).run_in_background()

    def release(self) -> None:
        if self.current is None:
            return
        alert_id, desk, actor = self.current.alert.id, self.desk, self.actor
        Op(self, lambda _t: desk.release(actor, alert_id)).success(
            lambda row: self._after(row, f"Alert #{row.id} is back in the queue")).run_in_background()

    def decide(self, outcome: str | None = None) -> DecideDialog | None:
        chosen = self.selected_alerts()
        if len(chosen) <= 1:
            chosen = [self.current.alert] if self.current is not None else []
        chosen = [a for a in chosen if a.status != "closed"][:MAX_BATCH]
        if not chosen:
            notify(self, "Nothing to decide", "The selected alerts are already closed.")
            return None
        dialog = DecideDialog(chosen, self, outcome, self._decision_sender([a.id for a in chosen]))
        warn_refusals(dialog, self.actor, chosen)  # said before the decision, not only after it (QA4 #11)
        dialog.open()
        return dialog

    def _decision_sender(self, ids: list[int]) -> Sender:
        """Core decides on a worker; the dialog closes only once it accepted (ui.send_dialog)."""
        desk, actor = self.desk, self.actor
        if len(ids) == 1:
            return Sender(lambda decision: desk.dispose(actor, ids[0], decision),
                          lambda r: self._after(None, f"Alert #{r.alert_id}: {result_words(r)}"))
        return Sender(lambda decision: desk.dispose_many(actor, ids, decision),
                      lambda results: self._batch_done(ids, results))

    def _send_decision(self, ids: list[int], decision) -> None:  # noqa: ANN001
        """Send a decision made without the dialog (a refusal opens the error dialog)."""
        sender = self._decision_sender(ids)
        Op(self, lambda _t: sender.send(decision)).success(sender.done).run_in_background()

    def _batch_done(self, ids: list[int], results: list) -> None:
        self.refresh()
        dialog = BatchResults(ids, results, self)
        dialog.open()
        self.last_batch = dialog

    def reassign(self) -> None:
        if self.current is None:
            return
        alert = self.current.alert
        desk, actor = self.desk, self.actor
        Op(self, lambda _t: desk.assignees(actor)).success(
            lambda people: self._reassign_to(alert, people)).run_in_background()

    def _reassign_to(self, alert: AlertRow, people: list[tuple[str, str]]) -> None:
        desk, actor = self.desk, self.actor
        dialog = ReassignDialog(alert, [p for p in people if p[0] != alert.assignee], self, Sender(
            lambda to, note: desk.reassign(actor, alert.id, to, note),
            lambda row: self._after(row, f"Alert #{row.id} is now with {row.assignee}")))
        dialog.open()
        self.last_dialog = dialog

    def add_to_case(self) -> None:
        chosen = self.selected_alerts() or ([self.current.alert] if self.current else [])
        if not chosen:
            return
        ids = [a.id for a in chosen]
        desk, actor = self.desk, self.actor
        Op(self, lambda _t: desk.cases.list(actor, "active", None, 0, 200)).success(
            lambda cases: self._choose_case(ids, cases)).run_in_background()

    def _choose_case(self, ids: list[int], cases: list) -> None:
        desk, actor = self.desk, self.actor

        def work(case_id: int | None, title: str):  # noqa: ANN202
            return desk.cases.add_alerts(actor, case_id, ids) if case_id else desk.cases.open(actor, title, ids)

        dialog = CaseChooser(ids, cases, self, Sender(
            work, lambda case: (self.refresh(), self.case_opened.emit(case.id))))
        dialog.open()
        self.last_dialog = dialog

    def _note(self, text: str) -> None:
        if self.current is None:
            return
        alert_id, desk, actor = self.current.alert.id, self.desk, self.actor
        Op(self, lambda _t: desk.note(actor, alert_id, text)).success(
            lambda _r: (self.detail.note_saved(), self.show_alert(alert_id))).run_in_background()

    def _raise(self, transfer_id: str) -> TextDialog:
        desk, actor = self.desk, self.actor
        dialog = TextDialog("Raise an alert", f"&Why should transfer {transfer_id} be looked at?", self, sender=Sender(
            lambda note: desk.raise_manual(actor, transfer_id, note),
            lambda row: self._after(row, f"Alert #{row.id} raised on {transfer_id}")),
            placeholder="What you noticed (required)", rule=lambda t: note_missing(t, "raising an alert by hand"))
        dialog.open()
        self.last_dialog = dialog
        return dialog

    def _open_account(self) -> None:
        if self.current is not None and self.current.alert.account:
            self.account_requested.emit(self.current.alert.account)

