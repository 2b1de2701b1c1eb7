"""The dataset card (``README.md``) of an export: a YAML header the Hub reads, and text that says what the rows are
and where their exercises come from.

Where they come from decides what the card may claim. Each root the rows were read from is one of
(:func:`card_sources`):

* ``aider``: a clone of Aider's polyglot benchmark (the folder ``polyglot-benchmark``, or a git checkout whose
  remote names it): Exercism's exercises, MIT, collected by Aider;
* ``exercism``: an Exercism track checkout (``exercism/<track>``): Exercism's exercises, MIT;
* ``mini``: polyglot-hrm's built-in mini-benchmark: exercises this project wrote for its tests and demo, in
  the benchmark's layout. It is neither Aider's benchmark nor Exercism's: the card says so, and that it is for
  trying the pipeline;
* ``other``: any other tree, whose origin and licence polyglot-hrm cannot know: the card says so (licence
  ``other``) rather than guess.

The header also carries ``size_categories`` (the Hub's buckets of the total row count).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import datasets
import yaml

from ..problems import mini_benchmark_root
from ..languages import LANGUAGES, get_language
from .config import SPLITS
from .sources import DataDir, data_roots, source_label

__all__ = ["DEFAULT_CONFIG", "REPO_PLACEHOLDER", "CardSource", "card_sources", "dataset_card", "parquet_name",
           "row_counts", "size_category"]

#: The usage snippet's repository in an export; `push` writes the real repo id in the card it uploads.
REPO_PLACEHOLDER = "<org>/<dataset-name>"
DEFAULT_CONFIG = "generation"
AIDER_URL = "https://github.com/Aider-AI/polyglot-benchmark"

SourceKind = Literal["aider", "exercism", "mini", "other"]


def parquet_name(split: str) -> str:
    return f"{split}-00000-of-00001.parquet"


@dataclass(frozen=True)
class CardSource:
    """One root the rows were read from: its ``source`` label and what it is (module docstring)."""

    label: str
    kind: SourceKind


def _is_aider_clone(root: Path) -> bool:
    if root.name == "polyglot-benchmark":
        return True
    try:
        return "polyglot-benchmark" in (root / ".git" / "config").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def card_sources(data_dir: DataDir) -> list[CardSource]:
    """What each root of ``data_dir`` is, in order (None: the root the one rule picks, see
    :func:`polyglot_hrm.settings.resolve_benchmark_root`)."""
    mini = mini_benchmark_root().resolve()
    out = []
    for root in data_roots(data_dir):
        label = source_label(root)
        if root.resolve() == mini:
            kind: SourceKind = "mini"
        elif label.startswith("exercism/"):
            kind = "exercism"
        elif _is_aider_clone(root):
            kind = "aider"
        else:
            kind = "other"
        out.append(CardSource(label, kind))
    return out


def size_category(rows: int) -> str:
    """The Hub's ``size_categories`` bucket of ``rows``."""
    bounds = [(1_000, "1K"), (10_000, "10K"), (100_000, "100K"), (1_000_000, "1M"), (10_000_000, "10M")]
    if rows < bounds[0][0]:
        return "n<1K"
    for (low, low_name), (high, high_name) in zip(bounds, bounds[1:]):
        if rows < high:
            return f"{low_name}<n<{high_name}"
    return "n>10M"


def row_counts(built: dict[str, datasets.DatasetDict]) -> dict[str, dict[str, Any]]:
    """Rows per config: per split, per language (and per edit type for diff_edit), per source."""
    from collections import Counter

    counts: dict[str, dict[str, Any]] = {}
    for name, dd in built.items():
        entry: dict[str, Any] = {"splits": {s: dd[s].num_rows for s in dd}, "languages": {}, "edit_types": {}}
        langs = Counter(lang for s in dd for lang in dd[s]["language"])
        entry["languages"] = dict(sorted(langs.items()))
        if name == "diff_edit":
            entry["edit_types"] = dict(sorted(Counter(t for s in dd for t in dd[s]["edit_type"]).items()))
        entry["sources"] = {src: {s: sum(1 for x in dd[s]["source"] if x == src) for s in dd}
                            for src in sorted({x for s in dd for x in dd[s]["source"]})}
        entry["total"] = sum(entry["splits"].values())
        counts[name] = entry
    return counts


# ---------------------------------------------------------------------------------------------- the text
CONFIG_TEXT = {
    "generation": "* **generation**: the exercise's instructions and stub files -> the reference solution files.",
    "diff_edit": """\
* **diff_edit**: Aider SEARCH/REPLACE edit blocks (`target_edit`) that turn `input_files` into
  `target_files`; `edit_type` is `implement` (stub -> reference), `bug_fix` (a language-aware mutant of
  the reference -> the minimal blocks that restore it; with `verification: failed` the mutant was run and
  its tests failed, and `test_feedback` holds the trimmed failing output), `feature` (one function or
  method removed -> blocks that add it back) or `refactor` (the reference -> a behaviour-preserving
  refactoring of it that the instruction names: rename a local, extract a helper, inline a temporary, a
  for-each loop, a language idiom; `mutation.operator` says which; kept only when the refactored code was
  run and passed every test, `verification: passed`). `quality_score` in [0, 1] rates the blocks (well formed,
  unique anchors, minimality).""",
    "transfer": """\
* **transfer**: a reference solution in `source_language` plus the stub and instructions in `language`
  -> the `language` reference.""",
}

