"""Transfer previews write nothing and say what would post; receipts are numbered and reprints audited."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.ledger.errors import InsufficientFunds
from core.ledger.views import TransferRequest
from core.persistence.models import AuditEntry, Transfer
from tests.documents.test_pdf import _text
from tests.teller.conftest import TELLER, new_customer


@pytest.fixture
def two(teller, funded):
    _c, number = funded
    other = teller.add_customer(TELLER, new_customer(name="Grace Hopper", id_number="G7654321"))
    return number, teller.open_account(TELLER, other.id, "USD").number


def _transfers(engine) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Transfer)).scalar_one()


def test_preview_shows_names_balances_and_writes_nothing(teller, two, engine):
    src, dst = two
    before = _transfers(engine)
    p = teller.preview(TELLER, TransferRequest(id="t1", debit=src, credit=dst, amount=12550, currency="USD"))
    assert (p.debit_name, p.credit_name, p.fee) == ("Ada Lovelace", "Grace Hopper", 0)
    assert (p.debit_current_after, p.debit_available_after, p.credit_current_after) == (87450, 87450, 12550)
    assert p.decision == "none" and p.outcome == "posted at once"  # no fraud screen on this ledger
    assert _transfers(engine) == before


def test_preview_refuses_as_the_posting_would(teller, two, engine):
    src, dst = two
    with pytest.raises(InsufficientFunds):  # 1,000.00 + 100.00 overdraft
        teller.preview(TELLER, TransferRequest(id="t2", debit=src, credit=dst, amount=110001, currency="USD"))


def test_receipt_then_reprint(teller, two, engine):
    src, dst = two
    result = teller.ledger.transfer(TELLER, TransferRequest(id="t3", debit=src, credit=dst, amount=500,
                                                            currency="USD", device="desk-1"))
    doc, copy = teller.receipt(TELLER, result.id)
    text = _text(doc.output())
    assert copy == 1 and "t3" in text and "tina" in text and "desk-1" in text and "$5.00" in text
    doc2, copy2 = teller.receipt(TELLER, result.id)
    assert copy2 == 2 and "REPRINT" in _text(doc2.output())
    with engine.connect() as conn:
        actions = conn.execute(select(AuditEntry.action).where(AuditEntry.target == "t3")).scalars().all()
    assert actions.count("receipt.print") == 1 and actions.count("receipt.reprint") == 1


def test_the_file_name_and_the_printed_copy_number_agree(teller, two):
    """QA: a receipt saved as "…-copy1.pdf" said "Copy: original" inside. The number printed and the number in
    the file's name come from one place (core.teller.documents): "Copy 1 (original)" in receipt-…-copy1.pdf."""
    from core.teller.documents import copy_label, receipt_file_name

    src, dst = two
    result = teller.ledger.transfer(TELLER, TransferRequest(id="t/4", debit=src, credit=dst, amount=500,
                                                            currency="USD", device="desk-1"))
    for want in (1, 2, 3):
        doc, copy = teller.receipt(TELLER, result.id)
        text = _text(doc.output())
        assert copy == want and receipt_file_name(result.id, copy) == f"receipt-t_4-copy{want}.pdf"
        shown = copy_label(copy).replace("(", "\\(").replace(")", "\\)")  # as a PDF string writes it
        assert f"({shown})" in text, text
        assert copy_label(copy) == (f"{want} (original)" if want == 1 else f"{want} (reprint)")
        assert ("original" in text) == (want == 1)


def test_every_desk_receipt_names_the_desk(teller, two):
    """QA: a transfer's receipt said 'Desk vm:…' and a cash one 'Desk -'. Every desk posting records the desk
    it was made at (the person's workstation), so each receipt names it; another channel's receipt names the
    channel (its device would be the customer's)."""
    src, dst = two
    posted = [teller.ledger.transfer(TELLER, TransferRequest(id="d1", debit=src, credit=dst, amount=500,
                                                             currency="USD")),
              teller.ledger.deposit(TELLER, src, 700, "USD"), teller.ledger.withdraw(TELLER, src, 300, "USD")]
    for result in posted:
        text = _text(teller.receipt(TELLER, result.id)[0].output())
        assert "(Desk)" in text and f"({TELLER.device})" in text and "(not recorded)" not in text
    online = teller.ledger.transfer(TELLER, TransferRequest(id="o1", debit=src, credit=dst, amount=500, currency="USD",
                                                            channel="online", device="phone-7"))
    text = _text(teller.receipt(TELLER, online.id)[0].output())
    assert "(Channel)" in text and "(online banking transfer)" in text and "phone-7" not in text


def test_receipts_are_titled_by_what_happened(teller, two):
    """QA4 #4: a cash deposit's receipt is not titled "Transfer receipt"."""
    src, dst = two
    cash_in = teller.ledger.deposit(TELLER, src, 700, "USD")
    assert "Cash deposit receipt" in _text(teller.receipt(TELLER, cash_in.id)[0].output())
    cash_out = teller.ledger.withdraw(TELLER, src, 300, "USD")
    assert "Cash withdrawal receipt" in _text(teller.receipt(TELLER, cash_out.id)[0].output())
    moved = teller.ledger.transfer(TELLER, TransferRequest(id="t9", debit=src, credit=dst, amount=5, currency="USD"))
    text = _text(teller.receipt(TELLER, moved.id)[0].output())
    assert "Transfer receipt" in text and "Cash" not in text
