#!/usr/bin/env python3
"""One-command set-up for QENEX Console (Python 3.11+, any OS).

    python3 dev.py run     install everything into .venv and open the console on the demo bank
                           (seeded on first use, then reopened; `python3 dev.py run --demo --reseed` seeds anew)
    python3 dev.py test    install everything (with test tools) into .venv and run the whole test suite

Extra arguments go to ``qenex`` (run) or ``pytest`` (test). Re-running skips the install when
pyproject.toml has not changed.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def _install(extras: str) -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"QENEX Console needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{extras or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("installing QENEX Console and its dependencies (first run takes a few minutes)", flush=True)
    subprocess.run([str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    target = f".[{extras}]" if extras else "."
    subprocess.run([str(PY), "-m", "pip", "install", "--quiet", "-e", target], check=True, cwd=ROOT)
    stamp.write_text(digest)


# Libraries Qt's X11 (xcb) platform plugin loads, and the package that ships each one per system family.
QT_XCB_LIBRARIES = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb", "libx11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl", "libglvnd"),
    "libGL.so.1": ("libgl1", "libglvnd-glx", "libglvnd"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig", "fontconfig"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs", "dbus"),
}
INSTALLERS = (("Debian/Ubuntu", "sudo apt-get install -y"), ("Fedora/RHEL", "sudo dnf install -y"),
              ("Arch", "sudo pacman -S --needed"))


def missing_qt_libraries() -> list[str]:
    """System libraries the Qt xcb plugin needs but the dynamic linker cannot find (Linux/X11 only)."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM", "xcb").split(":")[0] not in ("", "xcb"):
        return []
    plugins = list((VENV / "lib").glob("python3*/site-packages/PySide6/Qt/plugins/platforms/libqxcb.so"))
    if not plugins:
        return []
    qpa = plugins[0].parents[2] / "lib" / "libQt6XcbQpa.so.6"
    missing: set[str] = set()
    for library in (plugins[0], qpa):
        try:
            out = subprocess.run(["ldd", str(library)], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            return []
        missing |= {line.split()[0] for line in out.splitlines() if "not found" in line}
    return sorted(missing)


def install_hint(missing: list[str]) -> str:
    """What to run to install ``missing`` on each system family (the exact command)."""
    lines = ["The console cannot open a window: Qt's X11 (xcb) plugin needs system libraries that are missing:",
             "  " + ", ".join(missing), "Install them, then run this again:"]
    for column, (family, command) in enumerate(INSTALLERS):
        names = sorted({QT_XCB_LIBRARIES.get(lib, (lib,) * 3)[column] for lib in missing})
        lines.append(f"  {family + ':':<15}{command} {' '.join(names)}")
    lines.append("(On Wayland you may set QT_QPA_PLATFORM=wayland instead.)")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "run":
        _install("")
        missing = missing_qt_libraries()
        if missing and not rest:
            print(install_hint(missing), file=sys.stderr)
            return 1
        return subprocess.call([str(BIN / "qenex"), *(rest or ["--demo"])])
    _install("test")
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    return subprocess.call([str(PY), "-m", "pytest", *rest], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
