"""How long one run may take: a fixed number of seconds, or ``"auto"``, calibrated per problem.

The ``"auto"`` rule::

    timeout = max(AUTO_FLOOR_S, AUTO_FACTOR * reference seconds)   where the reference's seconds are recorded
    timeout = DEFAULT_TIMEOUT (180 s)                               where they are not

The reference seconds are the wall time of the reference's own build and test steps on this machine,
recorded by every passing reference run (``polyglot-hrm validate``; the runner recording a problem's
expected tests) in the runner cache (:mod:`.expected`), and carried by dataset rows. They are measured
the way a run's clock runs: provisioning and cache preparation count neither there nor against a
timeout. So a slow machine, whose references are slow too, gives honest answers more time, and an
infinite loop in a one-second Python exercise costs 30 s, not 180.
"""

from __future__ import annotations

import argparse
from typing import Literal, Union

__all__ = ["AUTO", "AUTO_FACTOR", "AUTO_FLOOR_S", "DEFAULT_TIMEOUT", "Timeout", "describe_timeout", "parse_timeout",
           "run_timeout"]

DEFAULT_TIMEOUT = 180.0  # seconds, per run (build + tests): Aider's harness uses the same
AUTO = "auto"
AUTO_FLOOR_S = 30.0
AUTO_FACTOR = 10.0

#: Seconds, or ``"auto"`` (the module docstring's rule).
Timeout = Union[float, Literal["auto"]]


def run_timeout(timeout: Timeout, reference_seconds: float | None) -> float:
    """The seconds one run of a problem gets under ``timeout``."""
    if timeout == AUTO:
        if reference_seconds is None:
            return DEFAULT_TIMEOUT
        return max(AUTO_FLOOR_S, AUTO_FACTOR * reference_seconds)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise ValueError(f"timeout={timeout!r}: a positive number of seconds, or 'auto'")
    return float(timeout)


def describe_timeout(timeout: Timeout) -> str:
    """The rule in words, for results' settings and reports."""
    if timeout == AUTO:
        return (f"auto: max({AUTO_FLOOR_S:g}, {AUTO_FACTOR:g} x reference seconds), "
                f"{DEFAULT_TIMEOUT:g} s where the reference was not timed")
    return f"{float(timeout):g} s"


def parse_timeout(value: str) -> Timeout:
    """``--timeout`` values: ``auto`` or seconds."""
    if value.strip().lower() == AUTO:
        return AUTO
    try:
        seconds = float(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"--timeout {value!r}: seconds (e.g. 180) or 'auto'") from err
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"--timeout {value!r}: must be > 0 seconds (or 'auto')")
    return seconds
