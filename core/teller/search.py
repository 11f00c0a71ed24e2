"""Find a customer as the teller types: by name, account number, IBAN, phone or customer number.

Typo-tolerant and ranked, on each database's own text search:

- names: each typed word is cut into chunks that survive one typo (``chunks``); names containing every
  chunk, or, if few do, any chunk, are read through the database's trigram index (PostgreSQL ``pg_trgm``
  GIN index serving ``ILIKE '%chunk%'``; SQLite FTS5 with the trigram tokenizer), at most a few hundred
  rows; they are then ranked the same way on both backends by ``similarity`` below (pg_trgm's word
  similarity plus edit similarity, the last word being typed treated as a prefix);
- numbers: an account or customer number with one mistyped or two swapped digits still finds the record
  (the check digit says which variants can exist), ranked by closeness (two neighbours swapped first,
  then one digit off by the least); a partial number matches as a prefix;
- phones: the last four or more digits of the number (a btree on ``reverse(phone)`` on PostgreSQL, FTS5
  on SQLite, which also finds digits inside the number);
- IBANs: one of this bank's IBANs leads to its account.

An exact hit (the whole account, customer or phone number, an IBAN, or the name word for word) comes
first and is marked ``exact``; ``auto_open`` names the one hit a screen may open by itself: the only
exact hit, never a near match (QA #3).

Every query reads at most a few dozen rows through an index: ``benchmarks/search.py`` measures it on
100,000 customers (target: under 50 ms).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from difflib import SequenceMatcher

from sqlalchemy import Connection, and_, func, or_, select, text
from stdnum import luhn

from core.errors import ValidationError
from core.persistence.models import Account, Customer
from core.teller.customers import clean_text
from core.teller.identifiers import (
    CUSTOMER_PREFIX, InvalidIban, account_from_iban, customer_number, looks_like_iban,
)

A, C = Account.__table__, Customer.__table__
MAX_RESULTS = 50
NAME_CANDIDATES = 60
CANDIDATES = 200  # rows read per chunk query before ranking
MIN_SCORE = 0.3
_SEPARATORS = re.compile(r"[\s\-./()+]")


@dataclass(frozen=True)
class SearchHit:
    """One result. ``account`` is the account the query named (to select it), if it named one."""

    customer_id: int | None
    customer_number: str | None
    name: str
    account: str | None
    matched: str  # what matched, in words: "name", "account number", "IBAN", "phone", "customer number"
    score: float  # 0..1, higher is better
    phone: str | None = None
    date_of_birth: date | None = None
    exact: bool = False  # the query is this record's number, IBAN, phone or name exactly

    def to_dict(self) -> dict:
        return {"customer_id": self.customer_id, "customer_number": self.customer_number, "name": self.name,
                "account": self.account, "matched": self.matched, "score": round(self.score, 3), "exact": self.exact,
                "phone": self.phone, "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None}


# -- ranking ------------------------------------------------------------------------------------
def _words(value: str) -> list[str]:
    return [w for w in re.split(r"[^\w]+", value.lower()) if w]


def trigrams(value: str, *, prefix_last: bool = False) -> set[str]:
    """pg_trgm's trigrams: each word padded with two spaces in front and one behind; with ``prefix_last``
    the last word gets no end padding (it may still be being typed)."""
    out: set[str] = set()
    words = _words(value)
    for i, word in enumerate(words):
        padded = f"  {word}" + ("" if prefix_last and i == len(words) - 1 else " ")
        out.update(padded[j:j + 3] for j in range(len(padded) - 2))
    return out


def _word_match(query_words: list[str], name_words: list[str], prefix_last: bool) -> float:
    """Average over the query's words of the best edit similarity to a word of the name (the last query
    word against the same length of a name word while it is still being typed)."""
    if not query_words or not name_words:
        return 0.0
    total = 0.0
    for i, qw in enumerate(query_words):
        prefix = prefix_last and i == len(query_words) - 1
        total += max(SequenceMatcher(None, qw, nw[:len(qw) + 1] if prefix else nw).ratio() for nw in name_words)
    return total / len(query_words)


def similarity(query: str, name: str) -> float:
    """How well ``query`` (as typed so far) matches ``name``, 0..1 (1.0: exact).

    Half is the share of the query's trigrams found in the name (pg_trgm's word similarity), three tenths
    the edit similarity of each typed word to its best word of the name (so a dropped letter, "lovelce",
    still prefers "Lovelace" to "Lovell"), and a fifth how much of the name the query covers (so "Ada
    Lovelace" ranks above "Ada Lovelace-Byron")."""
    return _Ranker(query).score(name)


class _Ranker:
    """``similarity`` for one query over many names, with the query's trigrams and words worked out once."""

    SHORTLIST = 40  # names ranked fully (edit similarity); the rest only by their trigrams

    def __init__(self, query: str) -> None:
        self.prefix_last = not query.endswith(" ")
        self.grams = trigrams(query, prefix_last=self.prefix_last)
        self.words = _words(query)

    def coverage(self, name: str) -> float:
        return len(self.grams & trigrams(name)) / len(self.grams) if self.grams else 0.0

    def score(self, name: str) -> float:
        n = trigrams(name)
        if not self.grams or not n:
            return 0.0
        common = len(self.grams & n)
        words = _word_match(self.words, _words(name), self.prefix_last)
        return 0.5 * common / len(self.grams) + 0.3 * words + 0.2 * common / len(self.grams | n)

    def rank(self, rows: list) -> list[tuple[float, object]]:
        """(score, row) for rows with a ``name``: a trigram pass keeps the best few, which are scored fully."""
        if len(rows) > self.SHORTLIST:
            rows = sorted(rows, key=lambda r: self.coverage(r.name), reverse=True)[:self.SHORTLIST]
        return [(self.score(r.name), r) for r in rows]


def shown_query(query: str, width: int = 40) -> str:
    """The query as a message quotes it: long input is shortened ("…"), never echoed in full."""
    q = " ".join((query or "").split())
    return repr(q if len(q) <= width else q[:width - 1] + "…")


def no_match_words(query: str) -> str:
    """What a search that found nothing says: what to type when too little was typed, else that nothing
    matched (the query shortened) and what to check. The console and ``qenex customer search`` say it alike."""
    if len(clean_text(query or "")) < 2:
        return ("type at least two letters of a name, or a customer number, account number or IBAN")
    return f"no customer matches {shown_query(query)}; check the spelling or the number"


# -- the query ----------------------------------------------------------------------------------
def search(conn: Connection, query: str, limit: int = 20) -> list[SearchHit]:
    """Ranked hits for ``query`` (best first, at most ``limit``); fewer than two characters find nothing."""
    if not 1 <= limit <= MAX_RESULTS:
        raise ValidationError(f"limit must be between 1 and {MAX_RESULTS}", limit=limit)
    q = clean_text(query)
    if len(q) < 2:
        return []
    compact = _SEPARATORS.sub("", q)
    found: dict[tuple, SearchHit] = {}

    def add(hit: SearchHit) -> None:
        key = ("c", hit.customer_id, hit.account) if hit.customer_id is not None else ("a", hit.account)
        if key not in found or found[key].score < hit.score:
            found[key] = hit

    if looks_like_iban(q) and not compact.isdigit():
        try:
            for hit in _accounts(conn, [account_from_iban(q)], "IBAN", 1.0):
                add(replace(hit, exact=True))
        except InvalidIban:
            pass
    if compact.isdigit():
        for hit in _by_digits(conn, compact):
            add(hit)
    if any(ch.isalpha() for ch in q) and not any(ch.isdigit() for ch in q):  # names never hold digits
        for hit in _by_name(conn, q):
            add(hit)
    if any(ch.isalpha() for ch in q):
        words = _words(q)
        for key, hit in found.items():
            if hit.matched == "name" and _words(hit.name) == words:
                found[key] = replace(hit, exact=True)
    return sorted(found.values(), key=lambda h: (not h.exact, -h.score, h.name, h.account or ""))[:limit]


def auto_open(hits: list[SearchHit]) -> SearchHit | None:
    """The hit a screen may open without the teller choosing: the only exact one (first in ``search``'s
    order); None when no hit (or more than one) is exact: a near match is never opened by itself."""
    exact = [h for h in hits if h.exact]
    return exact[0] if len(exact) == 1 else None


SWAPPED, ONE_OFF = "two digits swapped", "one digit differs"


def _variants(digits: str) -> list[tuple[str, str, float]]:
    """Luhn-valid numbers one swap of neighbours or one substituted digit away from ``digits``, as
    (number, what differs, closeness 0..1): a swap first (the commonest slip; the same digits), then a digit
    off by the least (a neighbouring key); best first."""
    out: dict[str, tuple[str, float]] = {}
    for i in range(len(digits)):
        if i + 1 < len(digits) and digits[i] != digits[i + 1]:
            out[digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]] = (SWAPPED, 1.0)
        for d in "0123456789":
            v = digits[:i] + d + digits[i + 1:]
            if d != digits[i] and v not in out:
                out[v] = (ONE_OFF, 0.9 - 0.05 * abs(int(d) - int(digits[i])))
    found = [(v, what, close) for v, (what, close) in out.items() if luhn.is_valid(v)]
    return sorted(found, key=lambda t: (-t[2], t[0]))


