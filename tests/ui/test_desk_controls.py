"""Desk controls in the teller UI (issue 8 §6): GL accounts are not offered as From/To to a teller and a typed
one is refused inline; a held transfer reads as held for fraud review with its funds reserved (never "Posted");
a declined one says what the teller can do next."""
from __future__ import annotations

from PySide6.QtCore import Qt

from core.fraud.config import FraudConfig
from core.fraud.screen import FraudScreen
from core.security.roles import SYSTEM_ACTOR, Actor, Role
from ui.teller.page import TellerPage

SUPERVISOR = Actor("sam", Role.SUPERVISOR, device="desk-test")


def _page(qtbot, services, actor):  # noqa: ANN001, ANN202
    page = TellerPage(services, actor)
    qtbot.addWidget(page)
    page.resize(1100, 760)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=20_000)
    return page


def _select(qtbot, page, number):  # noqa: ANN001
    qtbot.waitUntil(lambda: all(page.model.row_object(r) is not None for r in range(page.model.rowCount())),
                    timeout=20_000)
    row = next(r for r in range(page.model.rowCount()) if page.model.row_object(r).number == number)
    page.table.selectRow(row)
    qtbot.waitUntil(lambda: page.selected_number == number and page.current_label.text() not in ("—", ""),
                    timeout=20_000)


def _gl(services, kind: str = "clearing") -> str:
    return services.ledger.ensure_gl_accounts(SYSTEM_ACTOR, "USD")[kind].number


def test_a_gl_account_is_not_offered_to_a_teller(qtbot, services, bank, teller):
    clearing = _gl(services)
    page = _page(qtbot, services, teller)
    _select(qtbot, page, clearing)
    form = page.transfer_form
    assert form.text("from") == "" and page.cash_form.text("account") == ""
    assert not form.status.isHidden() and "bank's own GL accounts" in form.status.text()
    assert "Deposit or Withdraw" in form.status.text()
    _select(qtbot, page, bank[0])  # a customer account is offered again, the note goes away
    assert form.text("from") == bank[0] and form.status.isHidden()


def test_a_typed_gl_account_is_refused_inline_before_anything_posts(qtbot, services, bank, teller):
    clearing = _gl(services)
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[1])
    form = page.transfer_form
    form.fields["from"].setText(clearing)
    qtbot.keyClicks(form.fields["to"], bank[1])
    qtbot.keyClicks(form.fields["amount"], "5000000.00")
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "from" in form.field_errors(), timeout=20_000)
    message = form.field_errors()["from"]
    assert "GL account" in message and "tellers do not debit or credit it directly" in message
    assert form.dialog is None or not form.dialog.isVisible()
    assert services.ledger.balance(SYSTEM_ACTOR, bank[1]).current == 250_00


def test_a_supervisor_is_offered_a_gl_account(qtbot, services, bank):
    suspense = _gl(services, "suspense")
    page = _page(qtbot, services, SUPERVISOR)
    _select(qtbot, page, suspense)
    assert page.transfer_form.text("from") == suspense


def test_a_held_transfer_reads_as_held_for_fraud_review(qtbot, services, bank, teller):
    services.ledger.screen = FraudScreen(services.engine, config=FraudConfig(amount_limits={"USD": 100_00}))
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = page.transfer_form
    qtbot.keyClicks(form.fields["to"], bank[2])
    qtbot.keyClicks(form.fields["amount"], "250.00")
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: form.dialog is not None and form.dialog.isVisible(), timeout=20_000)
    assert "held for fraud review" in form.dialog.outcome.text()
    with qtbot.waitSignal(form.posted, timeout=20_000):
        qtbot.keyClick(form.dialog.confirm_button, Qt.Key.Key_Return)
    text = form.status.text()
    assert text.startswith("Held for fraud review") and "reserved" in text and "not posted" in text
    assert "Posted" not in text and "(pending)" not in text
    qtbot.waitUntil(lambda: page.customer_panel.available_label.text() == "$750.00", timeout=20_000)  # reserved
    assert page.current_label.text() == "$1,000.00"  # not posted


def test_a_declined_transfer_says_what_to_do_next(qtbot, services, bank, teller):
    services.ledger.screen = FraudScreen(services.engine, config=FraudConfig(
        amount_limits={"USD": 100_00}, amount_limit_action="decline"))
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = page.transfer_form
    qtbot.keyClicks(form.fields["to"], bank[2])
    qtbot.keyClicks(form.fields["amount"], "250.00")
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: form.dialog is not None and form.dialog.isVisible(), timeout=20_000)
    outcome = form.dialog.outcome.text()
    assert "declined" in outcome and "check it with the customer" in outcome and "supervisor" in outcome


def test_a_held_cash_withdrawal_says_do_not_pay_out(qtbot, services, bank, teller):
    services.ledger.screen = FraudScreen(services.engine, config=FraudConfig(amount_limits={"USD": 100_00}))
    services.drawers.open(teller, "D1", "USD", {100_00: 5})  # cash goes through the teller's open drawer
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = page.cash_form
    form.withdraw_radio.setChecked(True)
    qtbot.keyClicks(form.fields["amount"], "250.00")
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: form.dialog is not None and form.dialog.isVisible(), timeout=20_000)
    with qtbot.waitSignal(form.posted, timeout=20_000):
        qtbot.keyClick(form.dialog.confirm_button, Qt.Key.Key_Return)
    text = form.status.text()
    assert text.startswith("Do not pay out") and "held for fraud review" in text and "Withdrew" not in text
    assert form.status.property("state") == "warning"


def test_holds_and_standing_instructions_are_not_offered_on_a_gl_account(qtbot, services, bank, teller):
    """The kind of "GL accounts offered to tellers" on the other tabs: no Place hold, no New standing
    instruction on the bank's own account (core refuses both); a customer account offers them again."""
    clearing = _gl(services)
    page = _page(qtbot, services, teller)
    _select(qtbot, page, clearing)
    holds, standing = page.holds_panel, page.standing_panel
    assert not holds.place_button.isEnabled()
    assert not holds.form.status.isHidden() and "GL account" in holds.form.status.text()
    assert not standing.add_button.isEnabled()
    assert not standing.status.isHidden() and "GL account" in standing.status.text()
    _select(qtbot, page, bank[0])
    assert holds.place_button.isEnabled() and holds.form.status.isHidden()
    assert standing.add_button.isEnabled() and standing.status.isHidden()


def test_a_withdrawal_the_drawer_cannot_pay_is_refused_at_review_not_at_confirm(qtbot, services, bank, teller):
    """QA: the review said 'Pay out $5,000.00 in cash' from a drawer holding $2,700.00 (the teller's count is
    blind, so the form could not tell); core's cash_check refuses it before any confirmation opens."""
    services.drawers.open(teller, "D1", "USD", {100_00: 5})  # 500.00
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = page.cash_form
    form.withdraw_radio.setChecked(True)
    qtbot.keyClicks(form.fields["amount"], "600.00")
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "bring cash from the vault" in form.errors["amount"].text()
                    or "bring cash from the vault" in form.status.text() or form.dialog is not None, timeout=20_000)
    assert form.dialog is None
    assert "holds less than $600.00" in form.errors["amount"].text() + form.status.text()
