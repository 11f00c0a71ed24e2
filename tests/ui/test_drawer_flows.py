"""Drawer and standing-instruction flows driven through the widgets: open a drawer with a counted float,
cash through it, close it blind with a variance that needs a supervisor's note; cash without a drawer;
cash above the CTR threshold; a standing instruction added and run with its history shown."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from PySide6.QtCore import Qt
from sqlalchemy import func, insert, select

from core.persistence.base import utcnow
from core.persistence.models import DrawerSession, StandingRun, Transfer, User
from core.security.roles import SYSTEM_ACTOR, Actor, Role
from tests.ui.test_teller import _confirm, _page, _select

SUPERVISOR_PASSWORD = "the supervisor signs at the desk"


def _off_ui(work):  # noqa: ANN001, ANN202
    """The test's own database checks run on another thread, so ``ui_thread_sql`` sees only the UI's."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


def _supervisor(services, name: str = "sam") -> None:  # noqa: ANN001
    _off_ui(lambda: _insert_supervisor(services, name))


def _insert_supervisor(services, name: str) -> None:  # noqa: ANN001
    """An active supervisor who signs with SUPERVISOR_PASSWORD (no authenticator app yet)."""
    services.users.add_user(SYSTEM_ACTOR, name, "supervisor", SUPERVISOR_PASSWORD, must_change_password=False)


def _count(services, table) -> int:  # noqa: ANN001
    def work() -> int:
        with services.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()

    return _off_ui(work)


def _confirmed(qtbot, widget):  # noqa: ANN001, ANN202
    """The confirmation a money movement opens (the drawer's float, a vault move, a hold)."""
    qtbot.waitUntil(lambda: widget.confirm_dialog is not None and widget.confirm_dialog.isVisible())
    return widget.confirm_dialog


def _drawer_tab(qtbot, page):  # noqa: ANN001, ANN202
    page.tabs.setCurrentIndex(next(i for i in range(page.tabs.count()) if page.tabs.tabText(i) == "Drawer"))
    panel = page.drawer_panel
    qtbot.waitUntil(lambda: "No drawer is open" in panel.title.text())
    return panel


