"""The teller page: lazy accounts table, balance and statement, transfers and cash with inline errors."""
from __future__ import annotations

from PySide6.QtCore import Qt

from ui.teller.page import TellerPage


def _page(qtbot, services, actor):  # noqa: ANN001, ANN202
    page = TellerPage(services, actor)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() > 0)
    return page


def _select(qtbot, page, number):  # noqa: ANN001
    qtbot.waitUntil(lambda: any(page.model.row_object(r) is not None for r in range(page.model.rowCount())))
    row = next(r for r in range(page.model.rowCount()) if page.model.row_object(r).number == number)
    page.table.selectRow(row)
    qtbot.waitUntil(lambda: page.current_label.text() != "—")


def test_accounts_load_and_selection_shows_balance_and_statement(qtbot, services, bank, teller, ui_thread_sql):
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    assert page.current_label.text() == "$1,000.00"
    assert page.transfer_form.text("from") == bank[0]
    assert [line.amount for line in page.statement_lines()] == [100000]
    assert ui_thread_sql == []


def test_transfer_posts_and_refreshes(qtbot, services, bank, teller, ui_thread_sql):
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = page.transfer_form
    qtbot.keyClicks(form.fields["to"], bank[1])
    qtbot.keyClicks(form.fields["amount"], "125.50")
    with qtbot.waitSignal(form.posted):
        qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    assert "Posted $125.50" in form.status.text()
    qtbot.waitUntil(lambda: page.current_label.text() == "$874.50")
    assert ui_thread_sql == []


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
    assert "USD amounts have at most 2 decimals; 1.234 has 3" in errors["amount"]
    assert form.fields["from"].property("invalid") is True


def test_refusal_from_core_lands_under_its_field(qtbot, services, bank, teller):
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[1])
    form = page.transfer_form
    qtbot.keyClicks(form.fields["to"], bank[2])
    qtbot.keyClicks(form.fields["amount"], "300")
    form.submit()
    qtbot.waitUntil(lambda: "amount" in form.field_errors())
    assert "250.00 USD available" in form.field_errors()["amount"]
    assert page.current_label.text() == "$250.00"


def test_cash_withdrawal(qtbot, services, bank, teller):
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    cash = page.cash_form
    qtbot.keyClicks(cash.fields["amount"], "40")
    with qtbot.waitSignal(cash.posted):
        qtbot.mouseClick(cash.withdraw_button, Qt.MouseButton.LeftButton)
    assert cash.status.text().startswith("Withdrew $40.00")
    qtbot.waitUntil(lambda: page.current_label.text() == "$960.00")


def test_amounts_are_typed_and_shown_in_the_operators_locale(qtbot, services, bank, teller, monkeypatch):
    from core.ledger import money

    monkeypatch.setattr(money, "_default_locale", "de_DE")
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = page.transfer_form
    qtbot.keyClicks(form.fields["to"], bank[1])
    qtbot.keyClicks(form.fields["amount"], "12.50")  # "." groups thousands in de_DE: refused, not read as 1250
    form.submit()
    assert "type it like 1.234,50" in form.field_errors()["amount"]
    form.fields["amount"].clear()
    qtbot.keyClicks(form.fields["amount"], "1.000,00")
    with qtbot.waitSignal(form.posted):
        form.submit()
    assert "Posted 1.000,00" in form.status.text()
    qtbot.waitUntil(lambda: page.current_label.text() == "0,00\xa0$")
