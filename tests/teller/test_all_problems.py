"""QA #6: a transfer's preview names every independent problem at once (Refusals), each under its field."""
from __future__ import annotations

import pytest

from core.errors import Refusals
from core.ledger.errors import AccountNotFound, InsufficientFunds
from core.ledger.views import TransferRequest
from tests.teller.conftest import TELLER


def test_unknown_payee_and_too_much_money_are_both_refused(teller, funded):
    _c, number = funded
    req = TransferRequest(id="p-all", debit=number, credit="1000999993", amount=10**9, currency="USD")
    with pytest.raises(Refusals) as caught:
        teller.preview(TELLER, req)
    kinds = {type(e) for e in caught.value.errors}
    assert kinds == {AccountNotFound, InsufficientFunds}
    assert "check the number" in caught.value.message


def test_one_problem_is_refused_as_itself(teller, funded):
    _c, number = funded
    with pytest.raises(AccountNotFound):
        teller.preview(TELLER, TransferRequest(id="p-one", debit=number, credit="1000999993", amount=1,
                                               currency="USD"))
