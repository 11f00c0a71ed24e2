"""The Payments page: list with filters, the event history, refund and cancel, nothing on the UI thread."""
from __future__ import annotations

import uuid

import pytest
from PySide6.QtCore import Qt

from core.payments import cards
from core.payments.views import PaymentRequest
from core.security.roles import SYSTEM_ACTOR
from tests.payments.conftest import API_KEY, WEBHOOK_SECRET, localstripe  # noqa: F401 - the session fixture
from ui.payments.page import PaymentsPage


@pytest.fixture
def paid(services, bank, localstripe):  # noqa: F811
    from core.payments.stripe_provider import StripeProvider

    services.payments.provider = StripeProvider(API_KEY, localstripe, WEBHOOK_SECRET, max_retries=1)
    made = []
    for amount, capture in ((3_000, "automatic"), (1_500, "manual")):
        req = PaymentRequest(f"pay_{uuid.uuid4().hex[:20]}", bank[2], amount, "USD",
                             cards.CardInput("4242424242424242", 12, 2040, "123"), capture=capture)
        made.append(services.payments.create(SYSTEM_ACTOR, req))
    return made


def _page(qtbot, services, actor):  # noqa: ANN001, ANN202
    page = PaymentsPage(services, actor)
    qtbot.addWidget(page)
    page.resize(1300, 700)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2 and None not in page.payments())
    return page


def _select(qtbot, page, payment_id):  # noqa: ANN001
    row = next(r for r, p in enumerate(page.payments()) if p.id == payment_id)
    page.table.selectRow(row)
    qtbot.waitUntil(lambda: page.selected is not None and page.selected.id == payment_id)


def _answer_yes(qtbot, page):  # noqa: ANN001
    """Confirm the open confirmation with Enter (its default button), as a keyboard user would."""
    from PySide6.QtCore import Qt

    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.isVisible())
    qtbot.keyClick(page.dialog, Qt.Key.Key_Return)


def test_refund_in_part_with_confirmation(qtbot, services, bank, paid, teller, ui_thread_sql):
    page = _page(qtbot, services, teller)
    page.table_fit.apply()  # QA4 #2: every column whole at this size, the Payment title too (it read "Paym…")
    header = page.table.horizontalHeader()
    assert all(header.sectionSize(c) >= page.table_fit.needed(c) for c in range(7))
    assert header.sectionSize(7) >= header.sectionSizeHint(7)
    _select(qtbot, page, paid[0].id)
    assert [e.kind for e in page.events_model._rows][:1] == ["created"]
    assert page.refund_button.isEnabled() and not page.cancel_button.isEnabled()
    qtbot.keyClicks(page.refund_amount, "10.00")
    page.refund()
    _answer_yes(qtbot, page)
    qtbot.waitUntil(lambda: page.selected.refunded == 1_000)
    assert "Refunded" in page.action_status.text()
    assert ui_thread_sql == []