_EXERCISM_TRACKS = ", ".join(f"[{t}](https://github.com/exercism/{t})" for t in sorted(LANGUAGES))

SOURCE_TEXT: dict[SourceKind, str] = {
    "aider": f"[Aider's polyglot benchmark]({AIDER_URL}) (Aider-AI), which collects exercises (instructions, stubs, "
             f"tests, example solutions) from [Exercism](https://exercism.org)'s language tracks ({_EXERCISM_TRACKS})",
    "exercism": "[Exercism](https://exercism.org)'s {track} track (https://github.com/exercism/{track}): its "
                "exercises' instructions, stubs, tests and example solutions",
    "mini": "polyglot-hrm's built-in mini-benchmark (`polyglot_hrm/data/mini_benchmark`): small exercises "
            "polyglot-hrm wrote for its own tests and demo, in the layout of Aider's polyglot benchmark. It is "
            "**not** Aider's benchmark and not Exercism's exercises: use it to try the pipeline, not to train or "
            "compare models",
    "other": "a local tree polyglot-hrm read; where its exercises come from, and under which licence, is not "
             "recorded",
}


SHORT_NAME: dict[SourceKind, str] = {
    "aider": f"[Aider's polyglot benchmark]({AIDER_URL})",
    "exercism": "Exercism's {track} track",
    "mini": "polyglot-hrm's built-in mini-benchmark",
    "other": "`{label}`",
}

#: What the `added` column is, and what a split by it does not do.
ADDED_TEXT = ("`added` is the day (`YYYY-MM-DD`, UTC) the exercise entered its Exercism track: the earliest commit "
              "of its\nfiles in the track checkout's git history, following renames; null where the tree read is "
              "not a track\ncheckout with its history (a polyglot-benchmark clone). The options `added_after` / "
              "`added_before` keep exercises\nadded after / before a day. The exercises' canonical specifications "
              "(Exercism's problem-specifications)\nand other tracks' versions often predate a track's exercise, so "
              "a split by date limits contamination;\nit does not remove it.")

#: Said at the top of the card when a source is one of these.
WARNING: dict[SourceKind, str] = {
    "mini": "**This is not Aider's benchmark, nor Exercism's exercises.** The mini-benchmark is a handful of small "
            "exercises polyglot-hrm wrote for its tests and demo, in the benchmark's layout: use it to try the "
            "pipeline, not to train or compare models.",
    "other": "Where the exercises of {labels} come from is not recorded (see Source and Licence).",
}


def _source_text(source: CardSource) -> str:
    return SOURCE_TEXT[source.kind].format(track=source.label.split("/", 1)[-1])


def _short_name(source: CardSource) -> str:
    return SHORT_NAME[source.kind].format(track=source.label.split("/", 1)[-1], label=source.label)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _licence(kinds: set[SourceKind]) -> tuple[str, str]:
    """(the header's ``license``, the Licence section's text)."""
    parts = []
    if kinds & {"aider", "exercism"}:
        parts.append("The exercises from Exercism are copyright Exercism and the exercises' authors, under the MIT "
                     "licence.")
    if "mini" in kinds:
        parts.append("The mini-benchmark's exercises were written for polyglot-hrm and ship with it under its MIT "
                     "licence.")
    if "other" in kinds:
        parts.append("The exercises read from a tree of unknown origin keep that tree's licence, which polyglot-hrm "
                     "cannot know: check it before publishing this dataset, and set `license` above to match.")
        return "other", " ".join(parts) + " The derived rows (edit blocks, mutants, transfer pairs) follow the " \
                                          "licences of the exercises they were made from."
    return "mit", "MIT. " + " ".join(parts) + " The derived rows (edit blocks, mutants, transfer pairs) are " \
                                              "released under the same licence."


_CITATION = f"""\
## Citation

```bibtex
@misc{{aider_polyglot_benchmark,
  title = {{Aider's polyglot benchmark}},
  author = {{Aider-AI}},
  howpublished = {{\\url{{{AIDER_URL}}}}},
  year = {{2024}}
}}
```
"""


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _row_tables(counts: dict[str, dict[str, Any]]) -> str:
    tables = []
    for name, entry in counts.items():
        cols = list(entry["splits"]) + ["total"]
        tables.append(f"**{name}**\n\n" + _table(["split", *cols[:-1], "total"],
                                                  [["rows", *entry["splits"].values(), entry["total"]]]))
        tables.append(_table(["language", "rows"], [[k, v] for k, v in entry["languages"].items()]))
        if entry["edit_types"]:
            tables.append(_table(["edit type", "rows"], [[k, v] for k, v in entry["edit_types"].items()]))
        if entry["sources"]:
            tables.append(_table(["source", *entry["splits"]],
                                 [[k, *(v[x] for x in entry["splits"])] for k, v in entry["sources"].items()]))
    return "\n\n".join(tables)


