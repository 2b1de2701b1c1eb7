"""Where provisioned runner dependencies live, and what every run needs to know."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..settings import CACHE_ENV
from ..settings import runner_cache_dir as default_cache_dir
from .registry import host_env_defaults, host_env_names

__all__ = ["CACHE_ENV", "RunnerContext", "default_cache_dir"]

@dataclass
class RunnerContext:
    """Shared settings of the runners: the cache of provisioned dependencies, the Python that runs pytest."""

    cache_dir: Path = field(default_factory=default_cache_dir)
    python: str = sys.executable

    def __post_init__(self) -> None:
        # The sandbox shows a run the cache's real path only: a path through a link would name nothing inside it.
        self.cache_dir = Path(self.cache_dir).expanduser().resolve()

    def path(self, *parts: str) -> Path:
        return self.cache_dir.joinpath(*parts)

    def base_env(self) -> dict[str, str]:
        """A small, predictable environment: no colours, no telemetry, the user's PATH, and the variables through
        which the languages' tools find their toolchains (:func:`~.registry.host_env_names`)."""
        keep = ("PATH", "HOME", "LANG", "LC_ALL", *host_env_names())
        env = {k: os.environ[k] for k in keep if k in os.environ}
        env.setdefault("LANG", "C.UTF-8")
        # A run's /tmp is its own fresh tmpfs: the host's TMPDIR (a folder the run cannot see) would break
        # every tool that writes temporary files.
        env.update({"CI": "true", "NO_COLOR": "1", "TERM": "dumb", "TMPDIR": "/tmp"})
        for name, value in host_env_defaults().items():
            env.setdefault(name, value)
        return env
