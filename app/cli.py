"""The ``qenex`` command line. With no command it opens the console; every command has --help.

Whatever is passed, a failure is one line on stderr, ``qenex: CODE: message``, and a non-zero exit:
1 refused (a QenexError; nothing was written), 2 usage (the arguments), 3 audit trail or ledger broken
(``audit verify``, ``ledger verify``), 70 an unexpected fault (its traceback goes to
``<data dir>/logs/cli-errors.log``, never to the terminal), 130 interrupted.
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import NoReturn

from app.commands import modules_for
from app.commands.args import UsageError
from app.context import Context
from core.errors import ConfigurationError, DatabaseUnavailable, QenexError
from core.persistence.outage import is_connection_loss
from core.text import InvalidText

EXIT_REFUSED, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_PIPE = 1, 2, 70, 130, 141


class Parser(argparse.ArgumentParser):
    """argparse with its errors as one ``qenex: usage: ...`` line (every sub-command parser is one too)."""

    def error(self, message: str) -> NoReturn:
        fail("usage", f"{self.prog}: {message} (see: {self.prog} --help)")
        raise SystemExit(EXIT_USAGE)

    def parse_args(self, args=None, namespace=None):  # noqa: ANN001, ANN201
        """As argparse, but words it does not know are refused by the sub-command they follow, so the message
        names that command's ``--help`` (``qenex hold place --help``), not the top level's."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            _deepest(self, list(args or [])).error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed


def _deepest(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.ArgumentParser:
    """The sub-command parser the words of ``argv`` lead to (the top level when none)."""
    for word in argv:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if subs and word in subs[0].choices:
            parser = subs[0].choices[word]
    return parser


def _fill_help(parser: argparse.ArgumentParser) -> None:
    """Every option and argument has a line in ``--help``: those registered without one get the usual words
    for their name (``app.commands.args.HELP``)."""
    from app.commands.args import HELP

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _fill_help(child)
        elif action.help is None:
            action.help = HELP.get(action.dest, action.dest.replace("_", " "))


def fail(code: str, message: str) -> None:
    """Print the one-line failure ``qenex: CODE: message`` on stderr (if there is one)."""
    line = " ".join(f"qenex: {code}: {message}".split())
    line = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in line)  # escapes, surrogates: visible
    if sys.stderr is not None:
        try:
            print(line, file=sys.stderr, flush=True)
        except (OSError, ValueError):  # stderr closed too: the exit code is all that is left
            pass


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``qenex`` parser; given the command line ``argv``, with only the parsers its command needs
    (``app.commands.modules_for``)."""
    parser = Parser(
        prog="qenex",
        description="QENEX Console. Without a command, opens the desktop console.",
        epilog="Settings: QENEX_DATABASE_URL (default: SQLite in the user's data folder), QENEX_REDIS_URL (optional), "
               "QENEX_LOCALE (how forms read and show amounts; default: the system's). --as USER signs that user "
               "in: their password from QENEX_PASSWORD or asked at the terminal, and their one-time code "
               "(QENEX_TOTP_CODE or asked) once they enrolled two-factor sign-in.",
    )
    parser.add_argument("--demo", action="store_true",
                        help="open the console on the demo bank (seeded on first use, then reopened)")
    parser.add_argument("--reseed", action="store_true", help="with --demo: discard the demo bank and seed a new one")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in modules_for(argv):
        module.register(sub)
    _fill_help(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv).parse_args(argv)  # --help and usage errors (one line) end here with SystemExit
    handler = getattr(args, "handler", None)
    if handler is not None and (sys.stdout is None or sys.stdout.closed):
        fail("output_closed", "standard output is closed, so the result could not be shown; nothing was done "
                              "(redirect it to a file or /dev/null instead)")
        return EXIT_REFUSED
    ctx: Context | None = None
    try:
        _check_text_arguments(args)
        ctx = Context.from_env()
        if handler is None:
            _check_display()
            from app.start import open_console

            return open_console(ctx, demo=args.demo, reseed=args.reseed)
        return int(handler(args, ctx) or 0)
    except UsageError as err:  # arguments a handler found missing: as argparse's own
        prog = err.prog or _deepest(build_parser(argv), argv).prog
        fail("usage", f"{prog}: {err.message} (see: {prog} --help)")
        return EXIT_USAGE
    except DatabaseUnavailable as err:  # name the database and the driver's reason (no SQL): what to check
        _database_failed(err.__cause__ if err.__cause__ is not None else err, ctx, args)
        return EXIT_REFUSED
    except QenexError as err:
        fail(err.code, err.message + _code_kept(ctx, err))  # --json too: scripts read the code here and the exit
        return EXIT_REFUSED
    except _sqlalchemy("OperationalError") as err:
        _database_failed(err, ctx, args)
        return EXIT_REFUSED
    except _sqlalchemy("ArgumentError") as err:
        fail("configuration", f"QENEX_DATABASE_URL is not a database URL ({err}); use e.g. sqlite:///path/bank.db "
                              "or postgresql+psycopg://user@host/db")
        return EXIT_REFUSED
    except KeyboardInterrupt:
        fail("interrupted", "stopped; nothing half-written was kept")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`qenex … | head -1`): quiet, as other tools (128 + SIGPIPE)
        _silence_stdout()
        return EXIT_PIPE
    except OSError as err:
        if err.filename is None:
            return _unexpected(err, ctx)
        name = str(err.filename)
        shown = name if len(name) <= 80 else name[:80] + "…"
        fail("file", f"cannot use the file {shown!r}: {err.strerror or type(err).__name__}; nothing half-written "
                     "was kept")
        return EXIT_REFUSED
    except Exception as err:  # noqa: BLE001 - the last line of defence: one line, never a traceback
        if is_connection_loss(err):  # a driver error or DBAPIError that means the server went away
            _database_failed(err, ctx, args)
            return EXIT_REFUSED
        return _unexpected(err, ctx)
    finally:
        _close(ctx)


def _database_failed(err: BaseException, ctx: Context | None, args: argparse.Namespace | None = None) -> None:
    """One line that fits the backend and the command: SQLite busy says another QENEX process is writing to
    the file (try again); a server that cannot be reached names it (password hidden) and the driver's first
    line (never SQL or parameters); only a command with an ``--id`` (transfers, payments, holds) adds that
    repeating it with the same id never posts twice."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    url = make_url(ctx.settings.database_url) if ctx else None
    shown = url.render_as_string(hide_password=True) if url is not None else "?"
    orig = err.orig if isinstance(err, DBAPIError) and err.orig is not None else err
    reason = str(orig).strip().splitlines()[0][:200] if str(orig).strip() else type(orig).__name__
    lost = is_connection_loss(err)
    again = "run the command again"
    if args is not None and hasattr(args, "id") and not isinstance(args.id, int):
        again += " (with the same --id it never posts twice)"
    if url is not None and url.get_backend_name() == "sqlite" and "lock" in reason.lower():
        fail("database_unavailable", f"the database file {url.database} is busy: another QENEX process (a desk, a "
                                     f"retrain or another command) is writing to it; nothing was changed, {again} in "
                                     "a moment")
        return
    if url is not None and url.get_backend_name() == "sqlite":
        fail("database_unavailable" if lost else "database",
             f"cannot use the database file {url.database}: {reason}; check that QENEX_DATABASE_URL names a file "
             f"you may write, then {again}")
        return
    fail("database_unavailable" if lost else "database",
         f"cannot use the database at {shown}: {reason}; {'it is unreachable: ' if lost else ''}check that the server "
         f"is running and QENEX_DATABASE_URL is right, then {again}")


