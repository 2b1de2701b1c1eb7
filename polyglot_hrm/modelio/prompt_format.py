"""The one prompt format: dataset row -> (prompt, answer) text, and generated answer text -> files or edit.

Training renders rows with `render_example`; evaluation renders the same prompt with `render_prompt`
and parses what the model wrote with `parse_answer`, so the two cannot drift apart.

Layout (special tokens come from `polyglot_hrm.modelio.tokenizer`; bos/eos are added at encoding):

    <|task:generation|><|lang:python|>
    <|instructions|>
    ...instructions...
    <|source|> rust                       (transfer only: the source-language solution files)
    src/lib.rs
    ```rust
    ...
    ```
    <|file|>                              (the files the solver sees and edits)
    two_fer.py
    ```python
    ...
    ```
    <|test_output|>                       (optional: failing test output, diff_edit)
    ...
    <|answer|>

Answers: for generation and transfer, each target file as a path line followed by a fenced block (the
fence is longer than any backtick run inside the content, so code containing ``` survives); for
diff_edit, the row's Aider SEARCH/REPLACE text unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..dataset.names import CONFIG_NAMES, Task
from ..languages import LANGUAGES
from .tokenizer import language_token, task_token

__all__ = [
    "ANSWER_MARKER",
    "FILE_MARKER",
    "INSTRUCTIONS_MARKER",
    "SOURCE_MARKER",
    "TEST_OUTPUT_MARKER",
    "Task",
    "parse_answer",
    "parse_files",
    "prompt_layout_fields",
    "render_example",
    "render_answer",
    "render_files",
    "render_prompt",
]

INSTRUCTIONS_MARKER = "<|instructions|>"
FILE_MARKER = "<|file|>"
SOURCE_MARKER = "<|source|>"
TEST_OUTPUT_MARKER = "<|test_output|>"
ANSWER_MARKER = "<|answer|>"

# Roles of input files the solver is shown. Tests and build support files are not shown (Aider's protocol
# shows the stub files only); for transfer the source-language solution may be tagged "source" or "reference".
VISIBLE_ROLES: dict[str, frozenset[str]] = {
    "generation": frozenset({"solution", "editor"}),
    "diff_edit": frozenset({"solution", "editor"}),
    "transfer": frozenset({"solution", "editor"}),
}
SOURCE_ROLES = frozenset({"source", "reference"})

_BACKTICK_RUN = re.compile(r"`+")


def _fence_for(content: str) -> str:
    """A backtick fence longer than any backtick run in `content` (CommonMark's rule), at least 3."""
    longest = max((len(m.group()) for m in _BACKTICK_RUN.finditer(content)), default=0)
    return "`" * max(3, longest + 1)


def render_files(files: Sequence[Mapping[str, Any]], language: str | None = None) -> str:
    """Each file as `path` line + fenced block tagged with the language's fence tag (none for an unknown
    language); content is kept byte for byte (a final newline is implied)."""
    tag = LANGUAGES[language].fence_tag if language in LANGUAGES else ""
    parts = []
    for f in files:
        content = f["content"]
        fence = _fence_for(content)
        body = content if content.endswith("\n") or not content else content + "\n"
        parts.append(f"{f['path']}\n{fence}{tag}\n{body}{fence}\n")
    return "".join(parts)


def parse_files(text: str) -> dict[str, str]:
    """Inverse of `render_files`: `{path: content}`. Tolerates text around the blocks and a missing final
    fence (truncated generation: the block runs to the end). Content gets a final newline, as rendered."""
    files: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines) - 1:
        path, opener = lines[i].strip(), lines[i + 1]
        fence_match = re.match(r"^(`{3,})[\w+#.-]*\s*$", opener)
        if not path or fence_match is None or path.startswith("`"):
            i += 1
            continue
        fence = fence_match.group(1)
        end = i + 2
        while end < len(lines) and lines[end].rstrip() != fence:
            end += 1
        body = "\n".join(lines[i + 2 : end])
        if end >= len(lines):  # no closing fence: the text's own final newline is not part of a fence line
            body = body.rstrip("\n")
        files[path] = body + "\n" if body else ""
        i = end + 1
    return files


