"""Declarative base and column types shared by every model (the types and metadata live at Core level in
``core.persistence.columns``; they are named here too, where the models have always found them)."""
from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from core.persistence.columns import METADATA, NAMING, BigId, UTCDateTime, utcnow

__all__ = ["NAMING", "Base", "BigId", "UTCDateTime", "utcnow"]


class Base(DeclarativeBase):
    metadata = METADATA
