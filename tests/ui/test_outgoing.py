"""The Outgoing form: inline errors for bad beneficiaries, a confirmation dialog that says what will post
(fee included), Enter confirms only on the confirmation, the From list offers customer accounts only."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from core.payments.fees import FeeSchedule
from core.security.roles import SYSTEM_ACTOR
from ui.teller.outgoing import OutgoingForm


@pytest.fixture
def eur_account(services):
    services.orders.fees = FeeSchedule.parse("sepa:EUR=0.50,ach:USD=0.25")
    ledger = services.ledger
    customer = ledger.add_customer(SYSTEM_ACTOR, "Erika Beispiel")
    number = ledger.open_account(SYSTEM_ACTOR, customer.id, "EUR").number
    ledger.deposit(SYSTEM_ACTOR, number, 100_000, "EUR")
    return number


def _form(qtbot, services, teller, accounts=()):  # noqa: ANN001, ANN202
    form = OutgoingForm(services, teller)
    qtbot.addWidget(form)
    form.set_accounts(list(accounts))
    form.show()
    return form


def _type(qtbot, form, **values):  # noqa: ANN001, ANN003
    for key, value in values.items():
        form.fields[key].clear()
        qtbot.keyClicks(form.fields[key], value)


def _eur(form, number):  # noqa: ANN001, ANN202
    form.set_accounts([(number, "EUR", "Erika Beispiel EUR")])
    form.use_account(number, "EUR")


def test_bad_iban_is_shown_inline_and_nothing_posts(qtbot, services, eur_account, teller, ui_thread_sql):
    form = _form(qtbot, services, teller)
    _eur(form, eur_account)
    _type(qtbot, form, name="Max Muster", iban="DE89370400440532013001", bic="COBADEFFXXX", amount="10")
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    assert "IBAN" in form.field_errors()["iban"]
    assert form.dialog is None
    _type(qtbot, form, iban="DE89370400440532013000", bic="BNPAFRPPXXX")
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    assert "IBAN is from DE" in form.field_errors()["bic"]
    assert ui_thread_sql == []
    assert services.orders.list(SYSTEM_ACTOR) == []


def test_review_opens_a_confirmation_with_the_fee_and_only_enter_there_sends(qtbot, services, eur_account, teller,
                                                                           ui_thread_sql):
    form = _form(qtbot, services, teller)
    _eur(form, eur_account)
    _type(qtbot, form, name="Max Muster", iban="DE89 3704 0044 0532 0130 00", amount="250.00", reference="rent")
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: form.dialog is not None and form.dialog.isVisible())
    dialog = form.dialog
    assert dialog.text("Amount") == "€250.00" and dialog.text("Fee") == "€0.50"
    assert dialog.text("Total debited") == "€250.50" and dialog.text("Available after") == "€749.50"
    assert "BIC COBADEFFXXX" in dialog.text("To") and dialog.text("Fraud screen") == "passed"  # a teller: no score (QA3 #5)
    form.submit()  # Enter in the form while the confirmation is open: nothing new
    assert form.dialog is dialog
    with qtbot.waitSignal(form.posted) as posted:
        qtbot.keyClick(dialog.confirm_button, Qt.Key.Key_Return)
    order = posted.args[0]
    assert (order.rail, order.status, order.amount, order.fee) == ("sepa", "created", 25_000, 50)
    assert "fee €0.50" in form.status.text() and "Receipt" in form.status.text()
    assert form.from_account.currentData() == eur_account  # the From account stays for the next one
    # QA2 #14: nothing that invites sending the same again: beneficiary, IBAN, BIC, amount, reference cleared
    assert {k: form.fields[k].text() for k in ("name", "iban", "bic", "amount", "reference")} == dict.fromkeys(
        ("name", "iban", "bic", "amount", "reference"), "")
    assert ui_thread_sql == []
    assert len(services.orders.list(SYSTEM_ACTOR)) == 1
    assert form.receipt_button.isEnabled()
    form.receipt_button.click()
    qtbot.waitUntil(lambda: "Receipt saved" in form.status.text())
    assert services.ledger.balance(SYSTEM_ACTOR, eur_account).current == 100_000 - 25_050


def test_cancel_changes_nothing_and_ach_fields_follow_the_rail(qtbot, services, eur_account, teller):
    form = _form(qtbot, services, teller)
    _eur(form, eur_account)
    _type(qtbot, form, name="Max Muster", iban="DE89370400440532013000", amount="5")
    form.submit()
    qtbot.waitUntil(lambda: form.dialog is not None and form.dialog.isVisible())
    qtbot.keyClick(form.dialog, Qt.Key.Key_Escape)
    assert not form.dialog.isVisible() and services.orders.list(SYSTEM_ACTOR) == []
    form.rail.setCurrentIndex(1)
    assert form.fields["routing"].isVisibleTo(form) and not form.fields["iban"].isVisibleTo(form)
    assert form.text("currency") == "USD"
    _type(qtbot, form, routing="011000016", account_no="12345678")
    form.submit()
    assert "checksum" in form.field_errors()["routing"]


def test_from_offers_customer_accounts_only_and_funds_are_checked_before_the_screen(qtbot, services, eur_account,
                                                                                  teller):
    gl = services.ledger.ensure_gl_accounts(SYSTEM_ACTOR, "EUR")
    form = _form(qtbot, services, teller)
    assert form.from_account.count() == 0
    form.use_account(gl["clearing"].number, "EUR")  # the teller page selected a GL account: not offered
    assert form.from_account.currentData() is None
    _type(qtbot, form, name="Max Muster", iban="DE89370400440532013000", amount="5")
    form.submit()
    assert "select the customer's account" in form.field_errors()["from"]
    _eur(form, eur_account)
    _type(qtbot, form, amount="2000")
    form.submit()
    qtbot.waitUntil(lambda: "amount" in form.field_errors())
    assert "€1,000.00 available" in form.field_errors()["amount"] and form.dialog is None
    _type(qtbot, form, amount="5", currency="USD")
    form.rail.setCurrentIndex(2)
    _type(qtbot, form, bic="COBADEFFXXX", account_no="DE89370400440532013000", currency="USD")
    form.submit()
    qtbot.waitUntil(lambda: "currency" in form.field_errors())
    assert "holds EUR" in form.field_errors()["currency"]


def test_every_fields_error_shows_at_once(qtbot, services, eur_account, teller):
    """QA #6: a bad amount, a bad IBAN and no name are all marked on one Review, not one per attempt."""
    form = _form(qtbot, services, teller)
    _eur(form, eur_account)
    _type(qtbot, form, name="", iban="DE89370400440532013001", amount="abc")
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    errors = form.field_errors()
    assert {"amount", "iban", "name"} <= set(errors)
    assert "no exponent, sign or grouping" not in errors["amount"] and "thousands separators" in errors["amount"]
    assert form.dialog is None


