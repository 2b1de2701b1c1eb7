"""Configuration (task) and split names (no heavy imports: the CLI reads them at start-up).

The one declaration of the tasks: the dataset's configurations, the prompt format's task tokens, the
training and evaluation options all read :data:`CONFIG_NAMES` (or the :data:`Task` type). The model's
own copy (``hrm_modeling.configuration_hrm.TASKS``, shipped as remote code) must equal it: a test checks.
"""

from enum import Enum
from typing import Literal, get_args

__all__ = ["CONFIG_NAMES", "CodeGenerationTask", "SPLITS", "StrEnum", "Task"]

Task = Literal["generation", "diff_edit", "transfer"]
CONFIG_NAMES: tuple[Task, ...] = get_args(Task)
SPLITS = ("train", "validation", "test")


class StrEnum(str, Enum):
    """An enum whose members are their string values (``CodeGenerationTask.DIFF_EDIT == "diff_edit"``), so a
    member goes wherever a task, language or edit type string goes (Python 3.10 has no ``enum.StrEnum``)."""

    def __str__(self) -> str:
        return str(self.value)


#: The seed's name for the tasks (``CodeGenerationTask.DIFF_EDIT``), made from :data:`CONFIG_NAMES`.
CodeGenerationTask = StrEnum("CodeGenerationTask", {name.upper(): name for name in CONFIG_NAMES})
