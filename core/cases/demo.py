"""A realistic fraud queue for the demo bank: the stories analysts meet, with the history charts need.

Payments held for review and already decided (confirmed fraud, false positives, some escalated and some
snoozed) by the demo analysts, then a live queue of open
alerts of several kinds — account takeovers (a login from a new device abroad, then transfers to a
mule), card testing at one kiosk, large online purchases, a first rent payment to a new landlord —
with a few claimed, one escalated and several past their SLA. Payments go through the real posting path
and fraud screen (with demo review rules added), so every alert has its hold, reasons and features.
Nothing is back-dated into the seeded history (which ends at the start of the seed's day) or dated after
now: the decided stories are told, faster than real time, between the two, and each alert is raised at
its own payment's time.
"""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, insert, select, update

from core.cases.dispositions import Decision, SuppressRequest
from core.cases.service import FraudDesk
from core.errors import QenexError
from core.fraud.screen import FraudScreen
from core.ledger.service import Ledger
from core.ledger.views import TransferRequest
from core.persistence.base import utcnow
from core.persistence.models import Account, Customer, CustomerActivity, Entry, FraudAlert, FraudEvent
from core.security.roles import Actor, Role

if TYPE_CHECKING:
    from core.security.audit import AuditTrail

_AL, _ACT, _EV = FraudAlert.__table__, CustomerActivity.__table__, FraudEvent.__table__
DESK = "demo-desk"
ANALYSTS = (Actor("anna", Role.ANALYST, device=DESK), Actor("sam", Role.SUPERVISOR, device=DESK))
MULES = ("NG", "RU", "KP", "IR", "RO")


def _customers(engine: Engine, rnd: random.Random, n: int) -> list[tuple[int, str, str]]:
    """``n`` customers with a USD deposit account: (customer id, name, account number)."""
    a, c = Account.__table__, Customer.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(c.c.id, c.c.name, a.c.number, a.c.name).join(a, a.c.customer_id == c.c.id)
                            .where(a.c.currency == "USD", a.c.kind == "deposit", a.c.status == "open",
                                   a.c.credits_posted - a.c.debits_posted > 0).order_by(c.c.id)).all()
    rows = [tuple(r[:3]) for r in rows if "settlement" not in (r[3] or "").lower()]  # people, not merchants
    return rnd.sample(rows, min(n, len(rows)))


def seed_queue(ledger: Ledger, audit: "AuditTrail | None", *, seed: int = 11, now: datetime | None = None) -> int:
    """Add the demo's alert history and live queue to a seeded bank; returns how many alerts were raised."""
    rnd = random.Random(seed)
    now = now or utcnow()
    engine = ledger.engine
    base = ledger.screen.config if ledger.screen is not None else None
    # The demo's review rules; declines only near certainty, so the stories reach analysts instead of bouncing.
    config = replace(base, amount_limits={"USD": 1_500_00, "EUR": 1_500_00}, velocity_limit_1h=4,
                     decline_threshold=0.995) if base else None
    people = _customers(engine, rnd, 70)
    if len(people) < 12:
        return 0
    stories: list[tuple[datetime, list[TransferRequest], list[tuple], str | None]] = []
    counter = iter(range(1_000_000))

    def pay(at: datetime, payer: tuple, payee: str, amount: int, channel: str, counterparty: str | None,
            country: str | None, device: str | None) -> TransferRequest:
        return TransferRequest(id=f"demo-q{next(counter):05d}", debit=payer[2], credit=payee, amount=amount,
                               currency="USD", channel=channel, counterparty=counterparty,
                               counterparty_country=country, device=device, at=at,
                               description={"card": "card purchase", "online": "online transfer"}.get(channel, channel))

    mules = people[:6]
    victims = people[6:]
    for i, victim in enumerate(victims):
        hours = (rnd.uniform(0.05, 1.5) if i < 10 else rnd.uniform(1.5, 12)) if i < 18 else rnd.uniform(40, 29 * 24)
        at = now - timedelta(hours=hours)
        kind = i % 5
        mule = mules[i % len(mules)]
        activity: list[tuple] = []
        if kind == 0:  # account takeover: new device abroad, then transfers to a mule
            device, country = f"android-{rnd.randint(1000, 9999)}", rnd.choice(MULES)
            activity = [(at - timedelta(minutes=40), "login_failed", "mobile", device, country),
                        (at - timedelta(minutes=35), "password_reset", "mobile", device, country),
                        (at - timedelta(minutes=20), "new_device", "mobile", device, country),
                        (at - timedelta(minutes=18), "login", "mobile", device, country)]
            reqs = [pay(at + timedelta(minutes=3 * k), victim, mule[2], rnd.randint(1_600, 2_400) * 100, "online",
                        f"C{mule[0]}", country, device) for k in range(2)]
        elif kind == 1:  # card testing: small payments in a burst at one kiosk
            reqs = [pay(at + timedelta(minutes=k), victim, mules[0][2], rnd.randint(1, 9) * 100 + 99, "card",
                        "KIOSK-114", "US", None) for k in range(6)]
        elif kind == 2:  # a large online purchase
            reqs = [pay(at, victim, mules[1][2], rnd.randint(1_600, 4_000) * 100, "online",
                        rnd.choice(("ELECTRO-WORLD", "LUX-WATCHES", "GIFTCARDS-24")), "US", "laptop-home")]
        elif kind == 3:  # first rent to a new landlord: usually legitimate
            reqs = [pay(at, victim, mules[2][2], rnd.randint(1_550, 2_200) * 100, "online",
                        f"LANDLORD-{rnd.randint(10, 99)}", "US", "laptop-home")]
            activity = [(at - timedelta(minutes=5), "login", "online", "laptop-home", "US")]
        else:  # a transfer abroad from a known device
            reqs = [pay(at, victim, mule[2], rnd.randint(1_700, 3_000) * 100, "online", f"C{mule[0]}",
                        rnd.choice(MULES), "phone-own")]
            activity = [(at - timedelta(minutes=2), "login", "mobile", "phone-own", "US")]
        outcome = None if hours <= 20 else rnd.choice(("confirmed",) * (3 if kind in (0, 1, 4) else 1)
                                                      + ("false-positive",) * (3 if kind in (2, 3) else 1))
        if outcome == "false-positive" and kind == 3 and hours < 20 * 24:
            outcome = "rent"  # a false positive whose rule is snoozed for the landlord
        stories.append((at, reqs, [(victim[0], *a) for a in activity], outcome))
    return _play(ledger, audit, config, stories, rnd, now)


