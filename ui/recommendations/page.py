"""The Recommendations page (supervisors): the loop's cards with their evidence; accept, reject with a
reason, roll back; retrain now (or accept a drift card, which retrains) with progress and cancel.

Every call runs on a worker (``app.tasks.Op``); a retrain is started from the network pool so the desk's
database worker (postings, the queue) never waits for it, trains in a child process (``core.ai.runs``), and
the champion keeps scoring meanwhile.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton, QSplitter, QVBoxLayout, QWidget,
)

from app.services import Services
from app.tasks import Op, Task
from core.ai.store import Rec
from core.errors import QenexError
from core.security.roles import Actor
from ui.columns import Column
from ui.layout import button_row, card, page_header, table_view
from ui.live import LiveRefresh
from ui.recommendations.dialogs import RejectDialog
from ui.send_dialog import Sender
from ui.recommendations.evidence import EvidenceChart
from ui.recommendations.words import KIND, STATUS, details, run_words, state_words
from ui.rows_model import RowsModel
from core.words import counted

FILTERS = (("Open", "open"), ("Decided", "decided"), ("All", "all"))


class RecommendationsPage(QWidget):
    def __init__(self, services: Services, actor: Actor) -> None:
        super().__init__()
        self.services, self.actor = services, actor
        self.desk = services.ai
        self.recs: list[Rec] = []
        self.task: Task | None = None
        self.loads = 0

        self.state_label = QLabel("", objectName="muted", wordWrap=True)
        self.run_label = QLabel("", objectName="muted", wordWrap=True)
        self.retrain_button = QPushButton("Re&train now", objectName="primary")
        self.retrain_button.setToolTip("Train a challenger on every label known so far and refresh the cards")
        self.retrain_button.clicked.connect(self.retrain)
        self.cancel_button = QPushButton("&Cancel retrain")
        self.cancel_button.clicked.connect(self.cancel_retrain)
        self.cancel_button.hide()
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.filter = QComboBox()
        for text, _key in FILTERS:
            self.filter.addItem(text)
        self.filter.currentIndexChanged.connect(lambda _i: self.refresh())
        show_label = QLabel("Sho&w:")
        show_label.setBuddy(self.filter)

        self.model = RowsModel((Column("#", lambda r: str(r.id), True), Column("Kind", lambda r: KIND.get(r.kind, r.kind)),
                                Column("Status", lambda r: STATUS.get(r.status, r.status)),
                                Column("Recommendation", lambda r: r.title)))
        self.table = table_view()
        self.table.setModel(self.model)
        self.table.setColumnWidth(0, 50)
        self.table.setColumnWidth(1, 80)
        self.table.setColumnWidth(2, 90)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._show(cur.row()))

        detail, box = card()
        self.title = QLabel("Select a recommendation to see its evidence.", wordWrap=True)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.figures = QLabel("", wordWrap=True)
        self.figures.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chart = EvidenceChart()
        self.accept_button = QPushButton("&Accept", objectName="primary")
        self.reject_button = QPushButton("Re&ject…")
        self.rollback_button = QPushButton("R&oll back")
        self.accept_button.clicked.connect(self.accept_current)
        self.reject_button.clicked.connect(self.reject_current)
        self.rollback_button.clicked.connect(self.rollback_current)
        self.message = QLabel("", objectName="muted", wordWrap=True)
        box.addWidget(self.title)
        box.addWidget(self.figures)
        box.addWidget(self.chart, 1)
        box.addWidget(button_row(self.accept_button, self.reject_button, self.rollback_button))
        box.addWidget(self.message)

        top = QHBoxLayout()
        top.addWidget(self.retrain_button)
        top.addWidget(self.progress, 1)
        top.addWidget(self.cancel_button)
        top.addStretch(0)
        top.addWidget(show_label)
        top.addWidget(self.filter)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(detail)
        split.setSizes([560, 600])

        root = QVBoxLayout(self)
        root.setContentsMargins(18, 12, 18, 8)
        root.addWidget(page_header("Recommendations", "What the fraud loop proposes from the analysts' decisions, "
                                   "each with its evidence. Accept applies at once; reject needs a reason; every "
                                   "accepted change can be rolled back exactly."))
        root.addLayout(top)
        root.addWidget(self.state_label)
        root.addWidget(self.run_label)
        root.addWidget(split, 1)
        self._show(-1)
        # another desk's run or decision (or this desk's scheduled run) reloads the cards while on screen
        self.live = LiveRefresh(self, services, ("recommendation.*",), lambda _events: self.refresh())

    # -- loading ------------------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh()

    def status_filter(self) -> str:
        return FILTERS[self.filter.currentIndex()][1]

    def refresh(self) -> None:
        desk, actor, status = self.desk, self.actor, self.status_filter()
        Op(self, lambda _t: (desk.recommendations(actor, status), desk.state(actor), desk.last_run(actor))).success(
            self._loaded).run_in_background()

    def _loaded(self, result: tuple) -> None:
        recs, state, run = result
        keep = self.current().id if self.current() else None
        self.recs = recs
        self.model.set_rows(recs)
        self.state_label.setText(state_words(state))
        self.run_label.setText(run_words(run))
        self.loads += 1
        row = next((i for i, r in enumerate(recs) if r.id == keep), 0 if recs else -1)
        if row >= 0:
            self.table.selectRow(row)
        self._show(row)

    def current(self) -> Rec | None:
        row = self.table.currentIndex().row()
        return self.model.row_object(row) if row >= 0 else None

    def _show(self, row: int) -> None:
        rec = self.model.row_object(row) if row >= 0 else None
        self.chart.draw(rec)
        if rec is None:
            self.title.setText("No recommendation selected." if not self.recs else "Select a recommendation.")
            self.figures.setText("Retrain to refresh the cards." if not self.recs else "")
        else:
            self.title.setText(f"#{rec.id} · {rec.title}")
            self.figures.setText("\n".join(details(rec)))
        is_open = rec is not None and rec.status == "open"
        self.accept_button.setEnabled(is_open)
        self.reject_button.setEnabled(is_open)
        self.rollback_button.setEnabled(rec is not None and rec.status == "accepted" and rec.reversible)

    # -- decisions ----------------------------------------------------------------------------------------------
    def ask_confirm(self, text: str) -> bool:
        """Ask before a change applies (tests replace this)."""
        answer = QMessageBox.question(self, "Accept recommendation", text,
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes


    def accept_current(self) -> None:
        rec = self.current()
        if rec is None or rec.status != "open":
            return
        if rec.kind == "drift":
            self._accept_drift(rec)
            return
        effect = ("It changes nothing; it records that you saw it." if not rec.reversible
                  else "It applies at once and can be rolled back.")
        if not self.ask_confirm(f"Accept #{rec.id}: {rec.title}?\n\n{effect}"):
            return
        desk, actor = self.desk, self.actor
        undo = " To undo it, show Decided and roll it back." if rec.reversible else ""
        self._act(lambda _t: desk.accept(actor, rec.id), f"Accepted #{rec.id}.{undo}")

    def _accept_drift(self, rec: Rec) -> None:
        """Accepting a drift card starts a retrain (its remedy), with progress and Cancel like Retrain now."""
        if self.task is not None or not self.ask_confirm(
                f"Accept #{rec.id}: {rec.title}?\n\nIt starts a retrain now: a challenger trained on the latest "
                "labels, and fresh recommendations. The current model keeps scoring payments meanwhile."):
            return
        desk, actor = self.desk, self.actor
        self._start_run(lambda task: desk.run(actor, desk.accept(actor, rec.id, progress=task.step).after["retrain"]),
                        f"Accepted #{rec.id}; ", f"Accepting #{rec.id}: ",
                        f"Retrain cancelled; #{rec.id} stays accepted, nothing else changed.")

    def reject_current(self) -> None:
        rec = self.current()
        if rec is None or rec.status != "open":
            return
        desk, actor = self.desk, self.actor
        self.reject_dialog = RejectDialog(rec.title, self, Sender(
            lambda reason: desk.reject(actor, rec.id, reason), lambda _r: self._acted(f"Rejected #{rec.id}.")))
        self.reject_dialog.open()  # stays open until core accepts: a refusal keeps the reason typed

    def rollback_current(self) -> None:
        rec = self.current()
        if rec is None:
            return
        desk, actor = self.desk, self.actor
        self._act(lambda _t: desk.rollback(actor, rec.id),
                  f"Rolled back #{rec.id}: the model and settings from before it are in force again.")

    def _act(self, work, done: str) -> None:  # noqa: ANN001
        for b in (self.accept_button, self.reject_button, self.rollback_button):
            b.setEnabled(False)
        Op(self, work).success(lambda _r: self._acted(done)).failure(self._failed).run_in_background()

    def _acted(self, text: str) -> None:
        self.message.setText(text)
        self.refresh()

    def _failed(self, err: Exception) -> None:
        self.message.setText(err.message if isinstance(err, QenexError) else f"Failed: {type(err).__name__}: {err}")
        self.refresh()

    # -- retraining -----------------------------------------------------------------------------------------------
    def retrain(self) -> None:
        desk, actor = self.desk, self.actor
        self._start_run(lambda task: desk.retrain(actor, progress=task.step), "", "Retrain failed: ",
                        "Retrain cancelled; nothing changed.")

    def _start_run(self, work, note: str, failed: str, cancelled: str) -> None:  # noqa: ANN001
        """Run ``work(task) -> RunResult`` on the network pool with progress and Cancel; ``note`` prefixes the
        outcome, ``failed`` an error's words; ``cancelled`` is said on a cancel."""
        if self.task is not None:
            return
        self.retrain_button.setEnabled(False)
        for b in (self.accept_button, self.reject_button, self.rollback_button):
            b.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.setFormat("starting…")
        self.progress.show()
        self.cancel_button.show()
        self.message.setText("Retraining in a separate process; the current model keeps scoring payments meanwhile.")
        self.task = (Op(self, work).on_network().progress(self._progressed)
                     .success(lambda result: self._retrained(result, note))
                     .failure(lambda err: self._retrain_over(
                         failed + (err.message if isinstance(err, QenexError) else f"{type(err).__name__}: {err}")))
                     .cancelled(lambda: self._retrain_over(cancelled)).run_in_background())

    def cancel_retrain(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.progress.setFormat("cancelling…")

    def _progressed(self, done: int, total: int, label: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if label:
            self.progress.setFormat(f"{label} (%p%)")

    def _retrain_over(self, text: str) -> None:
        self.task = None
        self.progress.hide()
        self.cancel_button.hide()
        self.retrain_button.setEnabled(True)
        self.message.setText(text)
        self.refresh()

    def _retrained(self, result, note: str = "") -> None:  # noqa: ANN001
        found = len(result.recommendations)
        self._retrain_over(f"{note}Retrain #{result.run_id} finished: {counted(found, 'recommendation')}"
                           + (f"; challenger v{result.challenger} is waiting for your decision." if result.challenger
                              else "; the challenger did not beat the current model."))
