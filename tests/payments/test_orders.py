"""Outgoing transfers as payment orders: validation, posting to the rail's clearing account, the
lifecycle, and the rail files (pain.001 valid against its schema, NACHA read back by a second parser)."""
from __future__ import annotations

import csv
import uuid
from datetime import date

import pytest

from core.payments import return_codes
from core.payments.errors import AlreadyReturned, InvalidReturnCode
from ach.parser import Parser as CartaParser

from core.fraud.config import FraudConfig
from core.fraud.screen import FraudScreen
from core.ledger.errors import InsufficientFunds, TransferDeclined
from core.ledger.service import Ledger
from core.payments import beneficiary, rail_files
from core.payments.errors import InvalidBeneficiary, InvalidState, OrderNotFound
from core.payments.fees import FeeSchedule
from core.payments.orders import OrderRequest, PaymentOrders
from core.security.audit import AuditTrail
from core.security.audit_keys import AuditKeys
from core.security.roles import SYSTEM_ACTOR, Actor, Role

TELLER = Actor("tina", Role.TELLER, device="desk-1")
SUPERVISOR = Actor("sam", Role.SUPERVISOR, device="desk-2")
IBAN = "DE89 3704 0044 0532 0130 00"
BIC = "COBADEFFXXX"
ROUTING = "011000015"


@pytest.fixture
def rails(engine, tmp_path):
    audit = AuditTrail(AuditKeys(tmp_path / "audit" / "ml-dsa-65.key"))
    screen = FraudScreen(engine, config=FraudConfig(amount_limits={"EUR": 5_000_000}, amount_limit_action="decline",
                                                    blocked_countries=frozenset({"KP"})))
    ledger = Ledger(engine, audit=audit, screen=screen)
    orders = PaymentOrders(engine, ledger, audit=audit, fees=FeeSchedule())
    accounts = {}
    for cur in ("EUR", "USD"):
        customer = ledger.add_customer(SYSTEM_ACTOR, f"Grace {cur}")
        accounts[cur] = ledger.open_account(SYSTEM_ACTOR, customer.id, cur).number
        ledger.deposit(SYSTEM_ACTOR, accounts[cur], 1_000_000, cur)
    return orders, ledger, accounts


def order(account: str, rail: str, amount: int, cur: str, **ben) -> OrderRequest:  # noqa: ANN003
    ben.setdefault("name", "Erika Mustermann")
    return OrderRequest(f"ord_{uuid.uuid4().hex[:16]}", account, amount, cur, beneficiary.check(rail, cur, **ben))


def bal(ledger, account):  # noqa: ANN001, ANN201
    return ledger.balance(SYSTEM_ACTOR, account).current


def test_sepa_order_posts_to_clearing_settles_and_exports_valid_pain001(rails, tmp_path):
    orders, ledger, acc = rails
    made = [orders.create(TELLER, order(acc["EUR"], "sepa", amt, "EUR", iban=IBAN, bic=BIC, reference=f"invoice {i}"))
            for i, amt in enumerate((12_345, 50_000))]
    assert made[0].status == "created" and made[0].funds == "posted" and made[0].fraud.decision == "approve"
    assert bal(ledger, acc["EUR"]) == 1_000_000 - 62_345
    out = tmp_path / "sepa.xml"
    result = rail_files.export(orders, SUPERVISOR, "sepa", out, rail_files.RailSettings(), date(2026, 3, 2))
    assert (result.orders, result.total) == (2, 62_345)
    from sepaxml.validation import try_valid_xml
    try_valid_xml(out.read_bytes(), rail_files.SEPA_SCHEMA)  # raises if the schema refuses it
    text = out.read_text()
    assert "DE89370400440532013000" in text and "123.45" in text and "<NbOfTxs>2</NbOfTxs>" in text
    assert {o.status for o in orders.list(TELLER, rail="sepa")} == {"submitted"}
    with pytest.raises(Exception, match="no SEPA orders"):
        rail_files.export(orders, SUPERVISOR, "sepa", tmp_path / "again.xml", rail_files.RailSettings())
    settled = orders.settle(SUPERVISOR, made[0].id)
    assert settled.status == "settled"
    assert orders.settle(SUPERVISOR, made[0].id).status == "settled"  # a retry posts nothing more


