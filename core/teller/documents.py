"""Teller documents: the PDF statement, the CSV statement and the transfer receipt.

The PDF statement carries the bank header, the account and its holder, the period, the opening and
closing balance and every entry of the period (oldest first, with the running balance), up to
``MAX_PDF_LINES``; a longer period is refused with the advice to narrow it or export CSV, which has
no limit (streamed, with progress and cancel). Receipts name the transfer id, time, teller and desk;
each copy is numbered and a reprint says so (``receipt_prints``; the caller audits it).
"""
from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from core.documents.pdf import Document, DocumentError, TableColumn
from core.errors import ValidationError
from core.ledger.money import format_minor, plain
from core.ledger.views import AccountView
from core.teller import statement as st
from core.teller.display import banker_balance
from core.teller.identifiers import account_iban, format_iban
from core.words import counted

MAX_PDF_LINES = 5_000
CSV_COLUMNS = ("entry_id", "date", "transfer_id", "code", "description", "amount", "balance_after", "currency")
Progress = Callable[[int, int], None]


class StatementTooLong(ValidationError):
    code = "statement_too_long"


def _when(value: datetime) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def statement_pdf(conn: Any, account: AccountView, holder: str | None, f: st.StatementFilter) -> Document:
    """The PDF statement of ``account`` for the period of ``f`` (amount filters apply to the lines)."""
    f = replace(f.checked(), sort="oldest")
    summary = st.summary(conn, account.id, f)
    if summary.entries > MAX_PDF_LINES:
        raise StatementTooLong(f"{summary.entries:,} entries in this period; a PDF statement holds at most "
                               f"{MAX_PDF_LINES:,}: choose a shorter period, or export CSV (no limit)",
                               entries=summary.entries)
    c = account.currency
    doc = Document("Account statement", period=f.period_text())
    doc.key_values([
        ("Account", account.number),
        ("IBAN", format_iban(account_iban(account.number, account.kind)) or "-"),
        ("Account holder", holder or account.name),
        ("Currency", c),
        ("Opening balance", banker_balance(summary.opening, c, account.kind)),
        ("Closing balance", banker_balance(summary.closing, c, account.kind)),
        ("Overdraft limit", "-" if account.overdraft_limit is None else format_minor(account.overdraft_limit, c)),
    ])
    if f.min_amount is not None or f.max_amount is not None or f.direction != "any":
        doc.paragraph("Only entries matching the chosen amount filter are listed; balances are for the whole "
                      "account.", size=8.5)
    money_in = money_out = 0
    rows = []
    for line in st.lines(conn, account.id, f):
        money_in += max(line.amount, 0)
        money_out += max(-line.amount, 0)
        rows.append((_when(line.at), line.description or line.code, format_minor(line.amount, c),
                     format_minor(line.balance_after, c), line.transfer_id))
    doc.table([TableColumn("Date", 28), TableColumn("Description", 62), TableColumn("Amount", 27, "R"),
               TableColumn("Balance", 30, "R"), TableColumn("Transfer", 33)], rows,
              totals=("", f"{counted(len(rows), 'entry', 'entries')} - in {format_minor(money_in, c)}",
                      f"-{format_minor(money_out, c)}",
                      format_minor(summary.closing, c), ""))
    return doc


