"""Python: pytest on ``*_test.py``; the reference is ``.meta/example.py``."""

from . import register
from .base import Language


class Python(Language):
    name = "python"
    track_names = ("python",)


PYTHON = register(Python())
