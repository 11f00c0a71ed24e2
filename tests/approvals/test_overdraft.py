"""QA #20: an overdraft limit is a credit decision. A person sets one alone only up to their role's
overdraft limit; above it the account opens without one and a supervisor other than the maker approves."""
from __future__ import annotations

import pytest

from decimal import Decimal

from core.approvals.errors import AboveEveryApprovalLimit
from core.approvals.policy import Policy, parse_limits
from core.errors import ConfigurationError
from core.ledger.errors import InsufficientFunds
from core.ledger.views import TransferRequest
from core.security.roles import SYSTEM_ACTOR, Actor, Role

from tests.approvals.conftest import SUPERVISOR, TELLER


def _limit(ledger, number):
    from core.ledger import queries

    with ledger.engine.connect() as conn:
        return queries.account_view(conn, number).overdraft_limit


def _customer(ledger, name="Xavier Example"):
    return ledger.add_customer(SYSTEM_ACTOR, name).id


def test_teller_within_limit_opens_with_the_overdraft(desk) -> None:
    ledger, approvals, _, _ = desk
    acc = ledger.open_account(TELLER, _customer(ledger), "USD", 1_000_00)
    assert acc.overdraft_limit == 1_000_00 and acc.overdraft_request is None
    assert approvals.list(SUPERVISOR) == []


def test_teller_above_limit_opens_without_overdraft_and_asks(desk) -> None:
    ledger, approvals, _, _ = desk
    acc = ledger.open_account(TELLER, _customer(ledger), "USD", 20_000_00, note="salary account")
    assert acc.overdraft_limit == 0 and acc.overdraft_request is not None and acc.overdraft_asked == 20_000_00
    assert acc.to_dict()["overdraft_approval"]["overdraft_limit"] == "20000.00"
    # nothing can go out on credit while the request waits
    with pytest.raises(InsufficientFunds):
        ledger.transfer(SYSTEM_ACTOR, TransferRequest(id="t-od-1", debit=acc.number, credit=desk[3][1],
                                                      amount=9_900_00, currency="USD"))
    [req] = approvals.list(SUPERVISOR)
    assert req.kind == "overdraft" and req.kind_text == "Overdraft limit" and req.amount == 20_000_00
    assert "above the teller limit of $1,000.00" in req.summary
    # asking again for the same limit does not make a second request
    assert ledger.set_overdraft(TELLER, acc.number, 20_000_00).overdraft_request == req.id
    approvals.approve(SUPERVISOR, req.id)
    assert _limit(ledger, acc.number) == 20_000_00


def test_rejected_request_leaves_the_limit(desk) -> None:
    ledger, approvals, _, _ = desk
    acc = ledger.open_account(TELLER, _customer(ledger), "USD", 2_000_00)
    done = approvals.reject(SUPERVISOR, acc.overdraft_request, "no income on file")
    assert done.state == "rejected" and "stays as it was" in done.result
    assert _limit(ledger, acc.number) == 0


def test_raising_an_existing_limit_follows_the_same_rule(desk) -> None:
    ledger, approvals, _, numbers = desk
    direct = ledger.set_overdraft(TELLER, numbers[1], 500_00)
    assert direct.overdraft_limit == 500_00 and direct.overdraft_request is None
    asked = ledger.set_overdraft(TELLER, numbers[1], 3_000_00)
    assert asked.overdraft_limit == 500_00 and asked.overdraft_request is not None
    lowered = ledger.set_overdraft(TELLER, numbers[1], 0)  # lowering never asks
    assert lowered.overdraft_limit == 0 and lowered.overdraft_request is None


def test_supervisor_sets_up_to_their_limit_above_it_they_are_told_nobody_could_approve(desk) -> None:
    """Above a supervisor's overdraft limit no checker role's limit covers it (every checker is a supervisor):
    the maker is told at once and nothing is created, instead of a request nobody could approve."""
    ledger, approvals, _, _ = desk
    acc = ledger.open_account(SUPERVISOR, _customer(ledger), "USD", 20_000_00)
    assert acc.overdraft_limit == 20_000_00 and acc.overdraft_request is None
    with pytest.raises(AboveEveryApprovalLimit, match="QENEX_OVERDRAFT_LIMITS"):
        ledger.open_account(SUPERVISOR, _customer(ledger, "Yara Example"), "USD", 100_000_00)
    approvals.policy.overdrafts["supervisor"] = Decimal(100_000)  # the operator raised it
    big = ledger.open_account(SUPERVISOR, _customer(ledger, "Yara Example"), "USD", 100_000_00)
    assert big.overdraft_request is None and _limit(ledger, big.number) == 100_000_00


