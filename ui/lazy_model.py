"""A table model that fetches rows a page at a time on the database worker, as the view asks for them.

Like Anki's browser model, a million rows cost a count, not a million objects: ``data()`` answers from
the page cache, or shows a placeholder and asks the worker for that page; when it lands, the rows
repaint. A reset bumps a generation number so pages from an older query are dropped on arrival.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from app.tasks import Op, TaskManager
from ui.columns import Column, ColumnsModel

PAGE_SIZE = 100
MAX_PAGES = 64  # cached pages kept (oldest dropped first)
LOADING = "…"


class LazyTableModel(ColumnsModel):
    """``count()`` and ``fetch(offset, limit)`` run on the database worker; the rest on the UI thread."""

    loaded = Signal()  # after a reload has counted the rows
    page_loaded = Signal(int)
    failed = Signal(object)

    def __init__(self, columns: Sequence[Column], count: Callable[[], int],
                 fetch: Callable[[int, int], list], parent: QObject | None = None,
                 tasks: TaskManager | None = None) -> None:
        super().__init__(columns, parent)
        self._count_fn, self._fetch_fn = count, fetch
        self._tasks = tasks
        self._rows = 0
        self._pages: OrderedDict[int, list] = OrderedDict()
        self._inflight: set[int] = set()
        self._generation = 0

    def reload(self, count: Callable[[], int] | None = None, fetch: Callable[[int, int], list] | None = None) -> None:
        """Count again (optionally with a new query) and drop every cached page."""
        self._count_fn = count or self._count_fn
        self._fetch_fn = fetch or self._fetch_fn
        self._generation += 1
        generation, count_fn = self._generation, self._count_fn
        Op(self, lambda _task: count_fn(), self._tasks).success(
            lambda n: self._counted(generation, n)).failure(self.failed.emit).run_in_background()

    def refresh(self) -> None:
        """Count again; if the count is unchanged, refetch the cached pages in place (the view keeps its
        scroll position and selection, old rows stay visible until new ones land), otherwise reset."""
        self._generation += 1
        generation, count_fn = self._generation, self._count_fn
        Op(self, lambda _task: count_fn(), self._tasks).success(
            lambda n: self._recounted(generation, n)).failure(self.failed.emit).run_in_background()

    def _recounted(self, generation: int, rows: int) -> None:
        if generation != self._generation:
            return
        if rows != self._rows:
            self._counted(generation, rows)
            return
        self._inflight.clear()
        for page in list(self._pages):
            self._request(page)
        self.loaded.emit()

    def _counted(self, generation: int, rows: int) -> None:
        if generation != self._generation:
            return
        self.beginResetModel()
        self._rows = rows
        self._pages.clear()
        self._inflight.clear()
        self.endResetModel()
        self.loaded.emit()

    def _request(self, page: int) -> None:
        if page in self._inflight:
            return
        self._inflight.add(page)
        generation, fetch = self._generation, self._fetch_fn
        Op(self, lambda _task: fetch(page * PAGE_SIZE, PAGE_SIZE), self._tasks).success(
            lambda rows: self._arrived(generation, page, rows)).failure(
            lambda err: self._fetch_failed(page, err)).run_in_background()

    def _fetch_failed(self, page: int, err: Exception) -> None:
        self._inflight.discard(page)
        self.failed.emit(err)

    def _arrived(self, generation: int, page: int, rows: list) -> None:
        if generation != self._generation:
            return
        self._inflight.discard(page)
        self._pages[page] = rows
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        first = page * PAGE_SIZE
        last = min(first + PAGE_SIZE, self._rows) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self._columns) - 1))
        self.page_loaded.emit(page)

    def row_object(self, row: int) -> Any | None:
        """The fetched row object at ``row``, or None while its page is not loaded."""
        page = self._pages.get(row // PAGE_SIZE)
        if page is None or row % PAGE_SIZE >= len(page):
            return None
        return page[row % PAGE_SIZE]

    def cached_pages(self) -> list[int]:
        return list(self._pages)

    # -- Qt model interface ---------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else self._rows

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cell(None, index.column(), role) if role == Qt.ItemDataRole.TextAlignmentRole else None
        page_no = index.row() // PAGE_SIZE
        page = self._pages.get(page_no)
        if page is None:
            self._request(page_no)
            return LOADING if role == Qt.ItemDataRole.DisplayRole else None
        self._pages.move_to_end(page_no)
        offset = index.row() % PAGE_SIZE
        return self.cell(page[offset], index.column(), role) if offset < len(page) else None