def test_returned_order_reverses_its_posting(rails, tmp_path):
    orders, ledger, acc = rails
    first = orders.create(TELLER, order(acc["USD"], "ach", 25_000, "USD", routing=ROUTING, account_number="123456789"))
    second = orders.create(TELLER, order(acc["USD"], "ach", 10_000, "USD", routing=ROUTING, account_number="99887766"))
    rail_files.export(orders, SUPERVISOR, "ach", tmp_path / "ach.txt", rail_files.RailSettings())
    assert bal(ledger, acc["USD"]) == 1_000_000 - 35_000
    returned = orders.return_order(SUPERVISOR, first.id, "R03")
    assert returned.status == "returned" and returned.return_reason == "R03 No account / unable to locate account"
    assert bal(ledger, acc["USD"]) == 1_000_000 - 10_000
    orders.settle(SUPERVISOR, second.id)
    orders.return_order(SUPERVISOR, second.id, "R16")  # returned after settlement: back from nostro
    assert bal(ledger, acc["USD"]) == 1_000_000
    with pytest.raises(AlreadyReturned, match=r"already returned \(R16 Account frozen.*nothing was posted again"):
        orders.return_order(SUPERVISOR, second.id, "R16")  # once only
    assert orders.show(TELLER, second.id).funds.startswith("credited back")
    assert bal(ledger, acc["USD"]) == 1_000_000
    assert sum(ledger.totals_by_currency(SYSTEM_ACTOR).values()) == 0
    with pytest.raises(InvalidState):
        orders.settle(SUPERVISOR, first.id)


def test_ach_file_reads_back_with_a_second_parser(rails, tmp_path):
    orders, ledger, acc = rails
    amounts = (25_000, 1_99, 7_000_00)
    for i, amount in enumerate(amounts):
        orders.create(TELLER, order(acc["USD"], "ach", amount, "USD", routing=ROUTING if i % 2 == 0 else "021000021",
                                    account_number=f"4455{i}6677", name=f"Receiver {i}"))
    out = tmp_path / "ach.txt"
    rail_files.export(orders, SUPERVISOR, "ach", out, rail_files.RailSettings(), date(2026, 3, 2))
    lines = out.read_text().splitlines()
    assert all(len(line) == 94 for line in lines) and len(lines) % 10 == 0
    parsed = CartaParser(out.read_text()).as_dict()
    entries = [e["entry_detail"] for b in parsed["batches"] for e in b["entries"]]
    assert sorted(int(e["amount"]) for e in entries) == sorted(amounts)
    assert {e["recv_dfi_id"] + e["check_digit"] for e in entries} == {ROUTING, "021000021"}
    control = parsed["file_control"]
    assert int(control["credit_amount"]) == sum(amounts) and int(control["debit_amount"]) == 0
    assert int(control["entry_hash"]) == sum(int(e["recv_dfi_id"]) for e in entries) % 10**10
    assert int(control["entadd_count"]) == 2 * len(amounts)  # each entry and its addenda (the debtor)


def test_wire_export_and_bad_beneficiaries(rails, tmp_path):
    orders, ledger, acc = rails
    orders.create(TELLER, order(acc["USD"], "wire", 150_000, "USD", bic="CHASUS33", account_number="000123456789",
                                reference="equipment"))
    out = tmp_path / "wires.csv"
    rail_files.export(orders, SUPERVISOR, "wire", out, rail_files.RailSettings())
    rows = list(csv.DictReader(out.open()))
    assert rows[0]["amount"] == "1500.00" and rows[0]["bic"] == "CHASUS33XXX"[: len(rows[0]["bic"])]
    for kw, field in (({"iban": "DE89370400440532013001", "bic": BIC}, "iban"),
                      ({"iban": IBAN, "bic": "COBAXXFF"}, "bic"), ({}, "iban")):
        with pytest.raises(InvalidBeneficiary) as caught:
            beneficiary.check("sepa", "EUR", name="X", **kw)
        assert caught.value.details["field"] == field
    with pytest.raises(InvalidBeneficiary, match="checksum"):
        beneficiary.check("ach", "USD", name="X", routing="011000016", account_number="1234")
    with pytest.raises(InvalidBeneficiary, match="paid in EUR"):
        beneficiary.check("sepa", "USD", name="X", iban=IBAN, bic=BIC)
    with pytest.raises(InvalidBeneficiary, match="4 to 17"):
        beneficiary.check("ach", "USD", name="X", routing=ROUTING, account_number="12")
    with pytest.raises(InvalidBeneficiary, match="BIC"):
        beneficiary.check("wire", "USD", name="X", account_number="1234567")


