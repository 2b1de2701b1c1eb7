"""Training: collator, samplers, callbacks, the trainer, training config and pipeline (the tokenizer and
prompt format, which evaluation shares, live in :mod:`polyglot_hrm.modelio`)."""

from .callbacks import ExecutionEvalCallback
from .collator import PolyglotCollator
from .config import PolyglotTrainingConfig, load_recipe
from .pipeline import PolyglotTrainingPipeline
from .run import train
from .sampler import CurriculumSampler
from .trainer import PolyglotTrainer

__all__ = ["CurriculumSampler", "ExecutionEvalCallback", "PolyglotCollator", "PolyglotTrainer",
           "PolyglotTrainingConfig", "PolyglotTrainingPipeline", "load_recipe", "train"]
