"""The teller page: account list, selection drives everything, transfers and cash with confirmation."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ui.teller.page import TellerPage


def _page(qtbot, services, actor):  # noqa: ANN001, ANN202
    page = TellerPage(services, actor)
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() > 0)
    return page


def _select(qtbot, page, number):  # noqa: ANN001
    qtbot.waitUntil(lambda: any(page.model.row_object(r) is not None for r in range(page.model.rowCount())))
    row = next(r for r in range(page.model.rowCount()) if page.model.row_object(r).number == number)
    page.table.selectRow(row)
    qtbot.waitUntil(lambda: page.selected_number == number and page.current_label.text() not in ("—", ""))


def _confirm(qtbot, form):  # noqa: ANN001
    qtbot.waitUntil(lambda: form.dialog is not None and form.dialog.isVisible())
    dialog = form.dialog
    with qtbot.waitSignal(form.posted):
        qtbot.keyClick(dialog.confirm_button, Qt.Key.Key_Return)
    return dialog


def test_accounts_load_customer_first_and_selection_shows_everything(qtbot, services, bank, teller, ui_thread_sql):
    page = _page(qtbot, services, teller)
    qtbot.waitUntil(lambda: page.model.row_object(0) is not None)
    assert page.model.row_object(0).kind == "deposit"  # customer accounts first, then the bank's own
    _select(qtbot, page, bank[0])
    assert page.current_label.text() == "$1,000.00"
    assert page.customer_panel.overdraft_label.text() == "$0.00"
    assert page.transfer_form.text("from") == bank[0]
    qtbot.waitUntil(lambda: [ln.amount for ln in page.statement_lines()] == [100000])
    assert page.customer_panel.name.text() == "Ada Lovelace"
    assert ui_thread_sql == []


def test_transfer_shows_confirmation_then_posts_and_refreshes(qtbot, services, bank, teller, ui_thread_sql):
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = page.transfer_form
    qtbot.keyClicks(form.fields["to"], bank[1])
    qtbot.keyClicks(form.fields["amount"], "1,125.50")  # the operator's grouping
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "amount" in form.field_errors())  # above 1,000.00: refused by the preview, inline
    assert "$1,000.00 available" in form.field_errors()["amount"]
    form.fields["amount"].clear()
    qtbot.keyClicks(form.fields["amount"], "125.50")
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    dialog = _confirm(qtbot, form)
    assert dialog.text("To").endswith("Grace Hopper") and dialog.text("Amount") == "$125.50"
    assert dialog.text("Balance after").startswith("$874.50")
    assert "Posted $125.50" in form.status.text()
    qtbot.waitUntil(lambda: page.current_label.text() == "$874.50")
    assert ui_thread_sql == []


def test_receipt_and_reprint(qtbot, services, bank, teller):
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = page.transfer_form
    qtbot.keyClicks(form.fields["to"], bank[1])
    qtbot.keyClicks(form.fields["amount"], "10")
    form.submit()
    qtbot.waitUntil(lambda: form.dialog is not None and form.dialog.isVisible())
    assert not form.receipt_button.isEnabled()  # seen on screen: enabled by the review, with nothing to print
    _confirm(qtbot, form)
    assert form.receipt_button.isEnabled()
    form.print_receipt()
    qtbot.waitUntil(lambda: "Receipt saved" in form.status.text())
    form.print_receipt()
    qtbot.waitUntil(lambda: "reprint, copy 2" in form.status.text())
    saved = sorted(p.name for p in (services.settings.data_dir / "receipts").iterdir())
    assert len(saved) == 2 and saved[1].endswith("copy2.pdf")


def test_transfer_errors_show_inline_and_post_nothing(qtbot, services, bank, teller):
    page = _page(qtbot, services, teller)
    form = page.transfer_form
    qtbot.keyClicks(form.fields["from"], bank[0][:-1] + str((int(bank[0][-1]) + 1) % 10))
    qtbot.keyClicks(form.fields["to"], bank[1])
    qtbot.keyClicks(form.fields["amount"], "1.234")
    qtbot.keyClicks(form.fields["currency"], "USD")
    form.submit()
    errors = form.field_errors()
    assert "not a valid account number" in errors["from"]
    assert errors["amount"] == "USD amounts have at most 2 decimals; 1.234 has 3"
    assert form.fields["from"].property("invalid") is True
    assert form.dialog is None


def test_cash_withdrawal_needs_its_choice_and_enter_never_deposits_after_it(qtbot, services, bank, teller):
    services.drawers.open(teller, "D1", "USD", {100_00: 5})  # cash goes through the teller's open drawer
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    cash = page.cash_form
    cash.withdraw_radio.setChecked(True)
    qtbot.keyClicks(cash.fields["amount"], "40")
    qtbot.keyClick(cash.fields["amount"], Qt.Key.Key_Return)
    dialog = _confirm(qtbot, cash)
    assert "withdrawal" in dialog.windowTitle().lower()
    assert cash.status.text().startswith("Withdrew $40.00")
    qtbot.waitUntil(lambda: page.current_label.text() == "$960.00")
    qtbot.keyClicks(cash.fields["amount"], "5")
    qtbot.keyClick(cash.fields["amount"], Qt.Key.Key_Return)  # still a withdrawal, confirmed again
    qtbot.waitUntil(lambda: cash.dialog is not dialog and cash.dialog.isVisible())
    assert "withdrawal" in cash.dialog.windowTitle().lower()
    cash.dialog.reject()


def test_switching_accounts_clears_old_messages(qtbot, services, bank, teller):
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = page.transfer_form
    qtbot.keyClicks(form.fields["to"], bank[1])
    qtbot.keyClicks(form.fields["amount"], "1")
    form.submit()
    _confirm(qtbot, form)
    assert form.status.isVisibleTo(form)
    _select(qtbot, page, bank[1])
    assert not form.status.isVisibleTo(form) and form.text("from") == bank[1]


def test_ctrl_end_and_a_search_never_leave_a_stale_account(qtbot, services, bank, teller):
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    last = page.model.rowCount() - 1
    qtbot.waitUntil(lambda: page.selected_number == page.model.row_object(last).number)
    qtbot.keyClicks(page.finder.search, "Grace")
    qtbot.waitUntil(lambda: page.finder.hits_model.rowCount() > 0)
    assert page.selected_number is None  # a near match opens nothing (QA #3), and nothing stale stays
    page.finder.hits.selectRow(0)  # the teller chooses
    qtbot.waitUntil(lambda: page.selected_number == bank[1])
    assert page.customer_panel.name.text() == "Grace Hopper"


def test_mnemonics_move_focus_and_tab_order_follows_the_form(qtbot, services, bank, teller):
    page = _page(qtbot, services, teller)
    page.window().activateWindow()
    page.tabs.setCurrentIndex(1)
    form = page.transfer_form
    form.fields["from"].setFocus()
    qtbot.keyClick(form.fields["from"], Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is form.fields["to"])
    assert form.text("from") == ""  # the letter was not typed
    form.fields["from"].setFocus()
    qtbot.keyClick(form.fields["from"], Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is form.fields["to"]


def test_amounts_are_typed_and_shown_in_the_operators_locale(qtbot, services, bank, teller, monkeypatch):
    from core.ledger import money

    monkeypatch.setattr(money, "_default_locale", "de_DE")  # as QENEX_LOCALE=de_DE sets it at start
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = page.transfer_form
    qtbot.keyClicks(form.fields["to"], bank[1])
    qtbot.keyClicks(form.fields["amount"], "12.50")  # "." groups thousands in de_DE: refused, never read as 1250
    form.submit()
    assert "type digits like 1.234,50" in form.field_errors()["amount"]
    form.fields["amount"].clear()
    qtbot.keyClicks(form.fields["amount"], "1.000,00")
    form.submit()
    _confirm(qtbot, form)
    assert "1.000,00" in form.status.text()
    qtbot.waitUntil(lambda: page.current_label.text() == "0,00\xa0$")


def test_transfer_shows_every_refusal_at_once(qtbot, services, bank, teller):
    """QA #6: an unknown payee and too much money are both marked on one review, each saying what to do."""
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = page.transfer_form
    qtbot.keyClicks(form.fields["to"], "1000999993")
    qtbot.keyClicks(form.fields["amount"], "9,999,999")
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: {"to", "amount"} <= set(form.field_errors()))
    assert "check the number" in form.field_errors()["to"] and "available" in form.field_errors()["amount"]


def test_a_from_account_of_another_customer_switches_and_posting_clears_the_form(qtbot, services, bank, teller):
    """QA #9: with Ada on screen, a From account of Grace's switches the page to Grace and says so (nothing
    opens to confirm); after posting, To, amount and description are empty (nothing invites a duplicate)."""
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = page.transfer_form
    form.fields["from"].setText(bank[1])
    qtbot.keyClicks(form.fields["to"], bank[2])
    qtbot.keyClicks(form.fields["amount"], "10")
    form.submit()
    qtbot.waitUntil(lambda: page.selected_number == bank[1] and "Grace Hopper's" in form.status.text())
    assert page.customer_panel.name.text() == "Grace Hopper" and form.dialog is None
    assert form.text("from") == bank[1] and form.text("to") == bank[2]  # kept to review again
    qtbot.keyClicks(form.fields["description"], "rent")
    form.submit()
    qtbot.waitUntil(lambda: form.dialog is not None and form.dialog.isVisible())
    _confirm(qtbot, form)
    assert (form.text("to"), form.text("amount"), form.text("description")) == ("", "", "")
    assert form.text("from") == bank[1]
