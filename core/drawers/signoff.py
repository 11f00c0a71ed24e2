"""A supervisor's sign-off of a drawer difference above the limit: an active supervisor other than the teller
proves who they are with their own password (and one-time code once enrolled), checked by
``UserService.verify`` with the lockout and audit of a sign-in (``drawer.signoff``), and gives a note."""
from __future__ import annotations

from sqlalchemy import Engine, select

from core import reasons
from core import text as text_input
from core.drawers.errors import SupervisorNoteRequired
from core.drawers.records import SessionView
from core.ledger import money
from core.persistence.models import User
from core.security import errors as sec
from core.security.roles import Actor, Role
from core.security.users import UserService

U = User.__table__


def _user(engine: Engine, name: str):  # noqa: ANN202
    with engine.connect() as conn:
        return conn.execute(select(U.c.role, U.c.status).where(U.c.username == name)).first()


def check(engine: Engine, users: UserService, actor: Actor, view: SessionView, supervisor: str | None, note: str,
          diff: int, limit: int, password: str | None, code: str | None) -> str:
    """The supervisor's username once they signed (password, code, note), else SupervisorNoteRequired saying
    which field is missing or wrong (``field``)."""
    c = view.currency
    what = f"{'over' if diff > 0 else 'short'} {money.format_minor(abs(diff), c)}"
    if not supervisor:
        raise SupervisorNoteRequired(f"the drawer is {what}, above the {money.format_minor(limit, c)} a teller "
                                     "may close alone: a supervisor must sign it with their password and a note",
                                     field="supervisor")
    name = text_input.compact(supervisor, "the supervisor's name").lower()
    row = _user(engine, name)
    if row is None or row.role != Role.SUPERVISOR.value or row.status != "active":
        raise SupervisorNoteRequired(f"{name!r} is not an active supervisor; ask a supervisor to sign the close",
                                     field="supervisor")
    if name in (view.teller, actor.username):
        raise SupervisorNoteRequired("the teller of the drawer cannot sign their own difference; ask another "
                                     "supervisor", field="supervisor")
    note = reasons.check(note, f"the supervisor's note (why the drawer is {what})", field="note",
                         error=SupervisorNoteRequired)
    if not password:
        raise SupervisorNoteRequired(f"{name} signs the difference with their own password (and one-time code "
                                     "once they use one); nothing was posted", field="password")
    _sign_off(users, actor, name, password, code)
    return name


def _sign_off(users: UserService, actor: Actor, name: str, password: str, code: str | None) -> None:
    """The supervisor proves who they are as at a sign-in (failures count towards their lockout, audited)."""
    try:
        users.verify(name, password, code or None, device=actor.device, purpose="drawer.signoff")
    except sec.BadCredentials:
        raise SupervisorNoteRequired(f"that is not {name}'s password: the supervisor types their own password; "
                                     "nothing was posted", field="password", reason="bad_credentials") from None
    except sec.CodeRequired:
        raise SupervisorNoteRequired(f"{name} signs with a one-time code: the supervisor types the 6-digit code "
                                     "from their authenticator app (or a recovery code)", field="code",
                                     reason="code_required") from None
    except (sec.InvalidCode, sec.CodeReused) as err:
        raise SupervisorNoteRequired(f"{name}'s one-time code was refused: {err.message}", field="code",
                                     reason=err.code) from None
    except (sec.AccountLocked, sec.UserDisabled, sec.LoginExpired) as err:
        raise SupervisorNoteRequired(f"{name} cannot sign now: {err.message}; ask another supervisor",
                                     field="supervisor", reason=err.code) from None
