"""Cases on both backends: open with alerts, notes, files (size-limited), resolve, reopen, merge, timeline."""
from __future__ import annotations

import pytest

from core.cases.dispositions import Decision
from core.cases.errors import CaseClosed, CaseNotFound, FileTooLarge, NoteRequired
from core.cases.files import MAX_FILE_BYTES
from core.errors import PermissionDenied, ValidationError
from tests.cases.conftest import ANNA, BOB, SAM, TINA, alert_id


def test_a_case_from_open_to_resolved(desk, hold):
    a1, a2 = alert_id(desk, hold()), alert_id(desk, hold(300_00))
    case = desk.cases.open(ANNA, "  Card testing   on Ada's account ", [a1])
    assert (case.title, case.status, case.alerts, case.open_alerts) == ("Card testing on Ada's account", "open", 1, 1)
    assert desk.alert(SAM, a1).case_id == case.id
    desk.cases.add_alerts(BOB, case.id, [a2, a1])
    assert desk.cases.note(BOB, case.id, "same device on both").status == "investigating"
    f = desk.cases.attach(BOB, case.id, "../../etc/call notes.txt", b"customer called at 10:02")
    assert (f.name, f.size, f.mime) == ("call notes.txt", 24, "text/plain")
    assert desk.cases.file(ANNA, f.id)[1] == b"customer called at 10:02"
    with pytest.raises(ValidationError, match="still has 2 open alert"):
        desk.cases.close(ANNA, case.id, "confirmed", "mule network")
    desk.dispose_many(ANNA, [a1, a2], Decision("confirmed", note="mule network"))
    with pytest.raises(NoteRequired):
        desk.cases.close(ANNA, case.id, "confirmed", "")
    closed = desk.cases.close(ANNA, case.id, "confirmed", "two payments to a mule, both voided")
    assert (closed.status, closed.outcome, closed.open_alerts) == ("resolved", "TRUE_POSITIVE", 0)
    with pytest.raises(CaseClosed, match="reopen it first"):
        desk.cases.add_alerts(ANNA, case.id, [a1])
    assert desk.cases.note(ANNA, case.id, "customer called again").status == "resolved"
    assert desk.cases.reopen(SAM, case.id, "customer disputes").status == "investigating"
    detail = desk.cases.detail(SAM, case.id)
    texts = [e.text for e in detail.events]
    assert texts[0] == "alert raised: score 0.50, low band"
    assert "case opened by anna: Card testing on Ada's account" in texts and f"alert #{a2} added to case #{case.id} by bob" in texts
    assert "confirmed fraud by anna: hold voided" in texts and any(t.startswith("file call notes.txt") for t in texts)
    assert [a.id for a in detail.alerts] == [a1, a2] and len(detail.files) == 1


def test_merging_moves_alerts_notes_and_files(desk, hold):
    a1, a2 = alert_id(desk, hold()), alert_id(desk, hold())
    target = desk.cases.open(ANNA, "Mule ring", [a1])
    source = desk.cases.open(BOB, "Odd transfers", [a2])
    desk.cases.note(BOB, source.id, "beneficiary opened last week")
    desk.cases.attach(BOB, source.id, "kyc.pdf", b"%PDF-1.4 ...")
    with pytest.raises(ValidationError, match="already in case"):
        desk.cases.add_alerts(ANNA, target.id, [a2])
    with pytest.raises(NoteRequired):
        desk.cases.merge(ANNA, target.id, source.id, "")
    merged = desk.cases.merge(ANNA, target.id, source.id, "same beneficiary")
    assert merged.alerts == 2
    detail = desk.cases.detail(ANNA, target.id)
    assert any(e.note == "beneficiary opened last week" for e in detail.events) and len(detail.files) == 1
    assert desk.cases.detail(ANNA, source.id).case.status == "merged"
    with pytest.raises(CaseClosed):
        desk.cases.add_alerts(ANNA, source.id, [a1])
    with pytest.raises(ValidationError):
        desk.cases.merge(ANNA, target.id, target.id, "it cannot join itself")
    assert [c.id for c in desk.cases.list(ANNA)] == [target.id]
    assert [c.id for c in desk.cases.list(ANNA, "all", text="mule")] == [target.id]


def test_bad_case_input_is_refused(desk, hold):
    case = desk.cases.open(ANNA, "Evidence", [])
    for title in ("", "   ", "x" * 201):
        with pytest.raises(ValidationError):
            desk.cases.open(ANNA, title)
    with pytest.raises(CaseNotFound):
        desk.cases.note(ANNA, 987, "hello")
    with pytest.raises(FileTooLarge):
        desk.cases.attach(ANNA, case.id, "huge.bin", b"x" * (MAX_FILE_BYTES + 1))
    for name, data in (("", b"x"), ("empty.txt", b"")):
        with pytest.raises(ValidationError):
            desk.cases.attach(ANNA, case.id, name, data)
    with pytest.raises(ValidationError):
        desk.cases.close(ANNA, case.id, "guilty", "because")
    with pytest.raises(PermissionDenied):
        desk.cases.open(TINA, "teller case")
    assert desk.cases.detail(ANNA, case.id).files == ()


