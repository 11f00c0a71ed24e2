"""The teller workspace's screens for ``scripts/screenshots.py`` (kept apart so each area owns its shots).

Shot at the console's default window size (1180 x 760), as a teller sees it after signing in."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtWidgets import QWidget

from core.ledger.money import to_minor
from core.security.roles import SYSTEM_ACTOR
from core.teller.customers import NewCustomer

PHONES = {"US": "+1 202 555 01{:02d}", "GB": "+44 20 7946 01{:02d}", "AT": "+43 1 5124 01{:02d}",
          "DE": "+49 30 901820{:02d}", "HU": "+36 1 234 56{:02d}"}


def kyc_customer(i: int, name: str, country: str) -> NewCustomer:
    """Well-formed made-up know-your-customer details for screenshot customer ``i``."""
    return NewCustomer(name=name, date_of_birth=f"19{50 + i * 3:02d}-0{1 + i % 9}-1{i % 9}",
                       phone=PHONES.get(country, PHONES["US"]).format(i), address=f"{10 + i} High Street, London",
                       id_type="passport", id_number=f"P{4_200_000 + i:07d}", country=country)


def shoot_teller(window, services, wait_until: Callable, save: Callable, out: Path, accounts: list[str]) -> None:  # noqa: ANN001
    """Search, customer and account view, statement with a period, confirmation, receipt, holds, activity,
    a new customer with an inline error, and the F1 list."""
    teller = window.page("teller")
    window.show_page("teller")
    services.teller.place_hold(SYSTEM_ACTOR, accounts[1], to_minor("300", "USD"), "cheque",
                               datetime.now().astimezone() + timedelta(days=5), "cheque 004512 from Fair Bank")
    finder = teller.finder
    finder.search.setText("grace hoper")
    finder._run_search()
    wait_until(lambda: finder.hits_model.rowCount() > 0)
    wait_until(lambda: teller.selected_number == accounts[1] and bool(teller.statement_lines()))
    save(window, out, "teller-search")

    teller.tabs.setCurrentWidget(teller.holds_panel)
    wait_until(lambda: teller.holds_panel.model.rowCount() > 0)
    save(window, out, "teller-holds")
    teller.tabs.setCurrentWidget(teller.activity)
    save(window, out, "teller-activity")

    form = teller.transfer_form
    teller.tabs.setCurrentIndex(1)
    form.fields["to"].setText(accounts[3])
    form.fields["amount"].setText("1,250.00")
    form.fields["description"].setText("Deposit for the flat")
    form.submit()
    wait_until(lambda: form.dialog is not None and form.dialog.isVisible())
    save(window, out, "teller-confirm", overlay=form.dialog)
    form.dialog.accept()
    wait_until(lambda: form.status.property("state") == "ok" and "Posted" in form.status.text())
    form.print_receipt()
    try:
        wait_until(lambda: "Receipt saved" in form.status.text())
    except TimeoutError:
        raise TimeoutError(f"no receipt: {form.status.text()}") from None
    save(window, out, "teller-receipt")

    statement = teller.statement
    teller.tabs.setCurrentWidget(statement)
    statement.min_amount.setText("100")
    statement.apply()
    wait_until(lambda: "entr" in statement.title.text() and "opening" in statement.title.text())
    save(window, out, "teller-statement")

    dialog = teller.new_customer_dialog()
    for key, value in (("name", "Radia Perlman"), ("date_of_birth", "1951-12-18"), ("phone", "555 0100"),
                       ("address", "1 Spanning Tree Way, Somerville")):
        dialog.edits[key].setText(value)
    dialog.edits["id_number"].setText("P1234567")
    dialog.submit()
    wait_until(lambda: "phone" in dialog.form.field_errors())
    save(window, out, "teller-new-customer", overlay=dialog)
    dialog.reject()

    window._show_shortcuts()
    save(window, out, "shortcuts", overlay=window.shortcuts_dialog)
    window.shortcuts_dialog.reject()


def no_scrolling(widget: QWidget) -> bool:
    """True if no table on ``widget`` needs a horizontal scroll bar (checked at the default window size)."""
    from PySide6.QtWidgets import QAbstractScrollArea, QTableView

    return all(not t.horizontalScrollBar().isVisible() for t in widget.findChildren(QTableView)
               if isinstance(t, QAbstractScrollArea) and t.isVisible())
