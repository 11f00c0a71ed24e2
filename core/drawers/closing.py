"""The blind close of a drawer session: the teller's count (compared with the cash the ledger expects only
after it is recorded), then the close, which posts the over/short and returns the counted cash to the vault;
a difference above the limit needs a supervisor's sign-off (``core.drawers.signoff``). Mixed into
``core.drawers.service.Drawers``, whose ledger, limits, users, ``_read`` and ``_own`` it uses.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, update

from core import text as text_input
from core.drawers import records, signoff
from core.drawers import denominations as dn
from core.drawers.errors import DrawerState
from core.drawers.posting import cash_held, gl_request, pending_on, post_gl
from core.drawers.records import S, CountResult, SessionView
from core.ledger import money
from core.payments.clearing import account_number as gl_number
from core.security.roles import Actor, Permission

if TYPE_CHECKING:
    from core.drawers.limits import DrawerLimits
    from core.ledger.service import Ledger
    from core.security.users import UserService


class BlindClose:
    """``Drawers``' count and close (see the module doc)."""

    ledger: Ledger
    limits: DrawerLimits
    users: UserService
    engine: Any
    _read: Any  # Drawers._read
    _own: Any  # Drawers._own

    def count(self, actor: Actor, session_id: int, counts: dict[int, int]) -> CountResult:
        """Record the blind count (once; no cash moves through the drawer after it) and compare it with
        the cash the ledger expects. Returns the figures the teller sees only now."""
        self.ledger.authorize(actor, Permission.CASH, str(session_id))

        def work(conn: Connection) -> CountResult:
            view = records.session(conn, session_id)
            self._own(actor, view)
            records.require_status(view, "open")
            checked = dn.check(counts, view.currency)
            if pending_on(conn, view.account):
                raise DrawerState(f"drawer {view.drawer} has cash waiting for a decision (a withdrawal waiting for "
                                  "approval or held for fraud review); count it once that is approved or "
                                  "rejected", session=view.id)
            counted = dn.total(checked)
            expected = cash_held(conn, view.account)
            difference = counted - expected
            now = self.ledger.clock()
            conn.execute(update(S).where(S.c.id == session_id).values(
                status="counted", counted_at=now, counted=counted, counts=dn.to_json(checked), expected=expected,
                difference=difference))
            c = view.currency
            self.ledger.record(conn, actor, "drawer.count", f"{view.drawer}/{c}", None,
                               {"session": session_id, "counted": money.plain(counted, c),
                                "expected": money.plain(expected, c), "difference": money.plain(difference, c)})
            limit = self.limits.variance_limit(c)
            return CountResult(records.session(conn, session_id), counted, expected, difference, limit,
                               abs(difference) > limit)

        return self.ledger.run(work)

    def close(self, actor: Actor, session_id: int, *, supervisor: str | None = None, password: str | None = None,
              code: str | None = None, note: str = "") -> SessionView:
        """Close a counted session: the difference posts to cash over/short, the counted cash goes back to
        the vault. A difference above the limit needs a supervisor's sign-off: ``supervisor`` (an active
        supervisor's username, not the teller), their own ``password`` and, once they enrolled two-factor
        sign-in, a current ``code`` (checked by ``UserService.verify`` with the lockout and audit of a sign-in,
        as ``drawer.signoff``), and a ``note``; the supervisor and note are stored and audited."""
        self.ledger.authorize(actor, Permission.CASH, str(session_id))
        view = self._read(lambda c: records.session(c, session_id))
        self._own(actor, view)
        records.require_status(view, "counted")
        c, diff = view.currency, view.difference or 0
        limit = self.limits.variance_limit(c)
        note = text_input.clean(note or "", "the note").strip() if note else ""
        who = None
        if abs(diff) > limit or supervisor or note:
            who = signoff.check(self.engine, self.users, actor, view, supervisor, note, diff, limit, password, code)
        vault = gl_number(self.ledger, actor, "vault", c)
        over_short = gl_number(self.ledger, actor, "cash_over_short", c)

        def work(conn: Connection) -> SessionView:
            records.require_status(records.session(conn, session_id), "counted")
            reqs = []
            if diff > 0:
                reqs.append(gl_request(f"drawer-{session_id}-over", view.account, over_short, diff, c, "cash_over",
                                 f"cash over, drawer {view.drawer}"))
            elif diff < 0:
                reqs.append(gl_request(f"drawer-{session_id}-short", over_short, view.account, -diff, c, "cash_short",
                                 f"cash short, drawer {view.drawer}"))
            if view.counted:
                reqs.append(gl_request(f"drawer-{session_id}-return", vault, view.account, view.counted, c,
                                 "vault_transfer", f"close: drawer {view.drawer} to vault"))
            post_gl(self.ledger, conn, actor, reqs)
            now = self.ledger.clock()
            conn.execute(update(S).where(S.c.id == session_id).values(
                status="closed", closed_at=now, closed_by=actor.username, supervisor=who,
                supervisor_note=note or None))
            self.ledger.record(conn, actor, "drawer.close", f"{view.drawer}/{c}", None,
                               {"session": session_id, "difference": money.plain(diff, c), "supervisor": who,
                                "note": note or None})
            return records.session(conn, session_id)

        return self.ledger.run(work)