def test_refusals_write_nothing(rails):
    orders, ledger, acc = rails
    before = bal(ledger, acc["EUR"])
    with pytest.raises(InsufficientFunds):
        orders.create(TELLER, order(acc["EUR"], "sepa", 2_000_000, "EUR", iban=IBAN, bic=BIC))
    with pytest.raises(InsufficientFunds, match="available"):  # funds are checked before the screen is asked
        orders.create(TELLER, order(acc["EUR"], "sepa", 6_000_000, "EUR", iban=IBAN, bic=BIC))
    ledger.deposit(SYSTEM_ACTOR, acc["EUR"], 6_000_000, "EUR")
    before = bal(ledger, acc["EUR"])
    with pytest.raises(TransferDeclined):  # over the configured EUR limit: the screen declines
        orders.create(TELLER, order(acc["EUR"], "sepa", 6_000_000, "EUR", iban=IBAN, bic=BIC))
    assert bal(ledger, acc["EUR"]) == before and orders.list(TELLER) == []
    with pytest.raises(OrderNotFound):
        orders.settle(SUPERVISOR, "ord_nope")
    with pytest.raises(Exception, match="may not"):
        orders.settle(TELLER, "ord_nope")


def test_pasted_iban_with_no_break_spaces_and_a_name_with_extra_spaces():
    ben = beneficiary.check("sepa", "EUR", name="  Erika   Mustermann ", iban="DE89\u00a03704\u00a00044 0532 0130 00")
    assert (ben.iban, ben.name, ben.bic) == ("DE89370400440532013000", "Erika Mustermann", "COBADEFFXXX")


# -- the QA round: checks before the screen, GL accounts, fees, countries, debtors, ACH names ----------------
def test_gl_accounts_and_currency_are_refused_before_the_screen(rails, engine):
    from sqlalchemy import func, select

    from core.ledger.errors import CurrencyMismatch
    from core.payments.funds import NotCustomerAccount
    from core.persistence.models import FraudAlert

    orders, ledger, acc = rails
    gl = ledger.ensure_gl_accounts(SYSTEM_ACTOR, "EUR")
    for kind in ("clearing", "suspense"):
        req = order(gl[kind].number, "sepa", 1_000, "EUR", iban=IBAN, bic=BIC)
        for call in (orders.preview, orders.create):
            with pytest.raises(NotCustomerAccount, match="GL account"):
                call(TELLER, req)
    with pytest.raises(CurrencyMismatch, match="holds USD"):
        orders.create(TELLER, order(acc["USD"], "sepa", 1_000, "EUR", iban=IBAN, bic=BIC))
    with pytest.raises(InsufficientFunds, match="needs €20,000.00"):
        orders.preview(TELLER, order(acc["EUR"], "sepa", 2_000_000, "EUR", iban=IBAN, bic=BIC))
    with engine.connect() as conn:  # none of them reached the fraud screen
        assert conn.execute(select(func.count()).select_from(FraudAlert.__table__)).scalar_one() == 0
    assert orders.list(TELLER) == []


def test_fee_is_previewed_posted_to_fee_income_and_refunded_on_return(rails, engine):
    from core.payments.fees import FeeSchedule

    orders, ledger, acc = rails
    orders.fees = FeeSchedule.parse("sepa:EUR=0.50,wire:*=20")
    assert orders.fees.fee("wire", "JPY") == 20 and orders.fees.fee("wire", "USD") == 2_000
    assert orders.fees.fee("ach", "USD") == 0
    req = order(acc["EUR"], "sepa", 10_000, "EUR", iban=IBAN, bic=BIC)
    preview = orders.preview(TELLER, req)
    assert (preview.fee, preview.available_after) == (50, 1_000_000 - 10_050)
    made = orders.create(TELLER, req)
    assert made.fee == 50 and made.to_dict()["fee"] == "0.50"
    assert bal(ledger, acc["EUR"]) == 1_000_000 - 10_050
    fees_gl = ledger.ensure_gl_accounts(SYSTEM_ACTOR, "EUR")["fees"].number
    assert ledger.balance(SYSTEM_ACTOR, fees_gl).current == -50 or ledger.balance(SYSTEM_ACTOR, fees_gl).current == 50
    rail_files.export(orders, SUPERVISOR, "sepa", engine_tmp := __import__("pathlib").Path(
        __import__("tempfile").mkdtemp()) / "s.xml", rail_files.RailSettings())
    orders.return_order(SUPERVISOR, made.id, "AC04")
    assert bal(ledger, acc["EUR"]) == 1_000_000 and orders.show(TELLER, made.id).return_reason == "AC04 Account closed"
    with pytest.raises(Exception, match="rail:CURRENCY=amount"):
        FeeSchedule.parse("sepa=1")