def statement_csv(conn: Any, account: AccountView, f: st.StatementFilter, path: Path,
                  progress: Progress | None = None) -> int:
    """Write every line of the filter to ``path`` (UTF-8, header row, plain amounts) whole or not at all.

    ``progress(done, total)`` is called every few thousand lines (it may raise to cancel; the partial
    file is removed). Returns the number of lines written."""
    path = Path(path)
    _a_file(path)
    total = st.count(conn, account.id, f)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".csv.part", dir=path.parent)
    except OSError as err:
        raise DocumentError(f"cannot write {path}: {err.strerror or err}; choose another folder", path=str(path)) from None
    written = 0
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(CSV_COLUMNS)
            c = account.currency
            for line in st.lines(conn, account.id, f):
                out.writerow((line.entry_id, line.at.isoformat(), line.transfer_id, line.code, line.description,
                              plain(line.amount, c), plain(line.balance_after, c), c))
                written += 1
                if progress is not None and written % 2_000 == 0:
                    progress(written, total)
        try:
            os.replace(tmp, path)
        except OSError as err:  # named by the file asked for, not the temporary one
            raise DocumentError(f"cannot write {path}: {err.strerror or err}; choose another name or folder",
                                path=str(path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return written


def _a_file(path: Path) -> None:
    """Refuse a folder given where a file's name belongs (it would be replaced by a temporary file's name)."""
    if path.is_dir():
        raise DocumentError(f"{path} is a folder; give a file name (e.g. {path / 'statement.csv'})", path=str(path))


def _desk(transfer: dict[str, Any]) -> tuple[str, str]:
    """Where the payment was made: a desk payment names the bank's desk (its workstation, recorded with every
    desk posting); another channel's device is the customer's and is not printed."""
    if transfer.get("channel", "desk") == "desk":
        return ("Desk", transfer["device"] or "not recorded")
    from core.fraud.reasons import CHANNEL_WORDS

    return ("Channel", CHANNEL_WORDS.get(transfer["channel"], transfer["channel"]))


_RECEIPT_KIND = {"deposit": "Cash deposit", "withdrawal": "Cash withdrawal"}  # transfer codes of cash at a desk


def copy_label(copy: int) -> str:
    """The copy number as the receipt prints it: "1 (original)", "2 (reprint)"; the file carries the same
    number (``receipt_file_name``), so a file and the paper printed from it never disagree."""
    return f"{copy} ({'original' if copy == 1 else 'reprint'})"


def receipt_file_name(transfer_id: str, copy: int) -> str:
    """The file copy ``copy`` of ``transfer_id``'s receipt is saved as: ``receipt-<id>-copy<N>.pdf``, N the
    number printed inside (``copy_label``); the id is kept to letters, digits, "-" and "_"."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in transfer_id)[:64]
    return f"receipt-{safe}-copy{copy}.pdf"


def receipt_pdf(transfer: dict[str, Any], debit: tuple[str, str], credit: tuple[str, str], copy: int,
                printed_by: str, fraud: str | None = None, fee: int = 0) -> Document:
    """A receipt for one transfer row (``store.transfers_by_id``); ``debit``/``credit`` are (number, name);
    ``fee`` (minor units): the fee charged with it (an outgoing order's ``<id>:fee``), shown with the total."""
    c = transfer["currency"]
    state = {"posted": "Posted", "pending": "NOT POSTED (funds reserved)", "voided": "Voided", "expired": "Expired",
             "resolved": "Resolved"}.get(transfer["state"], transfer["state"])
    what = _RECEIPT_KIND.get(transfer["code"], "Transfer")  # titled by what happened (QA4 #4)
    title = (f"{what} receipt" + (" - NOT POSTED" if transfer["state"] == "pending" else "")
             + (f" - REPRINT (copy {copy})" if copy > 1 else ""))
    doc = Document(title)
    doc.key_values([
        ("Transfer id", transfer["id"]),
        ("Time", transfer["created_at"].astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")),
        ("Amount", format_minor(transfer["amount"], c)),
        *([("Fee", format_minor(fee, c)), ("Total debited", format_minor(transfer["amount"] + fee, c))] if fee else []),
        ("From", f"{debit[0]}  {debit[1]}"),
        ("To", f"{credit[0]}  {credit[1]}"),
        ("Description", transfer["description"] or transfer["code"]),
        ("Status", state + (f" - {fraud}" if fraud else "")),
        ("Teller", transfer["created_by"]),
        _desk(transfer),
        ("Printed by", printed_by),
        ("Copy", copy_label(copy)),  # the same number as the file's name (receipt_file_name)
    ], key_width=35)
    if transfer["state"] == "pending":
        doc.paragraph(f"This {what.lower()} has not been posted: the money has not moved. Keep this receipt as "
                      "proof of the request; ask for a new receipt once it is posted.", size=8.5)
    doc.paragraph("Keep this receipt. Quote the transfer id in any question about this payment.", size=8.5)
    return doc
