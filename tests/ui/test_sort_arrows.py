"""Every sortable table's header arrow, as drawn, agrees with the order of its rows: ▼ where the sorted
column's values run from largest (newest, highest) down, ▲ where they go up (QA3 #10 on the statement; the
fraud queue drew ▼ for every order, A-to-Z and oldest first included). One helper sets them all
(``ui.layout.sort_arrow``)."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QSignalBlocker, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView

from tests.ui.conftest import ANALYST
from tests.ui.conftest import fraud_loaded as loaded
from ui.fraud.queue_model import COLUMNS


def drawn_arrow(header: QHeaderView) -> str | None:
    """The arrow the style paints on the header ("▼" or "▲"; None when no column shows one), read from its
    pixels: the header is drawn with the other order too (signals held: nothing sorts) and the pixels that
    differ, where this drawing stands out from the background more, are this order's arrow."""
    column, order = header.sortIndicatorSection(), header.sortIndicatorOrder()
    if column < 0:
        return None
    other = Qt.SortOrder.DescendingOrder if order == Qt.SortOrder.AscendingOrder else Qt.SortOrder.AscendingOrder
    images = []
    with QSignalBlocker(header):
        for o in (order, other):
            header.setSortIndicator(column, o)
            images.append(header.grab().toImage())
    this, that = images
    background = QColor(this.pixel(header.sectionViewportPosition(column) + 2, 2)).lightness()
    widths = []
    for y in range(this.height()):
        widths.append(sum(abs(QColor(this.pixel(x, y)).lightness() - background)
                          > abs(QColor(that.pixel(x, y)).lightness() - background) for x in range(this.width())))
    rows = [w for w in widths if w]
    assert rows, "no arrow drawn"
    return "▼" if rows[0] > rows[-1] else "▲"


SORT_VALUE = {  # what each sortable queue column's order runs over, larger = later in an ascending list
    "Alert": lambda a: a.id, "Raised": lambda a: a.created_at, "Age": lambda a: -a.created_at.timestamp(),
    "SLA": lambda a: a.due_at, "Score": lambda a: a.score, "Amount": lambda a: a.amount,
    "Channel": lambda a: a.channel or "", "Customer": lambda a: a.customer_name or "",
    "Assignee": lambda a: a.assignee or "", "Why": lambda a: a.rule,
}


def test_the_queue_arrow_points_the_way_its_rows_run(qtbot, services, hold, open_page):
    for amount, channel in ((150_00, "online"), (500_00, "branch"), (300_00, "card")):
        hold(amount, channel=channel)
    _window, page = open_page(ANALYST)
    loaded(qtbot, page, 3)
    header = page.table.horizontalHeader()
    assert page.queue.filter.sort == "priority" and drawn_arrow(header) is None  # priority: no column's order
    checked = []
    for column, (col, key, _down) in enumerate(COLUMNS):
        if key is None:
            continue
        with qtbot.waitSignal(page.model.page_loaded, timeout=15_000):
            page.model.sort(column)  # what a click on the header asks: the rows come back in that order
        assert page.queue.filter.sort == key and None not in page.alerts() and page.model.rowCount() == 3
        assert header.sortIndicatorSection() == column, col.title
        assert header.sectionSize(column) >= header.sectionSizeHint(column), col.title  # the arrow beside the title
        value = SORT_VALUE[col.title.split(" ")[0]]
        first, last = value(page.alerts()[0]), value(page.alerts()[-1])
        if first != last:
            assert drawn_arrow(header) == ("▼" if first > last else "▲"), col.title
            checked.append(col.title.split(" ")[0])
    assert {"Alert", "Raised", "Age", "Amount", "Channel"} <= set(checked)
    page.model.sort(5)  # Status does not sort: the arrow stays on the order shown
    assert header.sortIndicatorSection() == len(COLUMNS) - 1 and page.queue.filter.sort == "rule"


def test_the_statement_arrow_points_the_way_its_rows_run(qtbot, services, teller):
    from ui.teller.amounts import operator_locale
    from ui.teller.statement import StatementPanel

    panel = StatementPanel(services, teller, operator_locale())
    qtbot.addWidget(panel)
    panel.resize(900, 400)
    panel.show()
    header = panel.table.horizontalHeader()
    assert panel.sort.currentData() == "newest" and drawn_arrow(header) == "▼"
    for column, key, arrow in ((0, "oldest", "▲"), (0, "newest", "▼"), (2, "largest", "▼"), (2, "smallest", "▲")):
        panel._header_clicked(column)  # noqa: SLF001
        assert panel.sort.currentData() == key and header.sortIndicatorSection() == column
        assert drawn_arrow(header) == arrow, key


def test_a_second_click_reverses_every_sortable_column_and_its_arrow(qtbot, services, hold, open_page):
    """QA: the queue sorted one way only; a second click on a header left the order (and the arrow) as it was.
    The database runs the named order backwards (``AlertFilter.reverse``): the rows loaded come back reversed."""
    for amount, channel in ((150_00, "online"), (500_00, "branch"), (300_00, "card")):
        hold(amount, channel=channel)
    _window, page = open_page(ANALYST)
    loaded(qtbot, page, 3)
    header = page.table.horizontalHeader()
    for column, (col, key, _down) in enumerate(COLUMNS):
        if key is None:
            continue
        value = SORT_VALUE[col.title.split(" ")[0]]
        runs = []
        for reverse in (False, True, False):
            with qtbot.waitSignal(page.model.page_loaded, timeout=15_000):
                page.model.sort(column)  # what a click on the header asks
            assert page.queue.filter.sort == key and page.queue.filter.reverse is reverse, col.title
            assert None not in page.alerts() and page.model.rowCount() == 3
            assert header.sortIndicatorSection() == column, col.title
            values = [value(a) for a in page.alerts()]
            runs.append(values)
            if values[0] != values[-1]:
                assert drawn_arrow(header) == ("▼" if values[0] > values[-1] else "▲"), (col.title, reverse)
        if runs[0][0] != runs[0][-1]:
            assert runs[1] == runs[0][::-1] and runs[2] == runs[0], col.title
    page.model.sort(4)
    qtbot.waitUntil(lambda: page.queue.filter.sort == "score" and not page.queue.filter.reverse, timeout=15_000)


def test_a_header_click_in_the_window_reverses_the_queue(qtbot, services, hold, open_page):
    """The same through a real mouse click on the Amount header (Qt's own sort path)."""
    for amount in (150_00, 500_00, 300_00):
        hold(amount)
    _window, page = open_page(ANALYST)
    loaded(qtbot, page, 3)
    header = page.table.horizontalHeader()
    column = next(i for i, (c, _k, _d) in enumerate(COLUMNS) if c.title == "Amount")
    page.table.scrollTo(page.model.index(0, column))
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    amounts = []
    for _ in range(2):
        with qtbot.waitSignal(page.model.page_loaded, timeout=15_000):
            qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
        amounts.append([a.amount for a in page.alerts()])
    assert amounts[0] == [500_00, 300_00, 150_00] and amounts[1] == [150_00, 300_00, 500_00]
    assert drawn_arrow(header) == "▲"
