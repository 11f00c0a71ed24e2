"""The desk's posting path on PostgreSQL with the fraud screen and audit trail attached: one read, one write.

A teller's transfer is one round trip to read and one to write, each an autocommit statement:

1. read: the two accounts (unlocked, each with its ``xmin``, and their holds past due), an earlier transfer
   with the same id, and the screen's state for the paying card (its bins, counterparties and devices seen,
   last payment time and the version of that state), the active model version and whether analysts'
   suppressions apply;
2. in Python: the posting rules, the features (``core.fraud.features``, the same code as every other path),
   the score and decision;
3. write (approved): transfer, entries, balances, the card's new state, the score and the audit entry, in
   one statement that must find both accounts and the card's state as they were read; if another desk
   changed any of them meanwhile, PostgreSQL refuses the whole statement (SQLSTATE 40001) and the transfer
   is read and judged again. So each screen sees the state as of its own transaction, and desks screening
   the same card see each other's payments in a serial order;
4. the live update (NOTIFY), once the write has committed.

A decline writes only its score, audit entry and live update (it never posts). A payment held for review
writes the same checked statement (the transfer pending) with its alert, the alert's links and timeline
event as more CTEs (``core.cases.intake_sql``), and its live updates go out together after the commit. A
payment whose card or counterparty has suppressions in force (the analysts' rules to consult) and a
transfer that keeps meeting changed rows (``OPTIMISTIC_TRIES``) take the locking path (``Ledger._transfer``),
which always gets through.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError, IntegrityError

from core.errors import DatabaseUnavailable
from core.events import FRAUD_DETECTED, TRANSACTION_CREATED, Event, bus_for
from core.ledger import store
from core.ledger.errors import TransferDeclined
from core.ledger.events import _created_payload
from core.ledger.money import exponent
from core.ledger.posting import Posting
from core.ledger.state import AccountState
from core.ledger.views import TransferRequest, TransferResult
from core.persistence import prepared
from core.persistence.columns import utcnow
from core.security.roles import Actor

if TYPE_CHECKING:
    from core.ledger.service import Ledger

log = logging.getLogger(__name__)
RETRYABLE = {"40001", "40P01"}
LOCKING = object()  # _attempt's answer when the transfer must take the locking path


def transfer(ledger: "Ledger", actor: Actor, req: TransferRequest, tries: int,
             operation: str | None = None) -> TransferResult | None:
    """Post ``req`` (normalized, authorized) on the desk path; None when it must take the locking path.

    Raises TransferDeclined (after recording the decline) and the ledger's refusals, as ``Ledger.transfer``.
    An audit trail that cannot give its rows to write (``row``: anything but ``AuditTrail``) takes the
    locking path, which calls its ``append``.
    """
    if ledger.audit is not None and not hasattr(ledger.audit, "row"):
        return None
    for _ in range(tries):
        try:
            with ledger._autocommit.cursor() as cur:
                outcome = _attempt(ledger, cur, actor, req, operation)
        except DatabaseUnavailable:
            continue  # a lost connection (typed by the engine): try again, then the locking path's retries
        except DBAPIError as exc:  # IntegrityError included: the same id posted meanwhile
            if not (isinstance(exc, IntegrityError) or exc.connection_invalidated
                    or getattr(exc.orig, "sqlstate", None) in RETRYABLE):
                raise
            continue
        if outcome is LOCKING:
            return None
        if callable(outcome):  # a decline, recorded: announce it and raise
            outcome()
        return outcome
    return None


def _attempt(ledger: "Ledger", cur: Any, actor: Actor, req: TransferRequest, operation: str | None) -> Any:
    from core.fraud.dbstate import ReadState, state_read_params
    from core.fraud.screen import ScreenInput, detected_event
    from core.fraud.txn import Txn, customer_device

    screen = ledger.screen
    now = ledger.clock()
    at = req.at or now
    counterparty = req.counterparty or req.credit
    country = req.counterparty_country.upper() if req.counterparty_country else None
    device = customer_device(req.channel, req.device)  # a desk's workstation is not the customer's device
    probe = Txn(req.id, "", counterparty, country, 0.0, int(at.timestamp()), req.channel, device)
    shape = (counterparty is not None, country is not None, device is not None) if screen is not None else None
    params: list = [req.debit, req.credit, req.currency, req.debit, req.id, now]
    if screen is not None:
        params += state_read_params(probe, screen.store.keep_days, utcnow())  # suppressions: as the screen
    accounts, existing, state, expired = [], {}, ReadState(), {}
    for row in prepared.run(cur, _read_sql(shape), params):
        tag = row[0]
        if tag == "a":
            accounts.append(AccountState(*row[1:13]))
        elif tag == "t":
            existing[row[13]["id"]] = store._from_json(row[13])
        elif tag == "e":
            expired[row[1]] = int(row[8])
        else:
            state.take(row)
    for account in accounts:  # store.note_expired_holds, read with the accounts
        if account.debits_pending and account.id in expired:
            account.expired_pending = expired[account.id]
    posting = Posting(actor, now, {a.number: a for a in accounts}, existing, operation=operation)
    replay = posting.replay(req)
    if replay is not None:
        return replay
    if ledger.four_eyes is not None:
        # the role's limit is cached: a connection only when the cache misses
        need = ledger.four_eyes.need(ledger.engine, actor, req, posting.account(req.debit), posting.account(req.credit))
        if need is not None:
            return LOCKING  # held for a second person: the locking path records the request
    extra: tuple[str, ...] = ()
    extra_params: list = []
    verdict = tx = None
    debit = posting.account(req.debit)
    if screen is not None and debit.customer_id is not None:
        credit = posting.account(req.credit)
        tx = ScreenInput(transfer_id=req.id, customer_id=debit.customer_id, debit_account_id=debit.id,
                         credit_account_id=credit.id, counterparty=counterparty,
                         counterparty_country=req.counterparty_country, amount=req.amount, currency=req.currency,
                         exponent=exponent(req.currency), at=at, channel=req.channel, device=req.device)
        verdict = screen.screen_read(state, tx)
        if verdict is None:
            return LOCKING  # analysts' suppressions to consult: the locking path does
        extra, extra_params = screen.record_parts(tx, verdict, debit.id)
        if verdict.decision == "decline":
            return _decline(ledger, cur, actor, req, tx, verdict, extra, extra_params, detected_event(tx, verdict))
    hold = verdict is not None and verdict.decision == "review"
    result = posting.apply(req, hold=hold)
    if hold:  # QA4 #2: held until the analyst decides, whatever timeout it asked for (pending.hold_for_review)
        posting.transfers[-1]["expires_at"] = None
    if posting.gl_movements:
        return LOCKING  # a supervisor moving a GL account's money: audited with its reason on the locking path
    audit = ledger.audit
    if audit is not None:
        row = audit.row(actor, "transfer.hold" if result.state == "pending" else "transfer.post", req.id, None,
                        result.to_dict())
        extra += (_AUDIT_SQL,)
        extra_params += [row[c] for c in _AUDIT_COLUMNS]
    returning = None
    if hold:  # held for review: the analysts' alert is raised in the same statement
        from core.cases.intake_sql import ALERT_ID
        ctes, params = _alert_parts(screen, state, tx, verdict, debit, posting.account(req.credit))
        extra += ctes
        extra_params += params
        returning = ALERT_ID
    touched = sorted(posting.touched.values(), key=lambda a: a.id)  # the global lock order
    written = store.write_posting_on(cur, posting.transfers, posting.entries, touched, checked=True, extra=extra,
                                     extra_params=extra_params, returning=returning)
    notices = [(TRANSACTION_CREATED, _created_payload(actor.username, [result]))]
    if hold:
        from core.cases.live import ALERT_UPDATED

        alert_id = written[0][0]
        notices.append((FRAUD_DETECTED, detected_event(tx, verdict)))
        if alert_id is not None:
            notices.append((ALERT_UPDATED, {"alert_id": alert_id, "transfer_id": req.id, "status": "open",
                                            "new": True}))
    _announce(ledger, cur, notices)
    return result._replace(fraud=verdict) if verdict is not None else result


def _alert_parts(screen: Any, state: Any, tx: Any, verdict: Any, debit: AccountState,
                 credit: AccountState) -> tuple[tuple[str, ...], list]:
    """The review alert's CTEs and parameters (core.cases.intake_sql), its rule keys from the model and
    settings versions the screen judged with."""
    from core.cases import intake, reason_keys
    from core.cases.intake_sql import alert_parts
    from core.fraud.screen import to_txn

    txn = to_txn(tx)
    config = screen.config_version(state.settings_version)
    model = screen.model_version(state.model_version)
    keys = reason_keys.reason_keys(config, model, txn, list(verdict.features), amount=tx.amount,
                                   currency=tx.currency, exponent=tx.exponent, reasons=verdict.reasons)
    alert = intake.NewAlert(
        transfer_id=tx.transfer_id, score=verdict.score, decision=verdict.decision, reasons=verdict.reasons,
        rules=tuple(keys), debit_account_id=tx.debit_account_id, credit_account_id=tx.credit_account_id,
        amount=tx.amount, currency=tx.currency, channel=tx.channel, counterparty=tx.counterparty,
        device=tx.device, card=txn.card)
    return alert_parts(alert, customer_id=debit.customer_id, account=debit.number, credit_number=credit.number,
                       now=utcnow())


def _decline(ledger: "Ledger", cur: Any, actor: Actor, req: TransferRequest, tx: Any, verdict: Any,
             extra: tuple[str, ...], params: list, payload: dict) -> Callable[[], None]:
    """Record a declined payment (score, audit entry, live update) in one statement; the raise, to call."""
    err = TransferDeclined(tuple(verdict.reasons), verdict.score)
    if ledger.audit is not None:
        row = ledger.audit.row(actor, "transfer.declined", req.id, None,
                               {"score": err.score, "reasons": list(err.reasons)})
        extra += (_AUDIT_SQL,)
        params = params + [row[c] for c in _AUDIT_COLUMNS]
    prepared.run(cur, _decline_sql(extra), params)
    _announce(ledger, cur, [(FRAUD_DETECTED, payload)])

    def declined() -> None:
        raise err

    return declined


def _announce(ledger: "Ledger", cur: Any, notices: list[tuple[str, dict | None]]) -> None:
    """Publish the live updates (name, payload) about a write that has committed (as ``publish`` would have:
    PostgreSQL's NOTIFY, in one round trip, unless this desk's bus sends through Redis). A NOTIFY inside the
    write would make its commit take PostgreSQL's global notify lock while its WAL is flushed, serializing
    every desk's commits; on its own, after the commit, it writes no WAL and costs one short round trip."""
    notices = [(name, payload) for name, payload in notices if payload is not None]
    if not notices:
        return
    try:
        events = [Event.new(name, payload) for name, payload in notices]
        bus = bus_for(ledger.engine)
        if bus is not None and bus.transport == "redis":
            for event in events:
                bus.announce(event)
        else:
            prepared.run(cur, _notify_sql(len(events)), [e.encode() for e in events])
    except Exception:  # noqa: BLE001 - the change is committed; a lost notice must not look like a failure
        log.warning("a write committed, but its live updates %s were not sent", [name for name, _ in notices],
                    exc_info=True)


