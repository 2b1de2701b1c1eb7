"""``PolyglotHRM``: the ``datasets`` builder of the three configurations (re-exported by the repository's
``polyglot_hrm_dataset.py``).

    builder = PolyglotHRM(config_name="diff_edit", data_dir=BENCHMARK_ROOT)
    # no data_dir: $POLYGLOT_BENCHMARK_ROOT, else the built-in mini-benchmark (logged at INFO)
    # several roots (Exercism track checkouts and the benchmark), the benchmark's exercises left out:
    builder = PolyglotHRM(config_name="diff_edit", data_dir=["tracks/python", "tracks/go"],
                          exclude_slugs_of=BENCHMARK_ROOT)
    builder.download_and_prepare()
    ds = builder.as_dataset()  # DatasetDict: train / validation / test

Options are keyword arguments (``PolyglotHRM(config_name="diff_edit", seed=1, verify_by_execution=False)``),
validated by :class:`PolyglotHRMConfig`. ``executor`` (``"local"``, the default, ``"ray"`` or an executor from
:func:`polyglot_hrm.execution.make_executor`) says where verification runs execute; it is an argument of the
builder, not of the config, so it changes no row and no cache key (a build verified on Ray reloads locally).

**Caching.** The cache directory is ``<cache>/polyglot_hrm/<config id>/<version>/<hash>``: ``datasets``
derives the config id from the options passed (``data_dir`` included: several roots are one string,
joined with ``os.pathsep``); this builder sets ``hash`` to a digest of every root's files
(:func:`~polyglot_hrm.dataset.fingerprint.tree_hash`), of the slugs ``exclude_slugs_of`` leaves out, and of the code
that makes rows (every file of the package: :func:`~polyglot_hrm.dataset.fingerprint.code_hash`). So an unchanged
tree reloads from the Arrow cache (``download_and_prepare`` only hashes the tree), and editing any benchmark file
builds afresh into a new directory. Each build also records its
rows per split and a checksum of each Arrow file (:mod:`.cache`); a reload whose folder differs from that
record (a truncated or edited file, an edited ``dataset_info.json``) logs what was wrong and rebuilds.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import datasets

from ..settings import resolve_benchmark_root
from .rows import BuildReport, build
from .cache import cache_problems, write_record
from .config import CONFIG_NAMES, SPLITS, PolyglotHRMConfig
from .features import features_for
from .fingerprint import code_hash, data_hash
from .sources import join_roots

__all__ = ["EmptyConfigError", "PolyglotHRM", "PolyglotHRMConfig"]

logger = logging.getLogger(__name__)


class EmptyConfigError(ValueError):
    """A configuration that has no row at all with the options given (``transfer`` over one language)."""

_DESCRIPTION = """\
Training data from Aider's polyglot benchmark (Exercism exercises in C++, Go, Java, JavaScript, Python
and Rust): `generation` (instructions + stub -> solution), `diff_edit` (Aider SEARCH/REPLACE edits:
implement, bug_fix from verified mutants, feature, refactor verified to pass every test) and `transfer` (a
solution in one language -> the same exercise in another). Every row carries all files of its exercise, so it
can be executed later, and the `source` tree it was read from (the benchmark, or an Exercism track).
"""
_HOMEPAGE = "https://github.com/Aider-AI/polyglot-benchmark"
_LICENSE = "MIT (Exercism exercises, via Aider's polyglot benchmark)"


class PolyglotHRM(datasets.GeneratorBasedBuilder):
    """Builder of the ``generation``, ``diff_edit`` and ``transfer`` configurations."""

    VERSION = datasets.Version("1.0.0")
    BUILDER_CONFIG_CLASS = PolyglotHRMConfig
    BUILDER_CONFIGS = [PolyglotHRMConfig(name=name, version=datasets.Version("1.0.0")) for name in CONFIG_NAMES]
    DEFAULT_CONFIG_NAME = "generation"
    DEFAULT_WRITER_BATCH_SIZE = 100  # rows carry whole exercises (C++ ones a 650 kB Catch2 header)

    def __init__(self, *args: Any, hash: str | None = None, dataset_name: str | None = None, executor: Any = None,
                 **kwargs: Any):
        self.executor = executor
        if hash is None:
            # The one rule (polyglot_hrm.settings): data_dir, else $POLYGLOT_BENCHMARK_ROOT, else the mini-benchmark;
            # the config then names its roots, as one string (the cache key's form), whichever picked them.
            root = resolve_benchmark_root(kwargs.get("data_dir"), name="data_dir")
            kwargs["data_dir"] = root.data_dir
            exclude = kwargs.get("exclude_slugs_of")
            hash = f"{data_hash(root, str(exclude) if exclude else None)[:16]}-{code_hash()}"
        elif "data_dir" in kwargs:
            kwargs["data_dir"] = join_roots(kwargs["data_dir"])  # several roots: one string, the cache key's form
        super().__init__(*args, hash=hash, dataset_name=dataset_name or "polyglot_hrm", **kwargs)
        # `datasets` sets options on a copy of a predefined config with setattr: validate them here.
        self.config.__post_init__()

    def _build_cache_dir(self) -> str:
        """The cache folder ``datasets`` chose, checked against our record before ``datasets`` reads anything
        in it: a damaged one is removed (it is this builder's own folder) so this configuration is rebuilt."""
        folder = super()._build_cache_dir()
        if (Path(folder) / "dataset_info.json").exists():
            problems = cache_problems(folder)
            if problems:
                logger.warning("%s: the Arrow cache of %r is damaged (%s); rebuilding this configuration",
                               folder, self.config.name, "; ".join(problems))
                shutil.rmtree(folder)
        return folder

    def _save_info(self) -> None:
        super()._save_info()
        # Called once the Arrow files are written, in the folder `datasets` then renames into place.
        write_record(self._output_dir, {name: split.num_examples for name, split in self.info.splits.items()})

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(description=_DESCRIPTION, features=features_for(self.config.name),
                                    homepage=_HOMEPAGE, license=_LICENSE)

    #: What the last build made (None when the data came from the Arrow cache: nothing was built).
    build_report: BuildReport | None = None

    def _split_generators(self, dl_manager):
        self.build_report = build(self.config, executor=self.executor)
        rows = self.build_report.rows
        by_split: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
        for row in rows:
            by_split[row["split"]].append(row)
        if not rows:
            raise EmptyConfigError(f"{self.config.name}: no rows with these options (transfer needs two or more "
                                   f"languages; a small max_problems_per_language can leave a config empty)")
        # A split without rows is left out (datasets cannot load an empty one), not an error.
        return [datasets.SplitGenerator(name=s, gen_kwargs={"rows": by_split[s]}) for s in SPLITS if by_split[s]]

    def _generate_examples(self, rows):
        for row in rows:
            yield row["id"], row
