"""The approvals inbox: requests waiting for a second person (four eyes), the checker's view of the selected
one, and approve / reject, one at a time or several together with a result per request.

Keyboard: the list has the focus; Ctrl+Enter approves the selected requests (after a confirmation that
Enter accepts), Ctrl+R moves to the reason field and rejects; Alt+S picks what is shown; F5 reloads.
Makers (tellers) see their own requests and their state ("waiting for approval"); only a supervisor who
is not the maker decides (core.approvals enforces it; the buttons just say so early). Every read and
decision runs on the database worker; the list follows other desks live (``approval.*`` and the money
events that change what a checker sees).
"""
from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from app.services import Services
from app.tasks import Op
from core import reasons
from core.approvals import ApprovalDetail, ApprovalView
from core.errors import QenexError
from core.ledger.money import format_minor
from core.security.roles import Actor, Permission
from ui.approvals.columns import HINTS, request_columns, state_word
from ui.approvals.detail import RequestDetail
from ui.errors import console_words, show_error
from ui.layout import button_row, card, page_header, table_view
from ui.live import LiveRefresh
from ui.rows_model import RowsModel
from ui.teller.confirm import ConfirmDialog
from core.words import counted

SHOW = (("waiting", "Waiting for a decision"), ("decided", "Decided, withdrawn or expired"), ("all", "Everything"))
REFRESH_MS = 60_000
LIVE_EVENTS = ("approval.*", "transaction.*", "hold.*", "account.updated", "fraud.detected")


