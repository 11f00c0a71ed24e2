"""The ``qenex`` command line. With no command it opens the console; every command has --help."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app.commands import COMMAND_MODULES
from app.context import Context
from core.errors import QenexError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qenex",
        description="QENEX Console. Without a command, opens the desktop console.",
        epilog="Settings: QENEX_DATABASE_URL (default: SQLite in the user's data folder), QENEX_REDIS_URL (optional).",
    )
    parser.add_argument("--demo", action="store_true",
                        help="open the console on the demo bank (seeded on first use, then reopened)")
    parser.add_argument("--reseed", action="store_true", help="with --demo: discard the demo bank and seed a new one")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    ctx = Context.from_env()
    try:
        if handler is None:
            from app.start import open_console

            return open_console(ctx, demo=args.demo, reseed=args.reseed)
        return int(handler(args, ctx) or 0)
    except QenexError as err:
        ctx.report_error(err, as_json=getattr(args, "json", False))
        return 1
    except OperationalError as err:
        url = make_url(ctx.settings.database_url).render_as_string(hide_password=True)
        reason = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
        print(f"qenex: database: cannot use the database at {url}: {reason}\n"
              "  check that the server is running and QENEX_DATABASE_URL is right", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