def _play(ledger: Ledger, audit: "AuditTrail | None", config, stories: list, rnd: random.Random,  # noqa: ANN001
          now: datetime) -> int:
    engine = ledger.engine
    screen = FraudScreen(engine, config=config) if config is not None else None
    system = Actor("demo-channels", Role.SYSTEM, device=DESK)
    stories = _fit_before(ledger, stories, now)
    pace = _pace(stories, now)
    with engine.begin() as conn:
        rows = [dict(customer_id=c, at=at, kind=k, channel=ch, device=d, country=co, detail="")
                for _at, _r, acts, _o in stories for (c, at, k, ch, d, co) in acts]
        if rows:
            conn.execute(insert(_ACT), rows)
    _top_up(ledger, stories)
    raised = 0
    for at, reqs, _acts, outcome in sorted(stories, key=lambda s: s[0]):
        # Never dated before an entry already on these accounts (a statement reads balances in date order),
        # nor after now: a story that no longer fits before now is left out.
        shift = _after_entries(engine, [n for r in reqs for n in (r.debit, r.credit)], at) - at
        reqs = [replace(r, at=r.at + shift) for r in reqs]
        if max(r.at for r in reqs) > now:
            continue
        held = []
        for req in reqs:
            posting = Ledger(engine, audit=audit, screen=screen, clock=lambda t=req.at: t)
            try:
                result = posting.transfer(system, req)
            except QenexError:
                continue
            if result.state == "pending":
                held.append(req)
        with engine.begin() as conn:  # each alert was raised when its own payment was made
            for req in held:
                row = conn.execute(select(_AL.c.id, _AL.c.created_at, _AL.c.due_at)
                                   .where(_AL.c.transfer_id == req.id)).first()
                if row is not None:
                    conn.execute(update(_AL).where(_AL.c.id == row.id).values(
                        created_at=req.at, updated_at=req.at, due_at=req.at + (row.due_at - row.created_at)))
                    conn.execute(update(_EV).where(_EV.c.alert_id == row.id, _EV.c.kind == "raised")
                                 .values(at=req.at))
                    raised += 1
        if outcome is not None and held:
            decided = max(r.at for r in reqs) + max(timedelta(minutes=2), timedelta(minutes=rnd.randint(20, 300)) * pace)
            decided = min(_after_entries(engine, [n for r in reqs for n in (r.debit, r.credit)], decided), now)
            desk = FraudDesk(Ledger(engine, audit=audit, clock=lambda d=decided: d), clock=lambda d=decided: d)
            analyst = rnd.choice(ANALYSTS)
            note = {"confirmed": "customer confirmed by phone it was not them",
                    "rent": "first rent to a new landlord; the customer showed the lease"}.get(outcome, "")
            suppress = SuppressRequest("amount_limit", "counterparty", 60) if outcome == "rent" else None
            decision = Decision("false-positive" if outcome == "rent" else outcome, note, suppress=suppress)
            for req in held:
                alert_id = _alert_id(engine, req.id)
                if alert_id is not None:
                    try:
                        desk.dispose(analyst, alert_id, decision)
                    except QenexError:
                        pass
    _live_touches(ledger, audit, now, rnd)
    return raised


