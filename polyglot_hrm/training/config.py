"""`PolyglotTrainingConfig` (the seed's training options, plus curriculum/evaluation knobs) and YAML recipes.

A recipe is a YAML file: a path, or the name of one shipped with the package (`tiny`, `hrm-27m`: the files of
`polyglot_hrm/recipes/`, which a checkout also shows as `trainer/recipes/`). It has three sections:

    polyglot:       PolyglotTrainingConfig fields (data, sampling, curriculum, evaluation)
    model:          HRMConfig fields (vocab_size and the special-token ids come from the tokenizer)
    training_args:  transformers.TrainingArguments fields (output_dir comes from the command line)

Command-line overrides are `section.field=value` strings, the value parsed as YAML
(`training_args.max_steps=20`, `polyglot.language_weights={python: 2.0}`), except that only true/false are
booleans (`training_args.eval_strategy=no` is the string "no"; in a recipe file quote it: `"no"`).

Everything is checked when the recipe is loaded, before any data is built (:func:`validate_recipe`): every
field must exist in its section's dataclass (a typo gets the closest valid name suggested) and hold a value of
the field's type; YAML errors name the file (or the override) and the line. Values that cannot train are
refused there too, each naming the field: a learning rate that is not > 0, a tokenizer vocabulary smaller
than its byte symbols and special tokens, a model whose parameters alone (weights, gradients and AdamW's two
moments: :data:`TRAINING_BYTES_PER_PARAMETER`) need more memory than the training device has, model fields the
tokenizer sets (``model.vocab_size``, the special-token ids), and a ``max_sequence_length`` above the model's
``max_position_embeddings``.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import enum
import math
import os
import re
import sys
import types
import typing
from importlib import resources
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Union

import yaml

from ..dataset.config import DatasetOptions
from ..dataset.names import CONFIG_NAMES
from ..execution.executors import EXECUTORS
from ..execution.timeouts import check_seconds
from ..languages import LANGUAGES
from ..modelio.tokenizer import min_vocab_size
from ..settings import TRAINING_EVAL_GENERATION, TRAINING_EVAL_TIMEOUT, GenerationOptions

__all__ = ["PolyglotTrainingConfig", "Recipe", "RecipeError", "apply_overrides", "load_recipe", "validate_recipe"]

Pacing = Literal["linear", "sqrt"]
RECIPE_SECTIONS = ("polyglot", "model", "training_args")


class RecipeError(ValueError):
    """A recipe or override that cannot work: unknown field, wrong type, bad YAML. Raised before any work."""


def check_configs(configs: Any, owner: str) -> tuple[str, ...]:
    """``configs`` as a tuple of dataset config names, or a ValueError naming ``owner``'s field."""
    configs = tuple(configs)
    unknown = [c for c in configs if c not in CONFIG_NAMES]
    if unknown or not configs:
        raise ValueError(f"{owner}.configs={list(configs)!r}: unknown {unknown or 'empty'}; choose from {CONFIG_NAMES}")
    return configs