def test_bic_of_another_country_than_the_iban_is_refused():
    with pytest.raises(InvalidBeneficiary, match="bank in FR but the IBAN is from DE") as caught:
        beneficiary.check("sepa", "EUR", name="X", iban=IBAN, bic="BNPAFRPPXXX")
    assert caught.value.details["field"] == "bic"
    with pytest.raises(InvalidBeneficiary, match="IBAN is from DE"):
        beneficiary.check("wire", "EUR", name="X", iban=IBAN, bic="CHASUS33")
    assert beneficiary.check("sepa", "EUR", name="X", iban=IBAN, bic=BIC).bic == BIC


def test_rail_files_name_the_debtor_and_ach_names_are_transliterated(rails, tmp_path):
    from sepaxml.validation import try_valid_xml

    orders, ledger, acc = rails
    ben = beneficiary.check("ach", "USD", name="Jürgen Müller-Lüdenscheidt Gmbh", routing=ROUTING,
                            account_number="123456789")
    assert ben.file_name == "JURGEN MULLER-LUDENSCH" and "JURGEN MULLER-LUDENSCH" in ben.file_name_note
    assert beneficiary.ach_name("Дмитрий Иванов") == "DMITRII IVANOV"
    with pytest.raises(InvalidBeneficiary, match="Latin letters"):
        beneficiary.check("ach", "USD", name="☃☃", routing=ROUTING, account_number="123456789")
    orders.create(TELLER, OrderRequest("ord_ach_1", acc["USD"], 1_000, "USD", ben))
    out = tmp_path / "ach.txt"
    rail_files.export(orders, SUPERVISOR, "ach", out, rail_files.RailSettings())
    parsed = CartaParser(out.read_text()).as_dict()
    entry = parsed["batches"][0]["entries"][0]
    assert entry["entry_detail"]["ind_name"].strip() == "JURGEN MULLER-LUDENSCH"
    assert "FROM GRACE USD" in str(entry.get("addenda"))
    orders.create(TELLER, order(acc["EUR"], "sepa", 2_000, "EUR", iban=IBAN, bic=BIC))
    out = tmp_path / "sepa.xml"
    rail_files.export(orders, SUPERVISOR, "sepa", out, rail_files.RailSettings())
    xml = out.read_bytes()
    try_valid_xml(xml, rail_files.SEPA_SCHEMA)
    assert b"<UltmtDbtr><Nm>Grace EUR</Nm></UltmtDbtr>" in xml
    orders.create(TELLER, order(acc["USD"], "wire", 3_000, "USD", bic="CHASUS33", account_number="000123456789"))
    out = tmp_path / "wire.csv"
    rail_files.export(orders, SUPERVISOR, "wire", out, rail_files.RailSettings())
    row = next(csv.DictReader(out.open()))
    assert (row["ordering_customer"], row["ordering_account"]) == ("Grace USD", acc["USD"])


