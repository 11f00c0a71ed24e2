"""The command line never prints a traceback (issue 8 §9).

The walker finds every command of the argparse parser (so commands added later are covered without
touching this file) and runs each with hostile arguments: empty, huge, negative, exponent notation,
full-width digits, SQL-looking, undecodable bytes, control characters, paths. Every run must end in
exit 0, or a non-zero exit whose stderr is exactly one ``qenex: CODE: message`` line; nothing may
escape ``main`` but argparse's SystemExit. A few runs go through a real process for what only a
process has: no stdin, no terminal, closed stdout, a pipe closed early, no display.
"""
from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import build_parser, main

HOSTILE = [  # every argument at once
    "", "-1", "99999999999999999999999999", "1e3", "１２３４５６７８９０１２３４５６７８９０１２",
    "'; DROP TABLE accounts; --", "\udcff\udcfe", "\u202e\x1b[31m", "x" * 3_000, "../../../etc/passwd",
]
SHARP = ["", "9223372036854775808", "'; DROP TABLE accounts; --"]  # one argument at a time
# Plausible values by argument name, so one hostile argument reaches the code behind the others' checks.
PLAUSIBLE = {"debit": "1000000016", "credit": "1000000024", "account": "1000000016", "amount": "1.00",
             "post_amount": "1.00", "currency": "USD", "customer": "1", "overdraft": "0", "name": "walker",
             "country": "US", "limit": "5", "offset": "0", "customers": "10", "days": "7", "seed": "1",
             "delay_days": "7", "train_days": "28", "models": "hgb", "description": "d", "timeout": "60",
             "history": "/nonexistent/history.csv", "test": "/nonexistent/test.csv", "pending_id": "nope",
             "transfer_id": "nope", "id": None, "as_user": None}  # as_user: act as the system, so ids are reached
ONE_LINE = re.compile(r"qenex: [a-z_]+: \S.*")


