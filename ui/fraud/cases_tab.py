"""Cases: the list (active, resolved, all; search by title or #id) and the selected case with its alerts,
files, timeline and notes. Investigate, note, attach and save files, resolve with an outcome, reopen,
merge another case in, and make the suspicious-activity report draft (PDF) of a confirmed-fraud case.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox, QGridLayout, QHBoxLayout, QInputDialog, QLabel, QLineEdit, QPlainTextEdit,
    QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget,
)

from app.services import Services
from app.tasks import Op
from app.zone import local, operator_zone
from core.cases.casebook import CaseDetail
from core.cases.cases import CaseView
from core.security.roles import Actor, Permission
from ui.columns import Column
from ui.errors import notify, show_error
from ui.fraud.detail import EVENTS, TIME, on_open, rows_table, time_width
from ui.fraud.dialogs import NoteDialog
from ui.fraud.queue_model import amount_text, state_text
from ui.keys import submit_on_ctrl_enter
from ui.layout import share, table_view
from ui.lazy_model import LazyTableModel
from ui.send_dialog import Sender, TextDialog
from ui.files import open_file_name, save_file_name
from ui.table_fit import keep_whole
from core.words import counted

CASE_COLUMNS = (Column("Case", lambda c: f"#{c.id}", align_right=True), Column("Title", lambda c: c.title),
                Column("Status", lambda c: c.status + (f" ({c.outcome})" if c.outcome else "")),
                Column("Alerts", lambda c: f"{c.open_alerts} open / {c.alerts}", align_right=True),
                Column("Investigator", lambda c: c.assignee or ""), Column("Updated", lambda c: local(c.updated_at)))
ALERT_COLUMNS = (Column("Alert", lambda a: f"#{a.id}"), Column("Raised", lambda a: local(a.created_at)),
                 Column("Status", lambda a: state_text(a)), Column("Amount", amount_text, align_right=True),
                 Column("Customer", lambda a: a.customer_name or "—"), Column("Why", lambda a: a.reasons_summary))
FILE_COLUMNS = (Column("File", lambda f: f.name), Column("Size", lambda f: f"{f.size:,} B", align_right=True),
                Column("Added", lambda f: f"{local(f.added_at)} by {f.added_by}"),
                Column("SHA-256", lambda f: f.sha256[:16] + "…"))
OUTCOMES = (("Confirmed fraud", "TRUE_POSITIVE"), ("False positive", "FALSE_POSITIVE"), ("Inconclusive", "INCONCLUSIVE"))
STATUSES = (("Active", "active"), ("Open", "open"), ("Investigating", "investigating"), ("Resolved", "resolved"),
            ("Merged", "merged"), ("All", "all"))


class CasesTab(QWidget):
    alert_requested = Signal(int)  # open an alert of the case in the queue tab

    def __init__(self, services: Services, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services, self.actor, self.book = services, actor, services.fraud.cases
        self.current: CaseDetail | None = None
        self._wanted: int | None = None
        self.status = QComboBox()
        for text, value in STATUSES:
            self.status.addItem(text, value)
        self.search = QLineEdit(placeholderText="Title words or #case", clearButtonEnabled=True)
        self._typing = QTimer(self, singleShot=True, interval=300, timeout=self.reload)
        self.search.textChanged.connect(lambda _t: self._typing.start())
        self.status.currentIndexChanged.connect(lambda _i: self.reload())
        self.new_button = QPushButton("&New case…")
        self.new_button.clicked.connect(self.new_case)
        bar = QHBoxLayout()
        for text, w in (("Stat&us", self.status), ("Sea&rch", self.search)):
            label = QLabel(text)
            label.setBuddy(w)
            bar.addWidget(label)
            bar.addWidget(w, 1 if w is self.search else 0)
        bar.addWidget(self.new_button)

        self.model = LazyTableModel(CASE_COLUMNS, *self._query(), self)
        self.model.failed.connect(lambda err: show_error(self, err))
        self.table = table_view()
        self.table.setModel(self.model)
        # every column as wide as its words (QA3 #6: headers; QA4 #2: the Updated time was cut too); the Title
        # takes the rest and is the one shortened when the pane is narrow (its tooltip and the detail show it whole)
        self.table_fit = keep_whole(self.table, whole=(0, 2, 3, 4, 5), fill=1, hide_empty=False)
        self.table.selectionModel().selectionChanged.connect(self._selected)

        self.title = QLabel("Select a case", objectName="pageTitle", wordWrap=True)
        self.meta = QLabel("", objectName="muted", wordWrap=True)
        self.buttons: dict[str, QPushButton] = {}
        actions = QGridLayout()
        for i, (key, text) in enumerate((("start", "&Investigate"), ("attach", "A&ttach file…"),
                                         ("save", "Save fi&le…"), ("resolve", "Res&olve…"), ("reopen", "Reo&pen…"),
                                         ("merge", "&Merge in…"), ("sar", "SAR &draft…"))):
            button = QPushButton(text)
            button.clicked.connect(getattr(self, key))
            self.buttons[key] = button
            actions.addWidget(button, i // 3, i % 3)  # three a row: the cases list gets the width (QA4 #2)
        self.alerts_view, self.alerts = rows_table(ALERT_COLUMNS, (60, TIME, 80, 100, 130))
        on_open(self.alerts_view, self._open_alert)
        self.alerts_view.setToolTip("Double-click (or Enter) opens the alert in the queue")
        self.files_view, self.files = rows_table(FILE_COLUMNS, (220, 90, time_width(self) + 80))
        self.events_view, self.events = rows_table(EVENTS, (TIME, 70, 420))
        inner = QTabWidget()
        inner.setDocumentMode(True)
        inner.addTab(self.events_view, "Tim&eline")
        inner.addTab(self.alerts_view, "&Alerts")
        inner.addTab(self.files_view, "&Files")
        self.inner = inner
        self.note = QPlainTextEdit(placeholderText="A note for the case (a SAR draft's narrative); Ctrl+Enter "
                                                   "writes it")
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(56)
        self.note_button = QPushButton("&Write note")
        self.note_button.clicked.connect(self.add_note)
        submit_on_ctrl_enter(self.note, self.add_note)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note, 1)
        note_row.addWidget(self.note_button)

        right = QWidget()
        rbox = QVBoxLayout(right)
        rbox.addWidget(self.title)
        rbox.addWidget(self.meta)
        rbox.addLayout(actions)
        rbox.addWidget(inner, 1)
        rbox.addLayout(note_row)
        left = QWidget()
        lbox = QVBoxLayout(left)
        lbox.setContentsMargins(0, 0, 0, 0)
        lbox.addLayout(bar)
        lbox.addWidget(self.table, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        share(split, 31, 23)  # the cases beside the case shown, at any window size
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 6, 0, 0)
        root.addWidget(split)
        order = [self.status, self.search, self.new_button, self.table, *self.buttons.values(), inner, self.events_view,
                 self.alerts_view, self.files_view, self.note, self.note_button]
        for first, second in zip(order, order[1:]):  # left to right, top to bottom (not the order built in)
            self.setTabOrder(first, second)
        self._update_buttons()
        self.model.reload()

    def _query(self):  # noqa: ANN202
        book, actor = self.book, self.actor
        status, text = self.status.currentData(), self.search.text().strip() or None
        return (lambda: book.count(actor, status, text), lambda o, n: book.list(actor, status, text, o, n))

    def reload(self) -> None:
        self.model.reload(*self._query())

    def refresh(self) -> None:
        self.model.refresh()
        if self._wanted is not None:
            self.show_case(self._wanted)

    def cases(self) -> list[CaseView | None]:
        return [self.model.row_object(r) for r in range(self.model.rowCount())]

    def _selected(self, *_args) -> None:  # noqa: ANN002
        rows = self.table.selectionModel().selectedRows()
        case = self.model.row_object(rows[0].row()) if rows else None
        if case is not None:
            self.show_case(case.id)

    def show_case(self, case_id: int) -> None:
        self._wanted = case_id
        book, actor = self.book, self.actor
        Op(self, lambda _t: book.detail(actor, case_id)).success(
            lambda d: self._loaded(case_id, d)).run_in_background()

    def _loaded(self, case_id: int, detail: CaseDetail) -> None:
        if case_id != self._wanted:
            return
        self.current = detail
        c = detail.case
        self.title.setText(f"#{c.id} {c.title}")
        merged = f" into #{c.merged_into}" if c.merged_into else ""
        outcome = f" · outcome {c.outcome}" if c.outcome else ""
        self.meta.setText(f"{c.status}{merged}{outcome} · opened by {c.created_by} {local(c.created_at)} · "
                          f"investigator {c.assignee or '—'} · {c.open_alerts} of {counted(c.alerts, 'alert')} open")
        self.alerts.set_rows(detail.alerts)
        self.files.set_rows(detail.files)
        self.events.set_rows(detail.events)
        self.events_view.scrollToBottom()
        self._update_buttons()

    def _update_buttons(self) -> None:
        c = self.current.case if self.current else None
        can = self.actor.can(Permission.ALERT_DISPOSITION)
        active = c is not None and c.status in ("open", "investigating")
        states = {"start": active and not (c.status == "investigating" and c.assignee == self.actor.username),
                  "attach": active, "save": c is not None and bool(self.current.files), "resolve": active,
                  "reopen": c is not None and c.status == "resolved", "merge": active,
                  "sar": c is not None and (c.outcome == "TRUE_POSITIVE"
                                            or any(a.outcome == "TRUE_POSITIVE" for a in self.current.alerts))}
        for key, button in self.buttons.items():
            button.setEnabled(can and states[key] if key != "save" else states[key])
        self.buttons["sar"].setToolTip("For cases with confirmed fraud" if not states["sar"] else "")
        self.new_button.setEnabled(can)
        self.note_button.setEnabled(can and c is not None and c.status != "merged")

    # -- actions --------------------------------------------------------------------------------------------
    def _done(self, case: CaseView) -> None:
        self.refresh()
        self.show_case(case.id)

    def new_case(self) -> TextDialog:
        book, actor = self.book, self.actor
        dialog = TextDialog("New case", "&What is the case about?", self, line=True,
                            sender=Sender(lambda title: book.open(actor, title), self._done),
                            placeholder="e.g. Mule account 1000000123")
        dialog.open()
        self.dialog = dialog
        return dialog

    def open_case(self, case_id: int) -> None:
        """Show ``case_id`` (made from the queue): every case listed, that one selected."""
        self.status.setCurrentIndex(self.status.findData("all"))
        self.show_case(case_id)

    def add_note(self) -> None:
        """Alt+W: send the note, or (none written yet) put the cursor in the note field."""
        text = self.note.toPlainText().strip()
        if not text:
            self.note.setFocus()
            return
        if self.current is None:
            return
        case_id, book, actor = self.current.case.id, self.book, self.actor
        Op(self, lambda _t: book.note(actor, case_id, text)).success(
            lambda c: (self.note.clear(), self._done(c))).run_in_background()

    def start(self) -> None:
        self._act(lambda book, actor, cid: book.start(actor, cid))

    def resolve(self) -> None:
        if self.current is None:
            return
        dialog = NoteDialog("Resolve case", "The case's outcome and what settled it:", self, OUTCOMES,
                            self._sender(lambda b, a, cid, outcome, note: b.close(a, cid, outcome, note)),
                            what="resolving a case")
        dialog.open()
        self.dialog = dialog

    def reopen(self) -> None:
        if self.current is None:
            return
        dialog = NoteDialog("Reopen case", "Why is the case reopened?", self,
                            sender=self._sender(lambda b, a, cid, _outcome, note: b.reopen(a, cid, note)), what="reopening a case")
        dialog.open()
        self.dialog = dialog

    def merge(self) -> None:
        if self.current is None:
            return
        number, ok = QInputDialog.getInt(self, "Merge a case in", f"Merge which case into #{self.current.case.id}? "
                                         "(its alerts, notes and files move here)", 1, 1)
        if not ok:
            return
        dialog = NoteDialog("Merge cases", f"Why does case #{number} belong to this one?", self,
                            sender=self._sender(lambda b, a, cid, _outcome, note: b.merge(a, cid, number, note)),
                            what="merging cases")
        dialog.open()
        self.dialog = dialog

    def _sender(self, fn) -> Sender:  # noqa: ANN001
        """``fn(book, actor, case_id, outcome, note)`` on a worker for the case shown now; the dialog stays
        open until core accepts (ui.send_dialog)."""
        case_id, book, actor = self.current.case.id, self.book, self.actor
        return Sender(lambda outcome, note: fn(book, actor, case_id, outcome, note), self._done)

    def _act(self, fn) -> None:  # noqa: ANN001
        if self.current is None:
            return
        case_id, book, actor = self.current.case.id, self.book, self.actor
        Op(self, lambda _t: fn(book, actor, case_id)).success(self._done).run_in_background()

    def attach(self, path: str | None = None) -> None:
        if self.current is None:
            return
        path = path or open_file_name(self, "Attach a file to the case")
        if not path:
            return
        case_id, book, actor = self.current.case.id, self.book, self.actor
        file = Path(path)
        Op(self, lambda _t: book.attach(actor, case_id, file.name, file.read_bytes())).success(
            lambda _f: self.show_case(case_id)).run_in_background()

    def save(self, path: str | None = None) -> None:
        rows = self.files_view.selectionModel().selectedRows() if self.files_view.selectionModel() else []
        chosen = self.files.row_object(rows[0].row()) if rows else (self.current.files[0] if self.current else None)
        if chosen is None:
            return
        path = path or save_file_name(self, "Save the case file", chosen.name)
        if not path:
            return
        book, actor = self.book, self.actor

        def work(_t) -> str:  # noqa: ANN001
            _info, data = book.file(actor, chosen.id)
            Path(path).write_bytes(data)
            return path

        Op(self, work).success(lambda p: notify(self, "Saved", f"{chosen.name} saved to {p}")).run_in_background()

    def sar(self, path: str | None = None) -> None:
        if self.current is None:
            return
        case_id = self.current.case.id
        path = path or save_file_name(self, "Save the SAR draft", f"sar-draft-case-{case_id}.pdf", "PDF (*.pdf)")
        if not path:
            return
        book, actor, zone = self.book, self.actor, operator_zone()

        def work(_t) -> str:  # noqa: ANN001
            data = book.sar_draft(actor, case_id, zone)
            target = Path(path)
            part = target.with_name(target.name + ".part")
            part.write_bytes(data)
            part.replace(target)
            return path

        Op(self, work).success(lambda p: (notify(self, "SAR draft saved", f"The draft is in {p}. It is not filed."),
                                          self.show_case(case_id))).run_in_background()

    def _open_alert(self, index) -> None:  # noqa: ANN001
        alert = self.alerts.row_object(index.row())
        if alert is not None:
            self.alert_requested.emit(alert.id)
