"""A small shared PDF builder (fpdf2, pure Python) for the bank's documents.

Statements and receipts (teller), drawer reports (cash drawers), suspicious-activity report drafts
(fraud cases) all share one look: the bank's header on every page, a title, an optional period line,
key/value blocks, tables with right-aligned money columns and a totals row, and "page N of M" in the
footer. Core builds documents so the command line can make them too; nothing here imports Qt.

    doc = Document("Account statement", period="2026-01-01 to 2026-01-31")
    doc.key_values([("Account", "1000000018"), ("Opening balance", "$10.00")])
    doc.table([TableColumn("Date", 30), TableColumn("Amount", 30, align="R")],
              rows=[("2026-01-02", "$5.00")], totals=("Total", "$5.00"))
    data = doc.output()          # bytes of a PDF 1.3 file
    doc.save(Path("statement.pdf"))  # or write it (atomically: a temporary file, then renamed)

Text uses the core PDF fonts (Helvetica), which cover Latin-1; other characters are replaced by "?"
(``latin1``), so a name in another script never makes a document fail. Money is passed in already
formatted (``core.ledger.money.format_minor``); this module never formats amounts itself.
"""
from __future__ import annotations

import os
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF

from core.errors import QenexError

BANK_NAME = os.environ.get("QENEX_BANK_NAME", "QENEX Bank")
BANK_ADDRESS = os.environ.get("QENEX_BANK_ADDRESS", "1 Ledger Street, Example City")
_MARGIN = 15  # mm
_LINE = 6  # mm per table row


class DocumentError(QenexError):
    """A document could not be written (folder missing, no permission, disk full)."""

    code = "document_failed"


@dataclass(frozen=True)
class TableColumn:
    """One table column: ``width`` in millimetres (A4 portrait has 180 mm between the margins);
    ``align`` "L", "R" (money, counts) or "C"."""

    title: str
    width: float
    align: str = "L"


def latin1(text: object) -> str:
    """``text`` as the core fonts can draw it: compatibility forms folded (NFKC), dashes and quotes
    mapped to ASCII, anything else outside Latin-1 replaced by "?"."""
    value = unicodedata.normalize("NFKC", str(text))
    for src, dst in (("\u2013", "-"), ("\u2014", "-"), ("\u2212", "-"), ("\u2018", "'"), ("\u2019", "'"),
                     ("\u201c", '"'), ("\u201d", '"'), ("\u2026", "..."), ("\u00a0", " "), ("\u202f", " "),
                     ("\u20ac", "EUR "), ("\u00b7", "-")):
        value = value.replace(src, dst)
    return value.encode("latin-1", "replace").decode("latin-1")


class _Pdf(FPDF):
    def __init__(self, title: str, generated: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._doc_title = title
        self._generated = generated
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(True, margin=18)
        self.alias_nb_pages()

    def header(self) -> None:  # fpdf2 hook: on every page
        self.set_font("Helvetica", "B", 13)
        self.cell(0, 7, latin1(BANK_NAME), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 4, latin1(BANK_ADDRESS), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.set_draw_color(160, 160, 160)
        self.line(_MARGIN, self.get_y() + 2, self.w - _MARGIN, self.get_y() + 2)
        self.ln(5)

    def footer(self) -> None:  # fpdf2 hook: on every page
        self.set_y(-13)
        self.set_font("Helvetica", "", 7.5)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, latin1(f"{self._doc_title} - generated {self._generated}"), align="L")
        self.set_x(_MARGIN)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)