def _check_row(row: Mapping[str, Any]) -> tuple[str, str]:
    """Validate the fields every task needs; return (task, language)."""
    task, language = row.get("task"), row.get("language")
    if task not in CONFIG_NAMES:
        raise ValueError(f"row['task']={task!r}: expected one of {CONFIG_NAMES}.")
    if language not in LANGUAGES:
        raise ValueError(f"row['language']={language!r}: expected one of {tuple(LANGUAGES)}.")
    if task == "transfer" and row.get("source_language") not in LANGUAGES:
        raise ValueError(
            f"row['source_language']={row.get('source_language')!r}: a transfer row needs the source language, one "
            f"of {tuple(LANGUAGES)}."
        )
    return task, language


def render_prompt(row: Mapping[str, Any]) -> str:
    """The prompt text of a row (everything up to and including the answer marker)."""
    task, language = _check_row(row)
    files = list(row.get("input_files") or [])
    visible = [f for f in files if f.get("role") in VISIBLE_ROLES[task]]
    parts = [f"{task_token(task)}{language_token(language)}\n", f"{INSTRUCTIONS_MARKER}\n{row.get('instructions') or ''}".rstrip() + "\n"]
    if task == "transfer":
        source_language = row["source_language"]
        source = [f for f in files if f.get("role") in SOURCE_ROLES]
        parts.append(f"{SOURCE_MARKER} {source_language}\n{render_files(source, source_language)}")
    parts.append(f"{FILE_MARKER}\n{render_files(visible, language)}")
    feedback = row.get("test_feedback")
    if feedback:
        parts.append(f"{TEST_OUTPUT_MARKER}\n{feedback.rstrip()}\n")
    parts.append(ANSWER_MARKER + "\n")
    return "".join(parts)


def render_answer(row: Mapping[str, Any]) -> str:
    """The target text: rendered target files (generation/transfer) or the edit text (diff_edit)."""
    task, language = _check_row(row)
    if task == "diff_edit":
        edit = row.get("target_edit")
        if not isinstance(edit, str) or not edit.strip():
            raise ValueError("row['target_edit'] must be the non-empty SEARCH/REPLACE text of a diff_edit row.")
        return edit if edit.endswith("\n") else edit + "\n"
    targets = row.get("target_files")
    if not targets:
        raise ValueError(f"row['target_files'] must list the solution files of a {task} row.")
    return render_files(targets, language)


def render_example(row: Mapping[str, Any]) -> tuple[str, str]:
    """`(prompt, answer)` text of a dataset row."""
    return render_prompt(row), render_answer(row)


def parse_answer(task: Task, text: str) -> dict[str, str] | str:
    """What a model wrote after the answer marker -> `{path: content}` (generation/transfer) or the edit text
    (diff_edit). Text after an end-of-sequence token, if one was decoded, is ignored."""
    if task not in CONFIG_NAMES:
        raise ValueError(f"task={task!r}: expected one of {CONFIG_NAMES}.")
    text = text.split("<|eos|>", 1)[0]
    if task == "diff_edit":
        return text.strip("\n") + "\n" if text.strip() else ""
    return parse_files(text)


def prompt_layout_fields(tokenizer: Any) -> dict[str, list[int]]:
    """The `HRMConfig` fields with which an HRM reads its prompt block and puzzle identifier from token ids
    (`derive_prompt_inputs`): the ids that close a prompt (:data:`ANSWER_MARKER` and its line break, as this
    tokenizer encodes the end of every prompt) and the ids of the language and task tokens in the order of
    `hrm_modeling`'s `LANGUAGES` and `TASKS` (the registry's and the dataset's order, which
    `tests/test_languages.py` checks they equal)."""
    from_header = tokenizer.convert_tokens_to_ids
    return {
        "prompt_end_token_ids": tokenizer.encode(ANSWER_MARKER + "\n", add_special_tokens=False),
        "language_token_ids": from_header([language_token(lang) for lang in LANGUAGES]),
        "task_token_ids": from_header([task_token(task) for task in CONFIG_NAMES]),
    }
