"""Settings read from environment variables, each with a documented default."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from core.errors import ConfigurationError

APP_NAME = "qenex-console"


def data_dir() -> Path:
    """The user's data folder for QENEX Console (created on demand)."""
    path = Path(os.environ.get("QENEX_DATA_DIR") or _user_data_dir())
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot use the data folder {str(path)[:200]!r} ({type(exc).__name__}: "
                                 f"{str(exc)[:200]}); set QENEX_DATA_DIR to a folder you can write") from None
    return path


def _user_data_dir() -> str:
    import platformdirs  # only when QENEX_DATA_DIR is not set

    return platformdirs.user_data_dir(APP_NAME, "QENEX")


def documents_dir() -> Path:
    """Where a saved document goes first: the user's Documents folder (platformdirs), else their home folder;
    never the program's working folder."""
    import platformdirs

    try:
        folder = Path(platformdirs.user_documents_dir())
    except Exception:  # noqa: BLE001 - no Documents folder known on this system
        folder = Path.home()
    return folder if folder.is_dir() else Path.home()


def system_locale() -> str:
    """QENEX_LOCALE, else the system's number locale (LC_ALL, LC_NUMERIC, LANG), else en_US."""
    from babel import default_locale

    from core.ledger.money import locale_name  # babel and ISO 4217: not loaded by ``qenex --help``

    if os.environ.get("QENEX_LOCALE"):
        return locale_name(os.environ["QENEX_LOCALE"])  # ConfigurationError when babel does not know it
    try:
        return locale_name(default_locale("LC_NUMERIC"))
    except (ConfigurationError, ValueError):
        return "en_US"


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'bank.db'}"


@dataclass(frozen=True)
class Settings:
    """Everything configurable about one desk."""

    database_url: str
    redis_url: str | None
    data_dir: Path
    locale: str = "en_US"  # how forms read and show amounts (babel name; QENEX_LOCALE)
    # Four eyes (core.approvals.policy): each role's transfer limit in whole units of any currency
    # (QENEX_APPROVAL_LIMITS, e.g. "teller=10000,supervisor=50000"; a row set with ``qenex approvals limits
    # --set`` wins for its currency), and how long a request waits (QENEX_APPROVAL_EXPIRY_HOURS, default 24).
    approval_limits: dict[str, Decimal] = field(default_factory=lambda: _policy().parse_limits(""))
    approval_expiry: timedelta = field(default_factory=lambda: _policy().parse_expiry(""))
    # The highest overdraft limit each role sets alone (QENEX_OVERDRAFT_LIMITS, e.g. "teller=1000,supervisor=25000");
    # above it the account opens without one and a supervisor approves (core.approvals.overdraft).
    overdraft_limits: dict[str, Decimal] = field(default_factory=lambda: dict(_policy().DEFAULT_OVERDRAFT_LIMITS))

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            database_url=os.environ.get("QENEX_DATABASE_URL") or default_database_url(),
            redis_url=os.environ.get("QENEX_REDIS_URL") or None,
            data_dir=data_dir(),
            locale=system_locale(),
            approval_limits=_policy().parse_limits(os.environ.get("QENEX_APPROVAL_LIMITS", "")),
            approval_expiry=_policy().parse_expiry(os.environ.get("QENEX_APPROVAL_EXPIRY_HOURS", "")),
            overdraft_limits=_policy().parse_limits(os.environ.get("QENEX_OVERDRAFT_LIMITS", ""),
                                                    _policy().DEFAULT_OVERDRAFT_LIMITS, "QENEX_OVERDRAFT_LIMITS"),
        )


def _policy():  # noqa: ANN202 - core.approvals.policy, imported when settings are made
    from core.approvals import policy

    return policy
