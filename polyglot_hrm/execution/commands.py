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
import difflib
import os
import re
from pathlib import Path
from typing import Callable, Mapping, Sequence

import yaml

from ..settings import AUTO, RAY_ADDRESS_ENV, Timeout
from .executor_base import Executor
from .executors import EXECUTORS, make_executor
from .timeouts import check_seconds, check_timeout

__all__ = ["RENAMED", "ConfigFileError", "add_executor_arguments", "as_flags", "config_keys", "executor_from_args",
           "flags_of", "given_dests", "parse_seconds", "parse_timeout", "positive_int", "read_config_file"]


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


# ---------------------------------------------------------------------------------------- settings files of flags
class ConfigFileError(ValueError):
    """A settings file of flags (``evaluate --config eval.yaml``) that names an unknown key or a wrong value."""


def _key(name: str) -> str:
    return name.strip().lstrip("-").replace("-", "_")


def config_keys(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """Every option of ``parser`` by the keys a settings file may name it by: its ``dest`` and each long flag
    without its dashes, written with dashes or underscores (``max-new-tokens`` or ``max_new_tokens``). The keys
    come from the parser, so an option is declared once, in its ``add_argument``."""
    keys: dict[str, argparse.Action] = {}
    for action in parser._actions:
        if action.dest in (argparse.SUPPRESS, "help", "version") or not action.option_strings:
            continue
        if not isinstance(action, (argparse._StoreAction, argparse._StoreTrueAction, argparse._StoreFalseAction)):
            continue
        for name in [action.dest, *(o for o in action.option_strings if o.startswith("--"))]:
            keys[_key(name)] = action
    return keys


def _file_value(action: argparse.Action, key: str, value: object, where: str) -> object:
    """A settings file's ``value`` for ``action``, converted and checked as the flag's own type would be."""
    if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
        if not isinstance(value, bool):
            raise ConfigFileError(f"{where}: {key}: {value!r} is not true or false (it is a switch: "
                                  f"{action.option_strings[-1]})")
        # A switch that stores False (``--no-x``, dest ``x``): ``x: false`` and ``no_x: true`` say the same.
        negated = isinstance(action, argparse._StoreFalseAction) and _key(key) != _key(action.dest)
        return not value if negated else value
    if value is None:
        return action.default
    if isinstance(value, bool) or isinstance(value, dict):
        raise ConfigFileError(f"{where}: {key}: {value!r} is a {type(value).__name__}; give a value as "
                              f"{action.option_strings[-1]} takes it ({action.metavar or action.dest.upper()})")
    text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    try:
        converted = action.type(text) if callable(action.type) else text
    except (argparse.ArgumentTypeError, TypeError, ValueError) as err:
        raise ConfigFileError(f"{where}: {key}: {value!r}: {err or 'not a value of the right type'}") from None
    if action.choices is not None and converted not in action.choices:
        raise ConfigFileError(f"{where}: {key}: {value!r} is not one of {', '.join(map(str, action.choices))}")
    return converted


def read_config_file(path: str | os.PathLike, parser: argparse.ArgumentParser) -> dict[str, object]:
    """``{dest: value}`` from a YAML mapping of ``parser``'s options (:func:`config_keys`), each converted and
    checked like its flag. An unknown key is refused naming the closest known one; a wrong type or value
    naming the key; the same option twice (by two spellings) too."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as err:
        raise FileNotFoundError(f"{path}: cannot read the settings file ({err.strerror or err})") from None
    except yaml.YAMLError as err:
        raise ConfigFileError(f"{path}: not valid YAML ({err})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigFileError(f"{path}: a settings file is a YAML mapping of flags (key: value), not a "
                              f"{type(data).__name__}")
    keys = config_keys(parser)
    values: dict[str, object] = {}
    seen: dict[str, str] = {}
    for raw, value in data.items():
        key = _key(str(raw))
        action = keys.get(key)
        if action is None:
            close = difflib.get_close_matches(key, list(keys), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(sorted(keys))}"
            raise ConfigFileError(f"{path}: unknown key {raw!r}{hint}")
        if action.dest in seen:
            raise ConfigFileError(f"{path}: {raw!r} and {seen[action.dest]!r} set the same option; keep one")
        seen[action.dest] = str(raw)
        values[action.dest] = _file_value(action, str(raw), value, str(path))
    return values


def given_dests(add_arguments: Callable[[argparse.ArgumentParser], None], tokens: Sequence[str]) -> set[str]:
    """The options ``tokens`` (a command's arguments as typed) set explicitly, whatever their values: what a
    settings file may not override. ``add_arguments`` declares the command's options on a parser."""
    parser = argparse.ArgumentParser(add_help=False)
    add_arguments(parser)
    for action in parser._actions:
        action.default = argparse.SUPPRESS
    given, _ = parser.parse_known_args(list(tokens))
    return set(vars(given))