def test_check_each_names_every_wrong_field():
    from core.payments import beneficiary

    ben, errors = beneficiary.check_each("ach", "USD", name="", routing="123", account_number="x")
    assert ben is None and [e.details["field"] for e in errors] == ["name", "routing", "account"]
    ok, none = beneficiary.check_each("ach", "USD", name="Max Muster", routing="011000015", account_number="12345")
    assert ok is not None and none == []


def test_result_line_and_receipt_survive_the_pages_refresh_after_sending(qtbot, services, bank, teller):
    """QA3 #1: after an order the Teller page reloads the customer and gives the form the same accounts again;
    that is no new From account, so the result line and "Print receipt" stay (as on Transfer and Cash)."""
    from tests.ui.test_teller import _page, _select

    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = page.outgoing
    qtbot.waitUntil(lambda: form.from_account.currentData() == bank[0])
    form.rail.setCurrentIndex(1)  # ACH
    _type(qtbot, form, name="John Doe", routing="011000015", account_no="12345678", amount="5.00")
    reloads = []
    real = form.set_accounts
    form.set_accounts = lambda *args: (reloads.append(args), real(*args))
    form.submit()
    qtbot.waitUntil(lambda: form.dialog is not None and form.dialog.isVisible())
    with qtbot.waitSignal(form.posted):
        qtbot.keyClick(form.dialog.confirm_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(reloads))  # the page's refresh has given the form its accounts again
    qtbot.wait(50)
    assert form.from_account.currentData() == bank[0]
    assert not form.status.isHidden() and "Receipt: order" in form.status.text()
    assert form.receipt_button.isEnabled() and form.last is not None


