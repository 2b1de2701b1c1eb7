"""The ``datasets.Features`` of each configuration. Files are lists of ``{path, role, content}``."""

from __future__ import annotations

import datasets

__all__ = ["FILE", "features_for"]

FILE = {"path": datasets.Value("string"), "role": datasets.Value("string"), "content": datasets.Value("string")}

_METADATA = {
    "complexity": datasets.Value("float64"),
    "test_case_count": datasets.Value("int32"),  # null where the exercise has no .meta/tests.toml
    "blurb": datasets.Value("string"),
    "source": datasets.Value("string"),
    "source_url": datasets.Value("string"),
}


def _common() -> dict:
    return {
        "id": datasets.Value("string"),  # "diff_edit/python/bowling/bug_fix/3"; unique in a config
        "problem_id": datasets.Value("string"),  # "python/bowling": the problem whose tests judge the row
        "task": datasets.Value("string"),  # generation | diff_edit | transfer
        "language": datasets.Value("string"),
        "slug": datasets.Value("string"),
        "split": datasets.Value("string"),
        "difficulty": datasets.Value("string"),  # easy | medium | hard (complexity tertile in the language)
        "instructions": datasets.Value("string"),
        "input_files": datasets.List(FILE),  # what the solver sees (roles solution, editor; source for transfer)
        "target_files": datasets.List(FILE),  # the editable files that the answer changes, as they must end up
        "files": datasets.List(FILE),  # every file of the problem (solution, reference, test, editor, support)
        "reference_removes": datasets.List(datasets.Value("string")),
        # What a passing run reports (recorded from the reference's run); [] where the build ran nothing.
        "expected_tests": datasets.List(datasets.Value("string")),
        # Seconds the reference took to build and test where the build ran it (None: not run); they calibrate
        # `--timeout auto` where the runner cache has no figure of its own.
        "reference_seconds": datasets.Value("float64"),
        "metadata": _METADATA,
        # The tree the exercise was read from: `exercism/<track>` for a track checkout, else the root folder's name
        # (`polyglot-benchmark`); see polyglot_hrm.dataset.sources.
        "source": datasets.Value("string"),
        # The day (YYYY-MM-DD, UTC) the exercise entered its Exercism track, from the track checkout's git history
        # (polyglot_hrm.problems.dates); null where the tree has none (the polyglot benchmark, the mini-benchmark).
        "added": datasets.Value("string"),
    }


def features_for(name: str) -> datasets.Features:
    """Features of the ``generation``, ``diff_edit`` or ``transfer`` configuration."""
    fields = _common()
    if name == "transfer":
        fields["source_language"] = datasets.Value("string")
        fields["source_problem_id"] = datasets.Value("string")
        # Tags of polyglot_hrm.languages.concepts: concepts found in both references, constructs the target's
        # reference uses and the source's does not.
        fields["shared_concepts"] = datasets.List(datasets.Value("string"))
        fields["language_challenges"] = datasets.List(datasets.Value("string"))
    elif name == "diff_edit":
        fields.update({
            "edit_type": datasets.Value("string"),  # implement | bug_fix | feature | refactor
            "target_edit": datasets.Value("string"),  # Aider SEARCH/REPLACE text: input_files -> target_files
            "test_feedback": datasets.Value("string"),  # trimmed failing test output (verified bug_fix), or ""
            # Test status of the run that qualified the row, or "not_run": a bug_fix's input (the mutant: failed),
            # a refactor's target (the refactored reference: passed).
            "verification": datasets.Value("string"),
            # bug_fix: the mutation operator; feature: remove_function; refactor: the refactoring (rename_local, ...).
            "mutation": {"operator": datasets.Value("string"), "target": datasets.Value("string"),
                         "path": datasets.Value("string"), "line": datasets.Value("int32"),
                         "description": datasets.Value("string")},
            "edit_stats": {"n_blocks": datasets.Value("int32"), "edited_chars": datasets.Value("int32"),
                           "changed_chars": datasets.Value("int32"), "unique_anchors": datasets.Value("bool"),
                           "applies": datasets.Value("bool"), "well_formed": datasets.Value("bool"),
                           "minimality": datasets.Value("float64"), "line_minimality": datasets.Value("float64")},
            "quality_score": datasets.Value("float64"),
        })
    elif name != "generation":
        raise ValueError(f"unknown configuration {name!r}; choose generation, diff_edit or transfer")
    return datasets.Features(fields)
