"""The disposition dialog: pick an outcome, say why, and see what happens to the money before confirming.

Outcomes (Alt+C, Alt+F, Alt+I, Alt+E; Alt+O the note, Alt+U snooze, Alt+Z freeze, Alt+R suppress): confirmed
fraud (voids the hold or reverses the payment; may ask a
supervisor to freeze the account), false positive (posts the payment; may suppress one rule for the card
or counterparty), inconclusive (funds stay held; back in the queue now or snoozed until a time),
escalate (to a supervisor; not offered when an alert is already escalated, which core refuses). The
required note follows core's rule for a decision's reason (``claims.require_reason``). No outcome is chosen beforehand (unless a key asked for one): the analyst picks
it, and the button stays off until then. The core's own checks run first, so a missing note or a bad date is shown in
place (and goes once a note is typed) and nothing is sent (Ctrl+Enter in the note is OK; Enter a new line); then the decision goes to core on a worker and the dialog stays open (note kept)
until core accepts it: a refusal (someone else's claim, an alert closed meanwhile) is shown in place too.
"""
from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QDateTime, QTimeZone
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QDateTimeEdit, QDialog, QDialogButtonBox, QGridLayout, QHBoxLayout, QLabel,
    QPlainTextEdit, QRadioButton, QSpinBox, QVBoxLayout, QWidget,
)

from app.zone import operator_zone, zone_name
from core import reasons
from core.cases import claims
from core.cases.dispositions import Decision, SuppressRequest, check
from core.cases.queue import AlertRow
from core.cases.rules import SUPPRESSIBLE, title
from core.cases.suppressions import MAX_DAYS
from core.errors import QenexError
from core.ledger.money import format_minor
from core.persistence.base import utcnow
from ui.keys import submit_on_ctrl_enter
from ui.layout import fit_height, keep_fitted
from ui.required import hint_label, require
from ui.send_dialog import Sender, send
from ui.errors import console_words

OUTCOMES = (
    ("confirmed", "&Confirmed fraud", "Void the hold (a posted payment is reversed by a correcting transfer)",
     "Confirm fraud"),
    ("false-positive", "&False positive", "Post the held payment to the beneficiary", "Post payment"),
    ("inconclusive", "&Inconclusive", "Keep the funds held; the alert goes back to the queue or sleeps",
     "Keep held"),
    ("escalate", "&Escalate", "Keep the funds held; a supervisor decides", "Escalate"),
)
NO_OUTCOME = "Choose an outcome first."


def _total(alerts: list[AlertRow]) -> str:
    sums: dict[str, int] = {}
    for a in alerts:
        if a.amount is not None and a.currency:
            sums[a.currency] = sums.get(a.currency, 0) + a.amount
    return " + ".join(format_minor(v, c) for c, v in sorted(sums.items())) or "no amount"


