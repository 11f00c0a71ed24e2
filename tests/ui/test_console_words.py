"""Core's refusals reach a console user in the console's terms: no command-line hint ("(qenex drawer open)",
"; qenex rails list shows them") in a message box, an inline error or a dialog's error line (QA: the cash tab
showed core's "no open drawer" refusal with its `qenex drawer open` hint). ``ui.errors.console_words``."""
from __future__ import annotations

import re

import pytest

from core.cases.claims import claimed_words
from core.drawers.checks import no_open_drawer
from core.errors import QenexError, ValidationError
from core.ledger.numbers import EXAMPLE_HINT
from core.security.roles import Actor, Role
from ui.errors import console_words, describe
from ui.send_dialog import refusal_text

CORE_WORDS = [  # refusals core words with a command-line hint (copied where no function builds them alone)
    claimed_words(Actor("sam", Role.SUPERVISOR), 5, "omar"),
    f"no account number given ({EXAMPLE_HINT})",
    "alert #5 is already escalated to the supervisors; decide it, or hand it to another supervisor (Reassign…, or "
    "qenex alerts reassign)",
    "no role's limit covers it: an administrator raises the teller limit first (qenex approvals limits --set teller "
    "USD 12000.00), or reject it with a reason so the maker can ask for less",
    "transfer t1 waits for approval (request #3); a supervisor other than its maker approves it in the approvals "
    "inbox (qenex approvals approve 3 --as USER); nothing was posted",
    "releasing a hold needs a second person: ask for the release (qenex approvals, or the Holds tab) and another "
    "supervisor approves it; 7 was not released",
    "No recommendation #4; list them with: qenex ai recommendations",
    "no case #4; list cases with 'qenex cases list'",
    "no payment p1; check the id (qenex payments list shows them)",
    "no payment order o1; qenex rails list shows them",
    "no hold 0: hold numbers are positive whole numbers (see qenex hold list)",
]


def test_no_open_drawer_is_said_in_the_consoles_terms():
    err = no_open_drawer("USD")
    assert "qenex" in err.message  # core's words name the command line
    for shown in (console_words(err), describe(err)[1], refusal_text(err)):
        assert "qenex" not in shown and "USD cash drawer" in shown
        assert "Drawer tab" in shown and "supervisor" in shown  # what to do here, whom to ask


@pytest.mark.parametrize("message", CORE_WORDS)
def test_no_command_line_hint_reaches_a_console_user(message):
    assert "qenex" in message
    for shown in (console_words(ValidationError(message)), describe(ValidationError(message))[1],
                  refusal_text(ValidationError(message))):
        assert "qenex" not in shown and "--" not in shown, shown
        assert not re.search(r"\(\s*\)|\s[;,.]|;;", shown), shown  # nothing left dangling
        assert shown.split()[:2] == message.split()[:2]  # the sentence itself is kept


def test_other_messages_are_left_as_core_says_them():
    for message in ("sort by one of a, b, not 'x'", "the amount must be positive"):
        assert console_words(QenexError(message)) == message


def test_batch_results_and_kept_reasons_lose_their_hints_too():
    from core.cases.errors import NoteRequired  # noqa: F401 - any refusal in a batch's results
    from ui.errors import console_text
    from ui.fraud.dialogs import result_words

    refusal = ValidationError(claimed_words(Actor("sam", Role.SUPERVISOR), 5, "omar"))
    assert "qenex" not in result_words(refusal) and result_words(refusal).startswith("refused: alert #5")
    assert console_text("no payment order o1; qenex rails list shows them") == "no payment order o1"
