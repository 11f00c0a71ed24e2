"""Return reason codes a rail gives when it sends a payment back, in plain words, offered as a list.

NACHA: the ACH return entry codes of the NACHA Operating Rules (Appendix Four), the common ones.
SEPA: the ISO 20022 ExternalReturnReason1Code values of the EPC SEPA Credit Transfer rulebook (return
and recall reasons). Wires: the return reason codes a SWIFT MT103 return carries in field 72 (/RETN/),
the ISO 20022 ExternalReturnReason1Code subset the SWIFT cross-border payments guidelines list.
``check`` refuses a code that is not on the order's rail's list (an ACH return never carries AC04, a SEPA
return never R03); ``describe`` turns a code typed alone into the code and its words; a code followed by
the operator's own words is kept as typed.
"""
from __future__ import annotations

from core.payments.errors import InvalidReturnCode

NACHA = {
    "R01": "Insufficient funds",
    "R02": "Account closed",
    "R03": "No account / unable to locate account",
    "R04": "Invalid account number structure",
    "R06": "Returned at the originator's request",
    "R07": "Authorization revoked by the customer",
    "R08": "Payment stopped",
    "R09": "Uncollected funds",
    "R10": "Customer advises not authorized",
    "R11": "Customer advises entry not in accordance with the terms of the authorization",
    "R12": "Account sold to another bank",
    "R13": "Invalid ACH routing number",
    "R14": "Representative payee deceased",
    "R15": "Beneficiary or account holder deceased",
    "R16": "Account frozen / entry returned per OFAC instruction",
    "R17": "File record edit criteria / questionable entry",
    "R20": "Non-transaction account",
    "R23": "Credit entry refused by the receiver",
    "R24": "Duplicate entry",
    "R29": "Corporate customer advises not authorized",
}

# ISO 20022 ExternalReturnReason1Code: the codes either list below uses, with their words
ISO_20022 = {
    "AC01": "Incorrect account number",
    "AC03": "Invalid creditor account number",
    "AC04": "Account closed",
    "AC06": "Account blocked",
    "AC13": "Debtor account is a consumer account",
    "AG01": "Transaction forbidden on this type of account",
    "AG02": "Invalid bank operation code",
    "AM02": "Amount exceeds the allowed maximum",
    "AM05": "Duplicate payment",
    "AM09": "Wrong amount",
    "BE01": "Beneficiary name does not match the account",
    "BE04": "Missing creditor address",
    "BE05": "Unrecognised initiating party",
    "CNOR": "Creditor bank is not registered for SEPA",
    "CURR": "Incorrect currency",
    "CUST": "Requested by the customer",
    "DUPL": "Duplicate payment (recall)",
    "FF01": "Invalid file format",
    "FOCR": "Return following a cancellation request",
    "FRAD": "Fraudulent origin",
    "MD07": "Beneficiary deceased",
    "MS02": "Reason not specified by the customer",
    "MS03": "Reason not specified by the bank",
    "RC01": "Bank identifier (BIC) incorrect",
    "RR01": "Missing debtor account or identification (regulatory)",
    "RR02": "Missing debtor name or address (regulatory)",
    "RR03": "Missing creditor name or address (regulatory)",
    "RR04": "Regulatory reason",
    "TECH": "Technical problem",
}

SEPA = {code: ISO_20022[code] for code in (
    "AC01", "AC04", "AC06", "AC13", "AG01", "AG02", "AM05", "BE04", "CNOR", "DUPL", "FF01",
    "FOCR", "FRAD", "MD07", "MS02", "MS03", "RC01", "RR01", "RR02", "RR03", "RR04", "TECH",
)}
SEPA["AC01"] = "Incorrect account number (IBAN)"  # a SEPA account number is an IBAN

WIRE = {code: ISO_20022[code] for code in (
    "AC01", "AC03", "AC04", "AC06", "AG01", "AM02", "AM05", "AM09", "BE01", "BE04", "BE05",
    "CURR", "CUST", "FF01", "FOCR", "FRAD", "MS02", "MS03", "RC01", "RR01", "RR02", "RR03",
    "RR04",
)}

_A_RAIL = {"ach": "an ACH", "sepa": "a SEPA", "wire": "a wire"}
BY_RAIL = {"ach": NACHA, "sepa": SEPA, "wire": WIRE}
RAIL_LISTS = {"ach": "NACHA return codes (R01, R03, ...)", "sepa": "ISO 20022 SEPA return reasons (AC04, MS03, ...)",
              "wire": "SWIFT wire return reasons (AC04, BE01, ...)"}


def choices(rail: str) -> list[tuple[str, str]]:
    """(code, "CODE  words") pairs for the rail's list, in code order."""
    table = BY_RAIL.get(rail, {})
    return [(code, f"{code}  {words}") for code, words in sorted(table.items())]


def check(rail: str, reason: str) -> str:
    """The reason with its code upper-cased, or ValidationError if it does not start with a code of ``rail``'s list
    (words of the operator's own may follow the code)."""
    text = " ".join((reason or "").split())
    table = BY_RAIL.get(rail, {})
    if not text:
        raise InvalidReturnCode(f"a return needs the code the rail gave: one of the {RAIL_LISTS.get(rail, 'codes')}")
    code, _, rest = text.partition(" ")
    code = code.upper().rstrip(":")
    if code not in table:
        other = next((name for name, codes in BY_RAIL.items() if name != rail and code in codes), None)
        hint = f" ({code} is {_A_RAIL[other]} code)" if other else ""
        raise InvalidReturnCode(f"{code} is not {_A_RAIL.get(rail, 'a ' + rail)} return code{hint}; use one of the "
                                f"{RAIL_LISTS.get(rail, 'codes')}; qenex rails return --help lists them",
                                code_given=code, rail=rail)
    return f"{code} {rest}".strip()


def describe(reason: str, rail: str | None = None) -> str:
    """``rail``: look the code up on that rail's list only. "R03" -> "R03 No account / unable to locate account"; "ac04" -> "AC04 Account closed"; other text as typed."""
    text = " ".join((reason or "").split())
    if not text:
        return text
    code = text.split()[0].upper()
    words = BY_RAIL[rail].get(code) if rail in BY_RAIL else (NACHA.get(code) or SEPA.get(code) or WIRE.get(code))
    if words and text.upper() == code:
        return f"{code} {words}"
    return text
