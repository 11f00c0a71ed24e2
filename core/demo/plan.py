"""The demo bank's story, generated deterministically from a seed (no database here).

Card spending follows the Fraud Detection Handbook's simulator: each card has its own spending
habits and a set of nearby terminals, and fraud arrives in the book's three scenarios: large
amounts, compromised terminals (every purchase there for 28 days) and leaked card credentials
(a third of a card's purchases for 14 days, at five times the usual amount). On top come salaries,
rent between customers, cash at the desk, and account-takeover transfers abroad.

The branch desk has its own traffic (drawn from a separate random stream, so the rest of the story
does not change with it): customers transfer money to relatives, landlords and tradesmen and take
out larger sums in cash, mostly in opening hours; and now and then an impostor with a stolen
identity empties an account at the desk, to one of a few mule accounts or in cash.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.ledger.money import exponent

_UNIT = {cur: 10 ** exponent(cur) for cur in ("USD", "EUR")}  # minor units per major unit (ISO 4217)
FIRST = ("Ada Alan Grace Linus Margaret Ken Barbara Dennis Frances Edsger Radia John Hedy Tim Katherine Donald "
         "Sophie Marie Omar Leila Yuki Ravi Elena Tomas Amara Chen Ingrid Mateo Zara Noah Aisha Pierre").split()
LAST = ("Lovelace Turing Hopper Torvalds Hamilton Thompson Liskov Ritchie Allen Dijkstra Perlman McCarthy Lamarr "
        "Berners-Lee Johnson Knuth Wilson Curie Haddad Rahimi Tanaka Sharma Petrova Novak Okafor Wei Larsen Garcia "
        "Khan Fischer Diallo Moreau").split()
MERCHANTS = ("Grocer Cafe Fuel Pharmacy Books Electronics Fashion Hardware Restaurant Cinema Travel Sports "
             "Florist Bakery Market Garage").split()


@dataclass
class Card:
    customer: int
    mean: float
    std: float
    per_day: float
    terminals: list[int]
    has_eur: bool


@dataclass
class Event:
    """One transfer of the story. Accounts are named by role: ('cust', i), ('eur', i), ('merchant', m), ('gl', kind, cur)."""

    at: datetime
    debit: tuple
    credit: tuple
    amount: int
    currency: str
    code: str
    channel: str
    counterparty: str | None = None
    country: str | None = None
    fraud: bool = False
    description: str = ""


@dataclass
class Plan:
    customers: list[tuple[str, str]]  # (name, country)
    cards: list[Card]
    merchants: list[str]
    events: list[Event] = field(default_factory=list)


def build(customers: int, days: int, end: datetime, seed: int = 7) -> Plan:
    rnd = random.Random(seed)
    start = (end - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    n_merchants = max(20, customers // 10)
    terminals = n_merchants * 5
    names = [(f"{rnd.choice(FIRST)} {rnd.choice(LAST)}", rnd.choice(("US",) * 8 + ("GB", "DE"))) for _ in range(customers)]
    merchants = [f"{rnd.choice(MERCHANTS)} {rnd.choice(LAST)}" for _ in range(n_merchants)]
    cards = []
    for c in range(customers):
        mean = rnd.uniform(5, 100)
        cards.append(Card(c, mean, mean / 2, rnd.uniform(0.2, 2.5), rnd.sample(range(terminals), rnd.randint(10, 40)),
                          rnd.random() < 0.3))
    plan = Plan(names, cards, merchants)
    ev = plan.events
    compromised_terminals: dict[int, int] = {}  # terminal -> last compromised day
    leaked_cards: dict[int, int] = {}
    for day in range(days):
        # As in the handbook's simulator: 2 of 10,000 terminals and 3 of 5,000 cards per day, scaled to this bank.
        for t in rnd.sample(range(terminals), min(terminals, _poisson(rnd, terminals * 2 / 10_000))):
            compromised_terminals[t] = day + 28
        for c in rnd.sample(range(customers), min(customers, _poisson(rnd, customers * 3 / 5_000))):
            leaked_cards[c] = day + 14
        base = start + timedelta(days=day)
        for card in cards:
            for _ in range(_poisson(rnd, card.per_day)):
                secs = int(min(86_399, max(0, rnd.gauss(43_200, 20_000))))
                amount = max(0.5, rnd.gauss(card.mean, card.std))
                terminal = rnd.choice(card.terminals)
                fraud = False
                if leaked_cards.get(card.customer, -1) >= day and rnd.random() < 1 / 3:
                    amount, fraud = amount * 5, True
                if compromised_terminals.get(terminal, -1) >= day:
                    fraud = True
                if amount > 220:
                    fraud = True
                cur, acct = ("EUR", ("eur", card.customer)) if card.has_eur and rnd.random() < 0.15 else ("USD", ("cust", card.customer))
                ev.append(Event(base + timedelta(seconds=secs), acct, ("merchant", terminal % n_merchants, cur),
                                int(round(amount * _UNIT[cur])), cur, "card", "card", f"T{terminal:05d}", "US", fraud,
                                f"card purchase at {merchants[terminal % n_merchants]}"))
            if rnd.random() < 0.03:
                secs = rnd.randint(9 * 3600, 17 * 3600)
                cash = rnd.choice((20, 40, 60, 100, 200)) * _UNIT["USD"]
                ev.append(Event(base + timedelta(seconds=secs), ("cust", card.customer), ("gl", "teller_cash", "USD"),
                                cash, "USD", "withdrawal", "desk", description="cash withdrawal"))
        _monthly(rnd, plan, base, day, customers, ev)
    _desk(random.Random(f"desk-{seed}"), start, days, customers, ev)
    ev.sort(key=lambda e: e.at)
    return plan


def _monthly(rnd: random.Random, plan: Plan, base: datetime, day: int, customers: int, ev: list[Event]) -> None:
    if day == 0:
        for c in range(customers):
            ev.append(Event(base + timedelta(hours=8, seconds=c), ("gl", "teller_cash", "USD"), ("cust", c),
                            rnd.randint(500, 3_000) * _UNIT["USD"], "USD", "deposit", "desk", description="opening cash deposit"))
            if plan.cards[c].has_eur:
                ev.append(Event(base + timedelta(hours=8, seconds=c), ("gl", "clearing", "EUR"), ("eur", c),
                                rnd.randint(200, 1_500) * _UNIT["EUR"], "EUR", "incoming", "payment", description="incoming transfer"))
    if base.day == 25 or day == 0:
        for c in range(customers):
            card = plan.cards[c]  # salaries cover each card's habits, so few purchases bounce
            salary = max(rnd.randint(2_500, 6_000), int(card.per_day * card.mean * 30 * 1.4))
            ev.append(Event(base + timedelta(hours=6, seconds=c), ("gl", "clearing", "USD"), ("cust", c),
                            salary * _UNIT["USD"], "USD", "salary", "payment", "PAYROLL", "US", description="salary"))
    if base.day == 1:
        for c in range(customers):
            if rnd.random() < 0.25:
                other = rnd.randrange(customers)
                if other != c:
                    ev.append(Event(base + timedelta(hours=rnd.randint(7, 22), minutes=rnd.randint(0, 59)),
                                    ("cust", c), ("cust", other), rnd.randint(300, 1_500) * _UNIT["USD"], "USD", "transfer",
                                    "online", f"C{other}", "US", description="rent"))
    if rnd.random() < 0.5:  # account takeover: a burst of transfers to a mule account abroad
        victim = rnd.randrange(customers)
        mule = rnd.randrange(customers)
        at = base + timedelta(hours=rnd.randint(0, 5), minutes=rnd.randint(0, 59))
        if mule != victim:
            for k in range(rnd.randint(2, 4)):
                ev.append(Event(at + timedelta(minutes=3 * k), ("cust", victim), ("cust", mule),
                                rnd.randint(400, 1_800) * _UNIT["USD"], "USD", "transfer", "online", f"C{mule}",
                                rnd.choice(("RU", "NG", "KP", "IR")), True, "transfer"))


DESK_TRANSFERS_PER_CUSTOMER_DAY = 0.012  # about one desk transfer per customer every three months
DESK_WITHDRAWALS_PER_CUSTOMER_DAY = 0.004  # larger cash withdrawals (the card-side story has small ones)
IMPOSTORS_PER_DAY = 0.5
MULES = 8


def desk_amount(rnd: random.Random) -> int:
    """A desk transfer's amount in whole USD: log-normal around 350, rounded as people ask for it."""
    amount = min(6_000.0, max(20.0, math.exp(rnd.gauss(math.log(350), 0.8))))
    step = 50 if amount >= 500 else 10
    return max(step, int(round(amount / step)) * step)


