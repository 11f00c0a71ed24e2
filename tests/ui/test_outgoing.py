"""The Outgoing form: inline errors for bad beneficiaries, a confirmation that says what will post, Enter confirms."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from core.security.roles import SYSTEM_ACTOR
from ui.teller.outgoing import OutgoingForm


@pytest.fixture
def eur_account(services):
    ledger = services.ledger
    customer = ledger.add_customer(SYSTEM_ACTOR, "Erika Beispiel")
    number = ledger.open_account(SYSTEM_ACTOR, customer.id, "EUR").number
    ledger.deposit(SYSTEM_ACTOR, number, 100_000, "EUR")
    return number


def _form(qtbot, services, teller):  # noqa: ANN001, ANN202
    form = OutgoingForm(services, teller)
    qtbot.addWidget(form)
    form.show()
    return form


def _type(qtbot, form, **values):  # noqa: ANN001, ANN003
    for key, value in values.items():
        form.fields[key].clear()
        qtbot.keyClicks(form.fields[key], value)


def test_bad_iban_is_shown_inline_and_nothing_posts(qtbot, services, eur_account, teller, ui_thread_sql):
    form = _form(qtbot, services, teller)
    form.use_account(eur_account, "EUR")
    _type(qtbot, form, name="Max Muster", iban="DE89370400440532013001", bic="COBADEFFXXX", amount="10")
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    assert "IBAN" in form.field_errors()["iban"]
    assert form.confirm_panel.isHidden()
    assert ui_thread_sql == []
    assert services.orders.list(SYSTEM_ACTOR) == []


def test_review_then_enter_confirms(qtbot, services, eur_account, teller, ui_thread_sql):
    form = _form(qtbot, services, teller)
    form.use_account(eur_account, "EUR")
    _type(qtbot, form, name="Max Muster", iban="DE89 3704 0044 0532 0130 00", amount="250.00", reference="rent")
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    qtbot.waitUntil(form.confirm_panel.isVisible)
    text = form.confirm_text.text()
    assert "€250.00" in text and "Available after: €750.00" in text and "Fee: none" in text
    assert "Fraud screen: approve" in text and "BIC COBADEFFXXX" in text
    with qtbot.waitSignal(form.posted) as posted:
        qtbot.keyClick(form.confirm_button, Qt.Key.Key_Return)
    order = posted.args[0]
    assert (order.rail, order.status, order.amount) == ("sepa", "created", 25_000)
    assert "created" in form.status.text()
    assert ui_thread_sql == []
    assert services.ledger.balance(SYSTEM_ACTOR, eur_account).current == 75_000


def test_back_changes_nothing_and_ach_fields_follow_the_rail(qtbot, services, eur_account, teller):
    form = _form(qtbot, services, teller)
    form.use_account(eur_account, "EUR")
    _type(qtbot, form, name="Max Muster", iban="DE89370400440532013000", amount="5")
    form.submit()
    qtbot.waitUntil(form.confirm_panel.isVisible)
    qtbot.keyClick(form.confirm_button, Qt.Key.Key_Escape)
    assert form.confirm_panel.isHidden() and services.orders.list(SYSTEM_ACTOR) == []
    form.rail.setCurrentIndex(1)
    assert form.fields["routing"].isVisibleTo(form) and not form.fields["iban"].isVisibleTo(form)
    assert form.text("currency") == "USD"
    _type(qtbot, form, routing="011000016", account_no="12345678")
    form.submit()
    assert "checksum" in form.field_errors()["routing"]
