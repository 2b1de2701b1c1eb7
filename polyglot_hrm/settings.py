"""Settings every layer shares, declared once: the defaults users see (timeouts, generation options), every
environment variable the package reads (and what each chooses: caches, the opt-in to run code, the Hub, Ray),
and the rule that picks the benchmark root. Nothing here imports the rest of polyglot_hrm (every layer may import
this module; it imports none of them back), and no other module of the package reads ``os.environ`` except for a
language's own toolchain variables (in ``languages/``).

**Timeouts** (seconds one run, build and tests, may take): :data:`DEFAULT_TIMEOUT` (180) for ``run``,
``validate``, scoring and the ``polyglot_exec`` metric; ``"auto"`` (:data:`EVALUATION_TIMEOUT`, calibrated per
problem from its reference's own seconds; the rule is :mod:`polyglot_hrm.execution.timeouts`) for ``evaluate`` and
the evaluation library; shorter budgets where a run waits on them: :data:`TRAINING_EVAL_TIMEOUT` (60, the
in-training evaluation) and :data:`VERIFY_TIMEOUT` (20, the dataset's verification runs); ``"rl"`` for the execution
reward (:data:`RL`: the test steps a few seconds over the reference's own, the build steps a budget of their own).

**Generation** (:class:`GenerationOptions`): the options every model backend, the evaluation library, the
training-time evaluation and their command lines take, with their defaults and checks.

**Which benchmark tree is read.** Every command that reads a benchmark (``extract``, ``stats``, ``run``,
``validate``, ``setup-runners``, ``evaluate``, ``build``, ``export``, ``demo``, ``trainer/train.py``,
``python -m polyglot_hrm.problems``) and every library entry point that takes a root (the dataset builder's
``data_dir``, :func:`~polyglot_hrm.dataset.export.build_datasets`, ``export``, ``load_cases``, ``train``, a
``polyglot_exec`` reference's ``benchmark_root``) picks it with :func:`resolve_benchmark_root`, in this order:

1. the root given: ``--benchmark-root DIR`` on the command line, ``benchmark_root=`` / ``data_dir=`` in Python;
2. ``$POLYGLOT_BENCHMARK_ROOT``, when set and not empty;
3. the built-in mini-benchmark (``polyglot_hrm/data/mini_benchmark``: exercises this project wrote for its
   tests and demo; **not** Aider's benchmark).

A command says which, on one INFO line (``benchmark root: DIR (from $POLYGLOT_BENCHMARK_ROOT)``); a library
call says so when it chose the root itself (none given). A root that does not exist is an error naming where
it came from (the flag, the parameter or the variable), never a silent fall back to another tree.

A root is one folder, or several joined with ``os.pathsep`` (``a:b``) or given as a list (the dataset
commands read several; the others take one).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Mapping, Sequence, Union

__all__ = ["API_CONCURRENCY", "API_KEY_ENV", "API_MAX_RETRIES", "API_REQUEST_TIMEOUT", "AUTO", "AUTO_FACTOR",
           "AUTO_FLOOR_S", "BENCHMARK_ROOT_ENV", "BENCHMARK_ROOT_FLAG", "BENCHMARK_ROOT_HELP", "BenchmarkRoot",
           "CACHE_ENV", "DATASETS_CACHE_ENVS", "DEFAULT_TIMEOUT", "EVALUATION_TIMEOUT", "GenerationOptions",
           "HF_DEFAULT_ENDPOINT", "HF_ENDPOINT_ENV", "LAUNCH_ENVS", "LOCAL_RANK_ENV", "OPT_IN_ALIASES", "OPT_IN_ENV",
           "RAY_ADDRESS_ENV", "REWARD_SERVER_ENV", "REWARD_SERVER_START_S", "REWARD_SWEEP_INTERVAL_S", "RL", "RL_BUILD_S", "RL_FACTOR", "RL_FLOOR_S", "RL_SLACK_S", "RL_UNTIMED_S",
           "RootArg", "TRAINING_EVAL_GENERATION", "TRAINING_EVAL_TIMEOUT", "Timeout", "UID_BASE_ENV", "VERIFY_TIMEOUT",
           "WORLD_SIZE_ENV", "api_key", "code_execution_allowed", "command_benchmark_root", "datasets_cache_origin",
           "hub_endpoint", "local_rank", "mini_benchmark_root", "ray_address", "resolve_benchmark_root",
           "reward_server_path", "runner_cache_dir", "runner_cache_origin", "sandbox_uid_base", "WEIGHT_HASHES_FILE",
           "weight_hash_cache", "world_size", "BOOTSTRAP_RESAMPLES", "BOOTSTRAP_SEED", "CONFIDENCE"]

logger = logging.getLogger(__name__)

Environ = Mapping[str, str]


def _env(environ: Environ | None) -> Environ:
    return os.environ if environ is None else environ


# ---------------------------------------------------------------------------------------------------- timeouts
#: Seconds one run (build + tests) may take where nothing else is known: ``run``, ``validate`` (which records the
#: references' own seconds that ``"auto"`` needs, so cannot use it), scoring and the ``polyglot_exec`` metric, and
#: ``"auto"`` for a problem whose reference was never timed. Aider's benchmark harness gives a run the same.
DEFAULT_TIMEOUT = 180.0
#: A timeout calibrated per problem (:mod:`polyglot_hrm.execution.timeouts` applies it): ``max(AUTO_FLOOR_S,
#: AUTO_FACTOR x the reference's own seconds)``. Ten times what the reference needs is room for a slower honest
#: answer; the floor keeps a one-second exercise from timing out on a loaded machine.
AUTO = "auto"
AUTO_FLOOR_S = 30.0
AUTO_FACTOR = 10.0
#: Seconds, or ``"auto"``, or ``"rl"`` (below).
Timeout = Union[float, Literal["auto", "rl"]]
#: ``evaluate`` and the evaluation library (``evaluate_backend``, ``evaluate_model``, ``evaluate_solutions``, the
#: seed's ``PolyglotEvaluationSystem``): calibrated, so an infinite loop in a one-second exercise costs 30 s, not
#: 180, over hundreds of candidates; where no reference was timed it is :data:`DEFAULT_TIMEOUT` anyway.
EVALUATION_TIMEOUT: Timeout = AUTO
#: The evaluation during training (``ExecutionEvalCallback``, ``polyglot.eval_timeout``): shorter than
#: :data:`DEFAULT_TIMEOUT` because training waits for these runs at every evaluation, and a tiny model's looping
#: answers would otherwise stall it three minutes each; a fixed number (not ``"auto"``) so evaluations are
#: comparable across a run. Recipes set their own (tiny 60, hrm-27m 120).
TRAINING_EVAL_TIMEOUT = 60.0
#: The dataset build's verification runs (``verify_timeout``): shorter still, because most runs are of mutants,
#: which often loop forever, and a mutant whose run times out is dropped anyway; references pass in seconds.
VERIFY_TIMEOUT = 20.0
#: The execution reward's rule (``timeout="rl"``, :mod:`polyglot_hrm.execution.timeouts` applies it): a training step
#: waits for its slowest reward, so one hanging completion must cost seconds. The test steps get
#: ``max(RL_FLOOR_S, min(RL_FACTOR x ref, ref + RL_SLACK_S))`` where ``ref`` is the reference's own recorded seconds
#: (build and test), :data:`RL_UNTIMED_S` where it was never timed; the build steps (compilers) have a budget of their
#: own, :data:`RL_BUILD_S`, so a cold cache's slow first build is not a timeout. The floor is there because a loaded
#: node is slower than the one that timed the reference: on a 2-core machine at load 14, JavaScript and Java
#: references timed at 2-3 s took 7-9 s, and ``ref + 3 s`` alone gave right answers 0 (``benchmarks/rewards.py``).
RL = "rl"
RL_FACTOR = 10.0
RL_SLACK_S = 3.0
RL_FLOOR_S = 10.0
RL_BUILD_S = 120.0
RL_UNTIMED_S = 30.0
#: The execution reward's executor in a training loop (:mod:`polyglot_hrm.rewards.loop`) sweeps what killed runs left
#: behind at most this often (seconds), not after every batch; and a rank waits this long for the node's scoring
#: server to answer when it starts one (it imports the package first).
REWARD_SWEEP_INTERVAL_S = 600.0
REWARD_SERVER_START_S = 120.0


# -------------------------------------------------------------------------------------------------- generation
@dataclass(frozen=True)
class GenerationOptions:
    """How answers are generated: every model backend, the evaluation library, the training-time evaluation
    (``polyglot.eval_*``) and ``evaluate``'s flags take these, with these defaults.

    ``max_new_tokens``: tokens per answer (512 holds a whole solution file of most exercises);
    ``temperature``: 0 is greedy (deterministic, the pass@1 convention); ``top_p``: nucleus mass (1.0: off);
    ``batch_size``: prompts per ``generate`` call of a local model. A value that cannot generate is a
    ``ValueError`` naming the field."""

    max_new_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    batch_size: int = 8

    def __post_init__(self) -> None:
        for name in ("max_new_tokens", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r}: must be an integer >= 1")
        if isinstance(self.temperature, bool) or not isinstance(self.temperature, (int, float)) or self.temperature < 0:
            raise ValueError(f"temperature={self.temperature!r}: must be >= 0 (0 = greedy)")
        if isinstance(self.top_p, bool) or not isinstance(self.top_p, (int, float)) or not 0 < self.top_p <= 1:
            raise ValueError(f"top_p={self.top_p!r}: must be in (0, 1]")


#: The training-time evaluation's generation (``ExecutionEvalCallback``, ``polyglot.eval_*``): the defaults above
#: but half the batch, because it generates while the training process holds the model, its gradients and the
#: optimizer's moments.
TRAINING_EVAL_GENERATION = GenerationOptions(batch_size=4)

#: An OpenAI-compatible server (the ``openai`` backend): requests in flight, retries of a failed request, and
#: seconds one request may take (a long answer from a slow local server takes minutes).
API_CONCURRENCY = 4
API_MAX_RETRIES = 5
API_REQUEST_TIMEOUT = 600.0

#: Statistics of ``compare`` and the report (:mod:`polyglot_hrm.evaluation.stats`): bootstrap resamples over the
#: cases (with 10 000, other seeds move the bounds by at most one case's worth, 1/225, on the benchmark), their
#: fixed seed (a comparison prints the same interval every time) and the interval's coverage.
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 0
CONFIDENCE = 0.95


# -------------------------------------------------------------------------------------- environment variables
#: The folder of provisioned runner dependencies (jars, node_modules, crates, the expected tests and reference
#: seconds recorded by ``validate``); unset: ``$XDG_CACHE_HOME/polyglot-hrm/runners`` (``~/.cache/...``).
CACHE_ENV = "POLYGLOT_HRM_CACHE"
#: Running untrusted code is opt-in: one of these set to ``1`` (the second is Hugging Face ``code_eval``'s).
OPT_IN_ENV = "POLYGLOT_HRM_ALLOW_CODE_EXECUTION"
OPT_IN_ALIASES = (OPT_IN_ENV, "HF_ALLOW_CODE_EVAL")
#: The Hub's address (``datasets`` and ``huggingface_hub`` read it too), for messages about reaching it.
HF_ENDPOINT_ENV = "HF_ENDPOINT"
HF_DEFAULT_ENDPOINT = "https://huggingface.co"
#: What chooses the ``datasets`` cache when no ``cache_dir`` is given, first match wins (``datasets`` reads them).
DATASETS_CACHE_ENVS = ("HF_DATASETS_CACHE", "HF_HOME", "XDG_CACHE_HOME")
#: The Ray cluster to join with ``--executor ray`` and no address (Ray's own variable).
RAY_ADDRESS_ENV = "RAY_ADDRESS"
#: The variable holding an OpenAI-compatible server's key, by default (the key is read, never written anywhere).
API_KEY_ENV = "OPENAI_API_KEY"
#: Processes in a distributed run (set by torchrun / ``accelerate launch``).
WORLD_SIZE_ENV = "WORLD_SIZE"
#: The first of the host uids the sandbox gives runs (a free range on this machine; the sandbox checks it).
UID_BASE_ENV = "POLYGLOT_HRM_SANDBOX_UID_BASE"
#: The execution reward's node-shared scoring server (:mod:`polyglot_hrm.rewards.server`): the Unix socket path
#: every rank of a node uses; unset: one derived from the launch (:func:`reward_server_path`).
REWARD_SERVER_ENV = "POLYGLOT_HRM_REWARD_SERVER"
#: Set by torchrun / ``accelerate launch``: this process's rank on its node, and the launch's rendezvous (the same
#: in every rank of one launch, so the ranks of a node derive the same server path from them).
LOCAL_RANK_ENV = "LOCAL_RANK"
LAUNCH_ENVS = ("TORCHELASTIC_RUN_ID", "MASTER_ADDR", "MASTER_PORT")


def runner_cache_dir(environ: Environ | None = None) -> Path:
    """The runner cache: ``$POLYGLOT_HRM_CACHE``, else ``$XDG_CACHE_HOME/polyglot-hrm/runners``
    (``~/.cache/polyglot-hrm/runners``), resolved (the sandbox shows a run the real path only)."""
    environ = _env(environ)
    if environ.get(CACHE_ENV):
        return Path(environ[CACHE_ENV]).expanduser().resolve()
    base = Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return (base / "polyglot-hrm" / "runners").resolve()


#: The file in the runner cache keeping each model weight file's SHA-256 by (path, size, modification time), so a
#: checkpoint's provenance hash is computed once (:func:`polyglot_hrm.provenance.weights_digest`).
WEIGHT_HASHES_FILE = "weight_hashes.json"


def weight_hash_cache(environ: Environ | None = None) -> Path:
    """Where model weight hashes are kept: :data:`WEIGHT_HASHES_FILE` in :func:`runner_cache_dir`."""
    return runner_cache_dir(environ) / WEIGHT_HASHES_FILE


def runner_cache_origin(environ: Environ | None = None) -> str:
    """What chose the runner cache, for messages: ``$POLYGLOT_HRM_CACHE=...`` or ``the runner cache``."""
    environ = _env(environ)
    return f"${CACHE_ENV}={environ[CACHE_ENV]}" if environ.get(CACHE_ENV) else "the runner cache"


def code_execution_allowed(environ: Environ | None = None) -> bool:
    """Whether running untrusted code was opted in to (:data:`OPT_IN_ALIASES`, set to ``1``)."""
    environ = _env(environ)
    return any(environ.get(name) == "1" for name in OPT_IN_ALIASES)


def hub_endpoint(environ: Environ | None = None) -> str:
    """The Hub's address: ``$HF_ENDPOINT``, else huggingface.co."""
    return _env(environ).get(HF_ENDPOINT_ENV) or HF_DEFAULT_ENDPOINT


