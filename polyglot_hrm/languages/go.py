"""Go: ``go test``; the reference is ``.meta/example.go``; ``cases_test.go`` is an editor file."""

from . import register
from .base import Language


class Go(Language):
    name = "go"
    track_names = ("go",)


GO = register(Go())