def _by_digits(conn: Connection, digits: str) -> list[SearchHit]:
    hits: list[SearchHit] = []
    if len(digits) == 10:  # an account number: exact, or the records one typing slip away
        if luhn.is_valid(digits):
            hits += [replace(h, exact=True) for h in _accounts(conn, [digits], "account number", 1.0)]
        else:
            near = {number: (what, close) for number, what, close in _variants(digits)}
            for hit in _accounts(conn, list(near), "account number", 0.0):
                what, close = near[hit.account]
                hits.append(replace(hit, matched=f"account number ({what})", score=0.6 + 0.1 * close))
    elif 4 <= len(digits) < 10:
        low, high = digits.ljust(10, "0"), digits.ljust(10, "9")
        rows = conn.execute(_account_query().where(A.c.number.between(low, high)).order_by(A.c.number).limit(20))
        hits += [_account_hit(r, "account number", 0.5 + 0.04 * len(digits)) for r in rows]
    if digits.startswith(CUSTOMER_PREFIX):
        if len(digits) == 9:
            if luhn.is_valid(digits):
                hits += [replace(h, exact=True) for h in _customers(conn, [int(digits[1:-1])], "customer number", 1.0)]
            else:
                near = {int(v[1:-1]): (what, close) for v, what, close in _variants(digits) if v.startswith(CUSTOMER_PREFIX)}
                for hit in _customers(conn, list(near), "customer number", 0.0):
                    what, close = near[hit.customer_id]
                    hits.append(replace(hit, matched=f"customer number ({what})", score=0.6 + 0.1 * close))
        elif 4 <= len(digits) < 9:
            body = digits[1:]
            low, high = int(body.ljust(7, "0")), int(body.ljust(7, "9"))
            ids = conn.execute(select(C.c.id).where(C.c.id.between(low, high)).order_by(C.c.id).limit(20)).scalars()
            hits += _customers(conn, list(ids), "customer number", 0.5 + 0.05 * len(digits))
    if len(digits) >= 4 and not (len(digits) == 10 and hits and hits[0].score == 1.0):
        hits += _by_phone(conn, digits)
    return hits


