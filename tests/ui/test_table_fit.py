"""QA4 #2 and #6: narrow tables keep what matters whole (a name is never cut, an all-"—" column is hidden, the
fill column takes the rest), and a frozen account says so on the teller page and in the finder."""
from __future__ import annotations

from types import SimpleNamespace

from tests.ui.test_approvals import SAM, SUE
from tests.ui.test_teller import _page, _select
from ui.columns import Column
from ui.layout import table_view
from ui.rows_model import RowsModel
from ui.table_fit import keep_whole


def _cut(view, column):  # noqa: ANN001, ANN202
    """Rows whose cell in ``column`` does not fit its section (drawn with "…")."""
    model, header = view.model(), view.horizontalHeader()
    return [r for r in range(model.rowCount())
            if view.sizeHintForIndex(model.index(r, column)).width() > header.sectionSize(column)]


def test_whole_columns_are_never_cut_and_empty_ones_hide(qtbot):
    model = RowsModel((Column("Name", lambda r: r.name), Column("Account", lambda r: r.account or "—"),
                       Column("Customer", lambda r: r.customer)))
    view = table_view()
    view.setModel(model)
    qtbot.addWidget(view)
    fit = keep_whole(view, whole=(0,), fill=0)
    view.resize(200, 300)
    view.show()
    model.set_rows([SimpleNamespace(name="Bartholomew Richardson-Smythe", account=None, customer="700000052")])
    fit.apply()
    assert view.isColumnHidden(1)  # every Account is "—": it says nothing, so it takes no room
    assert _cut(view, 0) == [] and _cut(view, 2) == []  # too narrow for both: it scrolls, nothing is cut
    model.set_rows([SimpleNamespace(name="Ken Garcia", account="1000000131", customer="700000052")])
    fit.apply()
    assert not view.isColumnHidden(1) and _cut(view, 1) == []
    view.resize(900, 300)
    fit.apply()  # wide: the name takes the room left
    assert sum(view.horizontalHeader().sectionSize(c) for c in range(3)) >= view.viewport().width() - 2


def test_the_finder_at_the_default_size_shows_names_whole(qtbot, services, bank, teller):
    page = _page(qtbot, services, teller)
    page.resize(970, 700)  # the page's part of the default 1180×760 window
    qtbot.wait(50)
    page.finder.table_fit.apply()
    assert _cut(page.finder.table, 0) == []
    page.finder.search.setText("Lovelace")
    qtbot.waitUntil(lambda: page.finder.hits_model.rowCount() > 0)
    page.finder.hits_fit.apply()
    assert page.finder.hits.isColumnHidden(1)  # a search by name: no account column of "—"
    assert _cut(page.finder.hits, 0) == []


def test_a_frozen_account_is_flagged_on_the_teller_page_and_in_the_finder(qtbot, services, bank, teller):
    asked = services.approvals.request_status(SAM, bank[1], "frozen", "card stolen")
    services.approvals.approve(SUE, asked.id)
    page = _page(qtbot, services, teller)
    model, status = page.finder.model, page.finder.model.columnCount() - 1
    texts = lambda: [model.data(model.index(r, status)) for r in range(model.rowCount())]  # noqa: E731
    qtbot.waitUntil(lambda: "frozen" in texts())
    assert texts().count("") == len(texts()) - 1  # open accounts say nothing
    qtbot.waitUntil(lambda: not page.finder.table.isColumnHidden(status))
    _select(qtbot, page, bank[1])
    banner = page.customer_panel.status_banner
    assert banner.isVisibleTo(page) and "is FROZEN" in banner.text() and bank[1] in banner.text()
    _select(qtbot, page, bank[0])
    assert not banner.isVisibleTo(page)
