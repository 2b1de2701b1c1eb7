"""Rust: ``cargo test``; the reference is ``.meta/example.rs`` (-> ``src/lib.rs``).

Exercises whose reference needs crates ship ``.meta/Cargo-example.toml``, which ``config.json``
does not list: it replaces ``Cargo.toml`` when the reference is in place.
"""

from typing import Sequence

from . import register
from .base import Language, LayoutError


class Rust(Language):
    name = "rust"
    track_names = ("rust",)
    unlisted_references = {".meta/Cargo-example.toml": "Cargo.toml"}

    def reference_target(self, example: str, solution_paths: Sequence[str], slug: str) -> str:
        if example.endswith(".rs"):
            if "src/lib.rs" in solution_paths:
                return "src/lib.rs"
            if "src/main.rs" in solution_paths:
                return "src/main.rs"
            raise LayoutError(f"Rust example {example!r}: no src/lib.rs or src/main.rs among the solution files")
        return super().reference_target(example, solution_paths, slug)


RUST = register(Rust())
