"""Receipts at the desk: made in core on the worker, saved under ``<data folder>/receipts/``, linked in
the form's status line (click to open). Each copy is numbered; reprints are audited in core."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QWidget

from app.services import Services
from app.tasks import Op
from core.security.roles import Actor
from core.teller.documents import receipt_file_name


def receipt_folder(services: Services) -> Path:
    return Path(services.settings.data_dir) / "receipts"


def print_receipt(parent: QWidget, services: Services, actor: Actor, transfer_id: str,
                  done: Callable[[Path, int], None], failed: Callable[[Exception], None]) -> None:
    """Make copy N of the receipt of ``transfer_id`` and save it; ``done(path, copy)`` on the UI thread."""
    teller, folder = services.teller, receipt_folder(services)

    def work(_task: object) -> tuple[Path, int]:
        doc, copy = teller.receipt(actor, transfer_id)
        folder.mkdir(parents=True, exist_ok=True)  # the file's copy number is the one printed inside (core)
        return doc.save(folder / receipt_file_name(transfer_id, copy)), copy

    Op(parent, work).success(lambda result: done(*result)).failure(failed).run_in_background()


def link(path: Path, text: str) -> str:
    return f'{text} <a href="{path.as_uri()}">{path.name}</a>'