def _account_query():  # noqa: ANN202
    return (select(A.c.number, A.c.name.label("account_name"), C.c.id, C.c.name, C.c.phone, C.c.date_of_birth)
            .select_from(A.outerjoin(C, C.c.id == A.c.customer_id)))


def _account_hit(row, matched: str, score: float) -> SearchHit:  # noqa: ANN001
    if row.id is None:  # one of the bank's own (GL) accounts
        return SearchHit(None, None, row.account_name, row.number, matched, score)
    return SearchHit(row.id, customer_number(row.id), row.name, row.number, matched, score, row.phone,
                     row.date_of_birth)


def _accounts(conn: Connection, numbers: list[str], matched: str, score: float) -> list[SearchHit]:
    if not numbers:
        return []
    return [_account_hit(r, matched, score) for r in conn.execute(_account_query().where(A.c.number.in_(numbers)))]


def _customers(conn: Connection, ids: list[int], matched: str, score: float) -> list[SearchHit]:
    if not ids:
        return []
    rows = conn.execute(select(C.c.id, C.c.name, C.c.phone, C.c.date_of_birth).where(C.c.id.in_(ids)))
    return [SearchHit(r.id, customer_number(r.id), r.name, None, matched, score, r.phone, r.date_of_birth)
            for r in rows]