def leaf_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """(argv prefix, parser) for every command that runs something, found by walking the sub-parsers."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from leaf_commands(sub, prefix + (name,))
    if prefix and parser.get_default("handler") is not None:
        yield prefix, parser


def _argv(prefix: tuple[str, ...], parser: argparse.ArgumentParser, value: str, *, flags: bool,
          only: str | None = None) -> list[str]:
    """Every argument of the command given ``value`` (choices get a valid one), flags on or off; with
    ``only``, that argument gets ``value`` and the others a plausible value (or are left out)."""
    argv = list(prefix)
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        given = value if only in (None, action.dest) else PLAUSIBLE.get(action.dest, "x")
        if given is None:
            continue
        choice = next(iter(action.choices)) if action.choices else given
        if not action.option_strings:
            argv.append(choice)
        elif action.nargs == 0:
            if flags:
                argv.append(action.option_strings[-1])
        else:
            argv += [action.option_strings[-1], choice]
    return argv


def _cases():
    for prefix, parser in leaf_commands(build_parser()):
        name = " ".join(prefix)
        yield pytest.param(list(prefix), id=f"{name} (no arguments)")
        for i, value in enumerate(HOSTILE):
            yield pytest.param(_argv(prefix, parser, value, flags=i % 2 == 0), id=f"{name} all #{i}")
        for action in parser._actions:
            if action.option_strings and action.nargs == 0 or action.choices or \
                    isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            for i, value in enumerate(SHARP):
                yield pytest.param(_argv(prefix, parser, value, flags=False, only=action.dest),
                                   id=f"{name} {action.dest} #{i}")


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    """One migrated database with a customer in it (so ``demo seed`` refuses at once instead of seeding)."""
    folder = tmp_path_factory.mktemp("walker")
    env = {"QENEX_DATA_DIR": str(folder / "data"), "QENEX_DATABASE_URL": f"sqlite:///{folder / 'bank.db'}"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        assert main(["customer", "add", "--name", "Walker"]) == 0
        for _ in range(2):
            assert main(["account", "open", "--customer", "1", "--currency", "USD"]) == 0
        assert main(["deposit", "--system", "--account", "1000000016", "--amount", "100", "--currency", "USD"]) == 0
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    return env


def test_the_walker_finds_every_command():
    found = {" ".join(prefix) for prefix, _ in leaf_commands(build_parser())}
    assert {"deposit", "withdraw", "transfer", "transfer post", "account open", "user add", "audit verify",
            "demo seed", "fraud backtest", "db upgrade", "ledger verify"} <= found


@pytest.mark.parametrize("argv", list(_cases()))
def test_no_command_prints_a_traceback(argv, bank, monkeypatch, capsys):
    for key, value in bank.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no stdin to speak of
    try:
        code = main(argv)
    except SystemExit as done:  # argparse: --help or a usage error
        code = done.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if code != 0:
        assert isinstance(code, int) and code > 0
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and ONE_LINE.fullmatch(lines[0]), err[:500]
        assert "qenex: internal:" not in lines[0], lines[0]  # every failure here is a known one


# -- what only a real process has -------------------------------------------------------------------

def _run(args: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    full = {**os.environ, **env}
    full.pop("DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=full, capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[2], **kw)


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and ONE_LINE.fullmatch(lines[0]), err[:800]
    return lines[0]


def test_no_stdin_and_no_terminal(bank):
    done = _run(["user", "add", "newbie", "--role", "teller"], bank, stdin=subprocess.DEVNULL,
                start_new_session=True)  # no controlling terminal
    assert done.returncode == 1 and "--password-stdin" in _one_line(done.stderr)
    done = _run(["user", "add", "newbie", "--role", "teller", "--password-stdin"], bank, stdin=subprocess.DEVNULL)
    assert done.returncode == 1 and "no password on standard input" in _one_line(done.stderr)
    # QA 46: a bad user name is said before the missing terminal
    done = _run(["user", "add", "bob smith", "--role", "teller"], bank, stdin=subprocess.DEVNULL,
                start_new_session=True)
    assert done.returncode == 1 and "a username has" in _one_line(done.stderr)


def test_closed_stdout_and_a_pipe_closed_early(bank):
    script = f"{sys.executable} -m app.cli accounts >&-"
    done = subprocess.run(["bash", "-c", script], env={**os.environ, **bank}, capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 1 and "output_closed" in _one_line(done.stderr)
    script = f"{sys.executable} -m app.cli --help | head -c 1 >/dev/null"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", script], env={**os.environ, **bank}, capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert "Traceback" not in done.stderr
    # QA 46: a reader that goes away (| head -1) ends the command quietly, as other tools: 141, no message
    script = f"{sys.executable} -m app.cli accounts --limit 5000 | head -1 >/dev/null"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", script], env={**os.environ, **bank}, capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode in (0, 141) and "qenex:" not in done.stderr and "Traceback" not in done.stderr


def test_undecodable_bytes_and_no_display(bank):
    done = subprocess.run([sys.executable, "-m", "app.cli", "customer", "add", "--name", b"\xff\xfe"],
                          env={**os.environ, **bank}, capture_output=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 1 and "the name argument holds bytes that are not UTF-8" in _one_line(done.stderr.decode())
    env = {**bank, "QT_QPA_PLATFORM": ""}
    done = _run([], env)
    assert done.returncode == 1 and "no graphical display" in _one_line(done.stderr)


def test_a_broken_configuration_is_one_line(tmp_path):
    done = _run(["accounts"], {"QENEX_DATABASE_URL": "not a url", "QENEX_DATA_DIR": str(tmp_path)})
    assert done.returncode == 1 and _one_line(done.stderr).startswith("qenex: configuration:")
    done = _run(["accounts"], {"QENEX_DATA_DIR": "/proc/forbidden/qenex"})
    assert done.returncode == 1 and "QENEX_DATA_DIR" in _one_line(done.stderr)
    done = _run(["accounts"], {"QENEX_DATA_DIR": str(tmp_path), "QENEX_LOCALE": "xx_YY"})
    assert done.returncode == 1 and "unknown locale" in _one_line(done.stderr)
