"""Light and dark style sheets and icons tinted to match, with the choice remembered in QSettings."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

THEMES = ("light", "dark")
ICON_INK = {"light": "#3d4a58", "dark": "#c3cbd5"}
_SETTING = "ui/theme"


def _resource(*parts: str) -> str:
    return resources.files("resources").joinpath(*parts).read_text(encoding="utf-8")


class Theme(QObject):
    """The active style; widgets that draw icons listen to ``changed``."""

    changed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        saved = QSettings().value(_SETTING, "light")
        self.name = saved if saved in THEMES else "light"

    def apply(self, name: str | None = None) -> None:
        """Apply ``name`` (or the remembered style) to the whole application and remember it."""
        if name is not None:
            if name not in THEMES:
                raise ValueError(f"unknown theme {name!r}; choose one of {', '.join(THEMES)}")
            self.name = name
            QSettings().setValue(_SETTING, name)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            icons = Path(str(resources.files("resources").joinpath("icons"))).as_posix()
            app.setStyleSheet(_resource("style", f"{self.name}.qss").replace("@ICONS@", icons))
        self.changed.emit(self.name)

    def icon(self, name: str, size: int = 24) -> QIcon:
        """The SVG icon ``resources/icons/<name>.svg`` drawn in this theme's ink colour."""
        svg = _resource("icons", f"{name}.svg").replace("currentColor", ICON_INK[self.name])
        renderer = QSvgRenderer(QByteArray(svg.encode()))
        icon = QIcon()
        for scale in (1, 2):
            pixmap = QPixmap(size * scale, size * scale)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            renderer.render(painter)
            painter.end()
            pixmap.setDevicePixelRatio(scale)
            icon.addPixmap(pixmap)
        return icon