def test_a_held_wire_is_resolved_in_the_fraud_queue_and_then_exported(engine, tmp_path):
    from sqlalchemy import select

    from core.cases.dispositions import Decision
    from core.cases.service import FraudDesk
    from core.fraud.config import FraudConfig as Config
    from core.payments.fees import FeeSchedule
    from core.persistence.models import FraudAlert

    audit = AuditTrail(AuditKeys(tmp_path / "audit" / "ml-dsa-65.key"))
    screen = FraudScreen(engine, config=Config(amount_limits={"USD": 100_000}, amount_limit_action="review"))
    ledger = Ledger(engine, audit=audit, screen=screen)
    orders = PaymentOrders(engine, ledger, audit=audit, fees=FeeSchedule())
    customer = ledger.add_customer(SYSTEM_ACTOR, "Grace")
    usd = ledger.open_account(SYSTEM_ACTOR, customer.id, "USD").number
    ledger.deposit(SYSTEM_ACTOR, usd, 1_000_000, "USD")
    held = orders.create(TELLER, order(usd, "wire", 500_000, "USD", bic="CHASUS33", account_number="000123456789"))
    assert held.funds == "held for fraud review"
    with pytest.raises(Exception, match="no WIRE orders"):
        rail_files.export(orders, SUPERVISOR, "wire", tmp_path / "w.csv", rail_files.RailSettings())
    al = FraudAlert.__table__
    with engine.connect() as conn:
        alert_id = conn.execute(select(al.c.id).where(al.c.transfer_id == held.id)).scalar_one()
    FraudDesk(ledger).dispose(Actor("ana", Role.ANALYST), alert_id, Decision("false-positive"))
    assert orders.show(TELLER, held.id).funds == "posted"
    assert rail_files.export(orders, SUPERVISOR, "wire", tmp_path / "w.csv", rail_files.RailSettings()).orders == 1


def test_a_return_code_must_be_on_the_orders_rail_list(rails, tmp_path):
    """QA2 #10: NACHA codes for ACH only, ISO 20022 reasons for SEPA, the SWIFT list for wires; a second
    return is refused, whatever code it names."""
    orders, ledger, acc = rails
    made = orders.create(TELLER, order(acc["EUR"], "sepa", 10_000, "EUR", iban=IBAN, bic=BIC))
    ach = orders.create(TELLER, order(acc["USD"], "ach", 5_000, "USD", routing=ROUTING, account_number="123456789"))
    rail_files.export(orders, SUPERVISOR, "sepa", tmp_path / "s.xml", rail_files.RailSettings())
    rail_files.export(orders, SUPERVISOR, "ach", tmp_path / "a.txt", rail_files.RailSettings())
    with pytest.raises(InvalidReturnCode, match=r"R03 is not a SEPA return code \(R03 is an ACH code\)") as caught:
        orders.return_order(SUPERVISOR, made.id, "R03")
    assert caught.value.code == "invalid_return_code" and orders.show(TELLER, made.id).status == "submitted"
    with pytest.raises(InvalidReturnCode, match="AC04 is not an ACH return code .AC04 is a SEPA code."):
        orders.return_order(SUPERVISOR, ach.id, "AC04")
    with pytest.raises(InvalidReturnCode, match="a return needs the code"):
        orders.return_order(SUPERVISOR, ach.id, "  ")
    assert orders.return_order(SUPERVISOR, made.id, "ac04 customer moved").return_reason == "AC04 customer moved"
    with pytest.raises(AlreadyReturned, match="already returned .AC04 customer moved"):
        orders.return_order(SUPERVISOR, made.id, "AC01")
    assert return_codes.check("wire", "BE01") == "BE01"
    with pytest.raises(InvalidReturnCode, match="R99 is not a wire return code; use one of the SWIFT"):
        return_codes.check("wire", "R99")
    assert return_codes.describe("AC04", "wire") == "AC04 Account closed"


def test_an_orders_statement_line_has_no_dangling_colon(rails):
    """QA2 #15: without a reference the line ends with the beneficiary's name."""
    orders, ledger, acc = rails
    plain = orders.create(TELLER, order(acc["EUR"], "sepa", 1_000, "EUR", iban=IBAN, bic=BIC))
    lines = [line.description for line in ledger.statement(SYSTEM_ACTOR, acc["EUR"]).lines]
    assert any(d.endswith(" to " + plain.name) for d in lines), lines
    assert not any(d.rstrip().endswith(":") for d in lines), lines


def test_a_tellers_preview_has_the_fraud_decision_but_not_its_score_or_reasons(rails):
    """QA3 #5: the score and the screen's reasons are for alert.view (as on the Approvals page); a teller
    reads only the decision."""
    orders, _ledger, acc = rails
    req = order(acc["EUR"], "sepa", 10_000, "EUR", iban=IBAN, bic=BIC)
    mine, theirs = orders.preview(TELLER, req), orders.preview(SUPERVISOR, req)
    assert mine.decision == theirs.decision is not None
    assert (mine.score, mine.reasons) == (None, ()) and theirs.score is not None