def datasets_cache_origin(environ: Environ | None = None) -> str:
    """What chose the ``datasets`` cache (no ``cache_dir`` given): the first of :data:`DATASETS_CACHE_ENVS` set,
    as ``$NAME=value``, else ``the default``."""
    environ = _env(environ)
    return next((f"${v}={environ[v]}" for v in DATASETS_CACHE_ENVS if environ.get(v)), "the default")


def ray_address(given: str | None = None, environ: Environ | None = None) -> str | None:
    """The Ray cluster to join: ``given``, else ``$RAY_ADDRESS``, else None (Ray then joins the cluster ``ray
    start`` last started here, or starts a local one)."""
    return given or _env(environ).get(RAY_ADDRESS_ENV) or None


def api_key(variable: str = API_KEY_ENV, environ: Environ | None = None) -> str | None:
    """The API key in ``$variable``; None when unset or empty (fine for a local server)."""
    return _env(environ).get(variable) or None


def sandbox_uid_base(environ: Environ | None = None) -> str | None:
    """``$POLYGLOT_HRM_SANDBOX_UID_BASE`` as set (None: unset, the sandbox's default range); the sandbox checks it."""
    return _env(environ).get(UID_BASE_ENV)


def world_size(environ: Environ | None = None) -> int:
    """Processes in this run (``$WORLD_SIZE``, set by the launcher; 1 without one)."""
    return int(_env(environ).get(WORLD_SIZE_ENV, "1"))


