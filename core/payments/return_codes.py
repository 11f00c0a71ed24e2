"""Return reason codes a rail gives when it sends a payment back, in plain words, offered as a list.

NACHA: the ACH return entry codes of the NACHA Operating Rules (Appendix Four), the common ones.
SEPA: the ISO 20022 ExternalReturnReason1Code values of the EPC SEPA Credit Transfer rulebook (return
and recall reasons). Wires use the same ISO codes. ``describe`` turns a code typed alone into the code
and its words; anything else (a code with the operator's own words) is kept as typed.
"""
from __future__ import annotations

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

SEPA = {
    "AC01": "Incorrect account number (IBAN)",
    "AC04": "Account closed",
    "AC06": "Account blocked",
    "AC13": "Debtor account is a consumer account",
    "AG01": "Transaction forbidden on this type of account",
    "AG02": "Invalid bank operation code",
    "AM05": "Duplicate payment",
    "BE04": "Missing creditor address",
    "CNOR": "Creditor bank is not registered for SEPA",
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

BY_RAIL = {"ach": NACHA, "sepa": SEPA, "wire": SEPA}


def choices(rail: str) -> list[tuple[str, str]]:
    """(code, "CODE  words") pairs for the rail's list, in code order."""
    table = BY_RAIL.get(rail, {})
    return [(code, f"{code}  {words}") for code, words in sorted(table.items())]


def describe(reason: str) -> str:
    """"R03" -> "R03 No account / unable to locate account"; "ac04" -> "AC04 Account closed"; other text as typed."""
    text = " ".join((reason or "").split())
    if not text:
        return text
    code = text.split()[0].upper()
    words = NACHA.get(code) or SEPA.get(code)
    if words and text.upper() == code:
        return f"{code} {words}"
    return text
