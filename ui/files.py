"""Save and open dialogs that start in the user's Documents folder (``app.settings.documents_dir``), then in the
folder last chosen this session — never in the program's working folder (a source checkout, say)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from app.settings import documents_dir

_last: list[Path] = []  # the folder last saved to or opened from, this session


def start_folder() -> Path:
    return _last[-1] if _last and _last[-1].is_dir() else documents_dir()


def _remember(chosen: str) -> str:
    if chosen:
        _last[:] = [Path(chosen).parent]
    return chosen


def save_file_name(parent: QWidget | None, title: str, name: str, filter: str = "") -> str:  # noqa: A002
    """Ask where to save ``name`` (a file name, or a path whose name is kept); "" when cancelled."""
    return _remember(QFileDialog.getSaveFileName(parent, title, str(start_folder() / Path(name).name), filter)[0])


def open_file_name(parent: QWidget | None, title: str, filter: str = "") -> str:  # noqa: A002
    return _remember(QFileDialog.getOpenFileName(parent, title, str(start_folder()), filter)[0])