def test_cancel_and_filter(qtbot, services, bank, paid, teller):
    page = _page(qtbot, services, teller)
    _select(qtbot, page, paid[1].id)
    assert page.cancel_button.isEnabled() and page.capture_button.isEnabled()
    page.cancel()
    _answer_yes(qtbot, page)
    qtbot.waitUntil(lambda: page.selected.status == "canceled")
    page.status_filter.setCurrentIndex(page.status_filter.findData("canceled"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)


def test_refund_above_what_is_left_is_refused_inline(qtbot, services, bank, paid, teller):
    page = _page(qtbot, services, teller)
    _select(qtbot, page, paid[0].id)
    qtbot.keyClicks(page.refund_amount, "31")
    assert page.refund() is None  # refused before any confirmation
    assert "only $30.00 is left to refund" in page.action_status.text()
    assert services.ledger.balance(SYSTEM_ACTOR, bank[2]).current == 3_000


def test_new_card_payment_with_bad_card_then_confirmation(qtbot, services, bank, paid, teller, ui_thread_sql):
    from PySide6.QtCore import Qt

    page = _page(qtbot, services, teller)
    dialog = page.new_payment()
    form = dialog.form
    for key, value in (("account", bank[1]), ("amount", "20.00"), ("currency", "USD"),
                       ("number", "4242 4242 4242 4241"), ("expiry", "12/39"), ("cvc", "123")):
        qtbot.keyClicks(form.fields[key], value)
    qtbot.keyClick(form.fields["cvc"], Qt.Key.Key_Return)
    assert "check digit" in form.field_errors()["number"] and "4242424242424241" not in form.field_errors()["number"]
    form.fields["number"].clear()
    qtbot.keyClicks(form.fields["number"], "4242 4242 4242 4242")
    assert form.card_hint.text().startswith("Visa ending 4242")
    assert form.fields["number"].echoMode() == form.fields["number"].EchoMode.Password  # masked while typed
    qtbot.keyClick(form.fields["cvc"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: form.dialog is not None and form.dialog.isVisible())
    assert form.dialog.text("Amount") == "$20.00" and "424242…4242" in form.dialog.text("Card")
    qtbot.keyClick(form.fields["cvc"], Qt.Key.Key_Return)  # Enter in the form again charges nothing
    assert not form._busy and form.fields["number"].text()
    with qtbot.waitSignal(form.paid, timeout=20_000) as paid_signal:
        qtbot.keyClick(form.dialog, Qt.Key.Key_Return)
    assert form.fields["number"].text() == "" and form.fields["cvc"].text() == ""
    assert paid_signal.args[0].status == "succeeded"
    assert ui_thread_sql == []
    assert services.ledger.balance(SYSTEM_ACTOR, bank[1]).current == 25_000 + 2_000


def test_a_payment_made_elsewhere_appears_live(qtbot, services, bank, paid, teller):
    page = _page(qtbot, services, teller)
    page.timer.stop()  # only the event bus may bring it
    req = PaymentRequest(f"pay_{uuid.uuid4().hex[:20]}", bank[0], 990, "USD",
                         cards.CardInput("5555555555554444", 12, 2040, "321"))
    services.payments.create(SYSTEM_ACTOR, req)  # another desk, as far as this page knows
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=5_000)


def test_capture_in_part_with_a_confirmation_that_says_what_is_released(qtbot, services, bank, paid, teller):
    page = _page(qtbot, services, teller)
    _select(qtbot, page, paid[1].id)
    assert page.capture_button.isEnabled() and "the whole $15.00 authorized" in page.refund_amount.placeholderText()
    qtbot.keyClicks(page.refund_amount, "10")
    dialog = page.capture()
    assert dialog.text("Capture") == "$10.00" and dialog.text("Released").startswith("$5.00")
    _answer_yes(qtbot, page)
    qtbot.waitUntil(lambda: page.selected.status == "succeeded")
    assert page.selected.captured == 1_000 and "$10.00 left to refund" in page.action_status.text()


def test_cancel_dialog_erases_the_card_and_charges_nothing(qtbot, services, bank, teller):
    from ui.payments.card_form import CardPaymentDialog

    dialog = CardPaymentDialog(services, teller)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.form.fields["number"], "4242424242424242")
    qtbot.keyClicks(dialog.form.fields["cvc"], "123")
    dialog.form.cancel_button.click()
    assert not dialog.isVisible()
    assert dialog.form.fields["number"].text() == "" and dialog.form.fields["cvc"].text() == ""
    assert dialog.form.card_hint.text() == ""


def test_open_detail_follows_a_status_change_made_elsewhere_and_card_search(qtbot, services, bank, paid, teller):
    page = _page(qtbot, services, teller)
    _select(qtbot, page, paid[1].id)
    assert page.selected.status == "requires_capture"
    services.payments.capture(SYSTEM_ACTOR, paid[1].id)  # another desk captures it
    qtbot.waitUntil(lambda: page.selected.status == "succeeded", timeout=20_000)  # live event or the timer
    assert page.capture_button.isEnabled() is False and page.refund_button.isEnabled()
    for text in ("4242 4242 4242 4242", "4242", "VISA"):
        page.search.setText(text)
        page.reload()
        qtbot.waitUntil(lambda: page.model.rowCount() == 2)
    page.search.setText("5555 5555 5555 4444")
    page.reload()
    qtbot.waitUntil(lambda: page.model.rowCount() == 0)