def test_roles_without_an_overdraft_limit_always_ask() -> None:
    policy = Policy()
    assert policy.overdraft_limit("analyst", "USD") == 0
    assert policy.overdraft_need(Actor("ada", Role.ADMIN), "USD", 1) is not None
    assert policy.overdraft_need(SYSTEM_ACTOR, "USD", 10**12) is None  # the system operator is not checked


def test_overdraft_limits_from_the_environment() -> None:
    policy = Policy.from_env({"QENEX_OVERDRAFT_LIMITS": "teller=250"})
    assert policy.overdraft_limit("teller", "USD") == 250_00
    assert policy.overdraft_limit("supervisor", "USD") == 25_000_00
    with pytest.raises(ConfigurationError, match="QENEX_OVERDRAFT_LIMITS"):
        parse_limits("clerk=5", name="QENEX_OVERDRAFT_LIMITS")


def test_an_overdraft_request_is_audited_as_a_request(desk) -> None:
    """QA: a request's audit entry records what is asked (and the limit now), never the change as done."""
    import json

    from sqlalchemy import select

    from core.persistence.models import AuditEntry

    ledger, approvals, _, numbers = desk
    ledger.set_overdraft(TELLER, numbers[1], 500_00)
    asked = ledger.set_overdraft(TELLER, numbers[1], 3_000_00)
    with ledger.engine.connect() as conn:
        rows = conn.execute(select(AuditEntry.action, AuditEntry.target, AuditEntry.after)).all()
    [request] = [json.loads(r.after) for r in rows if r.target == f"approval:{asked.overdraft_request}"]
    assert (request["overdraft_now"], request["requested_overdraft"]) == ("500.00", "3000.00")
    assert "overdraft" not in request
    changes = [json.loads(r.after)["overdraft"] for r in rows if r.action == "account.overdraft"]
    assert changes == ["500.00"]  # only the change that happened


def test_overdraft_limits_are_per_currency_and_the_wait_is_worded_truthfully(desk) -> None:
    """QA: the limit is a number of units of the account's currency (1,000 JPY is not 1,000 KWD); a currency
    may have its own (teller.JPY=150000), and a waiting request reads "… requested, waiting for approval"
    with the limit kept meanwhile, on any view that reads the account."""
    from decimal import Decimal

    from core.approvals.overdraft import waiting
    from core.ledger.money import exponent
    from core.teller import overview

    limits = parse_limits("teller=1000,teller.JPY=150000", {"teller": Decimal(1000)}, "QENEX_OVERDRAFT_LIMITS")
    policy = Policy(overdrafts=limits)
    assert policy.overdraft_limit("teller", "USD") == 1_000_00
    assert policy.overdraft_limit("teller", "KWD") == 1_000 * 10 ** exponent("KWD")  # by the currency's exponent
    assert policy.overdraft_limit("teller", "JPY") == 150_000
    with pytest.raises(ConfigurationError, match="not a currency code"):
        parse_limits("teller.XX=5", None, "QENEX_OVERDRAFT_LIMITS")
    ledger, approvals, _, numbers = desk
    transfers = Policy(parse_limits("teller=10000,teller.JPY=1500000"))  # the transfer limits read the same way
    assert transfers.limit(ledger.engine, "teller", "JPY") == 1_500_000
    assert transfers.limit(ledger.engine, "teller", "USD") == 10_000_00
    ledger.set_overdraft(TELLER, numbers[1], 500_00)
    asked = ledger.set_overdraft(TELLER, numbers[1], 3_000_00)
    assert waiting(asked) == (f"$3,000.00 requested, waiting for approval (request #{asked.overdraft_request}); "
                              "until then the limit stays $500.00")
    fresh = ledger.open_account(TELLER, _customer(ledger), "EUR", 3_000_00)
    assert waiting(fresh).startswith("€3,000.00 requested, waiting for approval") and "has no overdraft" in waiting(fresh)
    with ledger.engine.connect() as conn:  # the teller's account view reads it too
        detail = overview.account(conn, fresh.number, ledger.clock())
    assert detail.account.overdraft_asked == 3_000_00 and waiting(detail.account) == waiting(fresh)
