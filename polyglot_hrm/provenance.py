"""Where a result came from: the ``provenance`` record that ``results.json``, the reports, ``compare``, a dataset
export's card and a training run's folder carry, so a reader can tell what was run without asking.

:func:`collect` gathers, each from its own small function:

* ``date_utc``: when (UTC, to the second);
* ``polyglot_hrm``: the package's version and, where the running code is a git checkout, its commit and whether
  the working tree differs from it (``git_dirty``); an installed wheel or sdist has no git, and says so
  (``git_commit: null`` with a ``git`` note) rather than guessing;
* ``interpreter`` (the Python running polyglot-hrm) and the ``packages`` the results depend on (versions from
  their metadata: nothing is imported);
* ``toolchains``: each language's tools and versions, as ``polyglot-hrm doctor`` reads them
  (:meth:`~polyglot_hrm.languages.base.Language.toolchain`; a version is read once per process);
* ``benchmark``: the tree read, its git commit and dirtiness where it is a checkout, the number of problems
  scored and a SHA-256 of their content (:func:`rows_digest`), the exercises left out and why;
* ``model``: a local folder's path and a hash of its weight files (:func:`weights_digest`, computed once per
  file path, size and modification time, kept in the runner cache), or a Hub id and the revision found in the
  Hub cache, or the name a server knows;
* ``backend`` settings, ``seeds``, the ``command`` line and the effective ``config`` of the command.

**Secrets are never recorded.** Every value passes :func:`redact`: a URL's user and password and its query
parameters that look like credentials (``key``, ``token``, ``sig``, ...) become ``***``; in mappings (backend
settings, ``--extra-body`` JSON) the values of keys that look like credentials (``api_key``, ``authorization``,
``token``, ``password``, ...) become ``***``; on a command line the value of a flag named like one, and the
credential keys inside a JSON value, are replaced the same way. API keys are read from environment variables
whose *names* only are ever written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import re
import shlex
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import polyglot_hrm  # the package's own version (its __init__ holds constants only)

from .languages import LANGUAGES
from .outputs import atomic_write_text
from .settings import weight_hash_cache

__all__ = ["MASK", "PACKAGES", "collect", "command_line", "git_state", "is_secret_key", "model_info", "package_info",
           "redact", "redact_argv", "redact_url", "rows_digest", "short_commit", "summary", "toolchain_versions",
           "weights_digest"]

logger = logging.getLogger(__name__)

MASK = "***"
#: Distributions whose versions can change a result (generation, tokenization, the datasets read).
PACKAGES = ("torch", "transformers", "tokenizers", "datasets", "accelerate", "evaluate", "openai")
#: A key or flag whose value is a credential: it ends with one of these words (``api_key``, ``hf_token``,
#: ``x-api-key``, ``Authorization``), so ``max_tokens`` or ``api_key_env`` (a variable's name) are not.
_SECRET_KEY = re.compile(r"(^|[^a-z0-9])(api[_-]?key|key|token|access[_-]?token|secret|password|passwd|pwd|"
                         r"authorization|auth|bearer|credentials?|cookie|sig|signature)$", re.I)
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
#: Files of a model folder that hold its weights (what ``save_pretrained`` and other tools write).
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf", ".h5", ".msgpack", ".npz")
#: What a Trainer saves beside the weights with those suffixes: its arguments, optimizer and random states.
NOT_WEIGHTS = ("training_args.bin", "optimizer.pt", "optimizer.bin", "scheduler.pt", "scaler.pt", "rng_state")


def _is_weights(path: Path) -> bool:
    return path.is_file() and path.suffix in WEIGHT_SUFFIXES and not path.name.startswith(NOT_WEIGHTS)


# ----------------------------------------------------------------------------------------------------- secrets
def is_secret_key(name: str) -> bool:
    """Whether a mapping key, query parameter or flag name (without dashes) names a credential."""
    return bool(_SECRET_KEY.search(name.strip().lstrip("-")))


def redact_url(url: str) -> str:
    """``url`` with its user/password and credential-like query parameters replaced by ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if is_secret_key(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact(value: Any) -> Any:
    """``value`` with every credential replaced by ``***`` (module docstring): mappings by key, URLs by part,
    sequences item by item; other values as they are."""
    if isinstance(value, Mapping):
        return {k: (MASK if is_secret_key(str(k)) and v not in (None, "") else redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str) and _URL.match(value):
        return redact_url(value)
    if isinstance(value, Path):
        return str(value)
    return value


def _redact_token(token: str) -> str:
    """One command-line value: a URL, JSON holding credential keys, or as it is."""
    if _URL.match(token):
        return redact_url(token)
    if token[:1] in "{[":
        try:
            return json.dumps(redact(json.loads(token)), separators=(",", ":"))
        except ValueError:
            return token
    return token


def redact_argv(argv: Sequence[str]) -> list[str]:
    """A command line with credentials replaced: the value after (or ``=`` of) a flag named like a credential,
    and inside every value the URL parts and JSON keys :func:`redact` hides."""
    out: list[str] = []
    hide_next = False
    for token in map(str, argv):
        if hide_next:
            out.append(MASK)
            hide_next = False
            continue
        if token.startswith("-") and len(token) > 1:
            flag, eq, value = token.partition("=")
            if is_secret_key(flag):
                if eq:
                    out.append(f"{flag}={MASK}")
                else:
                    out.append(flag)
                    hide_next = True
                continue
            out.append(f"{flag}={_redact_token(value)}" if eq else token)
            continue
        out.append(_redact_token(token))
    return out


def command_line(argv: Sequence[str]) -> str:
    """The command line as one shell-quoted string, credentials replaced (:func:`redact_argv`)."""
    return shlex.join(redact_argv(argv))


# --------------------------------------------------------------------------------------------------------- git
def _git(folder: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_state(folder: str | os.PathLike, own_root: bool = False) -> dict[str, Any]:
    """``{"git_commit", "git_dirty"}`` of the checkout holding ``folder``; ``git_dirty`` counts changes (and new
    files) under ``folder`` only. ``own_root``: the folder must be the checkout's top (a package installed into
    a virtual environment inside some other repository is not that repository's code). Not a checkout (or no
    git): ``git_commit`` None with a ``git`` note saying why."""
    folder = Path(folder).resolve()
    top = _git(folder, "rev-parse", "--show-toplevel")
    if top is None or (own_root and Path(top).resolve() != folder):
        return {"git_commit": None, "git": f"{folder} is not a git checkout"
                + (" (an installed package: no commit to record)" if own_root else "")}
    commit = _git(folder, "rev-parse", "HEAD")
    status = _git(folder, "status", "--porcelain", "--", ".")
    return {"git_commit": commit, "git_dirty": bool(status) if status is not None else None}


def short_commit(state: Mapping[str, Any]) -> str | None:
    """Aider's form of a commit: seven hex digits, ``-dirty`` when the tree differs; None without a commit."""
    commit = state.get("git_commit")
    if not commit:
        return None
    return commit[:7] + ("-dirty" if state.get("git_dirty") else "")


# ------------------------------------------------------------------------------------------------- the software
def package_info() -> dict[str, Any]:
    """polyglot-hrm's version and the git state of the code running (module docstring)."""
    source = Path(polyglot_hrm.__file__).resolve().parent.parent
    return {"version": polyglot_hrm.__version__, "source": str(source), **git_state(source, own_root=True)}


def _versions(names: Iterable[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def toolchain_versions(languages: Iterable[str] | None = None) -> dict[str, dict[str, str | None]]:
    """``{language: {tool: version or None}}`` as ``doctor`` reads them (each program asked once per process)."""
    names = list(LANGUAGES) if languages is None else [n for n in dict.fromkeys(languages) if n in LANGUAGES]
    return {name: {check.name: check.version for check in LANGUAGES[name].toolchain()} for name in names}


# ------------------------------------------------------------------------------------------------ the problems
def rows_digest(rows: Sequence[Mapping[str, Any]]) -> str:
    """SHA-256 over the problems scored: each row's id and every file it carries (path, role, content), in id
    order, so the same problems in any order give the same digest and any changed byte another."""
    digest = hashlib.sha256()
    for row in sorted(rows, key=lambda r: str(r["id"])):
        digest.update(str(row["id"]).encode() + b"\0")
        for key in ("files", "input_files", "target_files"):
            for f in sorted(row.get(key) or [], key=lambda f: (f.get("path", ""), f.get("role", ""))):
                digest.update(f"{key}\0{f.get('path')}\0{f.get('role')}\0".encode())
                digest.update(str(f.get("content") or "").encode() + b"\0")
    return digest.hexdigest()


def benchmark_info(root: str | os.PathLike | None, rows: Sequence[Mapping[str, Any]] | None = None,
                   left_out: Sequence[str] = (), source: str | None = None) -> dict[str, Any]:
    """The tree read (its git state where it is a checkout), and the problems scored (count, digest)."""
    info: dict[str, Any] = {}
    if root is not None:
        info.update({"root": str(Path(root).resolve()), **git_state(root)})
    if source is not None:
        info["source"] = source
    if rows is not None:
        info.update({"problems": len(rows), "problems_sha256": rows_digest(rows)})
    if left_out:
        info["left_out"] = list(left_out)
    return info


# --------------------------------------------------------------------------------------------------- the model
def _load_cache(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_digest(folder: str | os.PathLike, cache: str | os.PathLike | None = None) -> dict[str, Any]:
    """SHA-256 over a model folder's weight files (top level, :data:`WEIGHT_SUFFIXES` less a Trainer's
    :data:`NOT_WEIGHTS`): each file's own hash, with its name, in name order. A file's hash is kept in ``cache``
    (default: ``weight_hashes.json`` in the runner cache) by (path, size, modification time), so a
    multi-gigabyte checkpoint is read once, not at every evaluation; a cache that cannot be written only costs
    the reading again."""
    folder = Path(folder).resolve()
    cache_path = Path(cache) if cache is not None else weight_hash_cache()
    known = _load_cache(cache_path)
    files = sorted(p for p in folder.iterdir() if _is_weights(p))
    if not files:
        return {"weights_sha256": None, "weight_files": [], "note": f"no weight files ({', '.join(WEIGHT_SUFFIXES)})"}
    digest, changed = hashlib.sha256(), False
    for path in files:
        st = path.stat()
        key = f"{path}\0{st.st_size}\0{st.st_mtime_ns}"
        if key not in known:
            known[key] = _file_digest(path)
            changed = True
        digest.update(f"{path.name}\0{known[key]}\n".encode())
    if changed:
        try:
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(cache_path, json.dumps(known, indent=0, sort_keys=True))
        except OSError as err:  # the hash is right either way; only the next run reads the files again
            logger.info("could not keep weight hashes in %s (%s)", cache_path, err)
    return {"weights_sha256": digest.hexdigest(), "weight_files": [p.name for p in files],
            "weights_bytes": sum(p.stat().st_size for p in files)}


def _hub_revision(repo_id: str) -> str | None:
    """The commit of ``repo_id`` in the local Hub cache (what ``from_pretrained`` loaded), without the network."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    try:
        found = try_to_load_from_cache(repo_id, "config.json")
    except Exception:  # noqa: BLE001 - an id the cache cannot hold: no revision to record
        return None
    if isinstance(found, str) and "/snapshots/" in found:
        return Path(found).parent.name
    return None


def model_info(name: str | None, backend: str | None = None, base_url: str | None = None) -> dict[str, Any]:
    """What answered: a local folder (path, weight hash), a Hub id (revision in the Hub cache), or the model
    name an OpenAI-compatible server knows (and the server, credentials hidden); None: no model (a solutions
    file, the reference backend)."""
    if not name:
        return {"name": None, **({"backend": backend} if backend else {})}
    info: dict[str, Any] = {"name": name, **({"backend": backend} if backend else {})}
    path = Path(name).expanduser()
    if backend == "openai" or base_url:
        info["served_by"] = redact_url(base_url) if base_url else "the OpenAI API"
        return info
    if path.is_dir():
        info.update({"path": str(path.resolve()), **weights_digest(path)})
        return info
    info.update({"hub_id": name, "revision": _hub_revision(name)})
    return info


# ----------------------------------------------------------------------------------------------------- collect
def collect(*, languages: Iterable[str] | None = None, benchmark: Mapping[str, Any] | None = None,
            model: Mapping[str, Any] | None = None, backend: Mapping[str, Any] | None = None,
            seeds: Mapping[str, Any] | None = None, argv: Sequence[str] | None = None,
            config: Mapping[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """The provenance record (module docstring), every value redacted. ``languages``: whose toolchains to
    record (default: all); ``argv``: the command line as typed (program first); ``config``: the command's
    effective settings; ``extra``: more sections (a training recipe, a dataset's options)."""
    record: dict[str, Any] = {
        "date_utc": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "polyglot_hrm": package_info(),
        # The interpreter running polyglot-hrm (the Python exercises' own tools are under toolchains).
        "interpreter": {"implementation": platform.python_implementation(), "version": platform.python_version()},
        "platform": platform.platform(),
        "packages": _versions(PACKAGES),
        "toolchains": toolchain_versions(languages),
    }
    for key, value in (("benchmark", benchmark), ("model", model), ("backend", backend), ("seeds", seeds),
                       ("config", config)):
        if value is not None:
            record[key] = dict(value)
    if argv is not None:
        record["command"] = command_line(argv)
    record.update(extra)
    return redact(record)


# ----------------------------------------------------------------------------------------------------- display
def _commit_text(state: Mapping[str, Any]) -> str:
    return short_commit(state) or str(state.get("git") or "no git commit")


def summary(record: Mapping[str, Any]) -> dict[str, str]:
    """The record in a few short lines, by name (what reports and ``compare`` show; the JSON has it all)."""
    if not record:
        return {}
    lines: dict[str, str] = {"date (UTC)": str(record.get("date_utc", "-"))}
    package = record.get("polyglot_hrm") or {}
    lines["polyglot-hrm"] = f"{package.get('version', '?')} ({_commit_text(package)})"
    interpreter = record.get("interpreter") or {}
    lines["interpreter"] = f"{interpreter.get('implementation', '')} {interpreter.get('version', '-')}".strip()
    tools = record.get("toolchains") or {}
    lines["toolchains"] = "; ".join(f"{tool} {version or 'MISSING'}" for checks in tools.values()
                                    for tool, version in checks.items()) or "-"
    bench = record.get("benchmark") or {}
    if bench:
        where = bench.get("root") or bench.get("source") or "-"
        commit = f" @ {_commit_text(bench)}" if bench.get("root") else ""
        digest = str(bench.get("problems_sha256") or "")[:12]
        left = f"; left out: {', '.join(bench['left_out'])}" if bench.get("left_out") else ""
        lines["benchmark"] = f"{where}{commit}: {bench.get('problems', '?')} problems, sha256 {digest}{left}"
    model = record.get("model") or {}
    if model:
        name = model.get("name") or f"none ({model.get('backend', 'solutions file')})"
        detail = (f", weights sha256 {str(model['weights_sha256'])[:12]}" if model.get("weights_sha256")
                  else f", revision {model['revision']}" if model.get("revision")
                  else f", served by {model['served_by']}" if model.get("served_by") else "")
        lines["model"] = f"{name}{detail}"
    if record.get("seeds"):
        lines["seeds"] = ", ".join(f"{k}={v}" for k, v in record["seeds"].items())
    if record.get("command"):
        lines["command"] = str(record["command"])
    return lines