def _header(built: dict[str, datasets.DatasetDict], default: str | None, licence: str,
            kinds: set[SourceKind], total_rows: int) -> dict[str, Any]:
    configs, infos = [], []
    for name, dd in built.items():
        splits = [s for s in SPLITS if s in dd]
        entry: dict[str, Any] = {"config_name": name,
                                 "data_files": [{"split": s, "path": f"{name}/{parquet_name(s)}"} for s in splits]}
        if name == default:
            entry["default"] = True
        configs.append(entry)
        sizes = {s: dd[s].data.nbytes for s in splits}
        infos.append({"config_name": name, "features": dd[splits[0]].features._to_yaml_list(),
                      "splits": [{"name": s, "num_bytes": sizes[s], "num_examples": dd[s].num_rows} for s in splits],
                      "dataset_size": sum(sizes.values())})
    tags = ["code", *(["exercism"] if kinds & {"aider", "exercism"} else []), "code-generation", "code-editing",
            *(["aider"] if "aider" in kinds else [])]
    return {"license": licence, "pretty_name": "polyglot-hrm", "language": ["en"], "tags": tags,
            "task_categories": ["text-generation"], "size_categories": [size_category(total_rows)],
            "configs": configs, "dataset_info": infos}


def dataset_card(built: dict[str, datasets.DatasetDict], options: dict[str, Any], repo: str = REPO_PLACEHOLDER,
                 tree_hash: str = "", sources: list[CardSource] | None = None,
                 provenance: dict[str, Any] | None = None) -> str:
    """The README.md: YAML header (`configs:` with data_files per split and a default config, `dataset_info`
    with features and each split's size, `size_categories`, the licence the sources allow) + text that names
    where the exercises come from (``sources``: :func:`card_sources`; None: the mini-benchmark's)."""
    sources = sources if sources is not None else card_sources(None)
    kinds = {s.kind for s in sources}
    default = DEFAULT_CONFIG if DEFAULT_CONFIG in built else next(iter(built), None)
    counts = row_counts(built)
    licence, licence_text = _licence(kinds)
    header = _header(built, default, licence, kinds, sum(e["total"] for e in counts.values()))
    exercises = {pid for dd in built.values() for s in dd for pid in dd[s]["problem_id"]}
    languages = sorted({lang for e in counts.values() for lang in e["languages"]})
    names = _and([get_language(lang).title or lang for lang in languages]) if languages else "no language"
    what = "Exercism exercises" if kinds <= {"aider", "exercism"} else "exercises"
    warnings = [WARNING[k].format(labels=_and([f"`{s.label}`" for s in sources if s.kind == k]))
                for k in ("mini", "other") if k in kinds]
    usage = [f'ds = load_dataset("{repo}")               # the default configuration, {default}']
    usage += [f'ds = load_dataset("{repo}", "{name}")' for name in built if name != default][:1]
    lines = ["# polyglot-hrm training data", "",
             f"Training data made from {_and([_short_name(s) for s in sources])}: {len(exercises)} {what} in "
             f"{names}, turned into {len(built)} configuration{'s' if len(built) != 1 else ''} by polyglot-hrm "
             f"(`polyglot-hrm export`):",
             "", *(CONFIG_TEXT[name] for name in built), "", *(f"{w}\n" for w in warnings),
             "Every row carries **all** files of its exercise (`files`, with roles `solution`, `reference`, `test`,\n"
             "`editor`, `support`), so it can be executed without the benchmark tree, for example with the\n"
             "`polyglot_exec` metric. Splits are by exercise slug: an exercise sits in one split in every language "
             "and\nevery configuration. `difficulty` (`easy`/`medium`/`hard`) is the tertile of the exercise's "
             "complexity\nscore within its language, for curricula. `source` names the tree a row's exercise was "
             "read from\n(`exercism/<track>` for an Exercism track checkout, else the folder's name, such as "
             "`polyglot-benchmark`).",
             "", ADDED_TEXT,
             "", "```python", "from datasets import load_dataset", *usage, "```", "",
             "## Rows", "", _row_tables(counts), "",
             "## Options used", "", "```json", json.dumps(options, indent=1, default=str), "```", "",
             f"Data hash (every root's files, and the slugs left out): `{tree_hash or 'n/a'}`.", "",
             "## Source", "",
             *(f"* `{s.label}`: {_source_text(s)}." for s in sources), "",
             "The rows were made by [polyglot-hrm](https://github.com/polyglot-hrm/polyglot-hrm) from the trees "
             "whose hash is given above.", "",
             *(["## Provenance", "", "When, with which code and tools, from which trees, by which command "
                "(`polyglot_hrm.provenance`):", "", "```json", json.dumps(provenance, indent=1, default=str), "```",
                ""] if provenance else []),
             "## Licence", "", licence_text, ""]
    if "aider" in kinds:
        lines.append(_CITATION)
    body = "\n".join(lines).rstrip("\n") + "\n"
    return "---\n" + yaml.safe_dump(header, sort_keys=False, allow_unicode=True) + "---\n\n" + body
