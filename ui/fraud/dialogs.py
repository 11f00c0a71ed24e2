"""Small dialogs of the fraud pages: batch results, choosing a case, reassigning with a note, a note prompt.

Each dialog that changes something takes a ``Sender`` (``ui.send_dialog``): it stays open until core
accepts, and shows core's refusal in place with what was typed kept."""
from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHeaderView, QLabel, QLineEdit, QVBoxLayout, QWidget,
)

from app.zone import local
from core.cases.queue import AlertRow
from core.errors import QenexError
from ui.columns import Column
from ui.errors import console_words
from ui.layout import table_view
from ui.required import hint_label, note_missing, require
from ui.rows_model import RowsModel
from ui.send_dialog import NoteEdit, Sender, finish, send  # noqa: F401 - finish and NoteEdit: shared by other pages
from core.words import counted

MONEY = {"voided": "hold voided", "posted": "payment posted", "corrected": "payment reversed",
         "held": "funds stay held", "expired": "hold had expired", "none": "no money moved"}


OUTCOME_WORDS = {"confirmed": "confirmed fraud", "false-positive": "false positive", "inconclusive": "inconclusive",
                 "escalate": "escalated to a supervisor"}


def result_words(result: object) -> str:
    """A decision's effect in plain words: ``confirmed fraud: hold voided; account freeze sent to a supervisor``."""
    if isinstance(result, QenexError):
        return f"refused: {console_words(result)}"
    outcome = getattr(result, "outcome", "")
    words = f"{OUTCOME_WORDS.get(outcome, outcome)}: {MONEY.get(getattr(result, 'money', ''), 'no money moved')}"
    if getattr(result, "snoozed_until", None):
        words += f"; back in the queue {local(result.snoozed_until)}"
    if getattr(result, "freeze", False):
        words += "; account freeze sent to a supervisor"
    if getattr(result, "suppression", None):
        words += f"; rule suppressed (suppression #{result.suppression})"
    return words


class BatchResults(QDialog):
    """One line per alert: what happened, or why it was refused (nothing changed for that one)."""

    def __init__(self, ids: list[int], results: list, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch decision")
        failed = sum(1 for r in results if isinstance(r, QenexError))
        root = QVBoxLayout(self)
        root.addWidget(QLabel(f"{len(results) - failed} decided, {failed} refused. A refused alert was left as it "
                              "was.", wordWrap=True))
        self.rows = list(zip(ids, results))
        self.model = RowsModel((Column("Alert", lambda r: f"#{r[0]}"), Column("Result", lambda r: result_words(r[1]))))
        self.model.set_rows(self.rows)
        view = table_view()
        view.setModel(self.model)
        view.setColumnWidth(0, 80)
        # a refusal reads whole: long results wrap onto more lines ("…only a supervisor…" was cut, QA4 #11)
        view.setWordWrap(True)
        view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        root.addWidget(view)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.accept)
        box.accepted.connect(self.accept)
        root.addWidget(box)
        self.resize(560, 360)


class CaseChooser(QDialog):
    """Add alerts to an open case, or open a new one with a title."""

    def __init__(self, alert_ids: list[int], cases: list, parent: QWidget | None = None,
                 sender: Sender | None = None) -> None:
        super().__init__(parent)
        self.sender_ = sender
        self.setWindowTitle("Put alerts in a case")
        root = QVBoxLayout(self)
        root.addWidget(QLabel(f"Alert{'s' if len(alert_ids) > 1 else ''} {', '.join(f'#{i}' for i in alert_ids[:12])}"
                              f"{' …' if len(alert_ids) > 12 else ''}", wordWrap=True))
        form = QFormLayout()
        self.case = QComboBox()
        self.case.addItem("A new case", None)
        for c in cases:
            self.case.addItem(f"#{c.id} {c.title} ({c.status}, {counted(c.alerts, 'alert')})", c.id)
        self.title = QLineEdit(placeholderText="What the case is about, e.g. Mule account 1000000123")
        form.addRow("&Case", self.case)
        form.addRow("&Title", self.title)
        root.addLayout(form)
        self.hint = hint_label()
        root.addWidget(self.hint)
        self.error = finish(self, root, self._submit)
        self.case.currentIndexChanged.connect(lambda _i: self.title.setEnabled(self.case.currentData() is None))
        require(self.ok_button, self._missing, self.hint, self.title, self.case)
        self.resize(520, self.sizeHint().height())

    def choice(self) -> tuple[int | None, str]:
        return self.case.currentData(), self.title.text().strip()

    def _missing(self) -> str:
        case_id, title = self.choice()
        return "A new case needs a title: type what it is about (required), or pick an open case." if (
            case_id is None and not title) else ""

    def _submit(self) -> None:
        case_id, title = self.choice()
        if case_id is None and not title:
            self.error.setText(self._missing())
            self.title.setFocus()
            return
        send(self, self.sender_, (case_id, title), self.error, self.ok_button, self.title)