@lru_cache(maxsize=4)
def _notify_sql(n: int) -> str:
    return "SELECT " + ", ".join(["pg_notify('qenex.events.' || current_schema(), %s)"] * n)


_AUDIT_COLUMNS = ("at", "actor", "role", "device", "action", "target", "before", "after")
_AUDIT_SQL = (f"faudit AS (INSERT INTO audit_log ({', '.join(_AUDIT_COLUMNS)}) VALUES "
              f"({', '.join(['%s'] * len(_AUDIT_COLUMNS))}))")


@lru_cache(maxsize=8)
def _decline_sql(ctes: tuple[str, ...]) -> str:
    return "WITH " + ", ".join(ctes) + "\nSELECT 1"


@lru_cache(maxsize=16)
def _read_sql(shape: tuple[bool, bool, bool] | None) -> str:
    """The accounts (unlocked, with ``xmin``), an earlier transfer with this id, the holds past their timeout
    per account ('e': ``store.note_expired_holds``) and, with a screen (``shape``: counterparty, country, device
    given), its state; parameters: debit, credit, currency, debit, id, now, the state's."""
    from core.fraud.dbstate import state_read_sql

    sql = """WITH a AS (SELECT *, xmin::text::bigint AS version FROM accounts WHERE number IN (%s, %s)),
card AS (SELECT customer_id::text || ':' || %s AS k FROM a WHERE number = %s AND customer_id IS NOT NULL)
SELECT 'a', a.id, a.number, a.customer_id, a.kind, a.currency, a.status, a.overdraft_limit,
       a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending, a.version, NULL::jsonb FROM a
UNION ALL
SELECT 't', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, to_jsonb(t)
  FROM transfers t WHERE t.id = %s
UNION ALL
SELECT 'e', t.debit_account_id, NULL, NULL, NULL, NULL, NULL, NULL, sum(t.amount)::bigint, NULL, NULL, NULL, NULL,
       NULL::jsonb
  FROM transfers t WHERE t.state = 'pending' AND t.expires_at <= %s AND t.debit_account_id IN (SELECT id FROM a)
 GROUP BY t.debit_account_id"""
    if shape is not None:
        sql += "\nUNION ALL\n" + state_read_sql(*shape)
    return sql