def test_three_d_secure_continues_from_the_page(qtbot, services, bank, localstripe, teller):  # noqa: F811
    from core.payments.stripe_provider import StripeProvider

    services.payments.provider = StripeProvider(API_KEY, localstripe, WEBHOOK_SECRET, max_retries=1)
    req = PaymentRequest(f"pay_{uuid.uuid4().hex[:20]}", bank[2], 2_000, "USD",
                         cards.CardInput("4000002500003155", 12, 2040, "123"))
    made = services.payments.create(SYSTEM_ACTOR, req)
    assert made.status == "requires_action"
    page = PaymentsPage(services, teller)
    qtbot.addWidget(page)
    page.resize(1180, 700)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and None not in page.payments())
    _select(qtbot, page, made.id)
    assert page.continue_button.isEnabled() and "Continue 3-D Secure" in page.meta_label.text()
    provider = services.payments.provider
    provider.complete_authentication(made.provider_ref, provider.retrieve(made.provider_ref).client_secret, success=True)
    dialog = page.continue_3ds()
    assert "captured at once" in dialog.outcome.text()
    _answer_yes(qtbot, page)
    qtbot.waitUntil(lambda: page.selected.status == "succeeded", timeout=20_000)


def test_orders_tab_settles_and_returns_with_a_listed_reason(qtbot, services, bank, tmp_path):
    from core.payments import beneficiary
    from core.payments.fees import FeeSchedule
    from core.payments.orders import OrderRequest
    from core.security.roles import Actor, Role

    services.orders.fees = FeeSchedule.parse("ach:USD=0.25")
    ben = beneficiary.check("ach", "USD", name="José Nuñez", routing="011000015", account_number="12345678")
    order = services.orders.create(SYSTEM_ACTOR, OrderRequest("ord_ui_1", bank[1], 1_000, "USD", ben))
    supervisor = Actor("sam", Role.SUPERVISOR, device="desk-test")
    page = PaymentsPage(services, supervisor)
    qtbot.addWidget(page)
    page.resize(1180, 700)
    page.show()
    page.tabs.setCurrentWidget(page.orders)
    tab = page.orders
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
    dialog = tab.confirm_export("ach", str(tmp_path / "ach.txt"))
    assert dialog.text("Orders").startswith("1 waiting") and dialog.text("Total") == "$10.00"
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.model.row_object(0) is not None and tab.model.row_object(0).status == "submitted")
    tab.table.selectRow(0)
    qtbot.waitUntil(lambda: tab.settle_button.isEnabled())
    codes = [tab.reason.itemData(i) for i in range(tab.reason.count())]
    assert "R03" in codes and any("Account closed" in tab.reason.itemText(i) for i in range(tab.reason.count()))
    tab.reason.setCurrentIndex(codes.index("R02"))
    dialog = tab.return_order()
    assert "$10.25" in dialog.text("Credited back") and dialog.text("Reason") == "R02 Account closed"
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.model.row_object(0) is not None and tab.model.row_object(0).status == "returned")
    assert services.orders.show(SYSTEM_ACTOR, order.id).return_reason == "R02 Account closed"


def test_orders_tab_cancels_an_unsent_order_and_keeps_a_refused_reason(qtbot, services, bank, tmp_path):
    """Cancel order… asks why in a dialog that stays open until core accepts (a refusal keeps the reason);
    once accepted, the order's money and fee go back."""
    from core.payments import beneficiary, rail_files
    from core.payments.fees import FeeSchedule
    from core.payments.orders import OrderRequest
    from core.security.roles import Actor, Role

    services.orders.fees = FeeSchedule.parse("ach:USD=0.25")
    ben = beneficiary.check("ach", "USD", name="Max Muster", routing="011000015", account_number="12345678")
    first = services.orders.create(SYSTEM_ACTOR, OrderRequest("ord_ui_sent", bank[1], 1_000, "USD", ben))
    page = PaymentsPage(services, Actor("sam", Role.SUPERVISOR, device="desk-test"))
    qtbot.addWidget(page)
    page.show()
    page.tabs.setCurrentWidget(page.orders)
    tab = page.orders
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
    tab.table.selectRow(0)
    qtbot.waitUntil(tab.cancel_button.isEnabled)
    dialog = tab.cancel_order()
    qtbot.waitUntil(dialog.isVisible)
    qtbot.keyClicks(dialog.edit, "the customer called it off")
    rail_files.export(services.orders, SYSTEM_ACTOR, "ach", tmp_path / "a.ach", rail_files.RailSettings())  # meanwhile
    dialog._submit()
    qtbot.waitUntil(lambda: dialog.error.text() != "", timeout=10_000)
    assert dialog.isVisible() and dialog.text() == "the customer called it off" and "submitted" in dialog.error.text()
    dialog.reject()
    before = services.ledger.balance(SYSTEM_ACTOR, bank[1]).current
    second = services.orders.create(SYSTEM_ACTOR, OrderRequest("ord_ui_cancel", bank[1], 1_000, "USD", ben))
    tab.refresh()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 2)
    tab.table.selectRow(next(i for i in range(2) if tab.model.row_object(i).id == second.id))
    qtbot.waitUntil(tab.cancel_button.isEnabled)
    dialog = tab.cancel_order()
    qtbot.keyClicks(dialog.edit, "duplicate of ord_ui_sent")
    dialog._submit()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    shown = services.orders.show(SYSTEM_ACTOR, second.id)
    assert (shown.status, shown.fee_status) == ("canceled", "credited back") and first.id != second.id
    assert services.ledger.balance(SYSTEM_ACTOR, bank[1]).current == before


