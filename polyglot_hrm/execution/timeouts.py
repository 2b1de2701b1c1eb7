"""How long one run may take: a fixed number of seconds, or ``"auto"``, calibrated per problem. The numbers, and
which default each entry point has, are declared in :mod:`polyglot_hrm.settings`; this module applies them.

The ``"auto"`` rule::

    timeout = max(AUTO_FLOOR_S, AUTO_FACTOR * reference seconds)   where the reference's seconds are recorded
    timeout = DEFAULT_TIMEOUT (180 s)                               where they are not

The reference seconds are the wall time of the reference's own build and test steps on this machine,
recorded by every passing reference run (``polyglot-hrm validate``; the runner recording a problem's
expected tests) in the runner cache (:mod:`.expected`), and carried by dataset rows. They are measured
the way a run's clock runs: provisioning and cache preparation count neither there nor against a
timeout. So a slow machine, whose references are slow too, gives honest answers more time, and an
infinite loop in a one-second Python exercise costs 30 s, not 180.

The ``"rl"`` rule, for the execution reward (:mod:`polyglot_hrm.rewards`), where a training step waits for its
slowest run::

    test steps  = max(RL_FLOOR_S, min(RL_FACTOR * ref, ref + RL_SLACK_S))   (10 s; 10 x; + 3 s)  where ref is known
    test steps  = RL_UNTIMED_S (30 s)                                                         where it is not
    build steps = RL_BUILD_S (120 s), a clock of their own                       (:func:`build_timeout`)

``ref`` is the same recorded figure (build and test), so for a compiled language the test steps' budget also
holds the reference's build time: generous for the tests alone. The floor is for a loaded node, slower than the one
that timed the reference (:data:`~polyglot_hrm.settings.RL_FLOOR_S`). Under every other rule the build and test steps
share one clock, as before.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from ..settings import (AUTO, AUTO_FACTOR, AUTO_FLOOR_S, DEFAULT_TIMEOUT, RL, RL_BUILD_S, RL_FACTOR, RL_FLOOR_S,
                        RL_SLACK_S, RL_UNTIMED_S, Timeout)

__all__ = ["AUTO", "AUTO_FACTOR", "AUTO_FLOOR_S", "DEFAULT_TIMEOUT", "RL", "Timeout", "build_timeout", "check_seconds",
           "check_timeout", "describe_timeout", "run_timeout"]


def check_seconds(value: Any, name: str = "timeout") -> float:
    """``value`` as a number of seconds a run may take: finite and > 0. Anything else (0, -1, ``nan``, ``inf``,
    ``True``, ``"fast"``) is a ValueError naming ``name``: ``nan`` and ``inf`` would disable the limit, and an
    infinite loop would then run until something outside killed it. The one check every timeout goes through."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name}={value!r}: a number of seconds, e.g. 180")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name}={value!r}: must be a finite number of seconds > 0 (nan or inf would let a run "
                         f"that never ends run forever), e.g. 180")
    return float(value)


def check_timeout(timeout: Any, name: str = "timeout") -> Timeout:
    """``timeout`` as runs take it: ``"auto"``, ``"rl"`` or :func:`check_seconds`; raised before any run."""
    if timeout in (AUTO, RL):
        return timeout
    try:
        return check_seconds(timeout, name)
    except ValueError as err:
        raise ValueError(f"{err} (or 'auto')") from None


def run_timeout(timeout: Timeout, reference_seconds: float | None) -> float:
    """The seconds one run of a problem gets under ``timeout`` (under ``"rl"``: its test steps)."""
    if check_timeout(timeout) == RL:
        if reference_seconds is None:
            return RL_UNTIMED_S
        return max(RL_FLOOR_S, min(RL_FACTOR * reference_seconds, reference_seconds + RL_SLACK_S))
    if timeout == AUTO:
        if reference_seconds is None:
            return DEFAULT_TIMEOUT
        return max(AUTO_FLOOR_S, AUTO_FACTOR * reference_seconds)
    return float(timeout)


def build_timeout(timeout: Timeout) -> float | None:
    """The build steps' own budget under ``timeout`` (``"rl"``); None: they share the run's one clock."""
    return RL_BUILD_S if check_timeout(timeout) == RL else None


def describe_timeout(timeout: Timeout) -> str:
    """The rule in words, for results' settings and reports."""
    if timeout == RL:
        return (f"rl: tests max({RL_FLOOR_S:g}, min({RL_FACTOR:g} x reference seconds, reference seconds + "
                f"{RL_SLACK_S:g})), "
                f"{RL_UNTIMED_S:g} s where the reference was not timed; builds {RL_BUILD_S:g} s of their own")
    if timeout == AUTO:
        return (f"auto: max({AUTO_FLOOR_S:g}, {AUTO_FACTOR:g} x reference seconds), "
                f"{DEFAULT_TIMEOUT:g} s where the reference was not timed")
    return f"{float(timeout):g} s"