class ApprovalsPage(QWidget):
    def __init__(self, services: Services, actor: Actor) -> None:
        super().__init__()
        self.services, self.actor = services, actor
        self.approvals = services.approvals
        self.decider = actor.can(Permission.APPROVAL_DECIDE)
        self._seq = 0
        self._seq_detail = 0
        self._busy = False
        self._above: tuple[int, str] | None = None  # (request, why it is above this checker's limit) of the one shown
        self._about: frozenset[int] | None = None  # the selection a shown message is about
        self.dialog: ConfirmDialog | None = None

        self.show_filter = QComboBox()
        for key, words in SHOW:
            self.show_filter.addItem(words, key)
        self.show_filter.currentIndexChanged.connect(lambda _i: self.reload())
        show_label = QLabel("Sho&w")  # Alt+S is the Session menu
        show_label.setBuddy(self.show_filter)
        self.count_label = QLabel("", objectName="muted")

        self.fraud_details = actor.can(Permission.ALERT_VIEW)  # core leaves the score out for the others
        self.model = RowsModel(request_columns(self.fraud_details), self)
        self.table = table_view()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()  # each column as wide as its header and cells: all of them in view
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.activated.connect(lambda _i: self.note.setFocus())

        self.detail_card, box = card()
        self.detail_card.setFixedWidth(360)
        self.detail = RequestDetail(fraud_details=self.fraud_details)
        # short enough to show whole (QA3 #6); the rule in full on hover, and core's refusal says it too
        self.note = QLineEdit(placeholderText=f"why ({reasons.MIN_CHARS}+ characters to reject)", maxLength=200)
        self.note.setToolTip(f"Why you decide so: needed to reject ({reasons.RULE})")
        note_label = QLabel("&Note or reason")
        note_label.setBuddy(self.note)
        self.approve_button = QPushButton("&Approve", objectName="primary")
        self.reject_button = QPushButton("&Reject")
        self._approve_tip = ("Approve the selected requests (Ctrl+Enter): held transfers post (one held for fraud "
                             "review stays held until an analyst decides its alert), freezes and closures happen, "
                             "holds are released")
        self.approve_button.setToolTip(self._approve_tip)
        self.reject_button.setToolTip("Reject the selected requests with the reason typed (Ctrl+R): held funds are "
                                      "released, nothing else happens")
        self.withdraw_button = QPushButton("Wi&thdraw mine")
        self.withdraw_button.setToolTip("Take back your own waiting request: its held funds are released")
        self.withdraw_button.clicked.connect(self.withdraw_selected)
        self.approve_button.clicked.connect(self.approve_selected)
        self.reject_button.clicked.connect(self.reject_selected)
        self.note.returnPressed.connect(self.reject_selected)
        self.result_label = QLabel("", objectName="formStatus", wordWrap=True,
                                   textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice = QLabel("", objectName="formStatus", wordWrap=True)  # why the buttons are off
        self.notice.setProperty("state", "error")
        self.notice.hide()
        box.addWidget(self.detail, 1)
        box.addWidget(note_label)
        box.addWidget(self.note)
        box.addWidget(button_row(self.approve_button, self.reject_button, self.withdraw_button))
        box.addWidget(self.notice)
        box.addWidget(self.result_label)
        if not self.decider:
            for widget in (self.approve_button, self.reject_button, self.note, note_label):
                widget.setVisible(False)
            self.result_label.setText("These are your requests. A supervisor other than you approves or rejects "
                                      "them; until then the money is reserved, not posted.")

        header = page_header("Approvals", HINTS[self.decider]["waiting"])
        self.hint_label = header.findChild(QLabel, "pageHint")  # follows the view chosen (QA7 #3)
        top = QHBoxLayout()
        top.addWidget(header, 1)
        top.addWidget(show_label, 0, Qt.AlignmentFlag.AlignBottom)
        top.addWidget(self.show_filter, 0, Qt.AlignmentFlag.AlignBottom)
        left = QVBoxLayout()
        left.addWidget(self.table, 1)
        left.addWidget(self.count_label)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addWidget(self.detail_card)
        root = QVBoxLayout(self)
        root.setContentsMargins(18, 12, 18, 8)
        root.addLayout(top)
        root.addLayout(body, 1)
        for first, second in ((self.show_filter, self.table), (self.table, self.note),
                              (self.note, self.approve_button), (self.approve_button, self.reject_button)):
            QWidget.setTabOrder(first, second)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self.approve_selected, context=context)
        QShortcut(QKeySequence("Ctrl+R"), self, activated=self._reject_key, context=context)
        # F5 is the window's Refresh (MainWindow.refresh calls refresh() below): a second F5 here made Qt refuse
        # both ("Ambiguous shortcut overload: F5", QA4 #7)
        self.live = LiveRefresh(self, services, LIVE_EVENTS, self._on_live)
        self.clock = QTimer(self, interval=REFRESH_MS, timeout=lambda: self.isVisible() and self.reload(keep_result=True))
        self.clock.start()  # ages, time left and expiries move on even when nothing happens
        self._update_buttons()
        self.reload()

    def _on_live(self, events: list) -> None:
        """Requests changed (or money moved on an account the inbox shows): reload once for the burst."""
        shown = {n for r in self.model._rows for n in (r.account, r.counter_account) if n}
        if any(e.name.startswith("approval.") or e.accounts() is None or shown & e.accounts() for e in events):
            self.reload(keep_result=True)

    # -- loading --------------------------------------------------------------------------------
    @property
    def state(self) -> str:
        return str(self.show_filter.currentData())

    def refresh(self) -> None:
        """F5 (the window's Refresh): reload the inbox."""
        self.reload()

    def reload(self, keep_result: bool = False) -> None:
        """Read the list on the worker (a checker's reload also closes requests whose time passed)."""
        self._seq += 1
        seq, svc, actor, state, decider = self._seq, self.approvals, self.actor, self.state, self.decider

        def work(_task):  # noqa: ANN001, ANN202
            if decider:
                svc.expire(actor)
            return svc.list(actor, state), svc.count(actor, state)

        if not keep_result and self.decider:
            self.result_label.clear()
        Op(self, work).success(lambda res: self._loaded(seq, *res)).failure(
            lambda err: show_error(self, err)).run_in_background()

    def _loaded(self, seq: int, rows: list[ApprovalView], total: int) -> None:
        if seq != self._seq:
            return
        chosen = set(self.selected_ids())
        self.model.set_rows(rows, request_columns(self.fraud_details, self.state))  # Time left, or when decided
        self.hint_label.setText(HINTS[self.decider][self.state])
        words = {"waiting": "waiting", "decided": "decided", "all": "in all"}[self.state]
        more = f" (the first {len(rows)} shown)" if total > len(rows) else ""
        self.count_label.setText(f"{counted(total, 'request')} {words}{more}")
        selection = self.table.selectionModel()
        for row, req in enumerate(rows):
            if req.id in chosen:
                selection.select(self.model.index(row, 0), selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
        if not self.selected() and rows and self.state == "waiting":
            self.table.selectRow(0)  # the next request to decide: the checker goes on with the keyboard
        self._selection_changed()

    def selected(self) -> list[ApprovalView]:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [r for r in (self.model.row_object(i) for i in rows) if r is not None]

    def selected_ids(self) -> list[int]:
        return [r.id for r in self.selected()]

    def _selection_changed(self, *_args: QItemSelection) -> None:
        chosen = self.selected()
        self._above = None
        if self._about is not None and self._about != frozenset(r.id for r in chosen):
            self.result_label.clear()  # "type the reason…" was about the requests selected then (QA4 #3)
            self._about = None
        self._update_buttons()
        if len(chosen) != 1:
            self.approve_button.setToolTip(self._approve_tip)
            self.detail.show_detail(None, len(chosen))
            return
        self._seq_detail += 1
        seq, svc, actor, request_id = self._seq_detail, self.approvals, self.actor, chosen[0].id
        Op(self, lambda _t: svc.detail(actor, request_id)).success(
            lambda d: self._detail_loaded(seq, d)).failure(lambda err: show_error(self, err)).run_in_background()

    def _detail_loaded(self, seq: int, detail: ApprovalDetail) -> None:
        if seq == self._seq_detail:
            self.detail.show_detail(detail)
            self._above = (detail.request.id, detail.above_limit) if detail.above_limit else None
            self._update_buttons()
            self.approve_button.setToolTip(self._approve_tip + (
                f"\nRequest #{detail.request.id}'s transfer is held for fraud review (alert #{detail.open_alert}): "
                "approving keeps it held; it posts only when an analyst clears the alert" if detail.open_alert else ""))

    def _update_buttons(self) -> None:
        chosen = self.selected()
        waiting = [r for r in chosen if r.state == "pending"]
        own = [r for r in waiting if r.maker == self.actor.username]
        enabled = bool(waiting) and len(own) < len(waiting) and not self._busy
        # QA4 #1: one request above this checker's own limit (core's words, read with its detail): reject only
        above = self._above[1] if self._above and [r.id for r in waiting] == [self._above[0]] else None
        self.approve_button.setEnabled(enabled and above is None)
        self.reject_button.setEnabled(enabled)
        self.withdraw_button.setEnabled(bool(own) and len(own) == len(waiting) and not self._busy)
        only_own = bool(own) and len(own) == len(waiting) and self.decider
        text = (f"Request #{own[0].id} is your own: another supervisor approves or rejects it (four eyes)."
                if only_own else (above[0].upper() + above[1:] if above else ""))
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    # -- deciding -------------------------------------------------------------------------------
    def _reject_key(self) -> None:
        if not self.note.text().strip():
            self.note.setFocus()
            self._say("Type the reason for rejecting, then press Enter.", ok=False, about_selection=True)
            return
        self.reject_selected()

    def approve_selected(self) -> None:
        """Look up which of the chosen requests are held for fraud review (on the worker), then confirm what
        will happen (Enter confirms) and approve on the worker."""
        chosen = [r for r in self.selected() if r.state == "pending"]
        if not self.decider or self._busy or not chosen:
            if self.decider and not chosen:
                self._say("Select the waiting requests to approve in the list.", ok=False)
            return
        svc, actor, fraud = self.approvals, self.actor, self.fraud_details
        others = [r for r in chosen if r.maker != actor.username]  # one's own is refused whatever it is (four eyes)

        def work(_task):  # noqa: ANN001, ANN202
            alerts, above = {}, {}
            for r in others:  # core says which are above this checker's own limit, and (to those who see fraud)
                try:          # which have an open alert
                    detail = svc.detail(actor, r.id, activity=1)
                except QenexError:
                    continue  # gone meanwhile: approving it says so, with a result of its own
                if detail.above_limit:
                    above[r.id] = detail.above_limit
                elif fraud and r.transfer_id and detail.open_alert:
                    alerts[r.id] = detail.open_alert
            return alerts, above

        Op(self, work).success(lambda found: self._confirm_approve(chosen, *found)).failure(
            lambda err: show_error(self, err)).run_in_background()

    def _confirm_approve(self, chosen: list[ApprovalView], alerts: dict[int, int],
                         above: dict[int, str] | None = None) -> None:
        """The confirmation says what will really happen: it names every request held for fraud review and its
        alert (their money stays held for the analyst), and every one that will be refused (your own, or above
        your own limit: core's words); only the rest counts under *Money that posts*."""
        if self._busy or [r.id for r in self.selected() if r.state == "pending"] != [r.id for r in chosen]:
            return  # the selection moved on while core was asked: the person chooses again
        above = dict(above or {})
        refused = {r.id: "your own request: another supervisor must approve it (four eyes)"
                   for r in chosen if r.maker == self.actor.username} | above
        totals: dict[str, int] = {}
        for r in chosen:
            if (r.id not in alerts and r.id not in refused and r.amount is not None and r.currency
                    and r.kind not in ("hold_release", "overdraft")):
                totals[r.currency] = totals.get(r.currency, 0) + r.amount
        rows = [("Requests", ", ".join(f"#{r.id} {r.kind_text.lower()}" for r in chosen[:6])
                 + (f" and {len(chosen) - 6} more" if len(chosen) > 6 else ""))]
        if refused:
            rows.append(("Will be refused", "; ".join(f"#{i}: {why}" for i, why in refused.items())))
        if alerts:
            named = ", ".join(f"#{r} (alert #{a})" for r, a in alerts.items())
            one = len(alerts) == 1
            rows.append(("Fraud review", f"{'Request' if one else 'Requests'} {named} {'has' if one else 'have'} "
                                         f"an open fraud alert: {'its' if one else 'their'} money stays held after "
                                         "your approval and posts only when an analyst clears the alert"))
        if totals:
            rows.append(("Money that posts", ", ".join(format_minor(v, c) for c, v in totals.items())))
        if self.note.text().strip():
            rows.append(("Note", self.note.text().strip()))
        ids, note = [r.id for r in chosen], self.note.text()
        outcome = "Each request is carried out on its own; you get a result for each."
        if len(refused) == len(chosen):
            outcome = ("You cannot approve " + ("it" if len(chosen) == 1 else "any of them") + " (see \"Will be "
                       "refused\"): nothing will be carried out or posted.")
        self.dialog = ConfirmDialog(self, "Approve", rows, outcome, lambda: self._decide(ids, note, approve=True),
                                    confirm_text="&Approve", warning=bool(refused))
        self.dialog.finished.connect(lambda _r: self.table.setFocus())
        self.dialog.open()

    def reject_selected(self) -> None:
        chosen = [r for r in self.selected() if r.state == "pending"]
        if not self.decider or self._busy:
            return
        if not chosen:
            self._say("Select the waiting requests to reject in the list.", ok=False, about_selection=True)
            return
        try:  # core's one rule for a decision's reason (core.reasons; core checks it again)
            note = reasons.check(self.note.text(), "the reason for rejecting")
        except QenexError as err:
            self.note.setFocus()
            self._say(f"{err.message[:1].upper()}{err.message[1:]}. Type it in Note or reason: the maker sees it.",
                      ok=False, about_selection=True)
            return
        self.result_label.clear()  # an earlier refusal no longer applies
        ids = [r.id for r in chosen]
        rows = [("Requests", ", ".join(f"#{r.id} {r.kind_text.lower()}" for r in chosen[:6])
                 + (f" and {len(chosen) - 6} more" if len(chosen) > 6 else "")), ("Reason", note)]
        self.dialog = ConfirmDialog(self, "Reject", rows, "Nothing is carried out; money held for these requests "
                                    "is released, and each maker sees the reason.",
                                    lambda: self._decide(ids, note, approve=False), confirm_text="&Reject")
        self.dialog.finished.connect(lambda _r: self.table.setFocus())
        self.dialog.open()

    def withdraw_selected(self) -> None:
        """Ask first (Enter withdraws, Escape keeps them: it cannot be undone, QA7 #4), then take back the selected
        requests of one's own (each on its own, a result for each)."""
        chosen = [r for r in self.selected() if r.state == "pending" and r.maker == self.actor.username]
        if self._busy or not chosen or (self.dialog is not None and self.dialog.isVisible()):
            return
        mine, note = [r.id for r in chosen], self.note.text() if self.decider else ""
        rows = [("Requests", ", ".join(f"#{r.id} {r.kind_text.lower()}" for r in chosen[:6])
                 + (f" and {len(chosen) - 6} more" if len(chosen) > 6 else ""))]
        self.dialog = ConfirmDialog(self, "Withdraw", rows, "Nothing is carried out and money held for these "
                                    "requests is released; to do it after all, make the request again.",
                                    lambda: self._withdraw(mine, note), confirm_text="&Withdraw")
        self.dialog.finished.connect(lambda _r: self.table.setFocus())
        self.dialog.open()

    def _withdraw(self, mine: list[int], note: str) -> None:
        if self._busy:
            return
        svc, actor = self.approvals, self.actor
        self._busy = True
        self._update_buttons()

        def work(_task):  # noqa: ANN001, ANN202
            return svc.withdraw_many(actor, mine, note)

        Op(self, work).success(lambda results: self._decided(mine, results)).failure(self._failed).run_in_background()

    def _decide(self, ids: list[int], note: str, approve: bool) -> None:
        svc, actor = self.approvals, self.actor
        self._busy = True
        self._update_buttons()

        def work(_task):  # noqa: ANN001, ANN202
            return svc.approve_many(actor, ids, note) if approve else svc.reject_many(actor, ids, note)

        Op(self, work).success(lambda results: self._decided(ids, results)).failure(
            self._failed).run_in_background()

    def _decided(self, ids: list[int], results: list) -> None:
        self._busy = False
        lines, failed = [], 0
        for request_id, r in zip(ids, results):
            if isinstance(r, QenexError):
                failed += 1
                lines.append(f"#{request_id}: not done — {console_words(r)}")
            else:
                lines.append(f"#{request_id}: {state_word(r)} ({r.result})")
        head = (f"{len(ids) - failed} done, {failed} refused" if len(ids) > 1 else "")
        self._say("\n".join(([head] if head else []) + lines), ok=failed == 0)
        if failed == 0:
            self.note.clear()
        self.reload(keep_result=True)

    def _failed(self, err: Exception) -> None:
        self._busy = False
        self._update_buttons()
        self._say(console_words(err), ok=False)

    def _say(self, text: str, ok: bool, about_selection: bool = False) -> None:
        """Show ``text``; ``about_selection``: it is about the requests selected now (goes when they change)."""
        self._about = frozenset(self.selected_ids()) if about_selection else None
        self.result_label.setProperty("state", "ok" if ok else "error")
        self.result_label.style().unpolish(self.result_label)
        self.result_label.style().polish(self.result_label)
        self.result_label.setText(text)