def _sqlalchemy(name: str) -> type[BaseException]:
    """SQLAlchemy's exception class ``name``, imported only when an error is being matched (a command that
    never touched the database, ``--help`` say, never imports SQLAlchemy)."""
    from sqlalchemy import exc

    return getattr(exc, name)


def _check_text_arguments(args: argparse.Namespace) -> None:
    """Refuse text arguments that hold undecodable bytes (surrogates from a non-UTF-8 command line) before
    anything looks them up or stores them; file paths (``Path``) may hold them and are left alone."""
    for name, value in vars(args).items():
        if isinstance(value, str) and any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            raise InvalidText(f"the {name.replace('_', ' ')} argument holds bytes that are not UTF-8 text; "
                              "type it again", argument=name)


def _code_kept(ctx: Context | None, err: QenexError) -> str:
    """Core refused the command (it wrote nothing): the one-time code its ``--as`` sign-in used is given back
    (``core.security.code_return``), and the line says the same code may be used again."""
    if ctx is None or not ctx.signed_in:
        return ""
    from core.security.code_return import give_back

    try:
        kept = [give_back(users, actor, f"{err.code}: {err.message}") for users, actor in ctx.signed_in]
    except Exception:  # noqa: BLE001 - the refusal is what the person needs to read; the code just stays used
        return ""
    return ("; the one-time code was not used up: run the corrected command with the same code while it is "
            "valid" if any(kept) else "")


def _close(ctx: Context | None) -> None:
    """Seal what the command appended and release the database; a failure here is reported, not raised."""
    if ctx is None:
        return
    try:
        ctx.close()
    except QenexError as err:
        fail(err.code, f"the command ran, but closing failed: {err.message}")
    except Exception as err:  # noqa: BLE001
        if is_connection_loss(err):
            fail("database_unavailable", "the command ran, but its audit entries could not be sealed: the database "
                                         "became unreachable; the next command or desk seals them")
        else:
            _unexpected(err, None)


def _check_display() -> None:
    """The console needs a graphical session: say so instead of letting Qt abort."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                                                 or os.environ.get("QT_QPA_PLATFORM")):
        raise ConfigurationError("no graphical display (DISPLAY is not set): the console needs a desktop session; "
                                 "the commands work without one (qenex --help)")


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so Python's exit does not print another error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _unexpected(err: BaseException, ctx: Context | None) -> int:
    """One line for people; the traceback goes to the data folder's log for whoever fixes it."""
    where = _log_traceback(err, ctx)
    first = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
    fail("internal", f"unexpected {type(err).__name__}{': ' + first if first else ''}; nothing half-written was "
                     f"kept{f'; details in {where}' if where else ''}")
    return EXIT_INTERNAL


def _log_traceback(err: BaseException, ctx: Context | None) -> str | None:
    try:
        folder = (ctx.settings.data_dir if ctx else Context.from_env().settings.data_dir) / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "cli-errors.log"
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now(timezone.utc).isoformat()} qenex {' '.join(sys.argv[1:])[:500]!r}\n")
            fh.write("".join(traceback.format_exception(err)))
        return str(path)
    except Exception:  # noqa: BLE001 - logging is best effort
        return None


if __name__ == "__main__":
    sys.exit(main())
