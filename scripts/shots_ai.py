"""The Recommendations page's screenshots (called by scripts/screenshots.py): the synthetic stream of the
tests (a terminal turns fraudulent half-way, the champion never saw it), analysts' dispositions, one retrain.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyotp
from PySide6.QtWidgets import QApplication

from app.services import Services
from app.settings import Settings
from core.persistence import migrate
from core.persistence.db import make_engine
from core.security.roles import SYSTEM_ACTOR, Role

PASSWORD = "demo passphrase 2025"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.ai.stream: the tests' synthetic stream


def shoot_ai(app: QApplication, tmp: Path, out: Path, theme, save: Callable, wait_until: Callable,  # noqa: ANN001
             settle: Callable) -> None:
    from tests.ai.stream import dispositions, seeded
    from ui.main_window import MainWindow

    folder = tmp / "ai"
    folder.mkdir()
    engine = make_engine(f"sqlite:///{folder / 'bank.db'}")
    migrate.upgrade(engine)
    services = Services.build(Settings(str(engine.url), None, folder), engine)
    print("seeding the synthetic stream and retraining for the recommendations screens …")
    seeded(engine)
    dispositions(engine, per_day=20, days=10, rule_fp=30)
    secret = services.users.add_user(SYSTEM_ACTOR, "sam", Role.SUPERVISOR, PASSWORD,
                                     must_change_password=False).enrollment.secret
    step = services.users.begin_login("sam", PASSWORD, services.device)
    sam = services.users.complete_login(step, pyotp.TOTP(secret).at(time.time() - 30)).session.actor
    services.ai.retrain(sam)

    window = MainWindow(services, sam, theme)
    window.resize(1440, 900)
    window.show()
    window.show_page("recommendations")
    page = window.page("recommendations")
    wait_until(lambda: page.loads >= 1 and page.model.rowCount() > 0, timeout=20)
    for kind, name in (("promote", "recommendations"), ("threshold", "recommendations-shadow")):
        row = next(i for i, r in enumerate(page.recs) if r.kind == kind)
        page.table.selectRow(row)
        wait_until(lambda kind=kind: page.current() is not None and page.current().kind == kind)
        settle(300)
        save(window, out, name)
    window.close()
    engine.dispose()


def main() -> int:
    """Only these screens: ``QT_QPA_PLATFORM=offscreen python scripts/shots_ai.py [--out DIR]``."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import screenshots

    return screenshots.run_only(shoot_ai, main.__doc__, "qenex-ai-shots-")


if __name__ == "__main__":
    raise SystemExit(main())
