"""``qenex user`` and ``qenex audit``: users from the command line and the audit trail's seal and verify.
``user add`` and ``rotate-totp-key`` run as the system operator (how the first administrator is made); every
other user command changes or reads people's accounts and needs a named administrator (``--as USER``, required).
Exit codes: 0 fine, 1 refused (error printed), 3 audit trail broken."""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from core.words import counted
from core.errors import ValidationError
from typing import TYPE_CHECKING

from core.security.roles import SYSTEM_ACTOR, USER_ROLES

if TYPE_CHECKING:
    from core.security.audit import AuditTrail
    from core.security.sessions import UserView
    from core.security.users import UserService

AUDIT_BROKEN = 3


ADMIN_AS = "the administrator making this change (required: the system operator may add users, never change them)"


def _as_admin(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as", dest="as_user", metavar="USER", required=True, help=ADMIN_AS)


def _admin_actor(ctx, args):  # noqa: ANN001, ANN202
    from app.commands.alerts import actor_for

    return actor_for(ctx, args.as_user)


def register(sub: argparse._SubParsersAction) -> None:
    user = sub.add_parser("user", help="staff accounts").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="create a user; prints the MFA enrollment URI",
                          description="Create a user. The password is asked twice (or read from stdin); the user "
                                      "enrolls an authenticator at first login, where the QR code is shown.")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in USER_ROLES])
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=_add)
    lst = user.add_parser("list", help="every user with role, status and MFA state")
    lst.add_argument("--json", action="store_true")
    _as_admin(lst)
    lst.set_defaults(handler=_list)
    for name, help_text in (("disable", "stop a user from logging in; their open sessions end at their next action"),
                            ("enable", "re-enable a user and lift a lockout"),
                            ("unlock", "lift a user's lockout after too many failed logins"),
                            ("reset-mfa", "forget the user's authenticator; the next login enrolls again")):
        cmd = user.add_parser(name, help=help_text)
        cmd.add_argument("name")
        cmd.add_argument("--json", action="store_true")
        _as_admin(cmd)
        cmd.set_defaults(handler=_admin, admin_action=name)
    rotate = user.add_parser("rotate-totp-key", help="re-encrypt every authenticator secret with a new key",
                             description="Add a new AES-256 key version to the TOTP key file (beside the audit key), "
                                         "re-encrypt every user's authenticator secret with it in one transaction, "
                                         "then drop the old versions. Users keep their authenticator apps.")
    rotate.add_argument("--json", action="store_true")
    rotate.set_defaults(handler=_rotate_totp)
    reset = user.add_parser("reset-password", help="give a user a temporary password to replace at next login",
                            description="Reset a user's password: prints a generated temporary password once (or "
                                        "uses the first line of stdin with --password-stdin). The user must choose "
                                        "their own at the next login; their open sessions end at their next action.")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true", help="read the temporary password from stdin")
    reset.add_argument("--json", action="store_true")
    _as_admin(reset)
    reset.set_defaults(handler=_reset_password)
    role = user.add_parser("role", help="change a user's role (open sessions end at their next action)")
    role.add_argument("name")
    role.add_argument("role", choices=[r.value for r in USER_ROLES])
    role.add_argument("--json", action="store_true")
    _as_admin(role)
    role.set_defaults(handler=_admin, admin_action="role")

    audit = sub.add_parser("audit", help="the signed audit trail (key: $QENEX_AUDIT_KEY or <data dir>/audit/)")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    seal = audit_sub.add_parser("seal", help="chain and sign every entry not sealed yet")
    seal.add_argument("--json", action="store_true")
    seal.set_defaults(handler=_seal)
    verify = audit_sub.add_parser("verify", help="check the chain and signatures; exit 3 naming the first bad entry")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(handler=_verify)


def _audit(ctx) -> AuditTrail:  # noqa: ANN001
    return ctx.audit


def _users(ctx) -> UserService:  # noqa: ANN001
    from core.security.users import UserService

    users = UserService(ctx.engine, _audit(ctx))
    users.totp.encrypt_clear()  # secrets an older version stored in clear are encrypted before anything else
    return users


