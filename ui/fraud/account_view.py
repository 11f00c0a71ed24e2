"""The payer's account in the Teller view, read-only: an analyst sees the customer, balances, statement,
holds and activity exactly as the desk does, without the forms that move money or place holds.
"""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from app.services import Services
from core.security.roles import Actor
from ui.teller.finder import Pick
from ui.teller.page import TellerPage

MONEY_TABS = ("Transfer", "Cash", "Outgoing")


class AccountWindow(QDialog):
    """A window on one account: ``page`` is the Teller page with every money-moving control taken out."""

    def __init__(self, services: Services, actor: Actor, number: str, customer_id: int | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Account {number} — read-only")
        self.page = TellerPage(services, actor)
        tabs = self.page.tabs
        for index in reversed(range(tabs.count())):
            if tabs.tabText(index).replace("&", "") in MONEY_TABS:
                tabs.removeTab(index)
        self.page.new_customer_button.hide()
        self.page.customer_panel.open_button.hide()
        self.page.holds_panel.form.hide()
        self.page.finder.search.setText(number)
        self.page._picked(Pick(customer_id, number))  # noqa: SLF001 - the page's own way to show a pick
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        banner = QLabel(f"Read-only view of account {number}, as the desk sees it. Moving money and placing or "
                        "releasing holds stay with tellers and supervisors.", objectName="pageHint", wordWrap=True)
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 8)
        root.addWidget(banner)
        root.addWidget(self.page, 1)
        root.addWidget(box)
        self.resize(1100, 700)

    def money_tabs(self) -> list[str]:
        """Tabs left that could move money (none: the test checks it)."""
        tabs = self.page.tabs
        return [tabs.tabText(i) for i in range(tabs.count()) if tabs.tabText(i).replace("&", "") in MONEY_TABS]