def test_confirm_button_says_what_will_happen(qtbot, services, eur_account, teller):
    """QA3 #7: held for fraud review -> "Hold for fraud review", not "Confirm and send"; approved -> send."""
    from dataclasses import replace

    from core.payments.order_rows import OrderPreview

    form = _form(qtbot, services, teller)
    _eur(form, eur_account)
    _type(qtbot, form, name="Max Muster", iban="DE89370400440532013000", amount="5")
    req = form.request()
    preview = OrderPreview("sepa", eur_account, "Erika", "9000", 500, 0, "EUR", 99_500, "Max Muster", "review",
                           0.67, ("3 payments in 24 hours",))
    expected = {"review": "&Hold for fraud review", "approve": "&Confirm and send"}
    for decision, text in expected.items():
        form._show_preview(req, replace(preview, decision=decision))  # noqa: SLF001
        assert form.dialog.confirm_button.text() == text
        form.dialog.reject()
    form._show_preview(req, replace(preview, approval="over the teller limit"))  # noqa: SLF001
    assert form.dialog.confirm_button.text() == "&Send for approval"
    form.dialog.reject()


def test_an_order_sent_for_approval_tells_the_teller_when_decided(qtbot, services, bank, teller):
    """QA4 #1: an outgoing order above the teller's limit waits; the supervisor's decision reaches the form."""
    from concurrent.futures import ThreadPoolExecutor

    from core.security.roles import SYSTEM_ACTOR, Actor, Role
    from tests.ui.test_teller import _page, _select

    services.approvals.set_limit(SYSTEM_ACTOR, "teller", "USD", 1_00)
    page = _page(qtbot, services, teller)
    _select(qtbot, page, bank[0])
    form = page.outgoing
    qtbot.waitUntil(lambda: form.from_account.currentData() == bank[0])
    form.rail.setCurrentIndex(1)  # ACH
    _type(qtbot, form, name="John Doe", routing="011000015", account_no="12345678", amount="5.00")
    form.submit()
    qtbot.waitUntil(lambda: form.dialog is not None and form.dialog.isVisible())
    with qtbot.waitSignal(form.posted):
        form.dialog.confirm_button.click()
    assert "waiting for approval" in form.status.text()
    qtbot.waitUntil(lambda: bool(form.decisions.waiting))
    sam = Actor("sam", Role.SUPERVISOR, device="desk-2")
    with ThreadPoolExecutor(1) as pool:
        [request] = pool.submit(lambda: services.approvals.list(sam)).result()
        pool.submit(lambda: services.approvals.reject(sam, request.id, "beneficiary not verified")).result()
    page.refresh()
    qtbot.waitUntil(lambda: form.status.text().startswith("Rejected by sam: beneficiary not verified."))
    assert "Nothing was sent" in form.status.text()


def test_order_receipt_goes_off_once_the_form_is_edited_or_wrong(qtbot, services, eur_account, teller):
    """QA7 #1: "Print receipt" only prints the order the result line describes: off once the form is edited or
    shows an error."""
    form = _form(qtbot, services, teller)
    _eur(form, eur_account)

    def send() -> None:
        _type(qtbot, form, name="Max Muster", iban="DE89 3704 0044 0532 0130 00", amount="10")
        qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: form.dialog is not None and form.dialog.isVisible())
        with qtbot.waitSignal(form.posted):
            qtbot.keyClick(form.dialog.confirm_button, Qt.Key.Key_Return)
        assert form.receipt_button.isEnabled()

    send()
    qtbot.keyClicks(form.fields["name"], "Erika")
    assert not form.receipt_button.isEnabled() and form.last is None
    send()
    form.fields["amount"].setText("1.234")  # programmatic: only the error can switch it off
    form.submit()
    assert "amount" in form.field_errors()
    assert not form.receipt_button.isEnabled() and form.last is None