def _fit_before(ledger: Ledger, stories: list, now: datetime) -> list:
    """The stories moved, in their order, into the time between the accounts' history and ``now``.

    The history runs up to the start of the seed's day and nothing is back-dated into it, so a story meant
    for an earlier day is told after it: the decided ones spread over the first part of that time, the live
    ones at their own time when that is after the history (else in the last part). Nothing is after now.
    """
    from core.security.roles import SYSTEM_ACTOR

    if not stories:
        return stories
    clearing = ledger.ensure_gl_accounts(SYSTEM_ACTOR, "USD")["clearing"].number
    numbers = [clearing, *(n for _at, reqs, _a, _o in stories for r in reqs for n in (r.debit, r.credit))]
    first = min(s[0] for s in stories)
    start = _after_entries(ledger.engine, numbers, first) + timedelta(minutes=5)  # the salaries come first
    if start <= first:
        return stories
    room = max(now - start, timedelta(minutes=30))
    span = max(start - first, timedelta(seconds=1))
    moved = []
    for at, reqs, acts, outcome in stories:
        if at >= start:
            new = at
        elif outcome is None:  # live, but meant for before the history ended
            new = start + room * (0.5 + 0.45 * ((at - first) / span))
        else:
            new = start + room * (0.4 * ((at - first) / span))
        delta = new - at
        moved.append((new, [replace(r, at=r.at + delta) for r in reqs],
                      [(c, t + delta, *rest) for (c, t, *rest) in acts], outcome))
    return moved


def _pace(stories: list, now: datetime) -> float:
    """How much faster than real time the decided stories are told (1 when they keep their own days)."""
    decided = [s[0] for s in stories if s[3] is not None]
    return min(1.0, (now - min(decided)) / timedelta(days=29)) if decided else 1.0


def _top_up(ledger: Ledger, stories: list) -> None:
    """A salary lands before each story, so the payments it tells can be paid (or held): the day before the
    story, or just after the account's last entry when its history runs later (never dated out of order)."""
    from core.security.roles import SYSTEM_ACTOR

    clearing = ledger.ensure_gl_accounts(SYSTEM_ACTOR, "USD")["clearing"].number
    seen: set[str] = set()
    payers = []
    for at, reqs, _acts, _outcome in sorted(stories, key=lambda s: s[0]):
        payer = reqs[0].debit
        if payer not in seen:
            seen.add(payer)
            payers.append((payer, at - timedelta(days=1)))
    salaries = []
    first = min((a for _, a in payers), default=utcnow())
    latest = _after_entries(ledger.engine, [clearing, *(p for p, _ in payers)], first)
    for k, (payer, at) in enumerate(payers):  # in date order after every entry they follow (one batch)
        salaries.append(TransferRequest(id=f"demo-q-salary-{payer}", debit=clearing, credit=payer, amount=9_000_00,
                                        currency="USD", code="salary", description="salary", channel="payment",
                                        counterparty="PAYROLL", at=max(at, latest) + timedelta(seconds=k)))
    salaries.sort(key=lambda r: r.at)
    ledger.post_batch(SYSTEM_ACTOR, salaries)


def _after_entries(engine: Engine, numbers: list[str], at: datetime) -> datetime:
    """``at``, or one second after the latest entry on any of the accounts ``numbers``."""
    a, e = Account.__table__, Entry.__table__
    with engine.connect() as conn:
        latest = conn.execute(select(func.max(e.c.created_at)).join(a, a.c.id == e.c.account_id)
                              .where(a.c.number.in_(set(numbers)))).scalar()
    if latest is None:
        return at
    if latest.tzinfo is None:
        latest = latest.replace(tzinfo=at.tzinfo)
    return max(at, latest + timedelta(seconds=1))


def _alert_id(engine: Engine, transfer_id: str) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(_AL.c.id).where(_AL.c.transfer_id == transfer_id)).scalar()


def _live_touches(ledger: Ledger, audit: "AuditTrail | None", now: datetime, rnd: random.Random) -> None:
    """A lived-in queue: Sam holds one alert, one waits for a supervisor, one sleeps until tomorrow, a case."""
    desk = FraudDesk(Ledger(ledger.engine, audit=audit), clock=lambda: now)
    anna, sam = ANALYSTS
    with ledger.engine.connect() as conn:
        open_ids = list(conn.scalars(select(_AL.c.id).where(_AL.c.status == "open").order_by(_AL.c.created_at)))
    if len(open_ids) < 6:
        return
    try:
        desk.dispose(anna, open_ids[0], Decision("escalate", note="large transfer abroad right after a new-device "
                                                                  "login; the customer does not answer the phone"))
        desk.claim(sam, open_ids[1])
        desk.dispose(anna, open_ids[2], Decision("inconclusive", note="customer travelling, calls back tomorrow",
                                                 snooze_until=now + timedelta(hours=20)))
        desk.note(anna, open_ids[3], "merchant asked for the order number; waiting")
        desk.cases.open(anna, "Mule network: transfers abroad after new-device logins", open_ids[4:6])
        desk.escalate_overdue(anna)
    except QenexError:
        pass
