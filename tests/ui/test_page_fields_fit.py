"""Every page's fields at the default window size, with the console's style sheet: none squeezed (a combo, line
edit or spin box narrower than it needs, or with step buttons too small to draw their arrows)."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QTabWidget

from core.security.roles import Actor, Role
from tests.ui.test_field_fit import squeezed
from ui.main_window import MainWindow
from ui.theme import Theme


@pytest.mark.parametrize("role", [Role.TELLER, Role.ANALYST, Role.SUPERVISOR, Role.ADMIN])
def test_no_page_squeezes_a_field_at_the_default_size(qtbot, qapp, services, bank, role):
    theme = Theme()
    theme.apply()
    try:
        window = MainWindow(services, Actor(f"u-{role.value}", role, device="desk-test"), theme)
        qtbot.addWidget(window)
        window.show()
        found = {}
        for key in window.nav_keys(enabled_only=True):
            assert window.show_page(key)
            page = window.page(key)
            for tabs in [page, *page.findChildren(QTabWidget)]:
                for i in range(tabs.count() if isinstance(tabs, QTabWidget) else 1):
                    if isinstance(tabs, QTabWidget):
                        tabs.setCurrentIndex(i)
                    for _ in range(3):
                        QApplication.processEvents()
                    bad = squeezed(window)
                    if bad:
                        found[f"{type(page).__name__}/{i}"] = bad
        assert found == {}
    finally:
        qapp.setStyleSheet("")
