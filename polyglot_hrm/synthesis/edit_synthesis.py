"""Edit blocks made from a before/after pair (the training targets), and how good an edit is.

The format itself and its application are :mod:`polyglot_hrm.edit_format`. :func:`synthesize_blocks` writes the
smallest blocks with unique anchors that Aider would apply as intended; :func:`edit_stats` measures any
edit (size, minimality, unique anchors, whether it applies and is well formed); :func:`changed_chars` is
the project's one character-diff measure.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Literal

from ..edit_format import (FENCE, EditApplyError, EditBlock, apply_blocks, exact_matches, is_blank, is_renderable,
                           parse_blocks, prepped_lines, render_blocks, split_lines, with_final_break)

__all__ = ["EditSynthesisError", "changed_chars", "edit_stats", "synthesize_blocks"]

logger = logging.getLogger(__name__)


class EditSynthesisError(ValueError):
    """A (before, after) change that SEARCH/REPLACE blocks cannot express (a deleted file)."""


# ---------------------------------------------------------------------------------------------
# synthesize


def _aider_safe(path: str, search: list[str], replace: list[str]) -> bool:
    """Whether Aider's ``strip_quoted_wrapping`` leaves these texts alone."""
    name = PurePosixPath(path).name
    for lines in (search, replace):
        if lines and name and lines[0].strip().endswith(name):
            return False
        if len(lines) > 1 and lines[0].startswith(FENCE) and lines[-1].startswith(FENCE):
            return False
    return True


def _choose_context(path: str, lines: list[str], i1: int, i2: int, new: list[str]) -> tuple[int, int]:
    """Context lines (up, down) around ``lines[i1:i2]`` making the SEARCH unique and as short as possible.

    ``lines`` are the file's prepped lines. Hard constraint: the SEARCH (``lines[i1-up:i2+down]``)
    matches exactly once and is not empty. Soft constraints, dropped (last first) only when no choice
    meets them: it has a non-blank line (Aider appends on a blank SEARCH), and Aider's quote stripping
    leaves SEARCH and REPLACE alone. Among the choices: the fewest characters, then the fewest lines,
    then the least context above.
    """
    n, m = len(lines), i2 - i1
    core = lines[i1:i2]
    # Every other place q where the changed lines also occur, with how far the context agrees
    # above (u) and below (d): SEARCH with (up, down) matches at q iff up <= u and down <= d.
    others: list[tuple[int, int]] = []
    for q in (range(n + 1) if m == 0 else exact_matches(lines, core)):
        if q == i1:
            continue
        u = 0
        while q - u - 1 >= 0 and i1 - u - 1 >= 0 and lines[q - u - 1] == lines[i1 - u - 1]:
            u += 1
        d = 0
        while q + m + d < n and i2 + d < n and lines[q + m + d] == lines[i2 + d]:
            d += 1
        others.append((u, d))
    # need_down[up] = the fewest context lines below that rule out every q agreeing >= up lines above.
    need_down = [0] * (i1 + 2)
    for u, d in others:
        u = min(u, i1)
        need_down[u] = max(need_down[u], d + 1)
    for up in range(i1 - 1, -1, -1):
        need_down[up] = max(need_down[up], need_down[up + 1])

    chars = [0]
    for line in lines:
        chars.append(chars[-1] + len(line))
    nonblank = [not is_blank(line) for line in lines]
    core_nonblank = any(nonblank[i1:i2])
    above = next((k for k in range(i1 - 1, -1, -1) if nonblank[k]), None)
    below = next((k for k in range(i2, n) if nonblank[k]), None)

    def candidates(need_nonblank: bool, need_safe: bool) -> list[tuple[int, int, int, int]]:
        found = []
        for up in range(i1 + 1):
            down = need_down[up]
            if m == 0 and up == 0:
                down = max(down, 1)
            if need_nonblank and not core_nonblank and (above is None or up < i1 - above):
                if below is None:
                    continue
                down = max(down, below - i2 + 1)
            while down <= n - i2:
                if not need_safe or _aider_safe(path, lines[i1 - up:i2 + down],
                                            lines[i1 - up:i1] + new + lines[i2:i2 + down]):
                    break
                down += 1
            if down > n - i2:
                continue
            cost = chars[i2 + down] - chars[i1 - up]
            found.append((cost, up + down, up, down))
        return found

    found = candidates(True, True) or candidates(True, False) or candidates(False, False)
    assert found, "the whole file is always a unique SEARCH"
    _, _, up, down = min(found)
    return up, down


