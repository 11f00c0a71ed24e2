"""Small layout pieces every page shares: a title with a hint, a card frame, a table and its sort arrow, and a
dialog's height that follows what it shows."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView, QFrame, QHBoxLayout, QHeaderView, QLabel, QSplitter, QTableView, QVBoxLayout, QWidget,
)


def page_header(title: str, hint: str) -> QWidget:
    header = QWidget()
    box = QVBoxLayout(header)
    box.setContentsMargins(0, 0, 0, 4)
    box.setSpacing(2)
    box.addWidget(QLabel(title, objectName="pageTitle"))
    box.addWidget(QLabel(hint, objectName="pageHint", wordWrap=True))
    return header


def card() -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame(objectName="card")
    box = QVBoxLayout(frame)
    box.setContentsMargins(14, 12, 14, 12)
    return frame, box


def button_row(*buttons: QWidget) -> QWidget:
    """Buttons side by side, left-aligned, without margins (a form's action row)."""
    row = QWidget()
    box = QHBoxLayout(row)
    box.setContentsMargins(0, 0, 0, 0)
    for button in buttons:
        box.addWidget(button)
    box.addStretch(1)
    return row


def table_view() -> QTableView:
    """A read-only, row-selecting table with alternating rows and no vertical header. Tab leaves it (to the
    page's buttons) instead of moving the selection from cell to cell: arrows move within it."""
    view = QTableView()
    view.setTabKeyNavigation(False)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(28)
    view.setShowGrid(False)
    view.setWordWrap(False)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    return view


def sort_arrow(header: QHeaderView, column: int, descending: bool) -> None:
    """Show the order a table's rows are in on its header: ▼ on ``column`` when its values go down the list
    from largest (newest, highest, Z) to smallest, ▲ when they go up (oldest, lowest, A first); ``column`` -1
    shows none. The one place every sortable table sets its arrow (QA3 #10): QHeaderView draws AscendingOrder
    as a down arrow (QStyleOptionHeader.SortDown: the Fusion style draws ▼), the reverse of what its name says.

    Only the arrow changes: the header's signals are held, so setting it never asks the model to sort again."""
    blocker = QSignalBlocker(header)
    header.setSortIndicator(column, Qt.SortOrder.AscendingOrder if descending else Qt.SortOrder.DescendingOrder)
    blocker.unblock()
    if (column >= 0 and header.sectionResizeMode(column) == QHeaderView.ResizeMode.Interactive
            and header.sectionSize(column) < header.sectionSizeHint(column)):
        header.resizeSection(column, header.sectionSizeHint(column))  # a narrow column drew the arrow on its title
    header.viewport().update()


def fit_height(window: QWidget) -> None:
    """Give ``window`` (a dialog whose content just changed: options shown or hidden, a longer text) the height
    its layout needs at its width, and never less: squeezed, wrapped texts and option rows lose the bottoms of
    their letters or their last lines. A window still at the height this last gave it follows the content both
    ways; one the person made taller keeps its height while the content fits."""
    layout = window.layout()
    if layout is None or not (window.isVisible() or window.testAttribute(Qt.WidgetAttribute.WA_Resized)):
        return  # never sized yet: showing it sizes it to its content (adjustSize), then this refits it
    layout.activate()
    width = max(window.width(), layout.totalMinimumSize().width())
    need = max(layout.totalMinimumSize().height(),
               layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else layout.totalSizeHint().height())
    fitted = window.property("fittedHeight")
    window.setMinimumHeight(need)
    height = need if fitted is None or window.height() == fitted or window.height() < need else window.height()
    window.setProperty("fittedHeight", height)
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)


class _Fitter(QObject):
    """Refits its window (``fit_height``) once the layout settled after a change: a row shown or hidden, a
    text set (an error line, an outcome's words), the window shown or made narrower."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._timer = QTimer(self, singleShot=True, interval=0, timeout=lambda: fit_height(window))
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.Show, QEvent.Type.Resize):
            self._timer.start()
        return False


def keep_fitted(window: QWidget) -> None:
    """Keep ``window`` (a dialog) as tall as what it shows needs, whatever changes in it later (``fit_height``)."""
    if window.findChild(_Fitter) is None:
        _Fitter(window)


class _Shares(QObject):
    """Gives a splitter's panes their shares of its length whenever it is shown or resized, until the person
    drags the handle (then their sizes stay): QSplitter's stretch factors share only what the panes' size hints
    leave, so a detail pane with a tall hint kept a list to a few rows (QA: the fraud queue showed ~6 alerts)."""

    def __init__(self, splitter: QSplitter, shares: tuple[int, ...]) -> None:
        super().__init__(splitter)
        self.splitter, self.shares, self.moved = splitter, shares, False
        splitter.splitterMoved.connect(self._moved)
        splitter.installEventFilter(self)

    def _moved(self, *_args: object) -> None:
        if not self.splitter.property("sharing"):
            self.moved = True

    def apply(self) -> None:
        s = self.splitter
        length = s.height() if s.orientation() == Qt.Orientation.Vertical else s.width()
        length -= s.handleWidth() * (s.count() - 1)
        if self.moved or length <= 0:
            return
        total = sum(self.shares)
        sizes = [length * share // total for share in self.shares]
        s.setProperty("sharing", True)
        s.setSizes(sizes)
        s.setProperty("sharing", False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.apply()
        return False


def share(splitter: QSplitter, *shares: int) -> None:
    """Keep ``splitter``'s panes at ``shares`` of its length (e.g. 3, 2: a list above its detail) until the
    person drags the handle; each pane still never goes below its minimum size."""
    for i, part in enumerate(shares):
        splitter.setStretchFactor(i, part)
    _Shares(splitter, tuple(shares))