class ReassignDialog(QDialog):
    """Hand an alert to another analyst or supervisor; the note is required."""

    def __init__(self, alert: AlertRow, people: list[tuple[str, str]], parent: QWidget | None = None,
                 sender: Sender | None = None) -> None:
        super().__init__(parent)
        self.sender_ = sender
        self.setWindowTitle(f"Reassign alert #{alert.id}")
        root = QVBoxLayout(self)
        held = f"held by {alert.assignee}" if alert.assignee else "unclaimed"
        root.addWidget(QLabel(f"Alert #{alert.id} is {held}.", wordWrap=True))
        form = QFormLayout()
        self.to = QComboBox()
        for name, role in people:
            if alert.status == "escalated" and role != "supervisor":
                continue
            self.to.addItem(f"{name} ({role})", name)
        self.note = NoteEdit("Why it changes hands (required)")
        form.addRow("&To", self.to)
        form.addRow("&Note (required)", self.note)
        root.addLayout(form)
        self.hint = hint_label()
        root.addWidget(self.hint)
        self.error = finish(self, root, self._submit)
        require(self.ok_button, self._missing, self.hint, self.note, self.to)

    def _missing(self) -> str:
        to, note = self.choice()
        if not to:
            return "Nobody else can take this alert."
        return note_missing(note, "reassigning an alert")  # core's rule (core.reasons)

    def choice(self) -> tuple[str, str]:
        return self.to.currentData(), self.note.toPlainText().strip()

    def _submit(self) -> None:
        to, note = self.choice()
        if not to:
            self.error.setText("Nobody else can take this alert")
        elif self._missing():
            self.error.setText(self._missing())
            self.note.setFocus()
        else:
            send(self, self.sender_, (to, note), self.error, self.ok_button, self.note)


class NoteDialog(QDialog):
    """Ask for a note (and optionally an outcome) for a case change; ``sender`` gets (outcome, note)."""

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None,
                 outcomes: tuple[tuple[str, str], ...] = (), sender: Sender | None = None, what: str = "") -> None:
        super().__init__(parent)
        self.sender_, self.what = sender, what  # what: the decision, for core's rule on its note (e.g. "resolving a case")
        self.setWindowTitle(title)
        root = QVBoxLayout(self)
        root.addWidget(QLabel(prompt, wordWrap=True))
        form = QFormLayout()
        self.outcome = QComboBox()
        for text, value in outcomes:
            self.outcome.addItem(text, value)
        if outcomes:
            form.addRow("&Outcome", self.outcome)
        self.note = NoteEdit("Required")
        form.addRow("&Note (required)", self.note)
        root.addLayout(form)
        self.hint = hint_label()
        root.addWidget(self.hint)
        self.error = finish(self, root, self._submit)
        require(self.ok_button, self.missing, self.hint, self.note)

    NEEDED = "A note is required: type what you found or why, then OK."

    def missing(self) -> str:
        note = self.values()[1]
        if not note:
            return self.NEEDED
        return note_missing(note, self.what) if self.what else ""

    def values(self) -> tuple[str | None, str]:
        return self.outcome.currentData(), self.note.toPlainText().strip()

    def _submit(self) -> None:
        if self.missing():
            self.error.setText(self.missing())
            self.note.setFocus()
            return
        send(self, self.sender_, self.values(), self.error, self.ok_button, self.note)


def refusals_ahead(actor, alerts: list) -> str:  # noqa: ANN001 - Actor, [AlertRow]
    """For several alerts decided at once: which of them core will refuse for ``actor`` (escalated to the
    supervisors, claimed by someone else), in one sentence; "" when all can be decided."""
    if len(alerts) < 2:
        return ""
    from core.cases import claims
    from core.persistence.base import utcnow

    now = utcnow()
    escalated, held = [], []
    for a in alerts:
        err = claims.refusal(actor, a, now)
        if err is None:
            continue
        (escalated if err.code == "needs_supervisor" else held).append(f"#{a.id}")
    if not (escalated or held):
        return ""
    parts = []
    if escalated:
        parts.append(f"{', '.join(escalated)} {'was' if len(escalated) == 1 else 'were'} escalated: only a "
                     "supervisor decides them")
    if held:
        parts.append(f"{', '.join(held)} {'is' if len(held) == 1 else 'are'} claimed by someone else")
    left = len(alerts) - len(escalated) - len(held)
    return (f"{len(escalated) + len(held)} of the {len(alerts)} selected will be refused and left as they are: "
            f"{'; '.join(parts)}. This decision applies to the other {left}.")


def warn_refusals(dialog: QDialog, actor, alerts: list) -> None:  # noqa: ANN001
    """Put ``refusals_ahead`` under the decide dialog's heading (amber), when some of ``alerts`` will be refused."""
    ahead = refusals_ahead(actor, alerts)
    if ahead:
        dialog.refusals = QLabel(ahead, objectName="formStatus", wordWrap=True)
        dialog.refusals.setProperty("state", "warning")
        dialog.layout().insertWidget(1, dialog.refusals)
