"""dev.py names the exact install command when Qt's xcb plugin lacks system libraries."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
dev = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dev)


def test_install_hint_gives_the_command_for_each_system():
    hint = dev.install_hint(["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    assert "sudo apt-get install -y libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in hint
    assert "sudo dnf install -y xcb-util-cursor xcb-util-keysyms xcb-util-wm" in hint
    assert "sudo pacman -S --needed" in hint


def test_missing_libraries_are_found_with_ldd(monkeypatch):
    monkeypatch.setattr(dev.sys, "platform", "linux")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")

    class Done:
        stdout = "\tlibxcb-cursor.so.0 => not found\n\tlibc.so.6 => /lib/libc.so.6 (0x0)\n"

    monkeypatch.setattr(dev.subprocess, "run", lambda *a, **k: Done())
    if list((dev.VENV / "lib").glob("python3*/site-packages/PySide6/Qt/plugins/platforms/libqxcb.so")):
        assert dev.missing_qt_libraries() == ["libxcb-cursor.so.0"]
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert dev.missing_qt_libraries() == []