def _hunks(before: list[str], after: list[str], merge_distance: int) -> list[tuple[int, int, int, int]]:
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    hunks: list[list[int]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if hunks and i1 - hunks[-1][1] <= merge_distance:
            hunks[-1][1], hunks[-1][3] = i2, j2
        else:
            hunks.append([i1, i2, j1, j2])
    return [tuple(h) for h in hunks]  # type: ignore[misc]


def _synthesize_file(path: str, before: str, after: str, merge_distance: int) -> list[EditBlock]:
    if before == "":
        return [EditBlock(path, "", after)]
    target = split_lines(after)
    current = split_lines(before)
    blocks = []
    delta = 0
    for i1, i2, j1, j2 in _hunks(current, target, merge_distance):
        i1, i2 = i1 + delta, i2 + delta
        prepped, _ = prepped_lines("".join(current))
        new = target[j1:j2]
        up, down = _choose_context(path, prepped, i1, i2, new)
        lo, hi = i1 - up, i2 + down
        blocks.append(EditBlock(path, "".join(current[lo:hi]),
                                "".join(current[lo:i1] + new + current[i2:hi])))
        current = current[:i1] + new + current[i2:]
        delta += (j2 - j1) - (i2 - i1)
    try:
        ok = apply_blocks({path: before}, blocks)[path] == after
    except EditApplyError:
        ok = False
    if not ok:  # not expected; a whole-file block is always correct
        logger.warning("synthesized blocks for %s did not reproduce the target; using one whole-file block", path)
        blocks = [EditBlock(path, before, after)]
    return blocks


def synthesize_blocks(before: Mapping[str, str], after: Mapping[str, str], *, merge_distance: int = 2,
                      on_delete: Literal["raise", "skip", "empty"] = "raise") -> list[EditBlock]:
    """Minimal SEARCH/REPLACE blocks that turn the files ``before`` into ``after`` (path -> text).

    One block per changed hunk of lines (``difflib.SequenceMatcher`` on lines; hunks separated by at
    most ``merge_distance`` unchanged lines become one block). Each SEARCH is the changed lines plus as
    few neighbouring lines as make it match exactly once in the file *as it is when the block is
    applied* (blocks apply in order, files in the order of ``before`` then new files of ``after``); an
    insertion into a non-empty file is anchored on neighbouring lines, never an empty SEARCH. Where the
    file has a non-blank line, SEARCH contains one (Aider appends on a blank SEARCH). A new file, or a
    file that was empty, gets one block with an empty SEARCH.

    Aider cannot delete files. For a path in ``before`` but not in ``after``, ``on_delete`` decides:
    ``"raise"`` (default) raises :class:`EditSynthesisError`, ``"skip"`` leaves the file as it is, and
    ``"empty"`` writes blocks that empty it (the file then exists with no content).

    ``apply_blocks(before, synthesize_blocks(before, after)) == after`` for any texts (deleted files
    aside).

    Cost: a few milliseconds per hunk on ordinary source files; quadratic in the number of lines that
    repeat the changed ones (an insertion into 3,000 identical lines takes seconds).
    """
    if merge_distance < 0:
        raise ValueError(f"merge_distance must be >= 0, got {merge_distance}")
    if on_delete not in ("raise", "skip", "empty"):
        raise ValueError(f"on_delete must be 'raise', 'skip' or 'empty', got {on_delete!r}")
    blocks: list[EditBlock] = []
    for path, old in before.items():
        if path not in after:
            if on_delete == "raise":
                raise EditSynthesisError(
                    f"{path!r} is in before but not in after, and SEARCH/REPLACE blocks cannot delete a "
                    "file; pass on_delete='skip' to leave it or on_delete='empty' to empty it")
            if on_delete == "skip":
                continue
            new = ""
        else:
            new = after[path]
        if new != old:
            blocks.extend(_synthesize_file(path, old, new, merge_distance))
    for path, new in after.items():
        if path not in before:
            blocks.append(EditBlock(path, "", new))
    return blocks


# ---------------------------------------------------------------------------------------------
# statistics


def changed_chars(old: str, new: str) -> int:
    """Characters deleted plus inserted by a character diff, run inside each changed hunk of lines."""
    old_lines, new_lines = split_lines(old), split_lines(new)
    total = 0
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        a, b = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        chars = difflib.SequenceMatcher(None, a, b, autojunk=False)
        total += sum((ci2 - ci1) + (cj2 - cj1)
                     for t, ci1, ci2, cj1, cj2 in chars.get_opcodes() if t != "equal")
    return total


def edit_stats(before: Mapping[str, str], after: Mapping[str, str], blocks: Sequence[EditBlock]) -> dict:
    """Quality measures of ``blocks`` as an edit from ``before`` to ``after``.

    Returns a dict with:

    * ``n_blocks``;
    * ``edited_chars``: characters in all SEARCH and REPLACE texts;
    * ``changed_chars``: characters that actually differ between before and after (deleted plus
      inserted, by a character-level diff within each changed hunk of lines; a deleted file counts
      its whole text);
    * ``minimality``: ``changed_chars / edited_chars`` clipped to [0, 1]: 1.0 when the blocks hold
      nothing but the change, small when they carry much unchanged context. In (0, 1] for any blocks
      that make a real change; 1.0 when there is no change and no block. Blocks hold whole lines, so a
      one-character fix in a 60-character line scores about 2/120 even with no context: compare
      scores between examples, do not read them as absolute;
    * ``unique_anchors``: every block, applied in order, has a SEARCH that matches exactly once,
      exactly (not through the whitespace fallback), and that is neither whitespace-only nor empty on
      an existing non-empty file (Aider would append in both cases);
    * ``applies``: ``apply_blocks(before, blocks)`` succeeds and gives ``after``;
    * ``well_formed``: the blocks render unambiguously and parse back to themselves
      (:meth:`EditBlock.line_normalized`), and those parsed blocks also apply to give ``after``, up to a
      final newline the format cannot express.
    """
    edited = sum(len(b.search) + len(b.replace) for b in blocks)
    changed = sum(changed_chars(before.get(p, ""), after.get(p, "")) for p in set(before) | set(after))
    if edited:
        minimality = min(1.0, changed / edited)
    else:
        minimality = 1.0 if changed == 0 else 0.0

    unique = True
    files = dict(before)
    for index, block in enumerate(blocks):
        content = files.get(block.path)
        if content is None or block.search == "":
            unique = unique and content in (None, "")
        else:
            lines, _ = prepped_lines(content)
            search, _ = prepped_lines(block.search)
            unique = unique and bool(block.search.strip()) and len(exact_matches(lines, search)) == 1
        try:
            files = apply_blocks(files, [block])
        except EditApplyError:
            unique = False
            break
    try:
        applies = apply_blocks(before, blocks) == dict(after)
    except EditApplyError:
        applies = False

    well_formed = all(is_renderable(b) for b in blocks)
    if well_formed:
        parsed = parse_blocks(render_blocks(blocks))
        well_formed = parsed == [b.line_normalized() for b in blocks]
        if well_formed:
            try:
                got = apply_blocks(before, parsed)
                well_formed = set(got) == set(after) and all(
                    with_final_break(got[p]) == with_final_break(after[p]) for p in after)
            except EditApplyError:
                well_formed = False
    return {
        "n_blocks": len(blocks),
        "edited_chars": edited,
        "changed_chars": changed,
        "minimality": minimality,
        "unique_anchors": unique,
        "applies": applies,
        "well_formed": well_formed,
    }
