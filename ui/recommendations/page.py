"""The Recommendations page (supervisors): the loop's cards with their evidence; accept, reject with a
reason, roll back; retrain now (or accept a drift card, which retrains) with progress and cancel.

Every call runs on a worker (``app.tasks.Op``); a retrain is started from the network pool so the desk's
database worker (postings, the queue) never waits for it, trains in a child process (``core.ai.runs``), and
the champion keeps scoring meanwhile.

A run started elsewhere (the schedule, the command line, another desk) shows as running with Retrain now
disabled; the cards reload on the loop's live events (``recommendation.*``) and, where live updates
cannot reach this desk (SQLite: ``local`` transport), on a cheap check every POLL_MS. A decided card stays
selected (and listed) after the decision; messages under a card are cleared when another is selected.
"""
from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton, QSplitter, QVBoxLayout, QWidget,
)

from app.services import Services
from app.tasks import Op, Task
from core.ai.runs import RunInProgress
from core.ai.store import Rec
from core.errors import QenexError
from core.security.roles import Actor
from ui.columns import Column
from ui.layout import button_row, card, page_header, share, table_view
from ui.live import LiveRefresh
from ui.recommendations.dialogs import RejectDialog
from ui.send_dialog import Sender
from ui.recommendations.evidence import EvidenceChart
from ui.recommendations.words import GLOSSARY, KIND, STATUS, details, restores, run_words, started, state_words
from ui.rows_model import RowsModel
from core.words import counted, duration
from ui.errors import console_words

FILTERS = (("Open", "open"), ("Decided", "decided"), ("All", "all"))
POLL_MS = 5000


def _words(err: Exception) -> str:
    """An error in words, starting with a capital letter (core's command-line texts may not)."""
    text = str(console_words(err)) if isinstance(err, QenexError) else f"{type(err).__name__}: {err}"
    return text[:1].upper() + text[1:]


