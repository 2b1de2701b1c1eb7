"""JavaScript: Jest + babel; the reference is ``.meta/proof.ci.js``."""

from . import register
from .base import Language


class JavaScript(Language):
    name = "javascript"
    track_names = ("javascript", "js")
    # Licence text and lint config are not needed to build, test or learn from an exercise.
    ignored_files = ("LICENSE", ".eslintrc")


JAVASCRIPT = register(JavaScript())
