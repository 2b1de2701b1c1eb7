"""Configuration (task) and split names (no heavy imports: the CLI reads them at start-up).

The one declaration of the tasks: the dataset's configurations, the prompt format's task tokens, the
training and evaluation options all read :data:`CONFIG_NAMES` (or the :data:`Task` type). The model's
own copy (``hrm_modeling.configuration_hrm.TASKS``, shipped as remote code) must equal it: a test checks.
"""

from typing import Literal, get_args

__all__ = ["CONFIG_NAMES", "SPLITS", "Task"]

Task = Literal["generation", "diff_edit", "transfer"]
CONFIG_NAMES: tuple[Task, ...] = get_args(Task)
SPLITS = ("train", "validation", "test")
