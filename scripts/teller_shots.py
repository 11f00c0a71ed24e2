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
    shoot_drawer(window, services, wait_until, save, out, accounts)
    shoot_standing(window, services, wait_until, save, out, accounts)


def _tab(teller, title: str) -> None:  # noqa: ANN001
    teller.tabs.setCurrentIndex(next(i for i in range(teller.tabs.count()) if teller.tabs.tabText(i) == title))


def shoot_drawer(window, services, wait_until: Callable, save: Callable, out: Path, accounts: list[str]) -> None:  # noqa: ANN001
    """The Drawer tab: a float counted by denomination, the open drawer with its expected cash, the blind
    count, and the figures with the supervisor's note a large difference needs."""
    from core.security.roles import Role

    teller = window.page("teller")
    panel = teller.drawer_panel
    _tab(teller, "Drawer")
    wait_until(lambda: "No drawer is open" in panel.title.text())
    panel.float_grid.set_pieces({to_minor(d, "USD"): n for d, n in (("100", 10), ("20", 40), ("5", 20), ("1", 50),
                                                                    ("0.25", 40))})
    save(window, out, "teller-drawer-open")
    panel.open_drawer()
    wait_until(lambda: panel.session is not None)
    actor = teller.actor
    services.drawers.deposit(actor, accounts[1], to_minor("640", "USD"), "USD")
    services.drawers.withdraw(actor, accounts[3], to_minor("120", "USD"), "USD")
    services.drawers.deposit(actor, accounts[0], to_minor("12500", "USD"), "USD", id_document=("passport", "P4200000"))
    panel.vault_amount.setText("10,000.00")
    panel.vault(False)
    wait_until(lambda: "to the vault" in panel.vault_form.status.text())
    wait_until(lambda: panel.ctr_model.rowCount() == 1)
    save(window, out, "teller-drawer")
    close = panel.close_dialog()
    wait_until(close.isVisible)
    close.grid.set_pieces({to_minor(d, "USD"): n for d, n in (("100", 40), ("20", 38), ("5", 20), ("1", 62),
                                                              ("0.25", 40))})  # short 48.00
    save(window, out, "teller-drawer-count", overlay=close)
    close.submit_count()
    wait_until(lambda: close.result is not None)
    close.supervisor.setText("ruth.supervisor")
    close.note.setText("two twenties and $8 in ones paid twice on one withdrawal; customer called")
    save(window, out, "teller-drawer-close", overlay=close)
    services.users.add_user(SYSTEM_ACTOR, "ruth.supervisor", Role.SUPERVISOR, "correct horse battery staple 2")
    close.submit_close()
    wait_until(lambda: panel.session is None and "closed" in panel.status.text())


def shoot_standing(window, services, wait_until: Callable, save: Callable, out: Path, accounts: list[str]) -> None:  # noqa: ANN001
    """The Standing tab: an account's standing instructions and the run history with a failure."""
    from datetime import date

    from core.teller.standing import StandingOrders

    teller = window.page("teller")
    teller.finder.search.setText(accounts[1])
    teller.finder._run_search()
    wait_until(lambda: teller.selected_number == accounts[1])
    standing: StandingOrders = services.standing
    today = date.today()
    standing.add(SYSTEM_ACTOR, accounts[1], accounts[3], to_minor("450", "USD"), "monthly", today,
                 description="Rent share")
    standing.add(SYSTEM_ACTOR, accounts[1], accounts[0], to_minor("25", "USD"), "weekly", today,
                 today + timedelta(days=180), description="Allowance")
    standing.add(SYSTEM_ACTOR, accounts[1], accounts[3], to_minor("90000", "USD"), "monthly", today,
                 description="Car (too much: fails)")
    standing.run_due(SYSTEM_ACTOR)
    _tab(teller, "Standing")
    panel = teller.standing_panel
    panel.reload()
    wait_until(lambda: panel.model.rowCount() == 3)
    panel.table.selectRow(2)
    wait_until(lambda: len(panel.runs()) == 1)
    save(window, out, "teller-standing")
    dialog = panel.add_dialog()
    wait_until(dialog.isVisible)
    dialog.to_edit.setText(accounts[0])
    dialog.amount.setText("60.005")
    dialog.description.setText("Gym membership")
    dialog.review()
    save(window, out, "teller-standing-new", overlay=dialog)
    dialog.reject()


def no_scrolling(widget: QWidget) -> bool:
    """True if no table on ``widget`` needs a horizontal scroll bar (checked at the default window size)."""
    from PySide6.QtWidgets import QAbstractScrollArea, QTableView

    return all(not t.horizontalScrollBar().isVisible() for t in widget.findChildren(QTableView)
               if isinstance(t, QAbstractScrollArea) and t.isVisible())
