"""The Payments page: list with filters, the event history, refund and cancel, nothing on the UI thread."""
from __future__ import annotations

import uuid

import pytest
from PySide6.QtWidgets import QMessageBox

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
    box = next(w for w in page.findChildren(QMessageBox) if w.isVisible())
    box.button(QMessageBox.StandardButton.Yes).click()


def test_refund_in_part_with_confirmation(qtbot, services, bank, paid, teller, ui_thread_sql):
    page = _page(qtbot, services, teller)
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
    page.refund()
    _answer_yes(qtbot, page)
    qtbot.waitUntil(lambda: "more than is left" in page.action_status.text())
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
    qtbot.keyClick(form.fields["cvc"], Qt.Key.Key_Return)
    assert "Press Enter to confirm" in form.status.text() and "424242…4242" in form.status.text()
    with qtbot.waitSignal(form.paid, timeout=20_000) as paid_signal:
        qtbot.keyClick(form.fields["cvc"], Qt.Key.Key_Return)
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
