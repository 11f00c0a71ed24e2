"""Refusals of the cash drawer operations (each writes nothing)."""
from __future__ import annotations

from core.errors import QenexError, ValidationError


class InvalidCount(ValidationError):
    """A denomination count that cannot be right (unknown note or coin, a negative or huge count)."""

    code = "invalid_count"


class NoOpenDrawer(QenexError):
    code = "no_open_drawer"


class DrawerBusy(QenexError):
    """The drawer (or this teller, in this currency) already has a live session."""

    code = "drawer_busy"


class DrawerState(QenexError):
    """The session is not in the state the operation needs (e.g. cash after the blind count)."""

    code = "drawer_state"


class SupervisorNoteRequired(QenexError):
    code = "supervisor_note_required"


class IdDocumentRequired(QenexError):
    """Cash above the reporting threshold needs the customer's ID document."""

    code = "id_document_required"
