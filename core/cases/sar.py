"""A suspicious-activity report draft (PDF) for a case of confirmed fraud, from the case's own facts.

Modelled on the facts a SAR filing asks for (FinCEN SAR Parts I–V): I the subjects — only the customers whose
alerts in the case are confirmed fraud (one still open or found genuine makes nobody a subject), each with
their accounts; II the suspicious activity — the confirmed amount per currency, its period, every alert of
the case with its payment and outcome; III the institution where it occurred and IV the filing institution's
contact, from settings (``core.documents.institution``: QENEX_BANK_NAME, QENEX_BANK_ADDRESS, QENEX_BANK_TIN,
QENEX_BANK_REGULATOR, QENEX_SAR_CONTACT, QENEX_SAR_PHONE; a value not set is left as a gap to fill in); V the
analysts' notes as the narrative draft; then the case timeline. It is a DRAFT for the bank's reporting
officer; nothing is filed.
"""
from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy import Connection, select

from core.cases import cases, profile, timeline
from core.cases.queue import row_from
from core.documents.institution import Institution
from core.errors import ValidationError
from core.ledger.money import format_minor
from core.persistence.models import FraudAlert

_AL = FraudAlert.__table__


def draft(conn: Connection, actor: str, case_id: int, now: datetime, zone: tzinfo) -> bytes:
    """The PDF bytes; ValidationError unless the case (or one of its alerts) is confirmed fraud."""
    from core.documents.pdf import Document, TableColumn

    case = cases.get(conn, case_id)
    alerts = [row_from(r, now) for r in conn.execute(select(_AL).where(_AL.c.case_id == case_id)
                                                     .order_by(_AL.c.created_at))]
    if case.outcome != "TRUE_POSITIVE" and not any(a.outcome == "TRUE_POSITIVE" for a in alerts):
        raise ValidationError(f"case #{case_id} holds no confirmed fraud; a suspicious-activity report draft is "
                              "made for confirmed fraud (confirm an alert or resolve the case as TRUE_POSITIVE)")

    def when(at: datetime | None) -> str:
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if at else "-"

    events = timeline.for_case(conn, case_id)
    timeline.add(conn, actor, "sar_drafted", now, case_id=case_id)
    doc = Document("Suspicious activity report - DRAFT", subtitle=f"Case #{case.id}: {case.title}",
                   generated_at=now)
    doc.paragraph("Draft for the reporting officer's review. Not filed. Prepared from the case record of the "
                  f"fraud team by {actor} on {when(now)}.", size=8.5)
    confirmed = [a for a in alerts if a.outcome == "TRUE_POSITIVE"]
    subject_ids = list(dict.fromkeys(a.customer_id for a in confirmed if a.customer_id is not None))
    if not subject_ids and not confirmed and case.customer_id is not None:  # the case itself was confirmed
        subject_ids = [case.customer_id]
    doc.heading("Part I - Subject" + ("s" if len(subject_ids) > 1 else ""))
    subjects = [p for p in (profile.profile(conn, cid) for cid in subject_ids) if p is not None]
    if not subjects:
        doc.key_values([("Subject", "not identified (no confirmed alert names a customer)")])
    for subject in subjects:
        gap = "not recorded"
        doc.key_values([("Name", subject.name), ("Customer number", subject.number),
                        ("Date of birth", subject.date_of_birth.isoformat() if subject.date_of_birth else gap),
                        ("Address", subject.address or gap), ("ID document", subject.id_document or gap),
                        ("Country", subject.country), ("Customer since", when(subject.since)),
                        ("Accounts", ", ".join(f"{a.number} ({a.currency}, {a.status})" for a in subject.accounts)),
                        ("Earlier alerts", f"{subject.alerts} ({subject.confirmed} confirmed fraud)")])
    doc.heading("Part II - Suspicious activity")
    totals: dict[str, int] = {}
    for a in confirmed:
        if a.amount is not None and a.currency:
            totals[a.currency] = totals.get(a.currency, 0) + a.amount
    period = confirmed or alerts
    first = min((a.created_at for a in period), default=None)
    last = max((a.created_at for a in period), default=None)
    doc.key_values([("Case status", f"{case.status} ({case.outcome or 'no outcome yet'})"),
                    ("Activity period", f"{when(first)} to {when(last)}"),
                    ("Confirmed amount", ", ".join(format_minor(v, c) for c, v in sorted(totals.items())) or "none"),
                    ("Alerts in the case", f"{len(alerts)} ({len(confirmed)} confirmed fraud)")])
    doc.table([TableColumn("Raised", 30), TableColumn("Transfer", 32), TableColumn("Amount", 26, align="R"),
               TableColumn("From", 24), TableColumn("To / counterparty", 36), TableColumn("Outcome", 32)],
              [(when(a.created_at)[:16], a.transfer_id, format_minor(a.amount, a.currency) if a.amount and a.currency
                else "-", a.account or "-", a.counterparty or a.beneficiary or "-",
                a.outcome or (a.resolution or a.status).replace("_", " ")) for a in alerts])
    bank = Institution.from_env()
    doc.heading("Part III - Financial institution where the activity occurred")
    doc.key_values([("Name", bank.name), ("Address", bank.address), ("Taxpayer id (TIN)", bank.tin),
                    ("Primary federal regulator", bank.regulator),
                    ("Accounts involved", ", ".join(sorted({a.account for a in confirmed if a.account})) or "-")])
    doc.heading("Part IV - Filing institution contact information")
    doc.key_values([("Filing institution", bank.name), ("Address", bank.address), ("Contact office", bank.contact),
                    ("Contact phone", bank.phone), ("Draft prepared by", f"{actor}, {when(now)}"),
                    ("Date filed", "(not filed: this is a draft)")])
    doc.heading("Part V - Narrative (analysts' notes)")
    notes = [e for e in events if e.note]
    for e in notes:
        doc.paragraph(f"{when(e.at)} - {e.actor} ({e.text}): {e.note}")
    if not notes:
        doc.paragraph("(no notes were written on this case)")
    doc.heading("Case timeline")
    doc.table([TableColumn("When", 38), TableColumn("Who", 28), TableColumn("Event", 114)],
              [(when(e.at), e.actor, e.text) for e in events])
    return doc.output()