class DecideDialog(QDialog):
    def __init__(self, alerts: list[AlertRow], parent: QWidget | None = None, outcome: str | None = None,
                 sender: Sender | None = None) -> None:
        super().__init__(parent)
        self.alerts, self.sender_ = alerts, sender
        self.result_decision: Decision | None = None
        one = alerts[0] if len(alerts) == 1 else None
        self.setWindowTitle("Decide alert" if one else f"Decide {len(alerts)} alerts")
        head = (f"Alert #{one.id}: {_total(alerts)} from {one.customer_name or one.account or '—'}"
                f"{' to ' + one.counterparty if one and one.counterparty else ''}" if one
                else f"{len(alerts)} alerts, {_total(alerts)} in all; each is decided on its own")
        root = QVBoxLayout(self)
        root.addWidget(QLabel(head, wordWrap=True))

        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        grid = QGridLayout()
        escalated = any(a.status == "escalated" for a in alerts)  # core refuses escalating one again
        for row, (key, text, effect, _verb) in enumerate(OUTCOMES):
            if key == "escalate" and escalated:
                continue
            button = QRadioButton(text)
            self.group.addButton(button, row)
            self.buttons[key] = button
            grid.addWidget(button, row, 0)
            grid.addWidget(QLabel(effect, objectName="muted", wordWrap=True), row, 1)
        root.addLayout(grid)

        self.note_label = QLabel("N&ote")
        self.note = QPlainTextEdit(placeholderText="What you found; required for confirmed fraud, escalation and a "
                                                   "suppression. Ctrl+Enter decides")
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(80)
        self.note_label.setBuddy(self.note)
        root.addWidget(self.note_label)
        root.addWidget(self.note)
        self.note_hint = hint_label()  # what the chosen outcome still needs (the button stays off until then)
        root.addWidget(self.note_hint)

        self.freeze = QCheckBox("Ask a supervisor to free&ze the payer's account (four eyes)")
        root.addWidget(self.freeze)

        self.snooze = QCheckBox("Snooze &until")  # Alt+O is the note's
        self.snooze_until = QDateTimeEdit(calendarPopup=True)
        self.snooze_until.setDisplayFormat("yyyy-MM-dd HH:mm")
        zone = operator_zone()
        start = (utcnow() + timedelta(days=1)).astimezone(zone)
        self.snooze_until.setTimeZone(QTimeZone(getattr(zone, "key", "UTC").encode()) if getattr(zone, "key", None)
                                      else QTimeZone.systemTimeZone())
        self.snooze_until.setDateTime(QDateTime.fromSecsSinceEpoch(int(start.timestamp())))
        snooze_row = QHBoxLayout()
        snooze_row.addWidget(self.snooze)
        snooze_row.addWidget(self.snooze_until)
        self.snooze_zone = QLabel(zone_name(zone), objectName="muted")  # the time is read in this zone
        snooze_row.addWidget(self.snooze_zone)
        snooze_row.addStretch(1)
        self.snooze_box = QWidget()
        self.snooze_box.setLayout(snooze_row)
        root.addWidget(self.snooze_box)

        self.suppress = QCheckBox("Suppress a &rule")
        self.rule = QComboBox()
        keys = [k for k in (one.rules if one else ()) if k in SUPPRESSIBLE] or sorted(SUPPRESSIBLE)
        for key in keys:
            self.rule.addItem(title(key), key)
        self.scope = QComboBox()
        if one is not None and one.counterparty:
            self.scope.addItem(f"for counterparty {one.counterparty}", "counterparty")
        if one is not None and one.customer_id is not None:
            self.scope.addItem(f"for {one.customer_name or 'this customer'}'s {one.currency} payments", "card")
        self.days = QSpinBox(minimum=1, maximum=MAX_DAYS, value=30, suffix=" days")
        self.days.setMinimumWidth(self.days.sizeHint().width())  # the wide choices beside it never clip its arrows
        sup_row = QHBoxLayout()
        for w in (self.suppress, self.rule, self.scope, self.days):
            sup_row.addWidget(w)
        sup_row.addStretch(1)
        self.suppress_box = QWidget()
        self.suppress_box.setLayout(sup_row)
        self.suppress_box.setVisible(one is not None)
        root.addWidget(self.suppress_box)

        self.summary = QLabel("", wordWrap=True)
        root.addWidget(self.summary)
        self.error = QLabel("", objectName="fieldError", wordWrap=True)
        root.addWidget(self.error)
        self.box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.box.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setObjectName("primary")
        self.box.accepted.connect(self.submit)
        submit_on_ctrl_enter(self.note, self.submit)  # Enter stays a new line in the note
        self.box.rejected.connect(self.reject)
        root.addWidget(self.box)

        self.group.idToggled.connect(lambda _id, on: on and self._outcome_changed())
        self.suppress.toggled.connect(self._outcome_changed)
        self.snooze.toggled.connect(self._outcome_changed)
        self.note.textChanged.connect(lambda: self.error.setText(""))  # the complaint goes once a note is typed
        self.gate = require(self.ok, self.missing, self.note_hint, self.note, self.suppress)
        self.gate.quiet.add(NO_OUTCOME)  # the summary line already asks for an outcome
        if outcome in self.buttons:  # else none is chosen for the analyst: they pick one themselves
            self.buttons[outcome].setChecked(True)
        self.resize(620, self.sizeHint().height())
        self._outcome_changed()  # then fits the height to what the dialog shows at this width
        keep_fitted(self)  # and later changes too: an error line, a narrower window
        self.note.setFocus()

    def _money_words(self, outcome: str) -> str:
        """What happens to the money, in plain words, before the analyst confirms."""
        total, payers = _total(self.alerts), sorted({a.account or "?" for a in self.alerts})
        where = f"account {payers[0]}" if len(payers) == 1 else f"{len(payers)} accounts"
        return {"confirmed": f"{total} held on {where} is released back to the payer (a payment already made is "
                             "reversed), and the decision is recorded as confirmed fraud for the fraud model.",
                "false-positive": f"{total} held on {where} is paid out to the beneficiary now, and the decision is "
                                  "recorded as legitimate for the fraud model.",
                "inconclusive": f"{total} stays held on {where}; no label is recorded.",
                "escalate": f"{total} stays held on {where} until a supervisor decides."}[outcome]

    def outcome(self) -> str | None:
        return OUTCOMES[self.group.checkedId()][0] if self.group.checkedId() >= 0 else None

    def note_required(self) -> bool:
        outcome = self.outcome()
        return outcome in ("confirmed", "escalate") or (outcome == "false-positive" and self.suppress.isChecked()
                                                        and self.suppress_box.isVisible())

    def missing(self) -> str:
        """What the chosen outcome still needs before it can be sent ("" when nothing): core's rule
        (``dispositions.check``: a note for confirmed fraud, escalation and a suppression)."""
        outcome = self.outcome()
        if outcome is None:
            return NO_OUTCOME
        if not self.note_required():
            return ""
        why = {"confirmed": "confirming fraud", "escalate": "escalating"}.get(outcome, "suppressing a rule")
        try:
            claims.require_reason(self.note.toPlainText(), why)  # core's own rule (core.reasons)
        except QenexError:
            if not self.note.toPlainText().strip():
                return (f"{why[0].upper()}{why[1:]} needs a note saying what you found (required): type it, "
                        f"then {self.ok.text()}.")
            return f"Keep typing the note for {why}: {reasons.RULE} (required; it is audited)."
        return ""

    def _outcome_changed(self) -> None:
        outcome = self.outcome()
        if outcome is None:
            for w in (self.freeze, self.snooze_box, self.suppress_box):
                w.setVisible(False)
            self.note_label.setText("N&ote")
            self.ok.setText("Decide")
            self.ok.setToolTip("Choose an outcome first")
            self.summary.setText("Choose an outcome: what happens to the money shows here before you confirm.")
            self._gate()
            fit_height(self)
            return
        self.freeze.setVisible(outcome == "confirmed")
        self.snooze_box.setVisible(outcome == "inconclusive")
        self.snooze_until.setEnabled(self.snooze.isChecked())
        self.suppress_box.setEnabled(outcome == "false-positive")
        self.suppress_box.setVisible(outcome == "false-positive" and len(self.alerts) == 1 and self.scope.count() > 0)
        for w in (self.rule, self.scope, self.days):
            w.setEnabled(self.suppress.isChecked())
        self.note_label.setText("N&ote (required)" if self.note_required() else "N&ote (optional)")
        verb = OUTCOMES[self.group.checkedId()][3]
        self.ok.setText(f"{verb} ({len(self.alerts)})" if len(self.alerts) > 1 else verb)
        self.summary.setText(self._money_words(outcome))
        self.error.setText("")
        self._gate()
        fit_height(self)  # the options of this outcome shown: nothing is squeezed (QA: Inconclusive clipped)

    def _gate(self) -> None:
        """The OK button on only when the outcome chosen has what it needs (``missing``); the hint says what."""
        if hasattr(self, "gate"):
            self.gate.update()
        else:
            self.ok.setEnabled(False)

    def decision(self) -> Decision:
        outcome = self.outcome()
        snooze = None
        if outcome == "inconclusive" and self.snooze.isChecked():
            from datetime import datetime, timezone

            snooze = datetime.fromtimestamp(self.snooze_until.dateTime().toSecsSinceEpoch(), timezone.utc)
        suppress = None
        if outcome == "false-positive" and self.suppress.isChecked() and self.suppress_box.isVisible():
            suppress = SuppressRequest(self.rule.currentData(), self.scope.currentData(), self.days.value())
        return Decision(outcome, self.note.toPlainText().strip(), snooze,
                        outcome == "confirmed" and self.freeze.isChecked(), suppress)

    def submit(self) -> None:
        """Check the decision as the core will (note, dates, options); close only if it passes."""
        if self.outcome() is None:
            self.error.setText("Choose an outcome first.")
            return
        decision = self.decision()
        try:
            check(decision, utcnow())
        except QenexError as err:
            self.error.setText(console_words(err))
            (self.note if "note" in err.code else self.ok).setFocus()
            return
        self.result_decision = decision
        send(self, self.sender_, (decision,), self.error, self.ok, self.note)
