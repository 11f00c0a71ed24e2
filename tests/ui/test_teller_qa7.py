"""QA7 #1/#2: "Print receipt" only ever prints the transaction the result line describes (off once the form is
edited or shows an error), and every wrong field is marked at once, an unknown account included."""
from __future__ import annotations

from PySide6.QtCore import Qt

from core.ledger import numbers
from tests.ui.test_teller import _confirm, _page, _select

UNKNOWN = numbers.make(9_876_543, "deposit")  # valid check digit, no such account


def _post_transfer(qtbot, page, to):  # noqa: ANN001, ANN202
    form = page.transfer_form
    qtbot.keyClicks(form.fields["to"], to)
    qtbot.keyClicks(form.fields["amount"], "10")
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    _confirm(qtbot, form)
    assert form.receipt_button.isEnabled()
    return form


def test_transfer_receipt_goes_off_once_the_form_is_edited_or_wrong(qtbot, services, bank, teller):
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = _post_transfer(qtbot, page, bank[1])
    qtbot.keyClicks(form.fields["to"], "1")  # editing: the form no longer shows what the line describes
    assert not form.receipt_button.isEnabled() and form.last is None
    form.fields["to"].clear()
    form = _post_transfer(qtbot, page, bank[1])
    form.fields["to"].setText(bank[2])  # programmatic, no textEdited: only the error can switch it off
    form.fields["amount"].setText("1.234")
    form.submit()
    assert "at most 2 decimals" in form.field_errors()["amount"]
    assert not form.receipt_button.isEnabled() and form.last is None


def test_cash_receipt_goes_off_on_an_error(qtbot, services, bank, teller):
    services.drawers.open(teller, "D1", "USD", {100_00: 5})
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    cash = page.cash_form
    qtbot.keyClicks(cash.fields["amount"], "40")
    qtbot.keyClick(cash.fields["amount"], Qt.Key.Key_Return)
    _confirm(qtbot, cash)
    assert cash.receipt_button.isEnabled()
    cash.fields["amount"].setText("1.234")
    cash.submit()
    assert "at most 2 decimals" in cash.field_errors()["amount"]
    assert not cash.receipt_button.isEnabled() and cash.last is None


def test_transfer_marks_an_unknown_account_with_the_amount_error(qtbot, services, bank, teller):
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = page.transfer_form
    qtbot.keyClicks(form.fields["to"], UNKNOWN)
    qtbot.keyClicks(form.fields["amount"], "1.234")
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    assert "at most 2 decimals" in form.field_errors()["amount"]
    qtbot.waitUntil(lambda: "to" in form.field_errors())
    assert "from" not in form.field_errors() and form.dialog is None


def test_cash_marks_an_unknown_account_with_the_amount_error(qtbot, services, bank, teller):
    page = _page(qtbot, services, teller)
    cash = page.cash_form
    qtbot.keyClicks(cash.fields["account"], UNKNOWN)
    qtbot.keyClicks(cash.fields["amount"], "1.234")
    qtbot.keyClicks(cash.fields["currency"], "USD")
    qtbot.keyClick(cash.fields["amount"], Qt.Key.Key_Return)
    assert "at most 2 decimals" in cash.field_errors()["amount"]
    qtbot.waitUntil(lambda: "account" in cash.field_errors())
    assert cash.dialog is None


def test_first_down_in_the_search_box_chooses_the_first_match(qtbot, services, bank, teller):
    """QA7 #5: "choose one (↓ or click)": the first ↓ moves to the list and chooses its first match."""
    page = _page(qtbot, services, teller)
    finder = page.finder
    qtbot.keyClicks(finder.search, "grace hoper")  # a near match: nothing opens by itself
    qtbot.waitUntil(lambda: "none is exact" in finder.caption.text())
    assert page.selected_number is None
    finder.search.setFocus()
    qtbot.keyClick(finder.search, Qt.Key.Key_Down)
    assert finder.hits.hasFocus() and finder.hits.currentIndex().row() == 0
    qtbot.waitUntil(lambda: page.selected_number == bank[1])
    # ↓ typed before the search ran: the first match is chosen once it arrives
    finder.search.setFocus()
    finder.search.clear()
    qtbot.keyClicks(finder.search, "alan turin")
    qtbot.keyClick(finder.search, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: page.selected_number == bank[2])
    assert finder.hits.hasFocus()


def test_standing_instruction_marks_an_unknown_payee_with_the_amount_error(qtbot, services, bank, teller):
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    page.tabs.setCurrentIndex(next(i for i in range(page.tabs.count()) if page.tabs.tabText(i) == "Standing"))
    dialog = page.standing_panel.add_dialog()
    qtbot.waitUntil(dialog.isVisible)
    qtbot.keyClicks(dialog.to_edit, UNKNOWN)
    qtbot.keyClicks(dialog.amount, "1.234")
    qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
    assert "at most 2 decimals" in dialog.form.field_errors()["amount"]
    qtbot.waitUntil(lambda: "to" in dialog.form.field_errors())
    assert dialog.confirm is None
    dialog.reject()