def local_rank(environ: Environ | None = None) -> int | None:
    """This process's rank on its node (``$LOCAL_RANK``, set by the launcher); None without a launcher."""
    value = _env(environ).get(LOCAL_RANK_ENV)
    return int(value) if value not in (None, "") else None


def reward_server_path(environ: Environ | None = None) -> Path | None:
    """Where the ranks of one launch on this node find the reward server: ``$POLYGLOT_HRM_REWARD_SERVER``, else
    ``<tmp>/polyglot-hrm-rewards-<uid>/<launch>.sock`` with ``<launch>`` made of the launcher's
    :data:`LAUNCH_ENVS` (the same in every rank of one launch); None outside a multi-process launch (the reward then
    keeps its executor in its own process)."""
    environ = _env(environ)
    if environ.get(REWARD_SERVER_ENV):
        return Path(environ[REWARD_SERVER_ENV]).expanduser()
    launch = [environ.get(name, "") for name in LAUNCH_ENVS]
    if world_size(environ) <= 1 or local_rank(environ) is None or not any(launch):
        return None
    # Hashed: a Unix socket's path must stay under 108 bytes, whatever the launcher's run id is.
    name = hashlib.sha256("\0".join(launch).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"polyglot-hrm-rewards-{os.getuid()}" / f"{name}.sock"


# ----------------------------------------------------------------------------------------------- benchmark root

#: The environment variable naming the benchmark tree when no root is given.
BENCHMARK_ROOT_ENV = "POLYGLOT_BENCHMARK_ROOT"
#: The flag every command takes for it, and the flag's help.
BENCHMARK_ROOT_FLAG = "--benchmark-root"
BENCHMARK_ROOT_HELP = (f"polyglot-benchmark clone or Exercism track checkout (default: ${BENCHMARK_ROOT_ENV}, else the "
                       f"built-in mini-benchmark; the root read, and why, is logged)")

Origin = Literal["given", "env", "mini"]


def mini_benchmark_root() -> Path:
    """The built-in mini-benchmark (polyglot layout), shipped as package data."""
    return Path(__file__).resolve().parent / "data" / "mini_benchmark"


@dataclass(frozen=True)
class BenchmarkRoot:
    """The tree(s) a command reads, and where that choice came from.

    ``origin``: ``given`` (``name``, the flag or parameter, named it), ``env`` (``$POLYGLOT_BENCHMARK_ROOT``)
    or ``mini`` (neither: the built-in mini-benchmark)."""

    roots: tuple[Path, ...]
    origin: Origin
    name: str = "benchmark_root"

    @property
    def path(self) -> Path:
        """The one root, for what reads one tree; several are a ``ValueError`` naming where they came from."""
        if len(self.roots) != 1:
            raise ValueError(f"{self.source}: {len(self.roots)} roots ({self.data_dir}); this reads one benchmark "
                             f"tree, give one")
        return self.roots[0]

    @property
    def data_dir(self) -> str:
        """The roots as one string, joined with ``os.pathsep`` (the dataset builder's ``data_dir``)."""
        return os.pathsep.join(str(r) for r in self.roots)

    @property
    def source(self) -> str:
        """Where the root came from, in words: the flag or parameter, the variable, or the built-in default."""
        return {"given": self.name, "env": f"${BENCHMARK_ROOT_ENV}", "mini": "the built-in mini-benchmark"}[self.origin]

    def describe(self) -> str:
        """One line: the root(s) and where they came from (what a command logs)."""
        what = "benchmark roots" if len(self.roots) > 1 else "benchmark root"
        roots = ", ".join(str(r) for r in self.roots)
        if self.origin == "mini":
            return (f"{what}: {roots} (the built-in mini-benchmark: neither {self.name} nor ${BENCHMARK_ROOT_ENV} "
                    f"is set)")
        return f"{what}: {roots} (from {self.source})"

    def announce(self) -> None:
        """Say which root is read, and why, on one INFO line (:meth:`describe`)."""
        logger.info("%s", self.describe())


#: What a root may be given as: one folder, several (a list, or joined with ``os.pathsep``), a root already
#: resolved, or None (the environment variable, else the mini-benchmark).
RootArg = str | os.PathLike | Sequence[str | os.PathLike] | BenchmarkRoot | None


def _split(value: object) -> list[str]:
    items = [value] if isinstance(value, (str, os.PathLike)) else list(value)  # type: ignore[call-overload]
    return [p for item in items for p in str(os.fspath(item)).split(os.pathsep) if p.strip()]


def resolve_benchmark_root(given: RootArg = None, *, name: str = "benchmark_root",
                           environ: Environ | None = None, announce: bool | None = None) -> BenchmarkRoot:
    """The benchmark root, by the one rule (module docstring): ``given``, else ``$POLYGLOT_BENCHMARK_ROOT``,
    else the built-in mini-benchmark.

    ``given``: one folder, several (a list, or joined with ``os.pathsep``), a :class:`BenchmarkRoot` (returned
    as is, not announced again) or None; an empty string or list counts as not given. ``name`` is what gave it,
    for messages: the flag (``--benchmark-root``) in a command, the parameter (``data_dir``) in the library.
    ``announce``: log the choice at INFO (default: only when none was given, so the library says which tree it
    picked itself; commands pass True). A root that is not a directory is a ``FileNotFoundError`` naming its
    source and the fix."""
    if isinstance(given, BenchmarkRoot):
        return given
    environ = _env(environ)
    parts = _split(given) if given is not None else []
    if parts:
        root = BenchmarkRoot(tuple(Path(p).expanduser().resolve() for p in parts), "given", name)
    elif environ.get(BENCHMARK_ROOT_ENV, "").strip():
        root = BenchmarkRoot(tuple(Path(p).expanduser().resolve() for p in _split(environ[BENCHMARK_ROOT_ENV])),
                             "env", name)
    else:
        root = BenchmarkRoot((mini_benchmark_root(),), "mini", name)
    for path in root.roots:
        if not path.is_dir():
            what = "not a directory" if path.exists() else "no such directory"
            if root.origin == "env":
                raise FileNotFoundError(f"${BENCHMARK_ROOT_ENV}={environ[BENCHMARK_ROOT_ENV]}: {path}: {what}; point "
                                        f"it at a polyglot-benchmark clone or an Exercism track checkout, or unset "
                                        f"it for the built-in mini-benchmark")
            given_as = f"{name} {path}" if name.startswith("-") else f"{name}={str(path)!r}"
            raise FileNotFoundError(f"{given_as}: {what}; pass the root of a polyglot-benchmark clone or an "
                                    f"Exercism track checkout")
    if announce is None:
        announce = root.origin != "given"  # the library says which tree it picked itself, not one it was given
    if announce:
        root.announce()
    return root


def command_benchmark_root(given: RootArg) -> BenchmarkRoot:
    """The root a command reads: its ``--benchmark-root`` value (``given``), else ``$POLYGLOT_BENCHMARK_ROOT``,
    else the built-in mini-benchmark; always logged at INFO, with where it came from."""
    return resolve_benchmark_root(given, name=BENCHMARK_ROOT_FLAG, announce=True)