def test_card_form_names_every_wrong_field_at_once_and_keeps_the_card(qtbot, services, bank, teller):
    """QA2 #2-#4: wrong check digit, a bad expiry, a 2-digit CVC and an amount below the provider's minimum
    are all shown together before any review, and the card details stay; Currency takes the account's."""
    from ui.payments.card_form import CardPaymentDialog

    dialog = CardPaymentDialog(services, teller)
    qtbot.addWidget(dialog)
    dialog.show()
    form = dialog.form
    qtbot.keyClicks(form.fields["account"], bank[1])
    form.fields["account"].editingFinished.emit()
    qtbot.waitUntil(lambda: form.text("currency") == "USD")  # the account's own currency
    for key, value in (("amount", "0.10"), ("number", "4242 4242 4242 4241"), ("expiry", "13/30"), ("cvc", "12")):
        qtbot.keyClicks(form.fields[key], value)
    qtbot.keyClick(form.fields["amount"], Qt.Key.Key_Return)
    errors = form.field_errors()
    assert set(errors) == {"amount", "number", "expiry", "cvc"}, errors
    assert "smallest card payment in USD ($0.50)" in errors["amount"] and "check digit" in errors["number"]
    assert "01 to 12" in errors["expiry"] and "3 digits" in errors["cvc"]
    assert form.dialog is None and form.fields["number"].text() and form.fields["cvc"].text() == "12"
    qtbot.keyClicks(form.fields["cvc"], "3")  # QA2 #7: a field's error goes once it is edited, the others stay
    assert set(form.field_errors()) == {"amount", "number", "expiry"}


def test_page_says_held_and_captured_and_enter_in_amount_reviews(qtbot, services, bank, paid, teller):
    """QA2 #5-#7: the list's Captured column, Enter in Amount opens the review, an earlier refusal goes."""
    page = _page(qtbot, services, teller)
    _select(qtbot, page, paid[1].id)
    qtbot.keyClicks(page.refund_amount, "50")
    qtbot.keyClick(page.refund_amount, Qt.Key.Key_Return)
    assert "more than the $15.00 authorized" in page.action_status.text() and page.dialog is None
    page.refund_amount.clear()
    qtbot.keyClicks(page.refund_amount, "10")
    qtbot.keyClick(page.refund_amount, Qt.Key.Key_Return)  # Enter reviews the capture
    assert page.dialog is not None and page.dialog.text("Capture") == "$10.00"
    assert page.action_status.text() == ""  # the old refusal is gone
    _answer_yes(qtbot, page)
    qtbot.waitUntil(lambda: page.selected.status == "succeeded")
    qtbot.waitUntil(lambda: any(p is not None and p.id == paid[1].id and p.captured == 1_000 for p in page.payments()))
    row = next(r for r, p in enumerate(page.payments()) if p.id == paid[1].id)
    header = [page.model.headerData(c, Qt.Orientation.Horizontal) for c in range(page.model.columnCount())]
    shown = {h: page.model.index(row, c).data() for c, h in enumerate(header)}
    assert shown["Captured"] == "$10.00" and shown["Status"] == "captured (part)"


def test_capturing_a_held_payment_says_which_alert_closes(qtbot, services, bank, paid, teller):
    """QA2 #8: the confirmation names the fraud alert the capture closes."""
    from dataclasses import replace

    page = _page(qtbot, services, teller)
    _select(qtbot, page, paid[1].id)
    page.selected = replace(page.selected, fraud_decision="review", review_alert=72)
    dialog = page.capture()
    assert dialog.text("Fraud alert") == "#72 closes (hold posted here)"
    assert "fraud alert #72 closes" in dialog.outcome.text()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
