"""polyglot-hrm: training data, an HRM model and execution-based scoring for Aider's polyglot benchmark."""

__version__ = "0.1.0"

#: The seed's faces: modules that exist to keep the original description's class names, module paths and command
#: lines (README, "The seed's API"). Each is thin over the library and says so on its first line; no module of the
#: library imports one (a package's ``__init__`` may re-export it). The seed's names that are the library's own
#: (its records, ``CodeGenerationInputProcessor``, ``PolyglotTrainingConfig``) live where they are used.
SEED_FACES = (
    "polyglot_hrm.dataset.polyglot_benchmark_extractor",
    "polyglot_hrm.dataset.diff_based_training_generator",
    "polyglot_hrm.dataset.cross_language_mapper",
    "polyglot_hrm.dataset.seed_cli",
    "polyglot_hrm.evaluation.polyglot_evaluation_system",
    "polyglot_hrm.evaluation.__main__",
    "polyglot_hrm.training.polyglot_hrm_integration",
    "polyglot_hrm.training.pipeline",
    "polyglot_hrm.problems.__main__",
)
