"""Counts with their noun, in one place: ``counted(1, "payment")`` is "1 payment", ``counted(2, "payment")``
"2 payments", ``counted(1204, "entry", "entries")`` "1,204 entries", never "1 payments".

The singular or plural is chosen by the CLDR plural rules of the text's language through babel (the
console's words are English: "one" for exactly 1, "other" for 0, 2, 1.5 ...); the number is grouped as the
same locale writes it. Every count shown beside a noun (console, command line, PDFs, core messages) uses it.

Durations likewise: ``duration(seconds)`` is "7 min", "2 h 05 min", "3 d 4 h", and "less than 1 min" where a
hand-made formatter said "0 min"; every span of time shown to staff uses it.
"""
from __future__ import annotations

from functools import lru_cache

LANGUAGE = "en"  # the language of the console's words (not the locale amounts are typed in)


@lru_cache(maxsize=4)
def _locale(language: str):  # noqa: ANN202
    from babel import Locale

    return Locale.parse(language)


def plural(n: float, singular: str, plural_: str | None = None) -> str:
    """The noun for ``n``: ``singular`` when the language's plural rule says "one", else the plural
    (``plural_``, default the singular with an "s")."""
    if _locale(LANGUAGE).plural_form(abs(n)) == "one":
        return singular
    return plural_ if plural_ is not None else singular + "s"


def counted(n: float, singular: str, plural_: str | None = None) -> str:
    """``n`` grouped (1,204) with its noun in the right number: "1 payment", "0 payments", "2.5 days"."""
    from babel.numbers import format_decimal

    return f"{format_decimal(n, locale=LANGUAGE)} {plural(n, singular, plural_)}"


def duration(seconds: float, *, exact: bool = False) -> str:
    """A span of time as staff read it, everywhere one is shown (an alert's SLA and age, a request's age and
    time left, a reason's "previous one … ago", a run's progress): "7 min", "2 h 05 min", "3 d 4 h", and never
    "0 min": under a minute is "less than 1 min". ``exact`` counts seconds below an hour ("45 s", "2 min 05 s").
    A negative span reads as its size (the caller says "overdue" or "ago")."""
    seconds = abs(float(seconds))
    minutes = int(seconds // 60)
    if exact and minutes < 60:
        secs = int(seconds) % 60
        return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"
    if minutes < 1:
        return "less than 1 min"
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes // 1440} d {minutes % 1440 // 60} h"
