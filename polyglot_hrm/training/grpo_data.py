"""Dataset rows -> a dataset ready for TRL's ``GRPOTrainer``: a ``prompt`` column beside the columns the reward reads.

    from polyglot_hrm.training.grpo_data import with_prompts
    ds = load_dataset("user/polyglot-hrm", "diff_edit", split="train")      # or the builder's Arrow cache
    chat = with_prompts(ds, style="chat", edit_format="diff")   # prompt: [{"role": "system", ...}, {"role": "user", ...}]
    hrm = with_prompts(ds, style="hrm")                          # prompt: "<|bos|><|task:diff_edit|><|lang:...|>..."

Prompt styles:

* ``chat``: the evaluation's first-attempt chat (:func:`polyglot_hrm.modelio.chat_format.chat_messages`: the edit
  format's rules as the system message, the instructions, the files, a diff_edit row's failing test output), a
  conversational prompt that TRL renders with the model's chat template. Completions are read in the same
  ``edit_format`` (``whole`` or ``diff``) by the reward.
* ``hrm``: this project's HRM's own prompt text (:func:`polyglot_hrm.modelio.prompt_format.render_prompt`), with the
  tokenizer's bos written as text in front: TRL tokenizes a plain prompt with the tokenizer alone, which adds no bos
  (``polyglot_hrm.modelio.tokenizer``), while training put one there. The ids TRL then gives the model are the ones
  ``encode_pair`` gives in training; the model reads its prompt block and puzzle id from them
  (``HRMConfig.derive_prompt_inputs``). Completions are read in the HRM's format (reward ``edit_format="hrm"``).

Every configuration works (generation, diff_edit, transfer); the columns kept are those of
:data:`polyglot_hrm.rewards.REWARD_COLUMNS` the dataset has (plus ``keep``), so TRL hands the reward what it needs
and nothing it must carry for no use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import datasets

from ..modelio.chat_format import chat_messages
from ..modelio.names import EDIT_FORMATS
from ..modelio.prompt_format import render_prompt
from ..modelio.tokenizer import BOS_TOKEN
from ..rewards import REWARD_COLUMNS

__all__ = ["PROMPT_STYLES", "PromptStyle", "prompt_of", "reward_format", "with_prompts"]

PromptStyle = Literal["chat", "hrm"]
PROMPT_STYLES: tuple[str, ...] = ("chat", "hrm")


def _check(style: str, edit_format: str) -> None:
    if style not in PROMPT_STYLES:
        raise ValueError(f"style={style!r}: choose 'chat' (a chat model: the evaluation's first-attempt messages) or "
                         f"'hrm' (this project's HRM: its own prompt text)")
    if edit_format not in EDIT_FORMATS:
        raise ValueError(f"edit_format={edit_format!r}: choose one of {', '.join(EDIT_FORMATS)}")


def prompt_of(row: Mapping[str, Any], style: PromptStyle = "chat", edit_format: str = "whole") -> str | list[dict]:
    """One row's GRPO prompt (module docstring): chat messages, or the HRM's prompt text after bos."""
    _check(style, edit_format)
    if style == "hrm":
        return BOS_TOKEN + render_prompt(row)
    return chat_messages(row, edit_format)  # type: ignore[arg-type]


def reward_format(style: PromptStyle, edit_format: str = "whole") -> str:
    """The reward's ``edit_format`` for completions of prompts of this style: the chat's, or ``hrm``."""
    _check(style, edit_format)
    return "hrm" if style == "hrm" else edit_format


def with_prompts(dataset: datasets.Dataset | datasets.DatasetDict, style: PromptStyle = "chat",
                 edit_format: str = "whole", keep: Sequence[str] = ()) -> datasets.Dataset | datasets.DatasetDict:
    """The dataset (or each split of a ``DatasetDict``) with a ``prompt`` column (:func:`prompt_of`), keeping the
    reward's columns (:data:`~polyglot_hrm.rewards.REWARD_COLUMNS`) and ``keep``; other columns are dropped. Works on
    any config's rows, built here, reloaded from Arrow, exported or loaded from the Hub."""
    _check(style, edit_format)
    if isinstance(dataset, datasets.DatasetDict):
        return datasets.DatasetDict({split: with_prompts(ds, style, edit_format, keep) for split, ds in dataset.items()})
    if not isinstance(dataset, datasets.Dataset):
        raise TypeError(f"dataset: a datasets.Dataset or DatasetDict, not {type(dataset).__name__} (a list of rows: "
                        f"datasets.Dataset.from_list(rows))")
    needed = ("task", "language", "input_files", "problem_id")
    missing = [c for c in needed if c not in dataset.column_names]
    if missing:
        raise ValueError(f"dataset: no column(s) {missing}; with_prompts takes rows of this project's dataset (any "
                         f"configuration: generation, diff_edit, transfer)")
    unknown = [c for c in keep if c not in dataset.column_names]
    if unknown:
        raise ValueError(f"keep={list(keep)}: the dataset has no column(s) {unknown}")
    kept = {c for c in (*REWARD_COLUMNS, *keep) if c in dataset.column_names}
    dropped = [c for c in dataset.column_names if c not in kept]
    return dataset.map(lambda row: {"prompt": prompt_of(row, style, edit_format)}, remove_columns=dropped,
                       desc=f"GRPO prompts ({style})")