class RecommendationsPage(QWidget):
    def __init__(self, services: Services, actor: Actor) -> None:
        super().__init__()
        self.services, self.actor = services, actor
        self.desk = services.ai
        self.recs: list[Rec] = []
        self.task: Task | None = None
        self.loads = 0
        self.pinned: int | None = None  # a card just decided: kept listed and selected
        self.reloading = False
        self.shown_id: int | None = None
        self.fingerprint: tuple | None = None
        self.step_started = (0.0, "")
        self.running_id: int | None = None  # the run in progress (this page's or another's), named once: by the bar

        self.state_label = QLabel("", objectName="muted", wordWrap=True)
        self.run_label = QLabel("", objectName="muted", wordWrap=True)
        self.retrain_button = QPushButton("Re&train now", objectName="primary")
        self.retrain_button.setToolTip("Train a challenger on every label known so far and refresh the cards")
        self.retrain_button.clicked.connect(self.retrain)
        self.cancel_button = QPushButton("&Cancel retrain")
        self.cancel_button.clicked.connect(self.cancel_retrain)
        self.cancel_button.hide()
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)  # the step is said beside it, in the page's own colours
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.step = QLabel("", wordWrap=True)
        self.step.hide()
        self.run_message = QLabel("", objectName="muted", wordWrap=True)
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
        self.hint = QLabel("", objectName="pageHint", wordWrap=True, alignment=Qt.AlignmentFlag.AlignCenter)
        self.accept_button = QPushButton("&Accept", objectName="primary")
        self.reject_button = QPushButton("&Reject…")
        self.rollback_button = QPushButton("R&oll back")
        self.accept_button.clicked.connect(self.accept_current)
        self.reject_button.clicked.connect(self.reject_current)
        self.rollback_button.clicked.connect(self.rollback_current)
        self.message = QLabel("", objectName="muted", wordWrap=True)
        box.addWidget(self.title)
        box.addWidget(self.figures)
        box.addWidget(self.chart, 1)
        box.addWidget(self.hint, 1)
        box.addWidget(button_row(self.accept_button, self.reject_button, self.rollback_button))
        box.addWidget(self.message)

        top = QHBoxLayout()
        top.addWidget(self.retrain_button)
        top.addWidget(self.progress)
        top.addWidget(self.step, 1)
        top.addWidget(self.cancel_button)
        top.addStretch(0)
        top.addWidget(show_label)
        top.addWidget(self.filter)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(detail)
        share(split, 14, 15)  # the cards beside the one shown, at any window size

        root = QVBoxLayout(self)
        root.setContentsMargins(18, 12, 18, 8)
        root.addWidget(page_header("Recommendations", "What the fraud loop proposes from the analysts' decisions, "
                                   "each with its evidence. Accept applies at once; reject needs a reason; every "
                                   "accepted change can be rolled back exactly."))
        root.addLayout(top)
        root.addWidget(self.state_label)
        root.addWidget(self.run_label)
        root.addWidget(self.run_message)
        root.addWidget(split, 1)
        self._show(-1)
        # another desk's run or decision (or this desk's scheduled run) reloads the cards while on screen
        self.live = LiveRefresh(self, services, ("recommendation.*",), lambda _events: self.refresh())
        self.poll = QTimer(self, interval=POLL_MS, timeout=self._poll)
        if getattr(services.events, "transport", "") == "local":  # other processes' changes reach no bus here
            self.poll.start()

    # -- loading ------------------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh()

    def status_filter(self) -> str:
        return FILTERS[self.filter.currentIndex()][1]

    def refresh(self) -> None:
        desk, actor, status, pinned = self.desk, self.actor, self.status_filter(), self.pinned

        def load(_t):  # noqa: ANN001, ANN202
            recs = desk.recommendations(actor, status)
            if pinned is not None and all(r.id != pinned for r in recs):
                recs = sorted([*recs, desk.get(actor, pinned)], key=lambda r: -r.id)
            return recs, desk.state(actor), desk.last_run(actor), desk.changes(actor), pinned
        Op(self, load).success(self._loaded).run_in_background()

    def _poll(self) -> None:
        """Reload when the cards, runs or versions changed (another process's work, on SQLite)."""
        if not self.isVisible():
            return
        desk, actor = self.desk, self.actor
        Op(self, lambda _t: desk.changes(actor)).success(
            lambda seen: self.refresh() if seen != self.fingerprint else None).run_in_background()

    def _loaded(self, result: tuple) -> None:
        recs, state, run, self.fingerprint, pinned = result
        if self.pinned is not None and self.pinned != pinned and all(r.id != self.pinned for r in recs):
            self.refresh()  # a load started before the decision: the decided card is not in it yet
            return
        keep = self.pinned or (self.current().id if self.current() else None)
        self.recs = recs
        self.reloading = True  # the model's reset moves the current row: not the person choosing another card
        try:
            self.model.set_rows(recs)
            row = next((i for i, r in enumerate(recs) if r.id == keep), 0 if recs else -1)
            if row >= 0:
                self.table.selectRow(row)
        finally:
            self.reloading = False
        self.state_label.setText(state_words(state))
        running = run is not None and run["status"] == "running"
        self.running_id = run["id"] if running else None
        # A running run is named beside its progress bar, not as "Last retrain" (that comes back when it ends)
        self.run_label.setText("" if running else run_words(run))
        self.run_label.setVisible(not running)
        self._other_run(run)
        self.loads += 1
        self._show(row, chosen=False)

    def _other_run(self, run: dict | None) -> None:
        """A run this page did not start (the schedule, the command line, another desk): shown as running,
        Retrain now disabled until it ends (its end is a live event, or the poll, that reloads)."""
        if self.task is not None:
            return
        running = run is not None and run["status"] == "running"
        self.retrain_button.setEnabled(not running)
        self.retrain_button.setToolTip(f"A retrain is already running (#{run['id']}, {started(run)})" if running else
                                       "Train a new model on every label known so far and refresh the cards")
        self.progress.setVisible(running)
        self.step.setVisible(running)
        if running:
            self.progress.setRange(0, 0)
            self.step.setText(f"Retrain #{run['id']} is running ({started(run)}); the cards refresh when it ends.")

    def _empty_words(self) -> str:
        """The empty detail pane, as things are: a run under way, a filter that hides cards, or nothing yet."""
        if self.task is not None or self.running_id is not None:
            return "A retrain is running; its recommendations appear here when it finishes."
        if self.status_filter() != "open":
            return "No recommendations under this filter; choose another in Show."
        return "No open recommendations. Retrain now to look for some (the schedule also retrains by itself)."

    def current(self) -> Rec | None:
        row = self.table.currentIndex().row()
        return self.model.row_object(row) if row >= 0 else None

    def _show(self, row: int, chosen: bool = True) -> None:
        """Show the card at ``row``; ``chosen``: the person selected it (another card than a just-decided one
        unpins that one), not a reload keeping the selection."""
        if self.reloading:
            return  # _loaded shows the kept card once the rows are in
        rec = self.model.row_object(row) if row >= 0 else None
        if (rec.id if rec else None) != self.shown_id:  # another card: the last one's messages go
            if chosen or rec is None or rec.id != self.pinned:
                self.message.clear()
            if chosen and self.pinned is not None and (rec is None or rec.id != self.pinned):
                self.pinned = None  # a decided card leaves a filter it no longer fits now, accepted or rejected alike
                QTimer.singleShot(0, self.refresh)  # QA4 #3: a rejected card stayed until some later reload
        self.shown_id = rec.id if rec else None
        drawn = self.chart.draw(rec)
        self.chart.setVisible(drawn)
        self.hint.setVisible(not drawn)
        if rec is None:
            self.title.setText("No recommendation selected." if not self.recs else "Select a recommendation.")
            self.figures.setText("")
            self.hint.setText(self._empty_words() if not self.recs else
                              "Select a recommendation in the list to see its evidence here.")
            self.figures.setToolTip("")
        else:
            self.title.setText(f"#{rec.id} · {rec.title} ({STATUS.get(rec.status, rec.status)})")
            self.figures.setText("\n".join(details(rec)))
            self.figures.setToolTip(GLOSSARY.get("threshold" if "shadow" in rec.evidence else rec.kind, ""))
            self.hint.setText("")
        is_open = rec is not None and rec.status == "open"
        self.accept_button.setText("&Accept and retrain" if rec is not None and rec.kind == "drift" else "&Accept")
        self.accept_button.setEnabled(is_open and not rec.stale and self.task is None)
        self.accept_button.setToolTip(rec.stale if rec is not None and rec.stale else "")
        self.reject_button.setEnabled(is_open)
        self.rollback_button.setEnabled(rec is not None and rec.status == "accepted" and rec.reversible)

    # -- decisions ----------------------------------------------------------------------------------------------
    def ask_confirm(self, text: str) -> bool:
        """Ask before a change applies (tests replace this)."""
        return self._question("Accept recommendation", text)

    def ask_rollback(self, text: str) -> bool:
        """Ask before a rollback (tests replace this)."""
        return self._question("Roll back recommendation", text)

    def _question(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def accept_current(self) -> None:
        rec = self.current()
        if rec is None or rec.status != "open" or rec.stale:
            return
        if rec.kind == "drift":
            self._accept_drift(rec)
            return
        effect = ("It changes nothing; it records that you saw it." if not rec.reversible
                  else "It applies at once and can be rolled back.")
        if not self.ask_confirm(f"Accept #{rec.id}: {rec.title}?\n\n{effect}"):
            return
        desk, actor = self.desk, self.actor
        undo = " Roll back undoes it (here now, or later under Show: Decided)." if rec.reversible else ""
        self._act(rec, lambda _t: desk.accept(actor, rec.id), f"Accepted #{rec.id}.{undo}")

    def _accept_drift(self, rec: Rec) -> None:
        """Accepting a drift card starts a retrain (its remedy), with progress and Cancel like Retrain now."""
        if self.task is not None or not self.ask_confirm(
                f"Accept #{rec.id}: {rec.title}?\n\nIt starts a retrain now: a challenger trained on the latest "
                "labels, and fresh recommendations. The current model keeps scoring payments meanwhile."):
            return
        desk, actor = self.desk, self.actor
        self.pinned = rec.id
        self._start_run(lambda task: desk.run(actor, desk.accept(actor, rec.id, progress=task.step).after["retrain"]),
                        f"Accepted #{rec.id}; ", f"Accepting #{rec.id} failed: ",
                        f"Retrain cancelled; #{rec.id} stays accepted, nothing else changed.")

    def reject_current(self) -> None:
        rec = self.current()
        if rec is None or rec.status != "open":
            return
        desk, actor = self.desk, self.actor
        self.reject_dialog = RejectDialog(rec.title, self, Sender(
            lambda reason: desk.reject(actor, rec.id, reason), lambda _r: self._acted(rec, f"Rejected #{rec.id}.")))
        self.reject_dialog.open()  # stays open until core accepts: a refusal keeps the reason typed

    def rollback_current(self) -> None:
        rec = self.current()
        if rec is None or rec.status != "accepted" or not rec.reversible:
            return
        what = restores(rec)
        if not self.ask_rollback(f"Roll back #{rec.id}: {rec.title}?\n\nIt undoes this change at once: {what}."):
            return
        desk, actor = self.desk, self.actor
        self._act(rec, lambda _t: desk.rollback(actor, rec.id), f"Rolled back #{rec.id}: {what}.")

    def _act(self, rec: Rec, work, done: str) -> None:  # noqa: ANN001
        for b in (self.accept_button, self.reject_button, self.rollback_button):
            b.setEnabled(False)
        Op(self, work).success(lambda _r: self._acted(rec, done)).failure(self._failed).run_in_background()

    def _acted(self, rec: Rec, text: str) -> None:
        self.pinned = rec.id  # the decided card stays listed and selected (it may have left the filter)
        self.message.setText(text)
        self.refresh()

    def _failed(self, err: Exception) -> None:
        self.message.setText(_words(err) if isinstance(err, QenexError) else f"Failed: {_words(err)}")
        self.refresh()

    # -- retraining -----------------------------------------------------------------------------------------------
    def retrain(self) -> None:
        desk, actor = self.desk, self.actor
        self._start_run(lambda task: desk.retrain(actor, progress=task.step), "", "Retrain failed: ",
                        "Retrain cancelled; nothing changed.")

    def _start_run(self, work, note: str, failed: str, cancelled: str) -> None:  # noqa: ANN001
        """Run ``work(task) -> RunResult`` on the network pool with progress and Cancel; ``note`` prefixes the
        outcome, ``failed`` an error's words (a refusal because a run is running is said as it is);
        ``cancelled`` is said on a cancel."""
        if self.task is not None:
            return
        self.retrain_button.setEnabled(False)
        for b in (self.accept_button, self.reject_button, self.rollback_button):
            b.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.step.setText("Starting the training process… The model in force keeps scoring payments meanwhile.")
        self.step.show()
        self.cancel_button.show()
        self.run_message.clear()
        self.step_started = (time.monotonic(), "")
        if not self.recs:
            self.hint.setText(self._empty_words())  # said before the Op: self.task is set just below
        self.task = (Op(self, work).on_network().progress(self._progressed)
                     .success(lambda result: self._retrained(result, note))
                     .failure(lambda err: self._retrain_over(
                         _words(err) if isinstance(err, RunInProgress) else failed + _words(err)))
                     .cancelled(lambda: self._retrain_over(cancelled)).run_in_background())

    def cancel_retrain(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.step.setText("Cancelling…")

    def _progressed(self, done: int, total: int, label: str) -> None:
        """Which step runs, its share of the whole and how long it has been going (a long step is not stuck)."""
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if label != self.step_started[1]:
            self.step_started = (time.monotonic(), label)
        spent = int(time.monotonic() - self.step_started[0])
        so_far = f", {duration(spent, exact=True)} on this step" if spent >= 5 else ""
        if label:
            named = f"Retrain #{self.running_id}: " if self.running_id is not None else ""
            text = f"{label[0].upper()}{label[1:]}" if not named else label
            self.step.setText(f"{named}{text}… ({100 * done // max(total, 1)} %{so_far})")

    def _retrain_over(self, text: str) -> None:
        self.task = None
        self.progress.hide()
        self.step.hide()
        self.cancel_button.hide()
        self.retrain_button.setEnabled(True)
        self.run_message.setText(text)
        self.refresh()

    def _retrained(self, result, note: str = "") -> None:  # noqa: ANN001
        found = len(result.recommendations)
        again = len(result.summary.get("not_proposed_again") or [])
        self._retrain_over(f"{note}Retrain #{result.run_id} finished: {counted(found, 'recommendation')}"
                           + (f"; new model v{result.challenger} is waiting for your decision." if result.challenger
                              else "; the new model is not better on the figures that matter.")
                           + (f" {counted(again, 'card')} you rejected or rolled back not proposed again."
                              if again else ""))
