"""The lazy table model fetches only the pages the view shows, on the database worker."""
from __future__ import annotations

import threading

from ui.columns import Column
from ui.layout import table_view
from ui.lazy_model import LOADING, PAGE_SIZE, LazyTableModel

ROWS = 100 * PAGE_SIZE


def _model(fetched: list, threads: set):  # noqa: ANN202
    def fetch(offset: int, limit: int) -> list[int]:
        fetched.append(offset // PAGE_SIZE)
        threads.add(threading.current_thread().name)
        return list(range(offset, min(offset + limit, ROWS)))

    return LazyTableModel([Column("n", str)], lambda: ROWS, fetch)


def test_only_visible_pages_are_fetched_as_the_user_scrolls(qtbot):
    fetched, threads = [], set()
    model = _model(fetched, threads)
    view = table_view()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(300, 400)
    view.show()
    with qtbot.waitSignal(model.loaded):
        model.reload()
    qtbot.waitUntil(lambda: model.row_object(0) == 0)
    assert model.rowCount() == ROWS
    assert model.cached_pages() == [0]

    view.scrollToBottom()
    qtbot.waitUntil(lambda: model.row_object(ROWS - 1) == ROWS - 1)
    assert set(model.cached_pages()) <= {0, 98, 99}
    assert model.index(ROWS // 2, 0).data() == LOADING  # asking for it queues it, nothing more
    qtbot.waitUntil(lambda: model.row_object(ROWS // 2) == ROWS // 2)
    assert len(fetched) == len(set(fetched)) <= 4
    assert all(name.startswith("qenex-db") for name in threads)


def test_reload_with_a_new_query_shows_only_its_rows(qtbot):
    fetched, threads = [], set()
    model = _model(fetched, threads)
    with qtbot.waitSignal(model.loaded):
        model.reload()
    model.index(0, 0).data()  # requests page 0 of the first query …
    with qtbot.waitSignal(model.loaded):
        model.reload(fetch=lambda offset, limit: [f"new {i}" for i in range(offset, offset + limit)])
    qtbot.waitUntil(lambda: model.index(0, 0).data() == "new 0")
