"""Regenerate docs/screenshots/*.png: every console screen, offscreen, on a freshly seeded demo database.

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py [--out docs/screenshots]

The database, audit key and users live in a temporary folder and are thrown away afterwards. Users log
in through core with real TOTP codes; every screen gets its data through the same workers as on a desk.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pyotp  # noqa: E402
from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QPoint, QSettings, QThread  # noqa: E402
from PySide6.QtGui import QColor, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from app.services import Services  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.tasks import TaskManager  # noqa: E402
from core.ledger.money import to_minor  # noqa: E402
from core.ledger.views import TransferRequest  # noqa: E402
from core.persistence import migrate  # noqa: E402
from core.persistence.db import make_engine  # noqa: E402
from core.security.roles import SYSTEM_ACTOR, Actor, Role  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parent))
from approvals_shots import shoot_approvals  # noqa: E402
from teller_shots import kyc_customer, shoot_teller  # noqa: E402

PASSWORD = "demo passphrase 2025"
CUSTOMERS = (("Ada Lovelace", "GB", "USD", "12500.00"), ("Grace Hopper", "US", "USD", "8420.15"),
             ("Alan Turing", "GB", "GBP", "3100.00"), ("Katherine Johnson", "US", "USD", "640.00"),
             ("Hedy Lamarr", "AT", "EUR", "15000.00"), ("Tim Berners-Lee", "GB", "GBP", "980.50"),
             ("Margaret Hamilton", "US", "USD", "22010.00"), ("Claude Shannon", "US", "USD", "1275.25"),
             ("Emmy Noether", "DE", "EUR", "5300.00"), ("John von Neumann", "HU", "EUR", "760.00"),
             ("Barbara Liskov", "US", "USD", "9100.00"), ("Donald Knuth", "US", "USD", "4096.00"))


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the screen did not get its data in time")
        QCoreApplication.processEvents()
        QThread.msleep(10)
    settle()


def settle(ms: int = 150) -> None:
    deadline = QDeadlineTimer(ms)
    while not deadline.hasExpired():
        QCoreApplication.processEvents()
        QThread.msleep(10)


def save(widget: QWidget, out: Path, name: str, overlay: QWidget | None = None) -> None:
    """Grab ``widget`` (with ``overlay``, e.g. a dialog, painted centred on top) to ``out/name.png``."""
    settle()
    pixmap = widget.grab()
    if overlay is not None:
        top = overlay.grab()
        painter = QPainter(pixmap)
        painter.fillRect(pixmap.rect(), QColor(0, 0, 0, 90))
        painter.drawPixmap(QPoint((pixmap.width() - top.width()) // 2, (pixmap.height() - top.height()) // 3), top)
        painter.end()
    pixmap.save(str(out / f"{name}.png"))
    print(f"  {name}.png  {pixmap.width()}x{pixmap.height()}")


def seed(services: Services) -> list[str]:
    """Customers with funded accounts and some transfers between them; returns the account numbers."""
    ledger = services.ledger
    numbers = []
    for i, (name, country, currency, funds) in enumerate(CUSTOMERS):
        customer = services.teller.add_customer(SYSTEM_ACTOR, kyc_customer(i, name, country))
        account = ledger.open_account(SYSTEM_ACTOR, customer.id, currency, overdraft=to_minor("500", currency))
        ledger.deposit(SYSTEM_ACTOR, account.number, to_minor(funds, currency), currency)
        numbers.append((account.number, currency))
    usd = [n for n, c in numbers if c == "USD"]
    for i, (amount, text) in enumerate((("250.00", "Rent share"), ("42.10", "Dinner"), ("120.00", "Invoice 2025-031"),
                                        ("75.00", "Book club"), ("310.40", "Car repair"), ("19.99", "Subscription"))):
        ledger.transfer(SYSTEM_ACTOR, TransferRequest(id=f"seed-{i}", debit=usd[i % len(usd)],
                                                      credit=usd[(i + 1) % len(usd)],
                                                      amount=to_minor(amount, "USD"), currency="USD",
                                                      description=text))
    return [n for n, _ in numbers]


def payments_and_orders(services: Services, accounts: list[str]) -> None:
    """Card payments through a local localstripe (a test dependency) and a SEPA payment order."""
    import uuid

    from core.payments import beneficiary, cards
    from core.payments.orders import OrderRequest
    from core.payments.views import PaymentRequest

    pay = services.payments
    for number, amount, capture in (("4242424242424242", "125.00", "automatic"), ("5555555555554444", "60.00", "manual"),
                                    ("4000002500003155", "300.00", "automatic"), ("4000000000000341", "80.00", "automatic")):
        try:
            pay.create(SYSTEM_ACTOR, PaymentRequest(f"pay_{uuid.uuid4().hex[:20]}", accounts[1], to_minor(amount, "USD"),
                                                    "USD", cards.CardInput(number, 12, 2031, "123"),
                                                    description="top-up at the desk", capture=capture))
        except Exception:  # noqa: BLE001 - the declined card is part of the picture
            pass
    captured = pay.list(SYSTEM_ACTOR, status="succeeded")[0]
    pay.refund(SYSTEM_ACTOR, captured.id, to_minor("25", "USD"))
    services.orders.create(SYSTEM_ACTOR, OrderRequest("ord-shot-1", accounts[4], to_minor("250", "EUR"), "EUR",
                                                      beneficiary.check("sepa", "EUR", name="Max Muster",
                                                                        iban="DE89370400440532013000",
                                                                        reference="Rent March")))


def start_localstripe():  # noqa: ANN201 - (process, base URL), or None when localstripe is not installed
    import socket
    import subprocess

    try:
        import localstripe  # noqa: F401
    except ImportError:
        return None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = Path(__file__).resolve().parents[1] / "tests" / "payments" / "localstripe_server.py"
    proc = subprocess.Popen([sys.executable, str(server), str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    return None


def enrolled_actor(services: Services, username: str, role: Role, offset: int) -> tuple[Actor, str]:
    """Create and enroll ``username`` through core; returns its actor and TOTP secret."""
    new = services.users.add_user(SYSTEM_ACTOR, username, role, PASSWORD, must_change_password=False)
    secret = new.enrollment.secret
    step = services.users.begin_login(username, PASSWORD, services.device)
    result = services.users.complete_login(step, pyotp.TOTP(secret).at(time.time() + offset))
    return result.session.actor, secret


def run_only(shoot_part: Callable, doc: str, prefix: str) -> int:
    """Run one part of the script alone (``scripts/shots_fraud.py``, ``scripts/shots_ai.py``): parse ``--out``,
    set up the app, settings, worker pool and light theme in a temporary folder, then call
    ``shoot_part(app, tmp, out, theme, save, wait_until, settle)``."""
    from ui.theme import Theme

    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        TaskManager.set_shared(TaskManager())
        theme = Theme()
        theme.apply("light")
        shoot_part(app, Path(tmp), args.out, theme, save, wait_until, settle)
        TaskManager.shared().shutdown(wait=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="qenex-shots-") as tmp:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        app.setOrganizationName("QENEX-screenshots")
        app.setApplicationName("console")
        return shoot(app, Path(tmp), args.out)


def shoot(app: QApplication, tmp: Path, out: Path) -> int:
    from ui.login.dialog import LoginDialog
    from ui.login.unlock import UnlockDialog
    from ui.main_window import MainWindow
    from ui.theme import Theme

    from core.payments.stripe_provider import StripeProvider

    engine = make_engine(f"sqlite:///{tmp / 'bank.db'}")
    migrate.upgrade(engine)
    stripe_server = start_localstripe()
    provider = StripeProvider("sk_test_screenshots", stripe_server[1], "whsec_screenshots", 1) if stripe_server else None
    services = Services.build(Settings(str(engine.url), None, tmp), engine, provider=provider)
    TaskManager.set_shared(TaskManager())
    print(f"seeding a demo bank in {tmp} …")
    accounts = seed(services)
    supervisor, _ = enrolled_actor(services, "sam.supervisor", Role.SUPERVISOR, -30)
    admin, _ = enrolled_actor(services, "ann.admin", Role.ADMIN, -30)
    enrolled_actor(services, "tina.teller", Role.TELLER, -30)
    nina = services.users.add_user(SYSTEM_ACTOR, "nina.analyst", Role.ANALYST, PASSWORD,
                                    must_change_password=False)  # enrolls at first login
    theme = Theme()
    theme.apply("light")
    print(f"writing to {out}")

    login = LoginDialog(services)
    login.show()
    login.credentials.username.setText("sam.supervisor")
    save(login, out, "login")

    login.credentials.password.setText(PASSWORD)
    login.credentials.username.setText("nina.analyst")
    login.submit()
    wait_until(lambda: login.current_page() is login.enrollment)
    save(login, out, "enrollment")
    login.enrollment.code.setText(pyotp.TOTP(nina.enrollment.secret).now())
    login.confirm_enrollment()
    wait_until(lambda: login.current_page() is login.recovery)
    save(login, out, "recovery-codes")
    login.close()

    window = MainWindow(services, supervisor, theme)  # at its default size (1180 x 760)
    window.show()
    teller = window.page("teller")
    wait_until(lambda: teller.model.row_object(0) is not None)
    teller.table.selectRow(next(r for r in range(teller.model.rowCount())
                                if teller.model.row_object(r).name.startswith("Grace Hopper")))
    wait_until(lambda: bool(teller.statement_lines()))
    wait_until(lambda: window.status.state("Database") == "ok")
    save(window, out, "teller")

    form = teller.transfer_form
    form.fields["to"].setText(accounts[1][:-1] + str((int(accounts[1][-1]) + 3) % 10))
    form.fields["amount"].setText("12.345")
    form.submit()
    save(window, out, "teller-validation")

    services.audit.seal(services.engine)  # as the console does every minute
    form.fields["from"].setText(accounts[0])
    form.fields["to"].setText(accounts[3])
    form.fields["amount"].setText("85.00")
    form.fields["description"].setText("Concert tickets")
    form.submit()
    wait_until(lambda: form.dialog is not None and form.dialog.isVisible())  # the confirmation step
    form.dialog.accept()
    wait_until(lambda: form.status.property("state") == "ok")
    shoot_teller(window, services, wait_until, save, out, accounts)
    shoot_approvals(window, services, wait_until, save, out, accounts)
    window.show_page("audit")
    audit = window.page("audit")
    wait_until(lambda: audit.model.rowCount() > 0 and audit.model.row_object(0) is not None)
    audit.table.selectRow(0)
    save(window, out, "audit")

    theme.apply("dark")
    window.show_page("teller")
    save(window, out, "teller-dark")
    theme.apply("light")

    if stripe_server is not None:
        payments_and_orders(services, accounts)
        window.show_page("payments")
        payments_page = window.page("payments")
        payments_page.reload()
        wait_until(lambda: payments_page.model.rowCount() >= 4 and None not in payments_page.payments())
        payments_page.table.selectRow(next(r for r, p in enumerate(payments_page.payments()) if p.refunded))
        wait_until(lambda: payments_page.selected is not None)
        save(window, out, "payments")
        payments_page.refund_amount.setText("5.00")
        dialog = payments_page.refund()
        save(window, out, "payments-confirm", overlay=dialog)
        dialog.reject()
        payments_page.refund_amount.clear()
        new = payments_page.new_payment()
        for key, value in (("account", accounts[1]), ("amount", "42.00"), ("currency", "USD"),
                           ("number", "4242 4242 4242 4242"), ("expiry", "12/30"), ("cvc", "123")):
            new.form.fields[key].setText(value)
        new.form._hint(new.form.fields["number"].text())
        save(window, out, "payments-card", overlay=new)
        new.form.submit()
        wait_until(lambda: new.form.dialog is not None and new.form.dialog.isVisible())
        save(window, out, "payments-card-confirm", overlay=new.form.dialog)
        new.form.dialog.reject()
        new.reject()
        payments_page.tabs.setCurrentWidget(payments_page.orders)
        wait_until(lambda: payments_page.orders.model.rowCount() >= 1)
        payments_page.orders.table.selectRow(0)
        save(window, out, "payments-orders")
        payments_page.tabs.setCurrentIndex(0)
        window.show_page("teller")
        outgoing = teller.outgoing
        teller.tabs.setCurrentIndex(next(i for i in range(teller.tabs.count()) if teller.tabs.tabText(i) == "Outgoing"))
        teller.finder.search.setText(accounts[4])  # the customer of the EUR account: the From list is theirs
        wait_until(lambda: outgoing.from_account.findData(accounts[4]) >= 0)
        settle(400)
        outgoing.use_account(accounts[4], "EUR")
        for key, value in (("name", "Max Muster"), ("iban", "DE89 3704 0044 0532 0130 00"), ("amount", "120.00"),
                           ("reference", "Invoice 42")):
            outgoing.fields[key].setText(value)
        outgoing.submit()
        wait_until(lambda: outgoing.dialog is not None and outgoing.dialog.isVisible())
        save(window, out, "teller-outgoing", overlay=outgoing.dialog)
        outgoing.dialog.reject()
        window.show_page("teller")
    else:
        print("  localstripe is not installed: no payments screenshots")

    window.set_locked(True)
    unlock = UnlockDialog(services, supervisor, "Locked after 5 minutes without activity.", window)
    unlock.show()
    save(window, out, "locked", overlay=unlock)
    unlock.done(UnlockDialog.LOGOUT)
    window.close()

    admin_window = MainWindow(services, admin, theme)
    admin_window.resize(1280, 800)
    admin_window.show()
    page = admin_window.page("admin")
    wait_until(lambda: page.model.rowCount() >= 4)
    page.table.selectRow(next(i for i, u in enumerate(page.users()) if u.username == "nina.analyst"))
    save(admin_window, out, "admin")
    admin_window.close()

    from shots_fraud import shoot_fraud  # scripts/ is on the path when this script runs

    shoot_fraud(app, tmp, out, theme, save, wait_until, settle)
    from shots_ai import shoot_ai

    shoot_ai(app, tmp, out, theme, save, wait_until, settle)
    TaskManager.shared().shutdown(wait=True)
    engine.dispose()
    if stripe_server is not None:
        stripe_server[0].terminate()
        stripe_server[0].wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
