"""Rail files: the created orders of one rail exported in one batch, and marked submitted.

- SEPA: ISO 20022 pain.001.001.03 by ``sepaxml``, validated against its bundled schema before it is
  written (a file that fails is never written and no order moves).
- ACH: a NACHA file by ``achkit`` (PPD credits, service class 220, entry hash and control totals,
  blocked by ten), effective the next day.
- Wire: the orders as a CSV the wire room keys into its system (wires go one by one).

Every file names the debtor, the customer whose account paid: SEPA as the ultimate debtor of each
transaction (the bank is the debtor of the batch), ACH in the entry's addenda record ("FROM name"), wires
as the ordering customer's columns. ACH names are transliterated and cut (``beneficiary.ach_name``).

Only orders whose funds are posted are exported (an order held for fraud review waits). The file is
written beside its target and renamed into place only after the orders are marked submitted; if that
rename fails, the orders go back to created (a failed submit sends nothing, so nothing stays submitted and
each order keeps its money and fee for the next export), so a failure leaves neither a file nor a moved
order.

The bank's own details come from settings (``RailSettings.from_env``): ``QENEX_BANK_NAME``,
``QENEX_BANK_IBAN``, ``QENEX_BANK_BIC``, ``QENEX_ACH_ORIGIN_ROUTING``, ``QENEX_ACH_COMPANY_ID``.
"""
from __future__ import annotations

import csv
import io
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from core.errors import ValidationError
from core.ledger import money
from core.payments import live
from core.payments.beneficiary import ach_name
from core.ledger.accounts import C
from core.payments.orders import A, O, T, PaymentOrders
from core.security import guard
from core.security.roles import Actor, Permission

SEPA_SCHEMA = "pain.001.001.03"


@dataclass(frozen=True)
class RailSettings:
    bank_name: str = "QENEX Demo Bank"
    iban: str = "DE89370400440532013000"
    bic: str = "COBADEFFXXX"
    ach_origin_routing: str = "091000019"
    ach_company_id: str = "1234567890"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "RailSettings":
        base = cls()
        return cls(environ.get("QENEX_BANK_NAME") or base.bank_name, environ.get("QENEX_BANK_IBAN") or base.iban,
                   environ.get("QENEX_BANK_BIC") or base.bic,
                   environ.get("QENEX_ACH_ORIGIN_ROUTING") or base.ach_origin_routing,
                   environ.get("QENEX_ACH_COMPANY_ID") or base.ach_company_id)


@dataclass(frozen=True)
class ExportResult:
    rail: str
    batch_id: str
    path: str
    orders: int
    total: int
    currency: str

    def to_dict(self) -> dict[str, Any]:
        return {"rail": self.rail, "batch": self.batch_id, "file": self.path, "orders": self.orders,
                "total": money.plain(self.total, self.currency), "currency": self.currency}


def export(orders: PaymentOrders, actor: Actor, rail: str, out: str | Path, settings: RailSettings,
           today: date | None = None) -> ExportResult:
    """Write the rail's file of every waiting order to ``out`` and mark them submitted (all or nothing)."""
    guard.authorize(orders.engine, orders.audit, actor, Permission.RAILS_OPERATE, rail)
    if rail not in ("sepa", "ach", "wire"):
        raise ValidationError(f"rail must be sepa, ach or wire, got {rail!r}")
    out = Path(out)
    try:
        bad = out.is_dir() or not out.parent.is_dir()
    except (OSError, ValueError):
        bad = True
    if bad:
        raise ValidationError(f"{str(out)[:80]!r} is not a file in an existing folder")
    today = today or date.today()
    batch_id = f"{rail}-{today:%Y%m%d}-{secrets.token_hex(3)}"
    with orders.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(
            select(O, C.c.name.label("debtor_name"), A.c.number.label("debtor_account"))
            .join(T, T.c.id == O.c.transfer_id).join(A, A.c.id == O.c.account_id)
            .join(C, C.c.id == A.c.customer_id)
            .where(O.c.rail == rail, O.c.status == "created", T.c.state == "posted").order_by(O.c.created_at, O.c.id))]
    if not rows:
        raise ValidationError(f"no {rail.upper()} orders are waiting to be sent (created, funds posted)")
    currencies = {r["currency"] for r in rows}
    if rail != "wire" and len(currencies) != 1:
        raise ValidationError(f"{rail.upper()} orders in several currencies: {sorted(currencies)}")
    content = {"sepa": _sepa, "ach": _ach, "wire": _wire}[rail](rows, settings, batch_id, today)
    tmp = out.with_name(f".{out.name}.{batch_id}.tmp")
    try:
        tmp.write_bytes(content)
    except OSError as err:
        raise ValidationError(f"cannot write the {rail.upper()} file next to {out.name[:60]}: {err.strerror}") from None
    try:
        ids = [r["id"] for r in rows]
        with orders.engine.begin() as conn:
            done = conn.execute(update(O).where(O.c.id.in_(ids), O.c.status == "created")
                                .values(status="submitted", batch_id=batch_id, updated_at=orders.clock()))
            if done.rowcount != len(ids):
                raise ValidationError("another desk exported some of these orders meanwhile; export again")
            if orders.audit is not None:
                orders.audit.append(conn, actor, "rails.export", batch_id, None,
                                    {"rail": rail, "orders": ids, "file": out.name})
            for order_id in ids:
                live.publish(conn, "payment_order.updated", {"id": order_id, "status": "submitted"})
        try:
            os.replace(tmp, out)
        except OSError as err:  # the file never reached its place: nothing was sent, so nothing stays submitted
            _unsubmit(orders, actor, ids, batch_id, err.strerror or str(err))
            raise ValidationError(f"cannot put the {rail.upper()} file in place as {out.name[:60]}: {err.strerror}; "
                                  "no order was submitted (they wait, with their fees, for the next export)") from None
    finally:
        tmp.unlink(missing_ok=True)
    return ExportResult(rail, batch_id, str(out), len(rows), sum(r["amount"] for r in rows),
                        rows[0]["currency"] if len(currencies) == 1 else "XXX")


