"""The command line's side of execution, shared by every command (``polyglot-hrm``'s, ``python -m
polyglot_hrm.evaluation``, the seed's scripts, ``trainer/train.py``): flag types for counts and timeouts, the
executor flags, and the one translation of library messages into flags.

The library never speaks in flags: an error names the parameter, as ``name=value`` or ```name```
(``timeout=nan: must be ...``, "choose another ``output_dir``"). A command prints it with :func:`as_flags`, which
rewrites each parameter that is one of its options into the option's flag (``--timeout nan: must be ...``,
"choose another --output-dir"): Python callers read the names they pass, command-line users the flags they type.
"""

from __future__ import annotations

import argparse
import re
from typing import Mapping

from ..settings import AUTO, RAY_ADDRESS_ENV, Timeout
from .executor_base import Executor
from .executors import EXECUTORS, make_executor
from .timeouts import check_seconds, check_timeout

__all__ = ["RENAMED", "add_executor_arguments", "as_flags", "executor_from_args", "flags_of", "parse_seconds",
           "parse_timeout", "positive_int"]


def positive_int(value: str) -> int:
    """An ``argparse`` type for counts (``--jobs``, ``--num-samples``): an integer >= 1, or a usage error (exit 2)
    naming the value, before anything is loaded."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: an integer >= 1, e.g. 4") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: must be an integer >= 1 (leave the flag out for the default)")
    return number


def parse_seconds(value: str) -> float:
    """``--timeout SECONDS`` (``run``, ``validate``): a finite number of seconds > 0 (:func:`.check_seconds`)."""
    try:
        return check_seconds(_number(value))
    except ValueError as err:
        raise argparse.ArgumentTypeError(_flag_message(value, err)) from None


def parse_timeout(value: str) -> Timeout:
    """``--timeout`` values of ``evaluate``: ``auto`` or seconds (:func:`.check_timeout`)."""
    if value.strip().lower() == AUTO:
        return AUTO
    try:
        return check_timeout(_number(value))
    except ValueError as err:
        raise argparse.ArgumentTypeError(_flag_message(value, err)) from None


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"timeout={value!r}: a number of seconds, e.g. 180") from None


def _flag_message(value: str, err: ValueError) -> str:
    """``--timeout 'nan': must be ...``: the check's words after its ``name=value:`` prefix."""
    return f"--timeout {value!r}: {str(err).split(': ', 1)[-1]}"


def add_executor_arguments(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--executor`` and ``--ray-address`` (for every command that runs tests)."""
    p.add_argument("--executor", choices=EXECUTORS, default="local",
                   help="where test runs execute: local (a pool on this machine) or ray (a Ray cluster; needs "
                        "pip install 'polyglot-hrm[ray]') (default: local)")
    p.add_argument("--ray-address", default=None, metavar="ADDR",
                   help=f"with --executor ray: the cluster to join, e.g. 10.0.0.1:6379 (default: ${RAY_ADDRESS_ENV}, "
                        "else a local Ray started for this command)")


def executor_from_args(args: argparse.Namespace) -> Executor:
    """The executor the flags ask for; ``--jobs`` (where the command has it) sizes it."""
    return make_executor(getattr(args, "executor", None), getattr(args, "jobs", None),
                         getattr(args, "ray_address", None))


# ------------------------------------------------------------------------------------- parameters -> flags


#: Library parameters whose flag is named otherwise (every other option's ``dest`` is its parameter's name).
RENAMED = {"data_dir=": "--benchmark-root ", "data_dir": "--benchmark-root",  # the builder's name for the root
           "resume=False": "--no-resume", "resume": "--no-resume",  # evaluation's journal
           "json_path=": "--output ", "json_path": "--output",  # evaluation's results file
           "verify_by_execution=True": "--verify on", "verify_by_execution=False": "--verify off",
           "verify_by_execution": "--verify"}  # the dataset's switch


def flags_of(parser: argparse.ArgumentParser, command: str | None = None) -> dict[str, str]:
    """What each library spelling of a parameter reads as on ``parser``'s command line (``command``: the
    subcommand's own parser): ``name=`` -> ``--flag `` for an option taking a value, ``name=True`` -> ``--flag``
    for a switch, and ``name`` -> ``--flag`` (the bare mention). ``name`` is the option's ``dest``, which is the
    library parameter's name wherever both exist; :data:`RENAMED` lists where they differ."""
    if command is not None:
        parser = _subcommand(parser, command) or parser
    flags: dict[str, str] = dict(RENAMED)
    for action in parser._actions:
        longs = [o for o in action.option_strings if o.startswith("--")]
        if not longs or action.dest in (argparse.SUPPRESS, "help", "version"):
            continue
        flag = longs[0]
        if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
            flags[f"{action.dest}={not action.default}"] = flag
        else:
            flags[f"{action.dest}="] = f"{flag} "
        flags[action.dest] = flag
    return flags


def _subcommand(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(command)
    return None


#: A parameter as the library writes it: ```name```, ```name=value```, or ``name=`` after a space or a
#: bracket (never inside ``section.name=`` or ``$NAME=``).
_QUOTED = re.compile(r"`(\w+)(=[^`]*)?`")
_NAMED = re.compile(r"(?<![\w.$/-])(\w+)=(True\b|False\b)?")


def as_flags(text: str, flags: Mapping[str, str]) -> str:
    """``text`` (a library message) with each parameter that ``flags`` (:func:`flags_of`) knows written as its
    flag: ```output_dir``` -> ``--output-dir``, ``timeout=nan`` -> ``--timeout nan``, ``overwrite_output_dir=True``
    -> ``--overwrite-output-dir``. Anything else is left as it is."""

    def quoted(match: re.Match) -> str:
        name, value = match.group(1), match.group(2)
        if value is None:
            return flags.get(name, match.group(0))
        inner = _NAMED.sub(named, f"{name}{value}")
        return inner if inner != f"{name}{value}" else match.group(0)

    def named(match: re.Match) -> str:
        name, switch = match.group(1), match.group(2)
        if switch and f"{name}={switch}" in flags:
            return flags[f"{name}={switch}"]
        if f"{name}=" in flags:
            return flags[f"{name}="] + (switch or "")
        return match.group(0)

    return _NAMED.sub(named, _QUOTED.sub(quoted, text))
