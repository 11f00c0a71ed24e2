"""The console's main window: navigation by role, pages built on first visit, menus, shortcuts, status bar."""
from __future__ import annotations

from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow,
    QStackedWidget, QVBoxLayout, QWidget,
)

from app.live import live_updates
from app.services import Services
from core.security.roles import Actor
from ui.keys import guard_alt_letters
from ui.pages import PAGES, PageSpec
from ui.status_bar import ConnectionStatus
from ui.theme import THEMES, Theme

_KEY_ROLE = Qt.ItemDataRole.UserRole
# The View menu's page items with their Alt letters (none taken by Refresh or Style). Each page has a fixed
# Ctrl+number, its place in PAGES, whatever the role: Ctrl+3 is Recommendations for everyone.
MENU_TEXT = {"teller": "&Teller", "fraud": "&Fraud queue", "recommendations": "R&ecommendations",
             "payments": "&Payments", "admin": "&Admin", "audit": "A&udit", "approvals": "Appro&vals"}


def page_shortcut(key: str) -> str:
    """The page's fixed shortcut: Ctrl+ its place in the navigation order (ui.pages.PAGES)."""
    return f"Ctrl+{[s.key for s in PAGES].index(key) + 1}"


class MainWindow(QMainWindow):
    """Shows only the pages ``actor``'s role may use; the Shell reacts to lock and logout requests."""

    lock_requested = Signal()
    logout_requested = Signal()
    closed = Signal()

    def __init__(self, services: Services, actor: Actor, theme: Theme) -> None:
        super().__init__()
        guard_alt_letters()
        self.services = services
        self.actor = actor
        self.theme = theme
        self.locked = False
        self._pages: dict[str, QWidget] = {}
        self._specs = [spec for spec in PAGES if spec.visible_to(actor)]
        self.setWindowTitle(f"QENEX Console — {actor.username} ({actor.role})")
        self.setWindowIcon(theme.icon("app"))
        self.resize(1180, 760)
        saved = QSettings().value(GEOMETRY_KEY)
        if saved is not None:
            self.restoreGeometry(saved)  # the size, place and maximised state of the last session

        self.nav = QListWidget(objectName="navList")
        self.nav.setFixedWidth(210)
        self.nav.setIconSize(QSize(20, 20))
        self.nav.currentItemChanged.connect(self._on_nav)
        self.stack = QStackedWidget()
        # Short and at the top: the unlock dialog sits over the middle of the window, and a longer centred
        # text used to peek out beside it as a fragment ("…code to continue.").
        self.locked_panel = _panel("lockedPanel", "Desk locked — unlock it in the dialog, or log out.", top=True)
        self.empty_panel = _panel("emptyPanel", f"No screen is available to the {actor.role} role yet.\n\n"
                                                "Entries in grey on the left say what each one awaits.")
        self.stack.addWidget(self.empty_panel)
        self.stack.addWidget(self.locked_panel)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.status = ConnectionStatus(services.health_checks(), self)
        self.status.user_label.setText(f"Signed in as {actor.username} · {actor.role}")
        self.setStatusBar(self.status)
        live_updates(services.events).state_changed.connect(self._live_state)

        self._build_nav()
        self._build_menus()
        theme.changed.connect(self._retint)
        self.status.refresh()
        first = next((i for i in range(self.nav.count()) if self.nav.item(i).flags() & Qt.ItemFlag.ItemIsEnabled), None)
        if first is not None:
            self.nav.setCurrentRow(first)

    # -- navigation -----------------------------------------------------------------------------
    def _build_nav(self) -> None:
        for spec in self._specs:
            item = QListWidgetItem(self.theme.icon(spec.icon), spec.title)
            item.setData(_KEY_ROLE, spec.key)
            if spec.build is None:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip(f"Not available yet: awaits {spec.awaiting}")
            else:
                item.setToolTip(f"{spec.title} ({page_shortcut(spec.key)})")
            self.nav.addItem(item)

    def nav_keys(self, *, enabled_only: bool = False) -> list[str]:
        """Keys of the navigation entries shown (optionally only the usable ones)."""
        keys = []
        for i in range(self.nav.count()):
            item = self.nav.item(i)
            if not enabled_only or item.flags() & Qt.ItemFlag.ItemIsEnabled:
                keys.append(item.data(_KEY_ROLE))
        return keys

    def show_page(self, key: str) -> bool:
        """Switch to page ``key`` if this role may use it and it is available; False otherwise."""
        if self.locked:
            return False
        for i in range(self.nav.count()):
            item = self.nav.item(i)
            if item.data(_KEY_ROLE) == key and item.flags() & Qt.ItemFlag.ItemIsEnabled:
                self.nav.setCurrentRow(i)
                return True
        return False

    def current_key(self) -> str | None:
        item = self.nav.currentItem()
        return None if item is None or self.locked else item.data(_KEY_ROLE)

    def page(self, key: str) -> QWidget:
        """The page widget for ``key`` (built on first use)."""
        if key not in self._pages:
            spec = self._spec(key)
            if spec.build is None:
                raise KeyError(f"page {key!r} is not available: awaits {spec.awaiting}")
            widget = spec.build(self.services, self.actor)
            self._pages[key] = widget
            self.stack.addWidget(widget)
        return self._pages[key]

    def _spec(self, key: str) -> PageSpec:
        for spec in self._specs:
            if spec.key == key:
                return spec
        raise KeyError(f"{self.actor.role} has no page {key!r}")

    def _on_nav(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is None or self.locked:
            return
        self.stack.setCurrentWidget(self.page(current.data(_KEY_ROLE)))

    # -- menus and shortcuts --------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        session = bar.addMenu("&Session")
        self.lock_action = self._action(session, "&Lock desk", "Ctrl+L", self.lock_requested.emit, "lock")
        self.logout_action = self._action(session, "Log &out", "Ctrl+Shift+L", self.logout_requested.emit, "logout")
        session.addSeparator()
        self._action(session, "&Quit", "Ctrl+Q", self.close)  # explicit: some platforms name no Quit key

        view = bar.addMenu("&View")
        self.page_actions: dict[str, QAction] = {}
        self.refused_actions: dict[str, QAction] = {}  # pages this role may not use: the shortcut says so
        for spec in PAGES:
            text = MENU_TEXT.get(spec.key, spec.title)
            if spec in self._specs:
                act = self._action(view, text, page_shortcut(spec.key), lambda key=spec.key: self.show_page(key))
                act.setEnabled(spec.build is not None)
                self.page_actions[spec.key] = act
            else:
                act = self._action(view, text.replace("&", "") + " (not for your role)", page_shortcut(spec.key),
                                   lambda spec=spec: self._refuse(spec))
                act.setToolTip(self._refusal(spec))
                self.refused_actions[spec.key] = act
        view.addSeparator()
        self.refresh_action = self._action(view, "&Refresh", "F5", self.refresh, "refresh")
        styles = view.addMenu("&Style")
        group = QActionGroup(self)
        self.style_actions: dict[str, QAction] = {}
        for name in THEMES:
            act = QAction(name.capitalize(), self, checkable=True, checked=name == self.theme.name)
            act.triggered.connect(lambda _checked=False, name=name: self.theme.apply(name))
            group.addAction(act)
            styles.addAction(act)
            self.style_actions[name] = act

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", "F1", self._show_shortcuts)

    def _action(self, menu, text: str, shortcut, slot, icon: str | None = None) -> QAction:  # noqa: ANN001
        act = QAction(text, self)
        act.setShortcut(QKeySequence(shortcut))
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.triggered.connect(lambda _checked=False: slot())
        if icon:
            act.setIcon(self.theme.icon(icon))
        menu.addAction(act)
        self.addAction(act)
        return act

    def shortcut_rows(self) -> list[tuple[str, str]]:
        rows = [(page_shortcut(s.key), s.title) for s in self._specs if s.build is not None]
        for spec in self._specs:  # only the pages this role has: no key it cannot use
            rows += [(keys, f"{meaning} ({spec.title})") for keys, meaning in spec.keys if spec.build is not None]
        rows += [("F5", "Refresh page and connection status"),
                 ("Ctrl+Tab", "Next tab (Ctrl+Shift+Tab: previous)"), ("Alt+letter", "Go to the field or button "
                                                                                "with that underlined letter"),
                 ("Enter", "Review or submit the focused form; confirm in a confirmation"),
                 ("Esc", "Cancel a confirmation or dialog"), ("Ctrl+L", "Lock the desk"),
                 ("Ctrl+Shift+L", "Log out"), ("Ctrl+Q", "Quit")]
        return rows

    def _refusal(self, spec: PageSpec) -> str:
        return f"The {spec.title} page is not available to the {self.actor.role.value} role."

    def _refuse(self, spec: PageSpec) -> None:
        """A page shortcut of a page this role may not use: say so instead of doing nothing."""
        if not self.locked:
            self.status.showMessage(self._refusal(spec), 6000)

    def _show_shortcuts(self) -> None:
        from ui.shortcuts import ShortcutsDialog

        self.shortcuts_dialog = ShortcutsDialog(self, self.shortcut_rows())
        self.shortcuts_dialog.open()

    def _retint(self, _name: str) -> None:
        for i in range(self.nav.count()):
            item = self.nav.item(i)
            item.setIcon(self.theme.icon(self._spec(item.data(_KEY_ROLE)).icon))
        for act, icon in ((self.lock_action, "lock"), (self.logout_action, "logout"), (self.refresh_action, "refresh")):
            act.setIcon(self.theme.icon(icon))
        self.style_actions[self.theme.name].setChecked(True)

    def _live_state(self, _state: str, _detail: str) -> None:
        """Live updates connected or lost: show it in the status bar now rather than at the next recheck."""
        if not self.locked:
            self.status.refresh()

    # -- refresh and lock -----------------------------------------------------------------------
    def refresh(self) -> None:
        """F5: reload the current page and recheck the connections."""
        if self.locked:
            return
        self.status.refresh()
        key = self.current_key()
        if key in self._pages and hasattr(self._pages[key], "refresh"):
            self._pages[key].refresh()

    def set_locked(self, locked: bool) -> None:
        """Hide every page behind the lock panel (or show the current one again)."""
        self.locked = locked
        self.nav.setEnabled(not locked)
        for key, act in self.page_actions.items():
            act.setEnabled(not locked and self._spec(key).build is not None)
        self.refresh_action.setEnabled(not locked)
        self.lock_action.setEnabled(not locked)
        current = self.nav.currentItem()
        if locked:
            self.stack.setCurrentWidget(self.locked_panel)
        elif current is not None:
            self.stack.setCurrentWidget(self.page(current.data(_KEY_ROLE)))
        else:
            self.stack.setCurrentWidget(self.empty_panel)

    def remember_geometry(self) -> None:
        """Keep this window's size, place and maximised state for the next sign-in (per desk, QSettings)."""
        QSettings().setValue(GEOMETRY_KEY, self.saveGeometry())

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().resizeEvent(event)
        if self.isVisible():
            self.remember_geometry()  # also when the desk quits without closing the window

    def moveEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().moveEvent(event)
        if self.isVisible():
            self.remember_geometry()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.remember_geometry()
        event.accept()
        self.closed.emit()


GEOMETRY_KEY = "window/geometry"


def _panel(name: str, text: str, *, top: bool = False) -> QWidget:
    panel = QWidget(objectName=name)
    box = QVBoxLayout(panel)
    box.setContentsMargins(24, 24, 24, 24)
    if not top:
        box.addStretch(1)
    label = QLabel(text, alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
    label.setObjectName("pageHint")
    box.addWidget(label)
    box.addStretch(1)
    return panel