def test_a_sar_draft_is_made_for_confirmed_fraud_only(desk, hold):
    pytest.importorskip("core.documents.pdf")
    aid = alert_id(desk, hold())
    case = desk.cases.open(ANNA, "Account takeover", [aid])
    with pytest.raises(ValidationError, match="no confirmed fraud"):
        desk.cases.sar_draft(ANNA, case.id)
    desk.dispose(ANNA, aid, Decision("confirmed", note="new device, foreign beneficiary"))
    pdf = desk.cases.sar_draft(ANNA, case.id)
    assert pdf.startswith(b"%PDF") and len(pdf) > 1500
    assert any(e.kind == "sar_drafted" for e in desk.cases.detail(ANNA, case.id).events)


def _pdf_text(pdf: bytes) -> str:
    from tests.documents.test_pdf import _text

    return _text(pdf)


def test_a_sar_draft_names_only_confirmed_subjects_and_the_filing_bank(desk, hold, monkeypatch):
    """QA2 #23: Parts III and IV come from settings (a value not set is a gap to fill in, never made up); the
    subjects are only the customers whose alerts in the case are confirmed fraud."""
    pytest.importorskip("core.documents.pdf")
    monkeypatch.setenv("QENEX_BANK_NAME", "Riverton Savings Bank")
    monkeypatch.setenv("QENEX_BANK_ADDRESS", "12 Mill Lane, Riverton")
    monkeypatch.setenv("QENEX_SAR_CONTACT", "Financial crime unit")
    monkeypatch.delenv("QENEX_SAR_PHONE", raising=False)
    ada, grace = alert_id(desk, hold(payer=0)), alert_id(desk, hold(payer=1))
    case = desk.cases.open(ANNA, "Two customers, one fraud", [ada, grace])
    desk.dispose(ANNA, ada, Decision("confirmed", note="new device, foreign beneficiary"))
    text = _pdf_text(desk.cases.sar_draft(ANNA, case.id))
    for part in ("Part I - Subject", "Part II", "Part III - Financial institution", "Part IV - Filing institution",
                 "Part V"):
        assert part in text, part
    assert "Riverton Savings Bank" in text and "12 Mill Lane, Riverton" in text and "Financial crime unit" in text
    assert "set QENEX_SAR_PHONE" in text
    assert "Ada Lovelace" in text and "Grace" not in text  # Grace's alert is still open: not a subject


def test_a_sar_subject_is_named_by_customer_number_with_the_kyc_the_bank_holds(desk, hold, ledger, bank):
    """QA: Part I gave 'Customer id 382' (the internal id) and left out the date of birth, address and ID
    document the bank holds. Staff read a customer by the customer number (700000xxx), here as everywhere."""
    from datetime import date

    from sqlalchemy import update

    from core.persistence.models import Customer
    from core.teller.identifiers import customer_number

    pytest.importorskip("core.documents.pdf")
    aid = alert_id(desk, hold(payer=0))
    cid = desk.detail(ANNA, aid).customer.id
    with ledger.engine.begin() as conn:
        conn.execute(update(Customer.__table__).where(Customer.__table__.c.id == cid).values(
            date_of_birth=date(1980, 2, 3), address="4 Quay Street, Riverton", id_type="passport",
            id_number="P1234567"))
    detail = desk.detail(ANNA, aid)
    assert detail.customer.number == customer_number(cid) and detail.to_dict()["customer"]["number"] == customer_number(cid)
    case = desk.cases.open(ANNA, "Mule", [aid])
    desk.dispose(ANNA, aid, Decision("confirmed", note="new device, foreign beneficiary"))
    text = _pdf_text(desk.cases.sar_draft(ANNA, case.id))
    assert "Customer number" in text and customer_number(cid) in text and "Customer id" not in text
    assert "1980-02-03" in text and "4 Quay Street, Riverton" in text and "passport P1234567" in text


def test_an_unknown_customer_is_named_by_customer_number(ledger):
    """Staff read a customer by the customer number, in refusals too (never the internal id)."""
    from core.errors import QenexError
    from core.security.roles import SYSTEM_ACTOR
    from core.teller.identifiers import customer_number

    with pytest.raises(QenexError, match=f"no customer {customer_number(999)}"):
        ledger.open_account(SYSTEM_ACTOR, 999, "USD")