def _by_phone(conn: Connection, digits: str) -> list[SearchHit]:
    cols = select(C.c.id, C.c.name, C.c.phone, C.c.date_of_birth)
    if conn.dialect.name == "sqlite":
        ids = conn.execute(text("SELECT rowid FROM customer_fts WHERE customer_fts MATCH :m LIMIT 20"),
                           {"m": f'phone : "{digits}"'}).scalars().all()
        rows = conn.execute(cols.where(C.c.id.in_(ids))) if ids else []
    else:  # the typed digits end the number (a local number, or its last digits): a btree on reverse(phone)
        rows = conn.execute(cols.where(func.reverse(C.c.phone).like(f"{digits[::-1]}%")).limit(20))
    hits = []
    for r in rows:
        whole = r.phone.lstrip("+").endswith(digits) and len(digits) >= 7
        hits.append(SearchHit(r.id, customer_number(r.id), r.name, None, "phone", 0.95 if whole else 0.6,
                              r.phone, r.date_of_birth, exact=_SEPARATORS.sub("", r.phone).lstrip("+") == digits))
    return hits


def chunks(query: str) -> list[str]:
    """Substrings that still match a name with one typo: each word of six letters or more in two halves
    (one slip spoils only one half), four or five letters as their first and last three, three-letter
    words whole, and words under four letters only when nothing
    longer was typed. Each chunk is looked up through the trigram index, so rarer chunks cost less."""
    words = [w for w in _words(query) if len(w) >= 3]
    long_words = [w for w in words if len(w) >= 4] or words
    out: list[str] = []
    for word in long_words:
        if len(word) >= 6:
            half = len(word) // 2
            out += [word[:half], word[half:]]
        elif len(word) >= 4:
            out += [word[:3], word[-3:]]
        else:
            out.append(word)
    return list(dict.fromkeys(out))


def _by_name(conn: Connection, q: str) -> list[SearchHit]:
    cols = select(C.c.id, C.c.name, C.c.phone, C.c.date_of_birth)
    lowered = q.lower()
    parts = chunks(lowered)
    if not parts:
        rows = conn.execute(cols.where(C.c.name.ilike(f"{_escape_like(lowered)}%", escape="\\"))
                            .order_by(C.c.name).limit(NAME_CANDIDATES)).all()
    else:
        ranker = _Ranker(q)
        ids = _candidates(conn, parts, all_=True)  # names with every chunk: the exact and the nearly typed
        rows = conn.execute(cols.where(C.c.id.in_(ids))).all() if ids else []
        ranked = ranker.rank(rows)
        if len(ids) < 20 and not any(score >= 0.9 for score, _r in ranked):  # any chunk: one typo away
            seen = set(ids)
            more = [i for i in _candidates(conn, parts, all_=False) if i not in seen]
            rows = conn.execute(cols.where(C.c.id.in_(more))).all() if more else []
            ranked += ranker.rank(rows)
        return [SearchHit(r.id, customer_number(r.id), r.name, None, "name", score, r.phone, r.date_of_birth)
                for score, r in ranked if score >= MIN_SCORE]
    return [SearchHit(r.id, customer_number(r.id), r.name, None, "name", score, r.phone, r.date_of_birth)
            for score, r in _Ranker(q).rank(rows) if score >= MIN_SCORE]


def _candidates(conn: Connection, parts: list[str], *, all_: bool) -> list[int]:
    """Ids of customers whose name contains all (or any) of ``parts``, through the text index. Names with
    every part come best first (bm25 on SQLite, shortest on PostgreSQL), so an exact name is never cut off."""
    if conn.dialect.name == "sqlite":
        joiner = " AND " if all_ else " OR "
        match = "name : (" + joiner.join('"' + p.replace('"', '""') + '"' for p in parts) + ")"
        order = "ORDER BY rank " if all_ else ""
        return list(conn.execute(text(f"SELECT rowid FROM customer_fts WHERE customer_fts MATCH :m {order}LIMIT :n"),
                                 {"m": match, "n": CANDIDATES}).scalars())
    likes = [C.c.name.ilike(f"%{_escape_like(p)}%", escape="\\") for p in parts]
    query = select(C.c.id).where(and_(*likes) if all_ else or_(*likes)).limit(CANDIDATES)
    if all_:
        query = query.order_by(func.length(C.c.name), C.c.id)
    return list(conn.execute(query).scalars())


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