@dataclass
class PolyglotTrainingConfig(DatasetOptions):
    """Options of the training data, sampling and in-training evaluation.

    Data: the dataset's own options (:class:`polyglot_hrm.dataset.config.DatasetOptions`: languages,
        max_problems_per_language, ..., verify_by_execution, with the builder's defaults; recipes set what
        they want otherwise), passed to the `PolyglotHRM` builder, plus configs (which configurations to load).
    Batching: batch_size (per device), max_sequence_length (tokens; longer examples are dropped, counted).
    Slice: max_train_rows (None: every training row): train on at most this many rows of the train split, chosen
        by `polyglot_hrm.training.data.select_train_rows` (each language's shortest rows, round-robin). A small
        CPU run (the demo) can then see each row often enough to learn it; held-out rows are never affected.
    Sampling (`polyglot_hrm.training.sampler.CurriculumSampler`):
        curriculum_learning: sample easy rows first, harder ones as training goes on.
        curriculum_pacing: "linear" or "sqrt" competence growth (sqrt admits harder rows sooner).
        curriculum_start: share of rows (easiest first) available at step 0, in (0, 1].
        curriculum_full_at: share of training after which every row is available, in (0, 1].
        language_weights: relative sampling weight per language (missing languages: 1.0).
        cross_language_mixing_ratio: share of `transfer` rows among the samples; None keeps their natural
            share. Ignored when no transfer rows are loaded.
    Tokenizer: vocab_size (when one is trained), tokenizer_path (load instead of training).
    Evaluation by execution (`polyglot_hrm.training.callbacks.ExecutionEvalCallback`):
        eval_num_problems (0 disables it), eval_split (a split, or several joined by commas: "validation,test";
        also the held-out set of the Trainer's eval loss), eval_num_samples, eval_temperature (0 = greedy),
        eval_max_new_tokens, eval_batch_size (the fields of :class:`polyglot_hrm.settings.GenerationOptions`, as
        :attr:`eval_generation`; defaults: ``settings.TRAINING_EVAL_GENERATION``), eval_timeout (seconds per test
        run; default ``settings.TRAINING_EVAL_TIMEOUT``), eval_executor ("local": a pool on the main process's
        machine; "ray": a Ray cluster, eval_ray_address or RAY_ADDRESS, else a local Ray).
    """

    configs: tuple[str, ...] = CONFIG_NAMES

    batch_size: int = 16
    max_sequence_length: int = 2048
    max_train_rows: int | None = None

    curriculum_learning: bool = True
    curriculum_pacing: Pacing = "linear"
    curriculum_start: float = 0.25
    curriculum_full_at: float = 0.5
    cross_language_mixing_ratio: float | None = 0.3
    language_weights: dict[str, float] = field(default_factory=lambda: {lang: 1.0 for lang in LANGUAGES})

    vocab_size: int = 8192
    tokenizer_path: str | None = None

    eval_num_problems: int = 12
    eval_split: str = "validation"
    eval_num_samples: int = 1
    eval_temperature: float = TRAINING_EVAL_GENERATION.temperature
    eval_max_new_tokens: int = TRAINING_EVAL_GENERATION.max_new_tokens
    eval_batch_size: int = TRAINING_EVAL_GENERATION.batch_size
    eval_timeout: float = TRAINING_EVAL_TIMEOUT
    eval_executor: str = "local"
    eval_ray_address: str | None = None

    def __post_init__(self) -> None:
        self.configs = check_configs(self.configs, "PolyglotTrainingConfig")
        self.validate_options("PolyglotTrainingConfig")
        for name in ("batch_size", "max_sequence_length", "vocab_size", "eval_num_samples"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"PolyglotTrainingConfig.{name}={value!r}: must be a positive integer")
        if self.tokenizer_path is None and self.vocab_size < min_vocab_size():
            raise ValueError(f"PolyglotTrainingConfig.vocab_size={self.vocab_size} is too small for a byte-level BPE: "
                             f"its 256 byte symbols, special tokens and edit markers need vocab_size >= "
                             f"{min_vocab_size()} (the tiny recipe uses 1024)")
        rows = self.max_train_rows
        if rows is not None and (not isinstance(rows, int) or isinstance(rows, bool) or rows < 1):
            raise ValueError(f"PolyglotTrainingConfig.max_train_rows={rows!r}: must be a positive integer, or None "
                             f"to train on every row of the train split")
        if not isinstance(self.eval_num_problems, int) or self.eval_num_problems < 0:
            raise ValueError(f"PolyglotTrainingConfig.eval_num_problems={self.eval_num_problems!r}: must be an "
                             f"integer >= 0 (0 disables evaluation by execution)")
        if self.curriculum_pacing not in ("linear", "sqrt"):
            raise ValueError(f"PolyglotTrainingConfig.curriculum_pacing={self.curriculum_pacing!r}: use 'linear' "
                             f"or 'sqrt'")
        for name in ("curriculum_start", "curriculum_full_at"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 < value <= 1.0:
                raise ValueError(f"PolyglotTrainingConfig.{name}={value!r}: must be a number in (0, 1]")
        ratio = self.cross_language_mixing_ratio
        if ratio is not None and (not isinstance(ratio, (int, float)) or not 0.0 <= ratio <= 1.0):
            raise ValueError(f"PolyglotTrainingConfig.cross_language_mixing_ratio={ratio!r}: must be in [0, 1], "
                             f"or None for the natural share of transfer rows")
        for lang, weight in dict(self.language_weights).items():
            if lang not in LANGUAGES:
                raise ValueError(f"PolyglotTrainingConfig.language_weights has unknown language {lang!r}; "
                                 f"choose from {tuple(LANGUAGES)}")
            if not isinstance(weight, (int, float)) or weight < 0:
                raise ValueError(f"PolyglotTrainingConfig.language_weights[{lang!r}]={weight!r}: must be >= 0")
        bad = [s for s in self.eval_split.split(",") if s.strip() not in ("train", "validation", "test")]
        if bad or not self.eval_split.strip():
            raise ValueError(f"PolyglotTrainingConfig.eval_split={self.eval_split!r}: use train, validation or test, "
                             f"or several joined by commas")
        try:
            self.eval_generation
        except ValueError as err:  # GenerationOptions names its field: say it as this config's
            raise ValueError(f"PolyglotTrainingConfig.eval_{err}") from None
        check_seconds(self.eval_timeout, "PolyglotTrainingConfig.eval_timeout")
        if self.eval_executor not in EXECUTORS:
            raise ValueError(f"PolyglotTrainingConfig.eval_executor={self.eval_executor!r}: use one of "
                             f"{', '.join(EXECUTORS)}")
        if self.eval_ray_address and self.eval_executor != "ray":
            raise ValueError("PolyglotTrainingConfig.eval_ray_address is for eval_executor='ray'; set both, or "
                             "drop eval_ray_address")

    @property
    def eval_generation(self) -> GenerationOptions:
        """How the in-training evaluation generates (``eval_temperature``, ``eval_max_new_tokens``,
        ``eval_batch_size``)."""
        return replace(TRAINING_EVAL_GENERATION, temperature=self.eval_temperature,
                       max_new_tokens=self.eval_max_new_tokens, batch_size=self.eval_batch_size)

    @property
    def eval_splits(self) -> tuple[str, ...]:
        return tuple(s.strip() for s in self.eval_split.split(",") if s.strip())

    def language_weight(self, language: str) -> float:
        return float(self.language_weights.get(language, 1.0))


@dataclass
class Recipe:
    """A parsed recipe: the three sections, each a plain dict until used."""

    polyglot: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    training_args: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    #: Where each overridden field's value came from ("section.field" -> the override string).
    overridden: dict[str, str] = field(default_factory=dict)

    def origin(self, section: str, name: str) -> str:
        key = f"{section}.{name}"
        return f"override {self.overridden[key]!r}" if key in self.overridden else str(self.path or "recipe")

    def training_config(self) -> PolyglotTrainingConfig:
        # YAML reads an unquoted day (`added_before: 2024-06-01`) as a date: the date options take its ISO text.
        for name in ("added_after", "added_before"):
            if isinstance(self.polyglot.get(name), datetime.date):
                self.polyglot[name] = self.polyglot[name].isoformat()
        _check_fields(self, "polyglot", _dataclass_fields(PolyglotTrainingConfig))
        try:
            return PolyglotTrainingConfig(**self.polyglot)
        except (TypeError, ValueError) as err:
            named = re.match(r"PolyglotTrainingConfig\.(\w+)", str(err))  # the field: say where its value came from
            where = self.origin("polyglot", named.group(1)) if named else str(self.path or "recipe")
            raise RecipeError(f"{where}: {err}") from None


def shipped_recipes() -> dict[str, Path]:
    """The recipes installed with the package, by name (`tiny`, `hrm-27m`)."""
    folder = resources.files("polyglot_hrm") / "recipes"
    return {p.name.removesuffix(".yaml"): Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml")}


def recipe_path(path_or_name: str | Path) -> Path:
    """A recipe file: the path itself when it exists, else the shipped recipe of that name."""
    path = Path(path_or_name)
    if path.is_file():
        return path
    shipped = shipped_recipes()
    name = path.name.removesuffix(".yaml")
    if name in shipped and path.parent in (Path("."), Path("trainer/recipes")):
        return shipped[name]
    raise FileNotFoundError(f"recipe={path}: no such file, and no shipped recipe of that name "
                            f"(shipped: {', '.join(sorted(shipped))})")


def load_recipe(path: str | Path, overrides: list[str] | None = None) -> Recipe:
    """Read a recipe YAML (a path or a shipped recipe's name), apply `section.field=value` overrides and check
    the result (:func:`validate_recipe`)."""
    path = recipe_path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise RecipeError(f"{path}{_yaml_where(err)}: not valid YAML: {_yaml_problem(err)}") from None
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: a recipe is a mapping with sections {RECIPE_SECTIONS}, not {type(data).__name__}")
    unknown = sorted(set(data) - set(RECIPE_SECTIONS))
    if unknown:
        raise RecipeError(f"{path}: unknown section(s) {unknown}{_suggest(unknown[0], RECIPE_SECTIONS)}; a recipe "
                          f"has {RECIPE_SECTIONS}")
    for section in RECIPE_SECTIONS:
        if not isinstance(data.get(section) or {}, dict):
            raise RecipeError(f"{path}: section {section!r} must be a mapping of field: value")
    recipe = Recipe(**{s: dict(data.get(s) or {}) for s in RECIPE_SECTIONS}, path=path)
    apply_overrides(recipe, overrides or [])
    validate_recipe(recipe)
    return recipe


def apply_overrides(recipe: Recipe, overrides: list[str]) -> Recipe:
    """Apply `section.field=value` strings (value parsed as YAML) in order."""
    for item in overrides:
        key, sep, value = item.partition("=")
        section, dot, name = key.partition(".")
        if not sep or not dot or section not in RECIPE_SECTIONS or not name:
            raise RecipeError(f"override {item!r}: expected section.field=value with section one of "
                              f"{RECIPE_SECTIONS}, e.g. training_args.max_steps=20")
        try:
            parsed = _parse_value(value)
        except yaml.YAMLError as err:
            raise RecipeError(f"override {item!r}: the value is not valid YAML: {_yaml_problem(err)}") from None
        getattr(recipe, section)[name] = parsed
        recipe.overridden[f"{section}.{name}"] = item
    return recipe


# ---------------------------------------------------------------------------------------------- validation
#: transformers 5 removed these TrainingArguments; what to use instead.
REMOVED_TRAINING_ARGS = {
    "overwrite_output_dir": "transformers 5 removed it; polyglot-hrm's own `overwrite_output_dir=True` (an argument of "
                            "the run, not a recipe field) starts over in an output folder that holds an earlier run's "
                            "checkpoints",
}
#: Model-section keys that are not HRMConfig fields but mean something to `build_model`.
MODEL_EXTRAS = ("init_from",)
#: HRMConfig fields `build_model` takes from the tokenizer: a recipe value would be replaced silently.
FROM_TOKENIZER = ("vocab_size", "pad_token_id", "bos_token_id", "eos_token_id", "prompt_end_token_ids",
                  "language_token_ids", "task_token_ids")
#: Bytes each parameter holds at least while training: fp32 weights, gradients and AdamW's two moments.
TRAINING_BYTES_PER_PARAMETER = 16
#: The model-section fields that set its size (named when it is too large).
SIZE_FIELDS = ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "head_dim")


def validate_recipe(recipe: Recipe) -> None:
    """Check every section against its dataclass (names and types) and the values each class checks itself,
    so a typo or a wrong type fails here, before any data is built."""
    recipe.training_config()
    _check_training_args(recipe)
    _check_model(recipe)


def _check_model(recipe: Recipe) -> None:
    from hrm_modeling import HRMConfig

    fields = _dataclass_fields(HRMConfig)
    _check_fields(recipe, "model", fields, extras=MODEL_EXTRAS)
    for name in FROM_TOKENIZER:
        if name in recipe.model:
            raise RecipeError(f"{recipe.origin('model', name)}: model.{name} is set from the tokenizer (its length and "
                              f"special-token ids), so this value would be replaced; remove it"
                              + (" and set polyglot.vocab_size instead" if name == "vocab_size" else ""))
    if recipe.model.get("init_from"):
        return
    # derive_prompt_inputs reads token ids build_model takes from the tokenizer: checked there, not here.
    values = {k: v for k, v in recipe.model.items() if k not in MODEL_EXTRAS and k != "derive_prompt_inputs"}
    try:
        config = HRMConfig(**values)
    except (TypeError, ValueError) as err:
        raise RecipeError(f"{recipe.path or 'recipe'}: model section: {err}") from None
    _check_positions(recipe, config)
    _check_model_memory(recipe, config)


def _check_positions(recipe: Recipe, config: Any) -> None:
    length = recipe.training_config().max_sequence_length
    if length > config.max_position_embeddings:
        raise RecipeError(f"{recipe.origin('polyglot', 'max_sequence_length')}: polyglot.max_sequence_length={length} "
                          f"is above model.max_position_embeddings={config.max_position_embeddings}, the longest "
                          f"sequence the model has positions for; lower the first or raise the second")


def _check_model_memory(recipe: Recipe, config: Any) -> None:
    """A model whose parameters alone cannot fit the training device is refused, with the numbers (counted on
    the meta device: nothing is allocated)."""
    import torch

    from hrm_modeling import HRMForCausalLM

    vocab = recipe.polyglot.get("vocab_size") or PolyglotTrainingConfig.vocab_size
    config.vocab_size = max(int(vocab), 1)
    with torch.device("meta"):
        parameters = sum(p.numel() for p in HRMForCausalLM(config).parameters())
    need = parameters * TRAINING_BYTES_PER_PARAMETER
    have, device = training_memory(recipe.training_args.get("use_cpu") is True)
    if need > have:
        sizes = ", ".join(f"model.{k}={recipe.model[k]}" for k in SIZE_FIELDS if k in recipe.model)
        where = recipe.origin("model", "hidden_size") if "hidden_size" in recipe.model else str(recipe.path or "recipe")
        raise RecipeError(f"{where}: {sizes or 'the model section'} makes a model of {parameters / 1e9:.2f}B "
                          f"parameters; training it needs at least {need / 1e9:.1f} GB ({TRAINING_BYTES_PER_PARAMETER} "
                          f"bytes per parameter: fp32 weights, gradients and AdamW's two moments) and {device} has "
                          f"{have / 1e9:.1f} GB. Lower model.hidden_size (the hrm-27m recipe uses 512).")


def training_memory(use_cpu: bool = False) -> tuple[int, str]:
    """Bytes of memory the training device has, and its name: the first GPU's when there is one (each process of
    a multi-GPU run holds a whole copy), else this machine's RAM."""
    import torch

    if not use_cpu and torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        return int(props.total_memory), f"GPU 0 ({props.name})"
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"), "this machine's RAM"


def _check_training_args(recipe: Recipe) -> None:
    from transformers import TrainingArguments

    for name, why in REMOVED_TRAINING_ARGS.items():
        if name in recipe.training_args:
            raise RecipeError(f"{recipe.origin('training_args', name)}: training_args.{name}: {why}")
    fields = _dataclass_fields(TrainingArguments)
    fields.pop("output_dir", None)  # the run's own argument (train.py's --output-dir)
    _check_fields(recipe, "training_args", fields)
    rate = recipe.training_args.get("learning_rate")
    if isinstance(rate, (int, float)) and not (math.isfinite(rate) and rate > 0):
        raise RecipeError(f"{recipe.origin('training_args', 'learning_rate')}: training_args.learning_rate={rate!r}: "
                          f"must be a finite number > 0 (the optimizer's step size; the tiny recipe uses 1.0e-2, "
                          f"hrm-27m 3.0e-4)")


def _dataclass_fields(cls: type) -> dict[str, Any]:
    """Field name -> its type (None where the annotation cannot be resolved here: then any value passes)."""
    out = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        out[f.name] = _resolve(cls, f.name, f.type)
    return out


def _resolve(cls: type, name: str, annotation: Any) -> Any:
    if not isinstance(annotation, str):
        return annotation
    for klass in cls.__mro__:  # evaluate in the module of the class that declared the field
        if name in getattr(klass, "__annotations__", {}):
            try:
                return eval(annotation, vars(sys.modules[klass.__module__]))  # noqa: S307 (a type annotation)
            except Exception:  # e.g. torch.dtype under TYPE_CHECKING: leave the check to the class itself
                return None
    return None


def _check_fields(recipe: Recipe, section: str, fields: dict[str, Any], extras: tuple[str, ...] = ()) -> None:
    values = getattr(recipe, section)
    for name, value in values.items():
        where = recipe.origin(section, name)
        if name not in fields and name not in extras:
            raise RecipeError(f"{where}: unknown field {section}.{name}{_suggest(name, [*fields, *extras], section)}")
        expected = fields.get(name)
        if name in fields and not _matches(value, expected):
            raise RecipeError(f"{where}: {section}.{name}={value!r} is a {type(value).__name__}, expected "
                              f"{_type_name(expected)}{_yaml_hint(value, expected)}")


def _suggest(name: str, known: Any, section: str | None = None) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    if not close:
        return ""
    return f"; did you mean {section + '.' if section else ''}{close[0]}?"


def _matches(value: Any, expected: Any) -> bool:
    """Whether a YAML value fits a field's type; types this cannot judge pass (the class checks them)."""
    if expected is None or expected is Any:
        return True
    origin, args = typing.get_origin(expected), typing.get_args(expected)
    if origin in (Union, types.UnionType):
        return any(_matches(value, a) for a in args)
    if origin is Literal:
        return value in args
    if expected is type(None):
        return value is None
    if expected is bool:
        return isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected is str:
        return isinstance(value, str)
    if origin in (list, tuple, set, frozenset) or expected in (list, tuple, set):
        if not isinstance(value, (list, tuple)):
            return False
        inner = [a for a in args if a is not Ellipsis]
        return len(inner) != 1 or all(_matches(v, inner[0]) for v in value)
    if origin is dict or expected is dict:
        return isinstance(value, dict)
    if isinstance(expected, type) and issubclass(expected, enum.Enum):
        return isinstance(value, expected) or value in {m.value for m in expected}
    if isinstance(expected, type) and expected.__module__ == "builtins":
        return isinstance(value, expected)
    return True


def _type_name(expected: Any) -> str:
    if isinstance(expected, type):
        return expected.__name__
    return str(expected).replace("typing.", "")


def _yaml_hint(value: Any, expected: Any) -> str:
    if isinstance(value, str) and _matches(1.0, expected):
        try:
            float(value)
        except ValueError:
            return ""
        return f" (YAML reads {value} as text: write it with a decimal point, e.g. {float(value)!r})"
    return ""


def _yaml_where(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    return f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""


def _yaml_problem(err: yaml.YAMLError) -> str:
    problem = getattr(err, "problem", None)
    context = getattr(err, "context", None)
    return " ".join(p for p in (context, problem) if p) or str(err).splitlines()[0]


def _parse_value(text: str) -> Any:
    """YAML, except that YAML 1.1's other booleans (no/yes/on/off/y/n) stay strings: `eval_strategy=no` must
    mean "no", not False. Only true/false are booleans."""
    value = yaml.safe_load(text)
    if isinstance(value, bool) and text.strip().lower() not in ("true", "false"):
        return text.strip()
    return value
