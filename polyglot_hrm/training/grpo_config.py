"""GRPO recipes: YAML files like the SFT ones (:mod:`.config`), read and checked before any work.

A GRPO recipe (``trainer/recipes/grpo/*.yaml``; the shipped ones also by name: ``grpo/tiny``) has four sections:

    policy:     GRPOPolicy fields: which model is trained (``kind: hrm`` this project's HRM, a checkpoint of
                ``trainer/train.py``; ``kind: chat`` any AutoModelForCausalLM with a chat template) and from where
    data:       GRPOData fields: the rows (the builder on a benchmark root, or an export / Hub dataset) and how many
    reward:     GRPOReward fields: the execution reward's options, and the optional format reward's weight
    grpo_args:  trl.GRPOConfig fields (group size ``num_generations``, ``max_completion_length``, ``temperature``,
                the optimiser, logging; ``output_dir`` comes from the command line)

Overrides are ``section.field=value`` as for SFT recipes (``grpo_args.max_steps=2``). Field names and types are
checked against the dataclasses (a typo gets the closest name), then each dataclass checks its values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from ..dataset.config import DatasetOptions
from ..execution.executors import EXECUTORS
from ..execution.timeouts import check_timeout
from ..modelio.names import EDIT_FORMATS
from .config import (RecipeError, _check_fields, _dataclass_fields, _parse_value, _suggest, _yaml_problem, _yaml_where,
                     check_configs)

__all__ = ["GRPOData", "GRPOPolicy", "GRPORecipe", "GRPOReward", "GRPO_SECTIONS", "load_grpo_recipe",
           "shipped_grpo_recipes"]

GRPO_SECTIONS = ("policy", "data", "reward", "grpo_args")
#: grpo_args set by the run itself.
RUN_OWNED = ("output_dir", "reward_weights")


@dataclass
class GRPOPolicy:
    """The model GRPO trains.

    kind: ``hrm`` (this project's HRM: plain prompts in its own format, completions read in its answer format) or
        ``chat`` (an AutoModelForCausalLM whose tokenizer has a chat template: the evaluation's first-attempt chat).
    path: a folder saved by ``trainer/train.py`` (HRM) or ``save_pretrained``, or a Hub model id.
    tokenizer_path: where the tokenizer is, when not beside the model (None: ``path``, for an HRM run folder also
        its ``tokenizer/``).
    edit_format: ``whole`` or ``diff``: how a chat model is asked to answer (and its answer read). HRM: ignored.
    dtype: the weights' dtype when loaded (``float32``, ``bfloat16``; None: float32).
    """

    kind: Literal["hrm", "chat"] = "hrm"
    path: str = ""
    tokenizer_path: str | None = None
    edit_format: str = "whole"
    dtype: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("hrm", "chat"):
            raise ValueError(f"GRPOPolicy.kind={self.kind!r}: use 'hrm' (this project's HRM) or 'chat' (a chat model)")
        if not self.path:
            raise ValueError("GRPOPolicy.path is empty: set the model to train (a trainer/train.py output folder, a "
                             "saved model or a Hub id), e.g. policy.path=runs/tiny")
        if self.edit_format not in EDIT_FORMATS:
            raise ValueError(f"GRPOPolicy.edit_format={self.edit_format!r}: use one of {', '.join(EDIT_FORMATS)}")
        if self.dtype not in (None, "float32", "bfloat16", "float16"):
            raise ValueError(f"GRPOPolicy.dtype={self.dtype!r}: use float32, bfloat16 or float16 (or leave it unset)")

    @property
    def style(self) -> str:
        """The prompt style of :func:`polyglot_hrm.training.grpo_data.with_prompts`."""
        return "hrm" if self.kind == "hrm" else "chat"


@dataclass
class GRPOData(DatasetOptions):
    """The rows GRPO trains on.

    dataset: None builds them with the dataset builder (the benchmark root of the command, the dataset options of
        :class:`~polyglot_hrm.dataset.config.DatasetOptions`); else a folder written by ``polyglot-hrm export`` or a
        Hub dataset id, read with ``datasets.load_dataset``.
    configs: which configurations (generation, diff_edit, transfer); split: which split.
    ids: only these row ids (None: all); max_rows: at most this many (each language's shortest first,
        round-robin: :func:`polyglot_hrm.training.data.select_train_rows`), after ``ids``.
    """

    dataset: str | None = None
    configs: tuple[str, ...] = ("generation",)
    split: str = "train"
    ids: list[str] | None = None
    max_rows: int | None = None

    def __post_init__(self) -> None:
        self.configs = check_configs(self.configs, "GRPOData")
        self.validate_options("GRPOData")
        if self.split not in ("train", "validation", "test"):
            raise ValueError(f"GRPOData.split={self.split!r}: use train, validation or test")
        rows = self.max_rows
        if rows is not None and (not isinstance(rows, int) or isinstance(rows, bool) or rows < 1):
            raise ValueError(f"GRPOData.max_rows={rows!r}: a positive integer, or None for every row")


@dataclass
class GRPOReward:
    """The reward (:class:`polyglot_hrm.rewards.ExecutionReward`) and the optional format reward.

    partial_credit, malformed_penalty, executor ("local" or "ray"), jobs (parallel runs; None: the executor's
    default), timeout ("rl": the test step's ``min(10 x ref, ref + 3 s)``, "auto", or seconds): the execution
    reward's options. format_weight: weight of :func:`polyglot_hrm.rewards.format_reward` (1 where the answer parses
    in the format asked for); 0 leaves it out. The execution reward's weight is 1.
    """

    partial_credit: bool = False
    malformed_penalty: float = 0.0
    executor: str = "local"
    jobs: int | None = None
    timeout: str | float = "rl"
    format_weight: float = 0.0

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise ValueError(f"GRPOReward.executor={self.executor!r}: use one of {', '.join(EXECUTORS)}")
        check_timeout(self.timeout, "GRPOReward.timeout")
        for name in ("malformed_penalty", "format_weight"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"GRPOReward.{name}={value!r}: a number >= 0")
        if self.jobs is not None and (isinstance(self.jobs, bool) or not isinstance(self.jobs, int) or self.jobs < 1):
            raise ValueError(f"GRPOReward.jobs={self.jobs!r}: a positive integer, or None for the executor's default")


_CLASSES = {"policy": GRPOPolicy, "data": GRPOData, "reward": GRPOReward}


@dataclass
class GRPORecipe:
    """A parsed GRPO recipe: the four sections, each a plain dict until used (:meth:`policy_config` ...)."""

    policy: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    reward: dict[str, Any] = field(default_factory=dict)
    grpo_args: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    overridden: dict[str, str] = field(default_factory=dict)

    def origin(self, section: str, name: str) -> str:
        key = f"{section}.{name}"
        return f"override {self.overridden[key]!r}" if key in self.overridden else str(self.path or "recipe")

    def section(self, name: str) -> Any:
        """The section's dataclass (``policy``, ``data``, ``reward``), checked; errors name where a value came from."""
        cls = _CLASSES[name]
        values = getattr(self, name)
        _check_fields(self, name, _dataclass_fields(cls))
        try:
            return cls(**values)
        except (TypeError, ValueError) as err:
            named = re.match(rf"{cls.__name__}\.(\w+)", str(err))
            where = self.origin(name, named.group(1)) if named else str(self.path or "recipe")
            raise RecipeError(f"{where}: {err}") from None

    def policy_config(self) -> GRPOPolicy:
        return self.section("policy")

    def data_config(self) -> GRPOData:
        return self.section("data")

    def reward_config(self) -> GRPOReward:
        return self.section("reward")


def shipped_grpo_recipes() -> dict[str, Path]:
    """The GRPO recipes installed with the package (``polyglot_hrm/recipes/grpo/``), by name."""
    folder = resources.files("polyglot_hrm") / "recipes" / "grpo"
    return {p.name.removesuffix(".yaml"): Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml")}


def grpo_recipe_path(path_or_name: str | Path) -> Path:
    """A GRPO recipe file: the path itself when it exists, else the shipped recipe of that name (``tiny``,
    ``grpo/tiny``)."""
    path = Path(path_or_name)
    if path.is_file():
        return path
    shipped = shipped_grpo_recipes()
    name = path.name.removesuffix(".yaml")
    if name in shipped and path.parent in (Path("."), Path("grpo"), Path("trainer/recipes/grpo")):
        return shipped[name]
    raise FileNotFoundError(f"recipe={path}: no such file, and no shipped GRPO recipe of that name "
                            f"(shipped: {', '.join(sorted(shipped))})")


def load_grpo_recipe(path: str | Path, overrides: list[str] | None = None) -> GRPORecipe:
    """Read a GRPO recipe (a path or a shipped recipe's name), apply ``section.field=value`` overrides, check it."""
    path = grpo_recipe_path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise RecipeError(f"{path}{_yaml_where(err)}: not valid YAML: {_yaml_problem(err)}") from None
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: a GRPO recipe is a mapping with sections {GRPO_SECTIONS}")
    unknown = sorted(set(data) - set(GRPO_SECTIONS))
    if unknown:
        hint = " (an SFT recipe? train it with trainer/train.py)" if set(unknown) & {"polyglot", "model"} else ""
        raise RecipeError(f"{path}: unknown section(s) {unknown}{_suggest(unknown[0], GRPO_SECTIONS)}{hint}; a GRPO "
                          f"recipe has {GRPO_SECTIONS}")
    for section in GRPO_SECTIONS:
        if not isinstance(data.get(section) or {}, dict):
            raise RecipeError(f"{path}: section {section!r} must be a mapping of field: value")
    recipe = GRPORecipe(**{s: dict(data.get(s) or {}) for s in GRPO_SECTIONS}, path=path)
    for item in overrides or []:
        key, sep, value = item.partition("=")
        section, dot, name = key.partition(".")
        if not sep or not dot or section not in GRPO_SECTIONS or not name:
            raise RecipeError(f"override {item!r}: expected section.field=value with section one of {GRPO_SECTIONS}, "
                              f"e.g. grpo_args.max_steps=2")
        try:
            getattr(recipe, section)[name] = _parse_value(value)
        except yaml.YAMLError as err:
            raise RecipeError(f"override {item!r}: the value is not valid YAML: {_yaml_problem(err)}") from None
        recipe.overridden[f"{section}.{name}"] = item
    validate_grpo_recipe(recipe)
    return recipe


def validate_grpo_recipe(recipe: GRPORecipe) -> None:
    """Every section against its dataclass: names, types, then the values each class checks."""
    for name in _CLASSES:
        recipe.section(name)
    from trl import GRPOConfig  # trl is the optional `rl` extra: loaded only when a GRPO recipe is read

    fields = _dataclass_fields(GRPOConfig)
    for owned in RUN_OWNED:
        if owned in recipe.grpo_args:
            raise RecipeError(f"{recipe.origin('grpo_args', owned)}: grpo_args.{owned} is set by the run (output_dir: "
                              f"run_grpo's output_dir; reward_weights: reward.format_weight); remove it")
        fields.pop(owned, None)
    _check_fields(recipe, "grpo_args", fields)
    for name in ("num_generations", "max_completion_length"):
        value = recipe.grpo_args.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise RecipeError(f"{recipe.origin('grpo_args', name)}: grpo_args.{name}={value!r}: a positive integer")
    if recipe.grpo_args.get("num_generations") == 1:
        raise RecipeError(f"{recipe.origin('grpo_args', 'num_generations')}: grpo_args.num_generations=1: GRPO "
                          f"compares the completions of a group, so it needs at least 2")
