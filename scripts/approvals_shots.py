"""The approvals inbox (four eyes) for ``scripts/screenshots.py``: a teller's transfer that waits, the
supervisor's inbox with the checker's view, and a bulk decision with a result per request."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from core.ledger.money import to_minor
from core.ledger.views import TransferRequest
from core.security.roles import SYSTEM_ACTOR, Actor, Role

TINA = Actor("tina.teller", Role.TELLER, device="desk-2")
TOM = Actor("tom.teller", Role.TELLER, device="desk-3")


def shoot_approvals(window, services, wait_until: Callable, save: Callable, out: Path, accounts: list[str]) -> None:  # noqa: ANN001
    """Requests from two tellers (transfers above the limit, a freeze, a hold release), then the inbox."""
    approvals, ledger = services.approvals, services.ledger
    approvals.set_limit(SYSTEM_ACTOR, "teller", "USD", to_minor("1000", "USD"))
    for i, (actor, debit, credit, amount, text) in enumerate((
            (TINA, accounts[0], accounts[3], "2,400.00", "Deposit for the flat"),
            (TOM, accounts[1], accounts[0], "1,850.00", "Car purchase"),
            (TINA, accounts[6], accounts[1], "5,000.00", "Tuition"))):
        ledger.transfer(actor, TransferRequest(id=f"shot-approval-{i}", debit=debit, credit=credit,
                                               amount=to_minor(amount.replace(",", ""), "USD"), currency="USD",
                                               description=text))
    approvals.request_status(TOM, accounts[2], "frozen", "customer reports the card and phone stolen")
    hold = services.teller.place_hold(SYSTEM_ACTOR, accounts[0], to_minor("150", "USD"), "cheque",
                                      datetime.now().astimezone() + timedelta(days=4), "cheque 7781")
    approvals.request_hold_release(TINA, hold.id, "cheque cleared early, bank called")

    window.show_page("approvals")
    inbox = window.page("approvals")
    inbox.reload()
    wait_until(lambda: inbox.model.rowCount() == 5)
    inbox.table.setFocus()
    inbox.table.selectRow(0)
    wait_until(lambda: "Fraud score" in inbox.detail.fraud.text() and inbox.detail.activity_model.rowCount() > 0)
    save(window, out, "approvals")

    inbox.table.selectRow(1)
    inbox.table.selectionModel().select(inbox.model.index(2, 0), inbox.table.selectionModel().SelectionFlag.Select
                                        | inbox.table.selectionModel().SelectionFlag.Rows)
    inbox.note.setText("above the customer's usual pattern; call them first")
    inbox.reject_selected()
    wait_until(lambda: "2 done" in inbox.result_label.text())
    wait_until(lambda: inbox.model.rowCount() == 3)
    save(window, out, "approvals-bulk")
