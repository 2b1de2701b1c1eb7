"""Export the built configurations as Parquet with a dataset card, and push them to the Hub.

Layout (the same as ``push_to_hub(..., config_name=c, data_dir=c)`` writes, so a folder and a Hub repo
read the same)::

    OUT/README.md                                   dataset card (:mod:`.card`): YAML `configs:` + features, counts,
                                                    size, licence; where the exercises come from
    OUT/<config>/<split>-00000-of-00001.parquet     one file per config and split

``datasets.load_dataset(OUT, "diff_edit")`` then returns the builder's rows (the Parquet files carry the
exact ``Features``, and the card repeats them).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Sequence

import datasets

from ..outputs import (OutputError, atomic_write_text, check_writable, claim_dir, honour_umask, install_tree,
                       read_manifest)
from .builder import EmptyConfigError, PolyglotHRM
from .card import REPO_PLACEHOLDER, card_sources, dataset_card, parquet_name, row_counts
from .config import CONFIG_NAMES, SPLITS, PolyglotHRMConfig
from .fingerprint import data_hash
from .hub import HubError, unreachable
from ..provenance import collect, git_state
from ..settings import BenchmarkRoot, datasets_cache_origin, hub_endpoint, resolve_benchmark_root
from .sources import DataDir

__all__ = ["ExportReport", "build_datasets", "card_for_repo", "check_datasets_cache", "dataset_card",
           "datasets_cache", "export", "push", "row_counts", "validate_repo_id"]

logger = logging.getLogger(__name__)


@dataclass
class ExportReport:
    out: Path
    files: list[Path] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0


def datasets_cache(cache_dir: str | Path | None = None) -> tuple[Path, str]:
    """The folder the builder caches Arrow files in, and what chose it (``cache_dir``, or an environment
    variable, or the default)."""
    if cache_dir:
        return Path(cache_dir), "`cache_dir`"
    path = Path(datasets.config.HF_DATASETS_CACHE)
    return path, datasets_cache_origin()


def check_datasets_cache(cache_dir: str | Path | None = None) -> None:
    """Before any work: the datasets cache can be written (a read-only ``HF_HOME`` would otherwise end a build in
    a traceback); an :class:`~polyglot_hrm.outputs.OutputError` names the folder, what chose it, and the fix."""
    path, chosen = datasets_cache(cache_dir)
    try:
        check_writable(path, "datasets cache")
    except OutputError as err:
        reason = getattr(err.__cause__, "strerror", None) or str(err).split(": ", 1)[-1]
        raise OutputError(f"datasets cache {path} (chosen by {chosen}): not writable ({reason}); set "
                          f"HF_DATASETS_CACHE (or HF_HOME) to a writable folder, or pass `cache_dir=DIR`") from None


def build_datasets(data_dir: DataDir, configs: Sequence[str] = CONFIG_NAMES, cache_dir: str | None = None,
                   reports: dict[str, Any] | None = None, executor: Any = None,
                   **options: Any) -> dict[str, datasets.DatasetDict]:
    """Build (or reload from cache) each configuration with the builder; ``options`` go to every config.
    ``data_dir``: one root, several (a list, or joined with ``os.pathsep``), or None: ``$POLYGLOT_BENCHMARK_ROOT``,
    else the built-in mini-benchmark (:func:`polyglot_hrm.settings.resolve_benchmark_root`, logged).
    ``reports``, when given, receives each configuration's :class:`~.rows.BuildReport` (None: reloaded).
    ``executor``: where verification runs execute (``"local"``, the default, ``"ray"`` or an executor); not an
    option of the data, so not part of the cache key."""
    check_datasets_cache(cache_dir)
    root = resolve_benchmark_root(data_dir, name="data_dir")
    out = {}
    for name in configs:
        if name not in CONFIG_NAMES:
            raise ValueError(f"configs: unknown configuration {name!r}; choose from {', '.join(CONFIG_NAMES)}")
        builder = PolyglotHRM(config_name=name, data_dir=root.data_dir, cache_dir=cache_dir,
                              executor=executor, **{k: v for k, v in options.items() if v is not None})
        try:
            builder.download_and_prepare()
        except EmptyConfigError as err:
            logger.warning("skipped %s", err)
            continue
        out[name] = builder.as_dataset()
        if reports is not None:
            reports[name] = builder.build_report
    return out


def effective_options(**options: Any) -> dict[str, Any]:
    """Every option of the configs as built (defaults included), for the card."""
    config = PolyglotHRMConfig(name="diff_edit", **{k: v for k, v in options.items() if v is not None})
    skip = {"name", "version", "data_dir", "data_files", "description"}
    out = {f.name: getattr(config, f.name) for f in fields(config) if f.name not in skip}
    if out.get("verify_by_execution") is None:
        out["verify_by_execution"] = "auto (where the runners are available)"
    return out


def export_provenance(root: BenchmarkRoot, built: dict[str, datasets.DatasetDict], options: dict[str, Any],
                      data_digest: str, command: Sequence[str] | None = None) -> dict[str, Any]:
    """The export's provenance (:mod:`polyglot_hrm.provenance`): each tree read with its git state, the data
    hash, the toolchains of the languages exported (mutants are verified with them), the options and the
    command line."""
    languages = sorted({lang for e in row_counts(built).values() for lang in e["languages"]})
    benchmark = {"source": root.origin, "roots": [{"root": str(r), **git_state(r)} for r in root.roots],
                 "data_sha256": data_digest}
    return collect(languages=languages, benchmark=benchmark, config=effective_options(**options),
                   **({"argv": command} if command else {}))


def export(data_dir: DataDir, out: str | Path, configs: Sequence[str] = CONFIG_NAMES,
           cache_dir: str | None = None, executor: Any = None, command: Sequence[str] | None = None,
           **options: Any) -> ExportReport:
    """Write Parquet per config and split, and the dataset card, under ``out`` (``data_dir`` and ``executor``: as
    in :func:`build_datasets`; the card names the trees the rows were read from, and gives the provenance:
    :func:`export_provenance`, with ``command``, the command line, when given).

    ``out`` must be absent, empty or an earlier export (its ``.polyglot-hrm.json`` manifest): a folder of
    someone else's files is refused before anything is built. The export is written to a temporary folder
    beside ``out`` and moved into place at the end, replacing only the files the earlier export listed, so
    configs left out this time do not linger beside a card that no longer names them, and an interrupted
    export leaves the previous one whole."""
    start = time.perf_counter()
    out = Path(out)
    claim_dir(out, "export", "`out`")
    out.parent.mkdir(parents=True, exist_ok=True)
    root = resolve_benchmark_root(data_dir, name="data_dir")  # once: the rows, the card and the hash name one tree
    built = build_datasets(root, configs, cache_dir, executor=executor, **options)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.partial-"))
    honour_umask([staging])  # mkdtemp made it 0700, and it becomes the export folder
    try:
        _write_export(staging, built, root, options, command)
        install_tree(staging, out, "export")
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when the move succeeded
    report = ExportReport(out)
    report.files = [out / name / parquet_name(s) for name, dd in built.items() for s in SPLITS if s in dd]
    report.files.append(out / "README.md")
    report.counts = {n: e["splits"] for n, e in row_counts(built).items()}
    report.seconds = time.perf_counter() - start
    return report


def _write_export(folder: Path, built: dict[str, datasets.DatasetDict], data_dir: BenchmarkRoot,
                  options: dict[str, Any], command: Sequence[str] | None = None) -> None:
    for name, dd in built.items():
        (folder / name).mkdir(exist_ok=True)
        for split in SPLITS:
            if split in dd:
                dd[split].to_parquet(str(folder / name / parquet_name(split)))
    digest = data_hash(data_dir, options.get("exclude_slugs_of"))
    card = dataset_card(built, effective_options(**options), tree_hash=digest[:16], sources=card_sources(data_dir),
                        provenance=export_provenance(data_dir, built, options, digest, command))
    atomic_write_text(folder / "README.md", card)


def validate_repo_id(repo_id: str) -> str:
    """``repo_id`` as the Hub accepts it (huggingface_hub's own validator), in ORG/NAME form."""
    from huggingface_hub.utils import HFValidationError
    from huggingface_hub.utils import validate_repo_id as hub_validate

    example = "for example my-org/polyglot-hrm"
    if repo_id.count("/") != 1:
        raise ValueError(f"repo_id={repo_id!r}: expected ORG/NAME ({example})")
    try:
        hub_validate(repo_id)
    except HFValidationError as err:
        raise ValueError(f"repo_id={repo_id!r}: the Hub would reject it: {err} ({example})") from None
    return repo_id


def _export_files(export_dir: Path) -> list[Path]:
    """The Parquet files of an export: those its manifest lists (what `export` wrote), else every
    ``<config>/*.parquet`` (an export made before manifests)."""
    manifest = read_manifest(export_dir)
    if manifest is not None:
        return [export_dir / f for f in manifest.files if f.endswith(".parquet") and (export_dir / f).is_file()]
    return [p for c in CONFIG_NAMES for p in sorted((export_dir / c).glob("*.parquet"))]


def push(export_dir: str | Path, repo_id: str, private: bool = False, dry_run: bool = False,
         token: str | None = None) -> list[str]:
    """Push an export folder to the Hub: each config with ``DatasetDict.push_to_hub`` (same file layout),
    then the dataset card. With ``dry_run`` nothing is sent: returns what would be uploaded."""
    validate_repo_id(repo_id)  # before anything else: a dry run checks it too
    export_dir = Path(export_dir)
    card = export_dir / "README.md"
    if not card.is_file():
        raise FileNotFoundError(f"{card}: not an export folder; run `polyglot-hrm export --out {export_dir}` first")
    files = _export_files(export_dir)
    configs = sorted({p.parent.name for p in files})
    plan = [f"{p.parent.name}/{p.name} ({p.stat().st_size} bytes)" for p in sorted(files)]
    plan.append(f"README.md ({card.stat().st_size} bytes)")
    lines = [f"{'would upload' if dry_run else 'uploading'} to https://huggingface.co/datasets/{repo_id}"
             f" ({'private' if private else 'public'}):"] + [f"  {p}" for p in plan]
    if dry_run:
        return lines
    from huggingface_hub import HfApi

    check_datasets_cache()  # the Parquet files are read back through it
    try:
        for name in configs:
            by_split = {p.name.split("-")[0]: str(p) for p in files if p.parent.name == name}
            dd = datasets.load_dataset("parquet", data_files=by_split)
            dd.push_to_hub(repo_id, config_name=name, data_dir=name, private=private, token=token)
        HfApi(token=token).upload_file(path_or_fileobj=card_for_repo(card, repo_id).encode(), path_in_repo="README.md",
                                       repo_id=repo_id, repo_type="dataset",
                                       commit_message="polyglot-hrm dataset card")
    except Exception as err:
        cause = unreachable(err)
        if cause is None:
            raise
        raise HubError(f"could not reach the Hub at {hub_endpoint()} ({type(cause).__name__}: "
                       f"{str(cause).splitlines()[0][:160]}); {export_dir} is unchanged and the upload may be "
                       f"partial: check the network (and HF_ENDPOINT, HF_HUB_OFFLINE), then rerun the same "
                       f"command") from err
    return lines


def card_for_repo(card: Path, repo_id: str) -> str:
    """The export's card with its usage snippet naming ``repo_id`` (what `push` uploads; the export keeps the
    placeholder)."""
    return card.read_text(encoding="utf-8").replace(REPO_PLACEHOLDER, repo_id)
