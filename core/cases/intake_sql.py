"""A review alert raised inside the desk path's one checked write (PostgreSQL; core.ledger.desk).

``intake.raise_alert`` does the same with one statement per row (alert, links, timeline event) on the
caller's connection; a desk holding a payment for review instead adds these CTEs to its checked write, so
the hold, its score, its alert and the audit entry commit together in one round trip. The alert gets the
same columns, SLA band and due time (``fraud_sla_bands``, or ``sla.DEFAULT_BANDS`` when that table is
empty, as ``sla.load``), links and 'raised' event as ``raise_alert`` gives it (tests/ledger/test_desk_path.py
compares the two). The write statement returns the new alert's id (``ALERT_ID``; NULL if the transfer
had an alert already); its ``alert.updated`` notice is the caller's, after the commit.
"""
from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

from core.cases import intake, sla

# The write statement's RETURNING clause: the alert's id (core.ledger.store.write_posting_on ``returning``).
ALERT_ID = "(SELECT id FROM falert)"

_ALERT_COLUMNS = ("transfer_id", "score", "decision", "reasons", "status", "created_at", "updated_at", "updated_by",
                  "source", "rule", "rules", "customer_id", "customer_name", "account", "beneficiary", "amount",
                  "amount_scaled", "currency", "channel", "counterparty", "device", "band", "due_at")


@lru_cache(maxsize=16)
def alert_ctes(n_links: int) -> tuple[str, ...]:
    """The CTEs (``fband``, ``falert``, ``flinks``, ``fevent``) for an alert with ``n_links`` links."""
    band = ("fband AS (SELECT b.name, b.minutes FROM (SELECT name, minutes, min_score FROM fraud_sla_bands "
            "UNION ALL SELECT %s::text, %s::int, -1.0::float8) b WHERE b.min_score <= %s::float8 "
            "ORDER BY b.min_score DESC LIMIT 1)")
    values = ("%s::text, %s::float8, %s::text, %s::text, 'open', %s::timestamptz, %s::timestamptz, %s::text, "
              "%s::text, %s::text, %s::text, %s::bigint, (SELECT name FROM customers WHERE id = %s::bigint), "
              "%s::text, %s::text, %s::bigint, %s::bigint, %s::text, %s::text, %s::text, %s::text, fband.name, "
              "%s::timestamptz + fband.minutes * interval '1 minute'")
    alert = (f"falert AS (INSERT INTO fraud_alerts ({', '.join(_ALERT_COLUMNS)}) SELECT {values} FROM fband "
             "ON CONFLICT DO NOTHING RETURNING id, band, due_at)")
    ctes = [band, alert]
    if n_links:
        rows = ", ".join(["(%s::text, %s::text)"] * n_links)
        ctes.append(f"flinks AS (INSERT INTO fraud_alert_links (kind, key, alert_id) SELECT v.kind, v.key, falert.id "
                    f"FROM falert, (VALUES {rows}) AS v(kind, key) ON CONFLICT DO NOTHING)")
    ctes.append("fevent AS (INSERT INTO fraud_events (at, actor, kind, alert_id, data) SELECT %s::timestamptz, %s::text, 'raised', "
                "falert.id, jsonb_build_object('band', falert.band, 'due', to_char(falert.due_at AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD\"T\"HH24:MI') || '+00:00', 'score', %s::text, 'source', %s::text)::text "
                "FROM falert)")
    return tuple(ctes)


def alert_parts(alert: intake.NewAlert, *, customer_id: int | None, account: str | None,
                credit_number: str | None, now: datetime, actor: str = "system") -> tuple[tuple[str, ...], list]:
    """(CTEs, parameters) raising ``alert`` for a held payment: ``customer_id`` and ``account`` are the payer's
    (as the desk read them), ``credit_number`` the receiving account's number; ``now`` UTC-aware."""
    default = sla.SlaPolicy().band(alert.score)
    params: list = [default.name, default.minutes, alert.score]
    beneficiary = alert.counterparty if intake.is_iban(alert.counterparty) else credit_number
    params += [alert.transfer_id, alert.score, alert.decision, json.dumps(list(alert.reasons)), now, now, actor,
               alert.source, alert.rules[0] if alert.rules else None, json.dumps(list(alert.rules)), customer_id,
               customer_id, account, beneficiary, alert.amount, intake.scaled(alert.amount, alert.currency),
               alert.currency, alert.channel, alert.counterparty, alert.device, now]
    links = intake.link_keys(alert, credit_number, customer_id)
    params += [v for pair in links for v in pair]
    params += [now, actor, f"{alert.score:.2f}", alert.source]
    return alert_ctes(len(links)), params
