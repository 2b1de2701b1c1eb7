"""Java: JUnit 5 + AssertJ; references live in ``.meta/src/reference/java/``.

A reference may have more classes than the stub (helper classes): they are added under
``src/main/java/`` at the same relative path.
"""

from typing import Sequence

from . import register
from .base import Language

_REFERENCE_ROOT = ".meta/src/reference/java/"


class Java(Language):
    name = "java"
    track_names = ("java",)
    # The Gradle wrapper is never run (the runner calls javac and the JUnit launcher directly)
    # and its jar is binary.
    ignored_files = ("gradlew", "gradlew.bat", "gradle/*")

    def reference_target(self, example: str, solution_paths: Sequence[str], slug: str) -> str:
        if example.startswith(_REFERENCE_ROOT):
            return "src/main/java/" + example[len(_REFERENCE_ROOT):]
        return super().reference_target(example, solution_paths, slug)


JAVA = register(Java())
