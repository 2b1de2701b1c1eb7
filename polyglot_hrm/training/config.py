"""`PolyglotTrainingConfig` (the seed's training options, plus curriculum/evaluation knobs) and YAML recipes.

A recipe is a YAML file: a path, or the name of one shipped with the package (`tiny`, `hrm-27m`: the files of
`polyglot_hrm/recipes/`, which a checkout also shows as `trainer/recipes/`). It has three sections:

    polyglot:       PolyglotTrainingConfig fields (data, sampling, curriculum, evaluation)
    model:          HRMConfig fields (vocab_size and the special-token ids come from the tokenizer)
    training_args:  transformers.TrainingArguments fields (output_dir comes from the command line)

Command-line overrides are `section.field=value` strings, the value parsed as YAML
(`training_args.max_steps=20`, `polyglot.language_weights={python: 2.0}`), except that only true/false are
booleans (`training_args.eval_strategy=no` is the string "no"; in a recipe file quote it: `"no"`).
"""

from __future__ import annotations

import dataclasses
from importlib import resources
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from ..dataset.config import DatasetOptions
from ..dataset.names import CONFIG_NAMES
from ..execution.executors import EXECUTORS
from ..languages import LANGUAGES

__all__ = ["PolyglotTrainingConfig", "Recipe", "apply_overrides", "load_recipe"]

Pacing = Literal["linear", "sqrt"]
RECIPE_SECTIONS = ("polyglot", "model", "training_args")


@dataclass
class PolyglotTrainingConfig(DatasetOptions):
    """Options of the training data, sampling and in-training evaluation.

    Data: the dataset's own options (:class:`polyglot_hrm.dataset.config.DatasetOptions`: languages,
        max_problems_per_language, ..., verify_by_execution, with the builder's defaults; recipes set what
        they want otherwise), passed to the `PolyglotHRM` builder, plus configs (which configurations to load).
    Batching: batch_size (per device), max_sequence_length (tokens; longer examples are dropped, counted).
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
        eval_max_new_tokens, eval_batch_size, eval_timeout (seconds per test run), eval_executor ("local": a
        pool on the main process's machine; "ray": a Ray cluster, eval_ray_address or RAY_ADDRESS, else a local
        Ray).
    """

    configs: tuple[str, ...] = CONFIG_NAMES

    batch_size: int = 16
    max_sequence_length: int = 2048

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
    eval_temperature: float = 0.0
    eval_max_new_tokens: int = 512
    eval_batch_size: int = 4
    eval_timeout: float = 60.0
    eval_executor: str = "local"
    eval_ray_address: str | None = None

    def __post_init__(self) -> None:
        self.configs = tuple(self.configs)
        unknown = [c for c in self.configs if c not in CONFIG_NAMES]
        if unknown or not self.configs:
            raise ValueError(f"PolyglotTrainingConfig.configs={self.configs!r}: unknown {unknown or 'empty'}; "
                             f"choose from {CONFIG_NAMES}")
        self.validate_options("PolyglotTrainingConfig")
        for name in ("batch_size", "max_sequence_length", "vocab_size", "eval_num_samples", "eval_max_new_tokens",
                     "eval_batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"PolyglotTrainingConfig.{name}={value!r}: must be a positive integer")
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
        if self.eval_temperature < 0:
            raise ValueError(f"PolyglotTrainingConfig.eval_temperature={self.eval_temperature!r}: must be >= 0")
        if self.eval_timeout <= 0:
            raise ValueError(f"PolyglotTrainingConfig.eval_timeout={self.eval_timeout!r}: must be > 0 seconds")
        if self.eval_executor not in EXECUTORS:
            raise ValueError(f"PolyglotTrainingConfig.eval_executor={self.eval_executor!r}: use one of "
                             f"{', '.join(EXECUTORS)}")
        if self.eval_ray_address and self.eval_executor != "ray":
            raise ValueError("PolyglotTrainingConfig.eval_ray_address is for eval_executor='ray'; set both, or "
                             "drop eval_ray_address")

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

    def training_config(self) -> PolyglotTrainingConfig:
        known = {f.name for f in dataclasses.fields(PolyglotTrainingConfig)}
        unknown = sorted(set(self.polyglot) - known)
        if unknown:
            raise ValueError(f"{self.path or 'recipe'}: unknown polyglot field(s) {unknown}; known: {sorted(known)}")
        return PolyglotTrainingConfig(**self.polyglot)


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
    raise FileNotFoundError(f"--recipe {path}: no such file, and no shipped recipe of that name "
                            f"(shipped: {', '.join(sorted(shipped))})")


def load_recipe(path: str | Path, overrides: list[str] | None = None) -> Recipe:
    """Read a recipe YAML (a path or a shipped recipe's name) and apply `section.field=value` overrides."""
    path = recipe_path(path)
    data = yaml.safe_load(path.read_text()) or {}
    unknown = sorted(set(data) - set(RECIPE_SECTIONS))
    if unknown:
        raise ValueError(f"{path}: unknown section(s) {unknown}; a recipe has {RECIPE_SECTIONS}")
    recipe = Recipe(**{s: dict(data.get(s) or {}) for s in RECIPE_SECTIONS}, path=path)
    apply_overrides(recipe, overrides or [])
    return recipe


def apply_overrides(recipe: Recipe, overrides: list[str]) -> Recipe:
    """Apply `section.field=value` strings (value parsed as YAML) in order."""
    for item in overrides:
        key, sep, value = item.partition("=")
        section, dot, name = key.partition(".")
        if not sep or not dot or section not in RECIPE_SECTIONS or not name:
            raise ValueError(f"override {item!r}: expected section.field=value with section one of {RECIPE_SECTIONS}, "
                             f"e.g. training_args.max_steps=20")
        getattr(recipe, section)[name] = _parse_value(value)
    return recipe


def _parse_value(text: str) -> Any:
    """YAML, except that YAML 1.1's other booleans (no/yes/on/off/y/n) stay strings: `eval_strategy=no` must
    mean "no", not False. Only true/false are booleans."""
    value = yaml.safe_load(text)
    if isinstance(value, bool) and text.strip().lower() not in ("true", "false"):
        return text.strip()
    return value
