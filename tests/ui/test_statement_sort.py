"""QA3 #10: the statement's header arrow agrees with the order its summary names (Qt's Fusion style draws
DescendingOrder as an up arrow, which read as "ascending" beside "newest first")."""
from __future__ import annotations

from PySide6.QtCore import Qt

from ui.teller.amounts import operator_locale
from ui.teller.statement import StatementPanel


def test_arrow_points_down_for_newest_first_and_stays_on_a_sortable_column(qtbot, services, teller):
    panel = StatementPanel(services, teller, operator_locale())
    qtbot.addWidget(panel)
    header = panel.table.horizontalHeader()
    assert panel.sort.currentData() == "newest"
    # Fusion: AscendingOrder is drawn as a down arrow (newest first), DescendingOrder as an up arrow
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (0, Qt.SortOrder.AscendingOrder)
    panel._header_clicked(0)  # noqa: SLF001
    assert panel.sort.currentData() == "oldest"
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (0, Qt.SortOrder.DescendingOrder)
    header.setSortIndicator(1, Qt.SortOrder.AscendingOrder)  # what Qt does on a click on Description
    panel._header_clicked(1)  # noqa: SLF001
    assert panel.sort.currentData() == "oldest" and header.sortIndicatorSection() == 0
