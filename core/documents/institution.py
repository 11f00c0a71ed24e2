"""The bank's own particulars, as documents print them (settings from the environment, read when used).

``QENEX_BANK_NAME`` and ``QENEX_BANK_ADDRESS`` (also every PDF's header), ``QENEX_BANK_TIN`` (the bank's
taxpayer id), ``QENEX_BANK_REGULATOR`` (its primary federal regulator), and the contact a suspicious-activity
report names: ``QENEX_SAR_CONTACT`` (office or person) and ``QENEX_SAR_PHONE``. A value not set prints as a gap
to fill in before filing, never as a made-up one.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

TO_FILL = "(not set: fill in before filing, or set {var})"


@dataclass(frozen=True)
class Institution:
    name: str
    address: str
    tin: str
    regulator: str
    contact: str
    phone: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Institution":
        from core.documents.pdf import BANK_ADDRESS, BANK_NAME

        def get(var: str, default: str | None = None) -> str:
            value = (environ.get(var) or "").strip()
            return value or default or TO_FILL.format(var=var)

        return cls(get("QENEX_BANK_NAME", BANK_NAME), get("QENEX_BANK_ADDRESS", BANK_ADDRESS), get("QENEX_BANK_TIN"),
                   get("QENEX_BANK_REGULATOR"), get("QENEX_SAR_CONTACT"), get("QENEX_SAR_PHONE"))
