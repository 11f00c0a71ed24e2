"""Refusals say what to do: an empty note asks for the note (not "a note needs a note"), and a missing
permission names the roles that hold it."""
from __future__ import annotations

import pytest

from core.cases.errors import NoteRequired
from core.errors import PermissionDenied
from core.security.roles import Actor, Permission, Role, check
from tests.cases.conftest import ANNA, TINA, alert_id


def test_an_empty_note_asks_for_the_note(desk, hold):
    aid = alert_id(desk, hold())
    with pytest.raises(NoteRequired) as err:
        desk.note(ANNA, aid, "   ")
    assert err.value.message.startswith("a note cannot be empty") and "needs a note" not in err.value.message
    case = desk.cases.open(ANNA, "Mule")
    with pytest.raises(NoteRequired, match="a case note cannot be empty"):
        desk.cases.note(ANNA, case.id, "")


def test_a_refusal_names_the_roles_that_may(desk, hold):
    aid = alert_id(desk, hold())
    with pytest.raises(PermissionDenied) as err:
        desk.claim(TINA, aid)
    assert err.value.message == ("tina (teller) may not work and decide fraud alerts and cases, or label transfers "
                                 "as fraud or genuine; the analyst or supervisor role may")
    with pytest.raises(PermissionDenied,
            match="may not move another analyst's fraud alert; the supervisor role may$"):
        check(Actor("ana", Role.ANALYST), Permission.ALERT_REASSIGN)