class Document:
    """One PDF document: bank header and page numbers on every page; blocks are added top to bottom."""

    def __init__(self, title: str, *, period: str | None = None, subtitle: str | None = None,
                 generated_at: datetime | None = None) -> None:
        when = (generated_at or datetime.now(timezone.utc)).astimezone()
        self.title = title
        self._pdf = _Pdf(title, when.strftime("%Y-%m-%d %H:%M %Z").strip())
        self._pdf.add_page()
        self._pdf.set_font("Helvetica", "B", 15)
        self._pdf.cell(0, 9, latin1(title), new_x="LMARGIN", new_y="NEXT")
        self._pdf.set_font("Helvetica", "", 9.5)
        for line in (period and f"Period: {period}", subtitle):
            if line:
                self._pdf.cell(0, 5, latin1(line), new_x="LMARGIN", new_y="NEXT")
        self._pdf.ln(3)

    @property
    def pages(self) -> int:
        return self._pdf.page_no()

    def heading(self, text: str) -> None:
        """A small section heading."""
        self._pdf.ln(2)
        self._pdf.set_font("Helvetica", "B", 10.5)
        self._pdf.cell(0, 6, latin1(text), new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str, *, size: float = 9.5, bold: bool = False) -> None:
        """Wrapped text across the page."""
        self._pdf.set_font("Helvetica", "B" if bold else "", size)
        self._pdf.multi_cell(0, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")

    def key_values(self, pairs: Iterable[tuple[str, object]], *, key_width: float = 45) -> None:
        """Label / value lines (values wrap; labels in grey)."""
        pdf = self._pdf
        for key, value in pairs:
            pdf.set_font("Helvetica", "", 9.5)
            pdf.set_text_color(90, 90, 90)
            pdf.cell(key_width, 5.5, latin1(key))
            pdf.set_text_color(0, 0, 0)
            pdf.set_font("Helvetica", "B", 9.5)
            pdf.multi_cell(0, 5.5, latin1(value), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    def table(self, columns: Sequence[TableColumn], rows: Iterable[Sequence[object]],
              totals: Sequence[object] | None = None) -> int:
        """A table whose header repeats on each new page; cells are clipped to one line with "...".

        ``totals`` (one value per column, "" for none) is printed in bold under a rule. Returns the
        number of body rows written.
        """
        pdf = self._pdf
        count = 0
        self._table_header(columns)
        pdf.set_font("Helvetica", "", 8.5)
        for row in rows:
            if pdf.will_page_break(_LINE):
                pdf.add_page()
                self._table_header(columns)
                pdf.set_font("Helvetica", "", 8.5)
            fill = count % 2 == 1
            pdf.set_fill_color(243, 244, 246)
            for col, value in zip(columns, row):
                pdf.cell(col.width, _LINE, self._fit(latin1(value), col.width), align=col.align, fill=fill)
            pdf.ln(_LINE)
            count += 1
        if totals is not None:
            if pdf.will_page_break(_LINE + 2):
                pdf.add_page()
            y = pdf.get_y()
            pdf.line(_MARGIN, y, _MARGIN + sum(c.width for c in columns), y)
            pdf.set_font("Helvetica", "B", 9)
            for col, value in zip(columns, totals):
                pdf.cell(col.width, _LINE + 1, self._fit(latin1(value), col.width), align=col.align)
            pdf.ln(_LINE + 1)
        pdf.ln(2)
        return count

    def _table_header(self, columns: Sequence[TableColumn]) -> None:
        pdf = self._pdf
        pdf.set_font("Helvetica", "B", 8.5)
        pdf.set_fill_color(225, 228, 235)
        for col in columns:
            pdf.cell(col.width, _LINE + 0.5, self._fit(latin1(col.title), col.width), align=col.align, fill=True)
        pdf.ln(_LINE + 0.5)

    def _fit(self, text: str, width: float) -> str:
        """``text`` shortened with "..." to fit ``width`` mm in the current font."""
        room = width - 2 * self._pdf.c_margin
        if self._pdf.get_string_width(text) <= room:
            return text
        while text and self._pdf.get_string_width(text + "...") > room:
            text = text[:-1]
        return text + "..."

    def output(self) -> bytes:
        """The finished document as PDF bytes."""
        return bytes(self._pdf.output())

    def save(self, path: Path) -> Path:
        """Write the document to ``path`` whole (a temporary file in the same folder, then renamed), so a
        reader never sees half a file. Raises DocumentError with the reason if it cannot be written."""
        path = Path(path)
        if path.is_dir():
            raise DocumentError(f"{path} is a folder; give a file name (e.g. {path / 'document.pdf'})", path=str(path))
        data = self.output()
        try:
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=".pdf.part", dir=path.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except OSError as err:
            raise DocumentError(f"cannot write {path}: {err.strerror or err}; choose another folder",
                                path=str(path)) from None
        return path