def _desk(rnd: random.Random, start: datetime, days: int, customers: int, ev: list[Event]) -> None:
    payees = {c: rnd.sample(range(customers), 3) for c in range(customers)}
    mules = rnd.sample(range(customers), min(MULES, customers))
    usd = _UNIT["USD"]
    for day in range(days):
        base = start + timedelta(days=day)
        weekday = base.weekday()
        if weekday == 6:  # the branch is closed on Sundays
            continue
        close = 13 if weekday == 5 else 17
        opening = lambda: base + timedelta(seconds=rnd.randint(9 * 3600, close * 3600 - 1))  # noqa: E731
        for c in range(customers):
            if rnd.random() < DESK_TRANSFERS_PER_CUSTOMER_DAY:
                other = rnd.choice(payees[c]) if rnd.random() < 0.7 else rnd.randrange(customers)
                if other != c:
                    ev.append(Event(opening(), ("cust", c), ("cust", other), desk_amount(rnd) * usd, "USD",
                                    "transfer", "desk", description="transfer at the desk"))
            if rnd.random() < DESK_WITHDRAWALS_PER_CUSTOMER_DAY:
                ev.append(Event(opening(), ("cust", c), ("gl", "teller_cash", "USD"), desk_amount(rnd) * usd, "USD",
                                "withdrawal", "desk", description="cash withdrawal"))
        if rnd.random() < IMPOSTORS_PER_DAY:
            victim, at = rnd.randrange(customers), opening()
            mule = rnd.choice(mules)
            for k in range(rnd.choice((1, 1, 2))):
                amount = rnd.randint(15, 45) * 100 * usd
                if rnd.random() < 0.6 and mule != victim:
                    ev.append(Event(at + timedelta(minutes=7 * k), ("cust", victim), ("cust", mule), amount, "USD",
                                    "transfer", "desk", fraud=True, description="transfer at the desk"))
                else:
                    ev.append(Event(at + timedelta(minutes=7 * k), ("cust", victim), ("gl", "teller_cash", "USD"),
                                    amount, "USD", "withdrawal", "desk", fraud=True, description="cash withdrawal"))


def _poisson(rnd: random.Random, lam: float) -> int:
    """Knuth's method; lam is small here."""
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rnd.random()
        if p <= limit:
            return k
        k += 1
