"""Training: tokenizer, prompt format, collator, samplers, callbacks, training config and pipeline.

Attributes load on first use (`from polyglot_hrm.training import PolyglotTrainingPipeline`), so importing the
tokenizer alone does not import the Trainer.
"""

from importlib import import_module

__all__ = ["CurriculumSampler", "ExecutionEvalCallback", "PolyglotCollator", "PolyglotTrainer",
           "PolyglotTrainingConfig", "PolyglotTrainingPipeline", "load_recipe", "train"]

_LAZY = {"CurriculumSampler": "sampler", "ExecutionEvalCallback": "callbacks", "PolyglotCollator": "collator",
         "PolyglotTrainer": "trainer", "PolyglotTrainingConfig": "config", "PolyglotTrainingPipeline": "pipeline",
         "load_recipe": "config", "train": "run"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
