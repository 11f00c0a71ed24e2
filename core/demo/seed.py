"""Write the demo bank's story into an empty database through the ledger's own batch path."""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, func, select, update

from core.errors import QenexError
from core.demo.plan import Event, Plan, build
from core.ledger import accounts as account_ops
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.persistence.base import utcnow
from core.persistence.models import Account, Customer
from core.security.roles import SYSTEM_ACTOR
from core.words import counted

Progress = Callable[[int, int, str], None]
CHUNK = 5_000


class NotEmpty(QenexError):
    code = "database_not_empty"


class Cancelled(QenexError):
    code = "cancelled"


@dataclass(frozen=True)
class SeedReport:
    customers: int
    accounts: int
    transfers: int
    refused: int
    frauds: int
    labelled: int


def seed(ledger: Ledger, *, customers: int = 2_000, days: int = 60, seed: int = 7, end: datetime | None = None,
         progress: Progress | None = None, cancelled: Callable[[], bool] = lambda: False) -> SeedReport:
    """Seed an EMPTY database; refuses one that already holds customers."""
    if customers < 10 or days < 7:
        raise QenexError("the demo bank needs at least 10 customers and 7 days of history")
    engine = ledger.engine
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(Customer)).scalar_one():
            raise NotEmpty("the database already holds customers; seed the demo bank into an empty database")
    report = progress or (lambda done, total, msg: None)
    report(0, 100, "planning the demo bank's history")
    plan = build(customers, days, end or utcnow(), seed)
    report(0, 100, "opening accounts")
    numbers = ledger.run(lambda conn: _open_accounts(ledger, conn, plan))
    requests = [_request(i, e, numbers) for i, e in enumerate(plan.events)]
    posted = refused = 0
    fraud_ids: list[tuple[str, datetime]] = []
    for start in range(0, len(requests), CHUNK):
        if cancelled():
            raise Cancelled(f"demo seeding cancelled after {counted(posted, 'transfer')}")
        chunk = requests[start:start + CHUNK]
        for req, event, result in zip(chunk, plan.events[start:start + CHUNK], ledger.post_batch(SYSTEM_ACTOR, chunk)):
            if isinstance(result, QenexError):
                refused += 1
                continue
            posted += 1
            if event.fraud:
                fraud_ids.append((req.id, event.at))
        report(start + len(chunk), len(requests), f"posting history: {counted(posted, 'transfer')}")
    labelled = _label(ledger, fraud_ids, random.Random(seed))
    return SeedReport(customers, len(numbers), posted, refused, len(fraud_ids), labelled)


def _open_accounts(ledger: Ledger, conn, plan: Plan) -> dict[tuple, str]:  # noqa: ANN001
    """Every customer and account of the plan, opened (``created_at``: a customer's "since") an hour before the
    history's first transfer, not at the moment of seeding: a customer with 60 days of history has been one
    for 60 days."""
    numbers: dict[tuple, str] = {}
    for cur in ("USD", "EUR"):
        for kind, view in account_ops.ensure_gl_accounts(ledger, conn, SYSTEM_ACTOR, cur).items():
            numbers[("gl", kind, cur)] = view.number
    for i, (name, country) in enumerate(plan.customers):
        cust = account_ops.add_customer(ledger, conn, SYSTEM_ACTOR, name, country)
        conn.execute(update(Customer.__table__).where(Customer.__table__.c.id == cust.id).values(**_kyc(i)))
        numbers[("cust", i)] = account_ops.open_account(ledger, conn, SYSTEM_ACTOR, cust.id, "USD", 50_000,
                                                        "deposit").number
        if plan.cards[i].has_eur:
            numbers[("eur", i)] = account_ops.open_account(ledger, conn, SYSTEM_ACTOR, cust.id, "EUR", 0,
                                                           "deposit").number
    for m, name in enumerate(plan.merchants):
        biz = account_ops.add_customer(ledger, conn, SYSTEM_ACTOR, name, "US")
        for cur in ("USD", "EUR"):
            numbers[("merchant", m, cur)] = account_ops.open_account(ledger, conn, SYSTEM_ACTOR, biz.id, cur, 0,
                                                                     "deposit", f"{name} {cur} settlement").number
    if plan.events:
        opened = plan.events[0].at - timedelta(hours=1)
        people = Customer.__table__
        conn.execute(update(people).where(people.c.created_at > opened).values(created_at=opened))
        accounts = Account.__table__
        conn.execute(update(accounts).where(accounts.c.customer_id.is_not(None), accounts.c.created_at > opened)
                     .values(created_at=opened))
    return numbers


_STREETS = ("Main Street", "Oak Avenue", "Harbour Road", "Mill Lane", "Station Road", "Park Place", "King Street")
_TOWNS = ("Springfield", "Riverton", "Lakeside", "Fairview", "Greenville", "Milton", "Ashford")


def _kyc(i: int) -> dict:
    """Made-up but well-formed know-your-customer details for demo customer ``i`` (deterministic)."""
    return {"date_of_birth": date(1950, 1, 1) + timedelta(days=(i * 7919) % 20_000),
            "phone": f"+1202555{i % 10_000:04d}", "address": f"{(i * 37) % 400 + 1} {_STREETS[i % 7]}, {_TOWNS[i % 7]}",
            "id_type": "passport", "id_number": f"D{1_000_000 + i:07d}"}


def _request(i: int, e: Event, numbers: dict[tuple, str]) -> TransferRequest:
    return TransferRequest(id=f"demo-{i:07d}", debit=numbers[e.debit], credit=numbers[e.credit], amount=e.amount,
                           currency=e.currency, code=e.code, description=e.description, channel=e.channel,
                           counterparty=e.counterparty, counterparty_country=e.country, at=e.at)


def _label(ledger: Ledger, frauds: list[tuple[str, datetime]], rnd: random.Random) -> int:
    """Analysts confirm frauds 1-10 days after they happen; the most recent ones are not known yet."""
    from core.fraud.labels import Label, record_labels

    now = ledger.clock()
    labels = []
    for transfer_id, at in frauds:
        known = at + timedelta(days=rnd.uniform(1, 10))
        if known <= now:
            labels.append(Label(transfer_id, True, labelled_by="demo-analyst", labelled_at=known))
    for start in range(0, len(labels), CHUNK):
        ledger.run(lambda conn, part=labels[start:start + CHUNK]: record_labels(conn, part))
    return len(labels)