def _unsubmit(orders: PaymentOrders, actor: Actor, ids: list[str], batch_id: str, why: str) -> None:
    """A failed submit: the batch's orders go back to created (audited ``rails.export_failed``)."""
    with orders.engine.begin() as conn:
        conn.execute(update(O).where(O.c.id.in_(ids), O.c.batch_id == batch_id, O.c.status == "submitted")
                     .values(status="created", batch_id=None, updated_at=orders.clock()))
        if orders.audit is not None:
            orders.audit.append(conn, actor, "rails.export_failed", batch_id, None, {"orders": ids, "error": why})
        for order_id in ids:
            live.publish(conn, "payment_order.updated", {"id": order_id, "status": "created"})


def _sepa(rows: list[dict], settings: RailSettings, batch_id: str, today: date) -> bytes:
    from sepaxml import SepaTransfer

    sepa = SepaTransfer({"name": settings.bank_name, "IBAN": settings.iban, "BIC": settings.bic, "batch": True,
                         "currency": "EUR"}, schema=SEPA_SCHEMA, clean=True)
    for r in rows:
        sepa.add_payment({"name": r["beneficiary_name"], "IBAN": r["iban"], "BIC": r["bic"], "amount": r["amount"],
                          "execution_date": today, "description": r["reference"] or r["id"],
                          "endtoend_id": r["id"][:35]})
    try:
        from sepaxml.validation import try_valid_xml

        content = _ultimate_debtors(sepa.export(validate=False), {r["id"][:35]: r["debtor_name"] for r in rows})
        try_valid_xml(content, SEPA_SCHEMA)
        return content
    except Exception as err:  # noqa: BLE001 - sepaxml raises a bare Exception when the schema refuses
        raise ValidationError(f"the pain.001 file does not validate against {SEPA_SCHEMA}: {err}") from None


def _ultimate_debtors(content: bytes, names: dict[str, str]) -> bytes:
    """Add ``UltmtDbtr/Nm`` (the paying customer) to each transaction, where pain.001.001.03 puts it
    (after ``Amt``/``ChrgBr``, before the creditor's agent)."""
    import xml.etree.ElementTree as ET

    from text_unidecode import unidecode

    root = ET.fromstring(content)
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    q = (lambda tag: f"{{{ns}}}{tag}") if ns else (lambda tag: tag)  # noqa: E731
    for tx in root.iter(q("CdtTrfTxInf")):
        e2e = tx.find(f"{q('PmtId')}/{q('EndToEndId')}")
        name = names.get(e2e.text if e2e is not None else "", "")
        if not name:
            continue
        ultimate = ET.Element(q("UltmtDbtr"))
        ET.SubElement(ultimate, q("Nm")).text = unidecode(name)[:70]
        children = list(tx)
        at = next((i for i, c in enumerate(children) if c.tag in (q("IntrmyAgt1"), q("CdtrAgt"), q("Cdtr"))),
                  len(children))
        tx.insert(at, ultimate)
    if ns:
        ET.register_namespace("", ns)
    return b'<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, "utf-8")


def _ach(rows: list[dict], settings: RailSettings, batch_id: str, today: date) -> bytes:
    from achkit import AchFile, AchError, validate

    try:
        ach = AchFile.create(origin_dfi=settings.ach_origin_routing, company_id=settings.ach_company_id,
                             origin_name=ach_name(settings.bank_name, 23), destination_name="FEDERAL RESERVE BANK")
        batch = ach.batch(sec="PPD", description="TRANSFER", effective_date=(today + timedelta(days=1)).isoformat(),
                          company_name=ach_name(settings.bank_name, 16))
        for r in rows:
            batch.credit(name=ach_name(r["beneficiary_name"]), routing=r["routing"], account=r["account_number"],
                         amount_cents=r["amount"], id_number=r["id"][:15],
                         addenda=ach_name(f"FROM {r['debtor_name']} {r['reference'] or ''}", 80))
        text = ach.render()
    except AchError as err:
        raise ValidationError(f"the ACH file could not be built: {err}") from None
    checked = validate(text)
    if not checked["ok"] if isinstance(checked, dict) else not checked.ok:
        raise ValidationError(f"the ACH file does not validate: {checked}")
    return text.encode("ascii")


def _wire(rows: list[dict], settings: RailSettings, batch_id: str, today: date) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["order", "value_date", "amount", "currency", "beneficiary", "account", "bic", "reference",
                     "ordering_customer", "ordering_account", "ordering_bank", "ordering_bic"])
    for r in rows:
        writer.writerow([r["id"], today.isoformat(), money.plain(r["amount"], r["currency"]), r["currency"],
                         r["beneficiary_name"], r["account_number"], r["bic"], r["reference"], r["debtor_name"],
                         r["debtor_account"], settings.bank_name, settings.bic])
    return buf.getvalue().encode()