def test_open_cash_and_close_blind_with_a_variance_and_a_note(qtbot, services, bank, teller, ui_thread_sql):
    _supervisor(services)
    page = _page(qtbot, services, teller)
    panel = _drawer_tab(qtbot, page)
    grid = panel.float_grid
    # bad counts are refused inline, each marked on its row and all listed at once (QA #13); nothing written
    qtbot.keyClicks(grid.edits[100_00], "5x")
    qtbot.keyClicks(grid.edits[1_00], "-3")
    qtbot.keyClicks(grid.edits[25], "1.5")
    qtbot.keyClick(grid.edits[100_00], Qt.Key.Key_Return)
    assert grid.bad_rows() == [100_00, 1_00, 25] and grid.error.isVisibleTo(panel)
    assert "3 counts need fixing" in grid.error.text() and grid.error.text().count("not a number of pieces") == 3
    assert grid.edits[100_00].property("invalid") and grid.edits[100_00].hasFocus()
    assert panel.confirm_dialog is None and _count(services, DrawerSession.__table__) == 0
    grid.edits[1_00].selectAll()
    qtbot.keyClicks(grid.edits[1_00], "3")  # typing in a row clears its mark
    assert grid.bad_rows() == [100_00, 25] and not grid.edits[1_00].property("invalid")
    grid.edits[1_00].clear()
    grid.edits[25].clear()
    grid.edits[100_00].clear()
    qtbot.keyClicks(grid.edits[25], "x")
    qtbot.keyClick(grid.edits[25], Qt.Key.Key_Return)
    assert grid.bad_rows() == [25]
    grid.edits[25].clear()
    qtbot.keyClicks(grid.edits[100_00], "5")
    qtbot.keyClicks(grid.edits[20_00], "20")
    assert grid.total_label.text() == "$900.00"
    qtbot.keyClick(grid.edits[20_00], Qt.Key.Key_Return)
    opening = _confirmed(qtbot, panel)  # QA #14: the float moves from the vault: confirmed first
    assert opening.text("Opening float") == "$900.00" and "from the vault" in opening.outcome.text()
    assert _count(services, DrawerSession.__table__) == 0
    qtbot.keyClick(opening.confirm_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.session is not None)
    # QA #17: said once (the title), and the sessions table shows what is known, no dashes
    assert panel.title.text() == "Drawer D1 (USD) is open." and not panel.status.isVisibleTo(panel)
    assert "with a float of $900.00" in panel.session_label.text()
    qtbot.waitUntil(lambda: panel.sessions_model.rowCount() == 1)
    model = panel.sessions_model
    assert [model.headerData(i, Qt.Orientation.Horizontal) for i in range(3, 6)] == ["Status", "Counted", "Difference"]
    assert [model.data(model.index(0, i)) for i in range(3, 6)] == ["open", "", ""]
    # QA #15: the count is blind: the teller is not shown the cash the ledger expects before the count
    assert "shown after your blind count" in panel.expected_label.text() and "$" not in panel.expected_label.text()
    # a deposit through the Cash tab goes into the drawer
    _select(qtbot, page, bank[0])
    cash = page.cash_form
    qtbot.keyClicks(cash.fields["amount"], "100")
    qtbot.keyClick(cash.fields["amount"], Qt.Key.Key_Return)
    dialog = _confirm(qtbot, cash)
    assert dialog.text("Drawer") == "D1: takes in $100.00"  # no running drawer total for a teller
    qtbot.waitUntil(lambda: _count(services, Transfer.__table__) > 0 and "Deposited" in cash.status.text())
    # close blind: the expected figure is not shown before the count is in
    close = panel.close_dialog()
    qtbot.waitUntil(close.isVisible)
    assert not close.result_box.isVisibleTo(close) and "$1,000.00" not in close.figures.text()
    qtbot.keyClicks(close.grid.edits[100_00], "9")
    qtbot.keyClicks(close.grid.edits[20_00], "2")  # 940.00: short 60.00, above the 20.00 limit
    qtbot.keyClick(close.grid.edits[20_00], Qt.Key.Key_Return)
    # QA4 #8: a count is final, so it is asked first (No is the default: Enter does not submit it)
    qtbot.waitUntil(lambda: close.confirm_box.isVisible())
    assert "$940.00" in close.confirm_box.text() and "final" in close.confirm_box.text()
    qtbot.wait(200)
    assert close.result is None
    close.confirm_box.button(close.confirm_box.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: close.result is not None)
    assert "expected $1,000.00" in close.figures.text() and "short $60.00" in close.figures.text()
    assert close.note_hint.isVisibleTo(close)
    assert not close.close_button.isEnabled() and "at least 10 characters" in close.reason_hint.text()  # no note
    qtbot.keyClick(close.close_button, Qt.Key.Key_Return)
    assert close.signoff is None  # nothing posted
    qtbot.keyClicks(close.note, "counted twice, a bundle is missing")
    qtbot.keyClick(close.note, Qt.Key.Key_Return)
    sign = close.signoff  # QA #16: the supervisor signs with their own password in a small dialog
    qtbot.waitUntil(sign.isVisible)
    assert sign.password.echoMode() == sign.password.EchoMode.Password
    qtbot.keyClicks(sign.supervisor, "tina")
    qtbot.keyClicks(sign.password, "whatever")
    qtbot.keyClick(sign.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "not an active supervisor" in sign.form.field_errors().get("supervisor", ""))
    sign.supervisor.setText("sam")
    sign.password.setText("a guess")  # typing the name is not enough: the password is checked as a sign-in
    sign.submit()
    qtbot.waitUntil(lambda: "not sam's password" in sign.form.field_errors().get("password", ""))
    assert sign.password.text() == "" and sign.isVisible()
    qtbot.keyClicks(sign.password, SUPERVISOR_PASSWORD)
    with qtbot.waitSignal(close.closed):
        qtbot.keyClick(sign.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Drawer D1 closed: short $60.00 posted to cash over/short" in panel.status.text())
    qtbot.waitUntil(lambda: panel.session is None and panel.sessions_model.rowCount() == 1)
    s = panel.sessions_model.row_object(0)
    assert (s.status, s.difference, s.supervisor) == ("closed", -60_00, "sam")
    path = services.settings.data_dir / "drawer.pdf"
    panel.save_report(path)
    qtbot.waitUntil(lambda: "Saved the report" in panel.status.text())
    assert path.read_bytes().startswith(b"%PDF")
    assert ui_thread_sql == []


def test_cash_without_an_open_drawer_says_so_and_posts_nothing(qtbot, services, bank, teller):
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    before = _count(services, Transfer.__table__)
    cash = page.cash_form
    qtbot.keyClicks(cash.fields["amount"], "10")
    qtbot.keyClick(cash.fields["amount"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "no open USD cash drawer" in cash.status.text())
    assert cash.dialog is None and _count(services, Transfer.__table__) == before
    panel = _drawer_tab(qtbot, page)  # QA4 #3: once a drawer opens the message is gone
    qtbot.keyClicks(panel.float_grid.edits[100_00], "5")
    qtbot.keyClick(panel.float_grid.edits[100_00], Qt.Key.Key_Return)
    qtbot.keyClick(_confirmed(qtbot, panel).confirm_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.session is not None)
    assert cash.status.isHidden()


def test_print_receipt_after_a_refusal_prints_nothing(qtbot, services, bank, teller):
    """QA4 #4: after a refused posting "Print receipt" is off (it printed the previous transaction's)."""
    services.drawers.open(teller, "D1", "USD", {100_00: 5})
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    cash = page.cash_form
    qtbot.keyClicks(cash.fields["amount"], "100")
    qtbot.keyClick(cash.fields["amount"], Qt.Key.Key_Return)
    _confirm(qtbot, cash)
    qtbot.waitUntil(lambda: "Deposited $100.00" in cash.status.text() and cash.receipt_button.isEnabled())
    from core.errors import QenexError

    cash._failed(QenexError("refused for the test"))  # noqa: SLF001 - any refusal, from the review or the posting
    assert not cash.receipt_button.isEnabled() and cash.last is None


def test_cash_above_the_threshold_asks_for_the_id_document(qtbot, services, bank, teller):
    services.drawers.open(teller, "D1", "USD", {100_00: 10})
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    cash = page.cash_form
    assert not cash.id_visible()
    qtbot.keyClicks(cash.fields["amount"], "12,000")
    qtbot.keyClick(cash.fields["amount"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "needs the customer's ID document" in cash.field_errors().get("id_number", ""))
    assert cash.id_visible() and cash.dialog is None
    qtbot.keyClicks(cash.fields["id_number"], "P 123 456")
    qtbot.keyClick(cash.fields["id_number"], Qt.Key.Key_Return)
    dialog = _confirm(qtbot, cash)
    assert "currency transaction report" in dialog.text("Reported")
    (flag,) = services.drawers.cash_reports(teller)
    assert (flag.amount, flag.id_number) == (12_000_00, "P123456")


def test_the_id_prompt_shows_the_days_total_and_a_wrong_document_is_caught_before_the_review(qtbot, services,
                                                                                              teller):
    """QA #12: the prompt gives the day's running cash total; QA #11: a document that is not the one on file
    is refused in core's check before the review opens, not after Confirm."""
    from tests.teller.conftest import new_customer

    customer = services.teller.add_customer(SYSTEM_ACTOR, new_customer())  # passport X1234567 on file
    account = services.teller.open_account(SYSTEM_ACTOR, customer.id, "USD").number
    services.drawers.open(teller, "D1", "USD", {100_00: 10})
    services.drawers.deposit(teller, account, 200_00, "USD")  # earlier today, below the threshold
    page = _page(qtbot, services, teller)
    _select(qtbot, page, account)
    cash = page.cash_form
    qtbot.keyClicks(cash.fields["amount"], "11,000")
    qtbot.keyClick(cash.fields["amount"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "ID document" in cash.field_errors().get("id_number", ""))
    assert "today comes to $11,200.00 ($200.00 earlier and $11,000.00 now)" in cash.field_errors()["id_number"]
    qtbot.keyClicks(cash.fields["id_number"], "X123")
    qtbot.keyClick(cash.fields["id_number"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "not the one on file" in cash.field_errors().get("id_number", ""))
    assert cash.dialog is None and "passport ending 567" in cash.field_errors()["id_number"]
    cash.fields["id_number"].setText("X1234567")
    qtbot.keyClick(cash.fields["id_number"], Qt.Key.Key_Return)
    dialog = _confirm(qtbot, cash)
    assert "X1234567" in dialog.text("Reported")


def test_a_standing_instruction_is_added_and_run_with_history(qtbot, services, bank, teller):
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    page.tabs.setCurrentIndex(next(i for i in range(page.tabs.count()) if page.tabs.tabText(i) == "Standing"))
    panel = page.standing_panel
    dialog = panel.add_dialog()
    qtbot.waitUntil(dialog.isVisible)
    dialog.review()  # nothing typed: both fields are marked at once (QA #6)
    assert {"to", "amount"} <= set(dialog.form.field_errors())
    qtbot.keyClicks(dialog.to_edit, bank[0])
    qtbot.keyClicks(dialog.amount, "400")
    qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.confirm is not None and dialog.confirm.isVisible())
    qtbot.keyClick(dialog.confirm.confirm_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "into another account" in dialog.form.field_errors().get("to", ""))
    assert dialog.isVisible() and services.standing.list(teller) == []  # refused inline, nothing written
    dialog.to_edit.setText(bank[1])
    dialog.frequency.setCurrentIndex(dialog.frequency.findData("weekly"))
    dialog.description.setText("allowance")
    dialog.review()
    qtbot.waitUntil(lambda: dialog.confirm.isVisible())
    payee = _off_ui(lambda: services.teller.account(teller, bank[1]).account.name)
    assert dialog.confirm.text("Pay to") == f"{payee} ({bank[1]})"  # the payee's name, with the number
    with qtbot.waitSignal(dialog.added):
        qtbot.keyClick(dialog.confirm.confirm_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1)
    (si,) = services.standing.list(teller, account=bank[0])
    # three weeks of due dates already passed (as if the console had been closed): 400.00 x 3 > 1,000.00
    services.standing.run_due(SYSTEM_ACTOR, through=date.today() + timedelta(days=14))
    panel.reload()
    qtbot.waitUntil(lambda: len(panel.runs()) == 3)
    assert [r.state for r in panel.runs()] == ["failed", "posted", "posted"]
    assert "1 failed" in panel.runs_title.text()
    assert "insufficient" in panel.runs_model.data(panel.runs_model.index(0, 3)).lower() or \
        "available" in panel.runs_model.data(panel.runs_model.index(0, 3)).lower()
    assert not panel.run_button.isEnabled()  # a teller may not run the scheduler's job, and core says so too
    panel.run_due()
    qtbot.waitUntil(lambda: "supervisor role may" in panel.status.text())
    assert _off_ui(lambda: services.standing.run_due(SYSTEM_ACTOR)) == []  # nothing more is due today: never twice
    assert _count(services, StandingRun.__table__) == 3
    qtbot.waitUntil(lambda: page.current_label.text() == "$200.00")
    assert si.id == panel.model.row_object(0).id


def test_standing_instruction_warns_when_it_exceeds_the_balance_and_cancel_asks_first(qtbot, services, bank, teller):
    """QA2 #29: the confirmation warns (a warning, not a refusal); Cancel selected opens a confirmation and
    Escape there keeps the instruction; the header names the failing instruction plainly."""
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    page.tabs.setCurrentIndex(next(i for i in range(page.tabs.count()) if page.tabs.tabText(i) == "Standing"))
    panel = page.standing_panel
    dialog = panel.add_dialog()
    qtbot.waitUntil(dialog.isVisible)
    qtbot.keyClicks(dialog.to_edit, bank[1])
    qtbot.keyClicks(dialog.amount, "5000")
    qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.confirm is not None and dialog.confirm.isVisible())
    assert "less than one run of $5,000.00" in dialog.confirm.text("Warning")
    with qtbot.waitSignal(dialog.added):
        qtbot.keyClick(dialog.confirm.confirm_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1)
    assert "Warning:" in panel.status.text() and panel.status.property("state") == "warning"
    assert panel.title.text() == f"1 standing instruction paying from or into {bank[0]}"
    confirm = panel.cancel_selected()
    assert confirm is not None and confirm.isVisible() and not panel.status.isVisible()
    qtbot.keyClick(confirm, Qt.Key.Key_Escape)
    assert _off_ui(lambda: services.standing.list(teller, account=bank[0]))[0].status == "active"
    confirm = panel.cancel_selected()
    qtbot.keyClick(confirm.confirm_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "cancelled" in panel.status.text())
    assert _off_ui(lambda: services.standing.list(teller, account=bank[0]))[0].status == "cancelled"


def test_the_scheduled_job_runs_due_instructions_on_the_worker(qtbot, services, bank, teller):
    from PySide6.QtCore import QObject

    from app.upkeep import start_standing

    si = _off_ui(lambda: services.standing.add(teller, bank[0], bank[1], 25_00, "monthly", date.today()))
    owner = QObject()
    start_standing(services, owner)  # runs at once, then on its timer
    qtbot.waitUntil(lambda: _count(services, StandingRun.__table__) == 1, timeout=10_000)
    (run,) = _off_ui(lambda: services.standing.runs(teller, si.id))
    assert run.state == "posted" and run.due_date == date.today()
    owner.deleteLater()


def test_every_teller_tab_has_unique_alt_letters(qtbot, services, bank, teller):
    """An Alt+letter shared by two visible widgets only cycles focus between them (found on the Standing
    tab: New customer / New standing instruction / Cancel): each tab's letters are unique."""
    import re

    from PySide6.QtWidgets import QAbstractButton, QLabel, QMenuBar

    from ui.main_window import MainWindow
    from ui.theme import Theme

    window = MainWindow(services, teller, Theme())
    qtbot.addWidget(window)
    window.resize(1180, 760)
    window.show()
    window.show_page("teller")
    page = window.page("teller")
    _select(qtbot, page, bank[0])
    menu_letters = [a.text() for bar in window.findChildren(QMenuBar) for a in bar.actions()]
    for index in range(page.tabs.count()):
        page.tabs.setCurrentIndex(index)
        qtbot.wait(20)
        texts = list(menu_letters)
        for w in window.findChildren(QAbstractButton) + window.findChildren(QLabel):
            if w.isVisible() and (not isinstance(w, QLabel) or w.buddy() is not None):
                texts.append(w.text())
        letters = [m.group(1).lower() for t in texts for m in [re.search(r"&([^&])", t)] if m]
        dupes = {ch for ch in letters if letters.count(ch) > 1}
        assert not dupes, (page.tabs.tabText(index), dupes, texts)


def test_a_drawer_counted_earlier_closes_from_its_figures(qtbot, services, bank, teller):
    s = services.drawers.open(teller, "D1", "USD", {100_00: 5})
    services.drawers.count(teller, s.id, {100_00: 5, 1_00: 3})  # over 3.00: within the limit
    page = _page(qtbot, services, teller)
    panel = page.drawer_panel
    qtbot.waitUntil(lambda: panel.session is not None and panel.session.status == "counted")
    assert "counted, not yet closed" in panel.title.text() and not panel.vault_form.isEnabled()
    close = panel.close_dialog()
    assert not close.count_box.isVisibleTo(close) and "over $3.00" in close.figures.text()
    assert not close.note_hint.isVisibleTo(close)
    with qtbot.waitSignal(close.closed):
        qtbot.keyClick(close.close_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Drawer D1 closed: over $3.00" in panel.status.text())


def test_a_cash_deposit_prints_a_receipt(qtbot, services, bank, teller):
    """Cash at the desk gets a receipt like a transfer (issue 10: receipts; Fineract's users miss them):
    the button waits for a posting, saves a PDF, and a second copy is a numbered reprint."""
    page = _page(qtbot, services, teller)
    panel = _drawer_tab(qtbot, page)
    qtbot.keyClicks(panel.float_grid.edits[100_00], "5")
    qtbot.keyClick(panel.float_grid.edits[100_00], Qt.Key.Key_Return)
    qtbot.keyClick(_confirmed(qtbot, panel).confirm_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.session is not None)
    _select(qtbot, page, bank[0])
    cash = page.cash_form
    assert not cash.receipt_button.isEnabled()
    qtbot.keyClicks(cash.fields["amount"], "100")
    qtbot.keyClick(cash.fields["amount"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: cash.dialog is not None and cash.dialog.isVisible(), timeout=10_000)
    assert not cash.receipt_button.isEnabled()  # the review ended (busy off): still nothing to print
    _confirm(qtbot, cash)
    qtbot.waitUntil(lambda: "Deposited $100.00" in cash.status.text())
    qtbot.waitUntil(cash.receipt_button.isEnabled)
    cash.receipt_button.click()
    qtbot.waitUntil(lambda: "Receipt saved:" in cash.status.text(), timeout=10_000)
    first = next((services.settings.data_dir / "receipts").glob("receipt-*-copy1.pdf"))
    assert first.read_bytes().startswith(b"%PDF") and cash.last.id in first.name
    cash.receipt_button.click()
    qtbot.waitUntil(lambda: "reprint, copy 2" in cash.status.text(), timeout=10_000)
    _select(qtbot, page, bank[1])  # another account: the last receipt is not offered for it
    assert not cash.receipt_button.isEnabled()


def test_cash_from_the_vault_is_confirmed_first(qtbot, services, bank, teller):
    """QA #14: moving cash between the vault and the drawer is a money movement: it is confirmed first."""
    services.drawers.open(teller, "D1", "USD", {100_00: 5})
    page = _page(qtbot, services, teller)
    panel = page.drawer_panel
    qtbot.waitUntil(lambda: panel.session is not None)
    panel.vault_amount.setText("200")
    panel.from_vault_button.click()
    dialog = _confirmed(qtbot, panel)
    assert dialog.text("Amount") == "$200.00" and "from the vault into drawer D1" in dialog.text("From → to")
    dialog.reject()
    assert services.drawers.session(Actor("sam", Role.SUPERVISOR), panel.session.id).cash == 500_00  # nothing moved
    panel.from_vault_button.click()
    qtbot.waitUntil(lambda: panel.confirm_dialog is not dialog and panel.confirm_dialog.isVisible())
    qtbot.keyClick(panel.confirm_dialog.confirm_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Moved $200.00 from the vault into the drawer" in panel.vault_form.status.text())


def test_selected_buttons_wait_for_a_selection(qtbot, services, bank, teller):
    """QA3 #10: "Cancel selected" (Standing) and the hold release are disabled until a row is selected."""
    from tests.ui.test_teller_flows import _place

    supervisor = Actor("sam", Role.SUPERVISOR, device="desk-test")  # may release: only the selection is missing
    page = _page(qtbot, services, supervisor)
    _select(qtbot, page, bank[0])
    panel, holds = page.standing_panel, page.holds_panel
    qtbot.waitUntil(lambda: panel.title.text().startswith("No standing instructions"))
    assert not panel.cancel_button.isEnabled() and not holds.release_button.isEnabled()
    holds.amount.setText("10")
    _place(qtbot, holds)
    qtbot.waitUntil(lambda: holds.model.rowCount() == 1)
    assert not holds.release_button.isEnabled()
    holds.table.selectRow(0)
    assert holds.release_button.isEnabled()


def test_a_withdrawal_sent_for_approval_says_pay_out_once_approved(qtbot, services, bank, teller):
    """QA4 #1 and #5: the review says nothing changes until approved; once a supervisor approves, the Cash
    tab's line says to pay out now (it said "Waiting for approval … not paid out" even after F5)."""
    sam = Actor("sam", Role.SUPERVISOR, device="desk-2")
    services.approvals.set_limit(SYSTEM_ACTOR, "teller", "USD", 10_00)
    services.drawers.open(teller, "D1", "USD", {100_00: 5})
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    cash = page.cash_form
    cash.withdraw_radio.setChecked(True)
    qtbot.keyClicks(cash.fields["amount"], "50")
    cash.submit()
    qtbot.waitUntil(lambda: cash.dialog is not None and cash.dialog.isVisible())
    assert cash.dialog.text("Balance after").startswith("no change until a supervisor approves")
    assert "nothing until a supervisor approves" in cash.dialog.text("Drawer")
    with qtbot.waitSignal(cash.posted):
        cash.dialog.confirm_button.click()
    assert cash.status.text().startswith("Waiting for approval: $50.00")
    with ThreadPoolExecutor(1) as pool:
        [request] = pool.submit(lambda: services.approvals.list(sam)).result()
        pool.submit(lambda: services.approvals.approve(sam, request.id)).result()
    page.refresh()
    qtbot.waitUntil(lambda: cash.status.text().startswith(f"Approved by sam: pay out $50.00 from {bank[0]} now"))


def test_a_withdrawal_nobody_could_approve_is_refused_at_the_review(qtbot, services, bank, teller):
    """The Cash tab's review said "Send for approval" for an amount above every checker's limit, which the
    posting then refused; core's check refuses it before the review, on the amount, with what to do."""
    services.approvals.set_limit(SYSTEM_ACTOR, "teller", "USD", 10_00)
    services.approvals.set_limit(SYSTEM_ACTOR, "supervisor", "USD", 20_00)
    services.drawers.open(teller, "D1", "USD", {100_00: 5})
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    cash = page.cash_form
    cash.withdraw_radio.setChecked(True)
    qtbot.keyClicks(cash.fields["amount"], "50")
    cash.submit()
    qtbot.waitUntil(lambda: "above every approver's limit" in cash.status.text()
                    or "above every approver's limit" in str(cash.field_errors()))
    assert cash.dialog is None or not cash.dialog.isVisible()
