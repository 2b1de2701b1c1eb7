"""C++: CMake + the Catch2 single header bundled in ``test/``.

References are ``.meta/example.cpp`` and ``.meta/example.h``. A header-only reference has no
``.cpp``; the exercise's CMakeLists.txt compiles ``<slug>.cpp`` whenever it exists, so the stub
``.cpp`` must be removed when the reference is in place.
"""

from pathlib import PurePosixPath
from typing import Sequence

from . import register
from .base import Language


class Cpp(Language):
    name = "cpp"
    track_names = ("cpp", "c++")

    def reference_removes(self, solution_paths: Sequence[str], reference_paths: Sequence[str]) -> list[str]:
        replaced = set(reference_paths)
        return [p for p in solution_paths if PurePosixPath(p).suffix == ".cpp" and p not in replaced]


CPP = register(Cpp())