def _rotate_totp(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    users = _users(ctx)
    report = users.rotate_totp_key(SYSTEM_ACTOR)
    ctx.emit({"key_version": report.version, "users": report.secrets, "dropped_versions": report.dropped,
              "key_file": str(users.totp.keys.path)}, as_json=args.json,
             text=f"re-encrypted {report.secrets} authenticator secrets with key version {report.version} in "
                  f"{users.totp.keys.path}; dropped versions {', '.join(map(str, report.dropped)) or 'none'}")
    return 0


def _read_password(from_stdin: bool) -> str:
    """The new user's password: the first line of stdin, or asked twice on the terminal (never echoed)."""
    stdin = sys.stdin
    if from_stdin:
        from core.security.passwords import MAX_LENGTH

        try:
            line = stdin.readline(MAX_LENGTH + 3) if stdin is not None else ""
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise ValidationError(f"cannot read the password from standard input ({type(exc).__name__}); "
                                  "nothing was created") from None
        password = line.rstrip("\r\n")
        if not password:
            raise ValidationError("no password on standard input (--password-stdin reads its first line); "
                                  "nothing was created")
        return password
    if not _has_terminal():
        raise ValidationError("no terminal to ask for the password on; pipe it in with --password-stdin "
                              "(nothing was created)")
    try:
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Repeat the password: ")
    except EOFError:
        raise ValidationError("no password was typed; nothing was created") from None
    if second != first:
        raise ValidationError("the two passwords differ; nothing was created")
    return first


def _has_terminal() -> bool:
    """Whether getpass can ask without echo: a controlling terminal (/dev/tty), or stdin is a console."""
    if os.name == "posix":
        try:
            os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
            return True
        except OSError:
            pass
    return sys.stdin is not None and not sys.stdin.closed and sys.stdin.isatty()


def _user_dict(user: UserView) -> dict:
    return {"id": user.id, "username": user.username, "role": user.role.value, "status": user.status,
            "enrolled": user.enrolled, "locked_until": user.locked_until, "last_login_at": user.last_login_at,
            "change_at_login": user.must_change_password}


def _add(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    _users(ctx).check_new(args.name, args.role)  # a bad name or role is said before a password is asked for
    password = _read_password(args.password_stdin)
    new = _users(ctx).add_user(SYSTEM_ACTOR, args.name, args.role, password)
    ctx.emit({**_user_dict(new.user), "otpauth_uri": new.enrollment.otpauth_uri}, as_json=args.json, text=(
        f"created {new.user.username} ({new.user.role.value})\n"
        f"enrollment URI (add it to an authenticator app): {new.enrollment.otpauth_uri}\n"
        "the QR code is shown at first login, where one valid code completes enrollment and the user chooses "
        "their own password"))
    return 0


def _list(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    users = _users(ctx).list_users(_admin_actor(ctx, args))
    rows = [f"{u.username:<24} {u.role.value:<11} {u.status:<9} {'enrolled' if u.enrolled else 'MFA pending':<12}"
            f"{' locked until ' + f'{u.locked_until:%Y-%m-%d %H:%M} UTC' if u.locked_until else ''}" for u in users]
    ctx.emit([_user_dict(u) for u in users], as_json=args.json, text="\n".join(rows) or "no users yet")
    return 0


def _admin(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    users = _users(ctx)
    if args.admin_action == "reset-mfa":
        enrollment = users.reset_mfa(_admin_actor(ctx, args), args.name)
        ctx.emit({"username": enrollment.username, "otpauth_uri": enrollment.otpauth_uri}, as_json=args.json,
                 text=f"MFA reset for {enrollment.username}; new enrollment URI: {enrollment.otpauth_uri}")
        return 0
    if args.admin_action == "role":
        user = users.change_role(_admin_actor(ctx, args), args.name, args.role)
    else:
        action = {"disable": users.disable, "enable": users.enable, "unlock": users.unlock_user}[args.admin_action]
        user = action(_admin_actor(ctx, args), args.name)
    locked = f", locked until {user.locked_until:%Y-%m-%d %H:%M} UTC" if user.locked_until else ""
    ctx.emit(_user_dict(user), as_json=args.json, text=f"{user.username}: {user.role.value}, {user.status}{locked}")
    return 0


def _reset_password(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    given = _read_password(True) if args.password_stdin else None
    temporary = _users(ctx).reset_password(_admin_actor(ctx, args), args.name, given)
    name = args.name.strip().lower()
    ctx.emit({"username": name, "temporary_password": None if given else temporary, "change_at_login": True},
             as_json=args.json, text=(
                 f"password of {name} reset" + ("" if given else f"; temporary password (shown once): {temporary}")
                 + "\nthe user chooses their own at the next login; open sessions end at their next action"))
    return 0


def _seal(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    report = _audit(ctx).seal(ctx.engine)
    ctx.emit(report.__dict__, as_json=args.json,
             text=f"sealed {counted(report.entries, 'entry', 'entries')} in "
                  f"{counted(report.batches, 'signed batch', 'signed batches')}; chain head at position "
                  f"{report.head_seq} ({report.head_hash[:16]}…)")
    return 0


def _verify(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001
    trail = _audit(ctx)
    report = trail.verify(ctx.engine)
    lines = [f"{counted(report.entries, 'sealed entry', 'sealed entries')} in {counted(report.batches, 'batch', 'batches')} "
             f"checked; head at position {report.head_seq:,} ({report.head_hash[:16]}…)"]
    lines.append(f"signed head record: position {report.head_recorded:,}" if report.head_recorded is not None else
                 f"no signed head record for this database in {trail.heads.folder} yet (written at the next seal)")
    lines += report.notes
    if report.unsealed and not any(p.kind == "unsealed" for p in report.problems):
        lines.append(f"{counted(report.unsealed, 'entry', 'entries')} not sealed yet "
                     f"(oldest id {report.oldest_unsealed_id}); "
                     "run: qenex audit seal")
    first = report.first_problem
    if first is None:
        lines.append("audit trail intact")
    else:
        lines.append(f"AUDIT TRAIL BROKEN: {first.kind}: {first.message}")
        lines += [f"  also {p.kind}: {p.message}" for p in report.problems[1:10]]
        if len(report.problems) > 10:
            lines.append(f"  … and {len(report.problems) - 10} more")
        if report.problems and {p.kind for p in report.problems} <= {"unknown_key"} and not trail.keys.trusted():
            lines.append(f"  no trusted audit key in {trail.keys.key_path.parent}: point QENEX_DATA_DIR at the data "
                         "folder that holds the trail's key, or QENEX_AUDIT_KEY at the key file")
    ctx.emit(report.to_dict(), as_json=args.json, text="\n".join(lines))
    return 0 if report.ok else AUDIT_BROKEN
