"""Settings read from environment variables, each with a documented default."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "qenex-console"


def data_dir() -> Path:
    """The user's data folder for QENEX Console (created on demand)."""
    path = Path(os.environ.get("QENEX_DATA_DIR") or platformdirs.user_data_dir(APP_NAME, "QENEX"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'bank.db'}"


@dataclass(frozen=True)
class Settings:
    """Everything configurable about one desk."""

    database_url: str
    redis_url: str | None
    data_dir: Path

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            database_url=os.environ.get("QENEX_DATABASE_URL") or default_database_url(),
            redis_url=os.environ.get("QENEX_REDIS_URL") or None,
            data_dir=data_dir(),
        )
