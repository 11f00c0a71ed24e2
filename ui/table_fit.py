"""Column widths of narrow tables that keep what matters whole (QA4 #2).

A table's ``Stretch`` column gets what the others leave, however little: at the default window size the
customer finder cut names to "Ken G…" while an all-"—" Account column kept its width. ``keep_whole`` sizes
columns instead so that:

* every column in ``whole`` (a name, a state, a number) is at least as wide as its longest shown cell and its
  title: never cut;
* a column whose shown cells are all empty or "—" is hidden (it says nothing) and comes back with data;
* ``fill`` (a description, a title) takes the room that is left, and is the one cut when there is not
  enough (its tooltip holds the whole text); without ``fill`` the last column takes it;
* when even the whole columns do not fit, the table scrolls sideways rather than cut them.

The widths follow the rows (a reset, new rows, changed cells) and the table's width (the window or a
splitter resized); a column the person drags keeps its new width until the rows change.
"""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QHeaderView, QTableView

EMPTY = ("", "—", "-")
FILL_MIN = 160  # px: what a cuttable fill column (a case title) may keep even if the table then scrolls
MAX_ROWS = 200  # rows measured (the ones a person sees and then some; a big list is not read whole)


class _Fit(QObject):
    def __init__(self, view: QTableView, whole: Sequence[int], fill: int | None, hide_empty: bool,
                 fill_min: int) -> None:
        super().__init__(view)
        self.view, self.whole, self.fill, self.hide_empty = view, tuple(whole), fill, hide_empty
        self.fill_min = fill_min
        self._timer = QTimer(self, singleShot=True, interval=0, timeout=self.apply)
        header = view.horizontalHeader()
        header.setStretchLastSection(False)
        for column in range(header.count()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        model = view.model()
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.dataChanged,
                       model.layoutChanged):
            signal.connect(self.later)
        view.viewport().installEventFilter(self)
        self.later()

    def later(self, *_args: object) -> None:
        self._timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.later()
        return False

    def _texts(self, column: int) -> list[str]:
        model, rows = self.view.model(), min(self.view.model().rowCount(), MAX_ROWS)
        return [str(model.data(model.index(row, column)) or "") for row in range(rows)]

    def needed(self, column: int) -> int:
        """The width that shows every measured cell of ``column`` and its title whole."""
        header = self.view.horizontalHeader()
        rows = min(self.view.model().rowCount(), MAX_ROWS)
        cells = max((self.view.sizeHintForIndex(self.view.model().index(row, column)).width()
                     for row in range(rows)), default=0)
        return max(cells + 2, header.sectionSizeHint(column))

    def apply(self) -> None:
        view, model = self.view, self.view.model()
        if model is None:
            return
        header = view.horizontalHeader()
        count = model.columnCount()
        if self.hide_empty and model.rowCount() > 0:
            for column in range(count):
                if column in self.whole[:1] or column == self.fill:
                    continue
                view.setColumnHidden(column, all(t.strip() in EMPTY for t in self._texts(column)))
        shown = [c for c in range(count) if not view.isColumnHidden(c)]
        if not shown:
            return
        fill = self.fill if self.fill in shown else shown[-1]
        widths = {c: self.needed(c) for c in shown}
        room = view.viewport().width()
        rest = room - sum(w for c, w in widths.items() if c != fill)
        # a cuttable fill keeps its title and at least fill_min (or what it needs, if less): its first words show
        floor = (widths[fill] if fill in self.whole
                 else max(header.sectionSizeHint(fill), min(widths[fill], self.fill_min)))
        widths[fill] = max(rest, floor, header.minimumSectionSize())
        for column, width in widths.items():
            if header.sectionSize(column) != width:
                header.resizeSection(column, width)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)


def keep_whole(view: QTableView, whole: Sequence[int] = (0,), fill: int | None = None,
               hide_empty: bool = True, fill_min: int = 0) -> QObject:
    """Size ``view``'s columns as the module says; call after ``setModel``. ``fill_min``: the width a cuttable
    fill keeps even when the table then scrolls sideways (0: only its title; it shrinks to the room left).
    Returns the helper (kept by the view); ``helper.apply()`` sizes at once (tests)."""
    return _Fit(view, whole, fill, hide_empty, fill_min)
