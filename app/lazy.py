"""Modules imported, and objects made, on first use, so that ``qenex --help`` and light commands start fast.

    money = lazy("core.ledger.money")   # at the top of a command module
    money.to_minor(...)                  # imports core.ledger.money here, the first time

    screen = deferred(lambda: FraudScreen(engine))   # made (and its modules imported) at the first
    screen.screen(conn, tx)                          # attribute read or write: a balance never makes it
"""
from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module ``name`` and imports it when one of its attributes is first read."""

    def __init__(self, name: str) -> None:
        self.__dict__["_name"] = name

    def __getattr__(self, attr: str) -> Any:
        module: ModuleType = importlib.import_module(self.__dict__["_name"])
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self.__dict__['_name']!r}>"


def lazy(name: str) -> Any:
    """A stand-in for ``import name`` that imports on first attribute access."""
    return LazyModule(name)


_UNMADE = object()


class Deferred:
    """Stands for the object ``make()`` returns and makes it (once, thread-safe) when one of its attributes is
    first read or set; every attribute read and write then goes to that object. Only attribute access is
    forwarded (not operators, ``with``, calls or ``isinstance``): use it for service objects called by method."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.__dict__.update(_make=make, _made=_UNMADE, _lock=threading.Lock())

    def _target(self) -> Any:
        made = self.__dict__["_made"]
        if made is _UNMADE:
            with self.__dict__["_lock"]:
                made = self.__dict__["_made"]
                if made is _UNMADE:
                    made = self.__dict__["_make"]()
                    self.__dict__["_made"] = made
        return made

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._target(), attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        setattr(self._target(), attr, value)

    def __repr__(self) -> str:
        made = self.__dict__["_made"]
        return f"<deferred {made!r}>" if made is not _UNMADE else "<deferred, not made yet>"


def deferred(make: Callable[[], Any]) -> Any:
    """A stand-in for the object ``make()`` returns, made on first attribute access (``Deferred``)."""
    return Deferred(make)
