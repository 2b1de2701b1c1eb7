"""Byte-level BPE tokenizer for the polyglot HRM, trained with `tokenizers`, used as a `PreTrainedTokenizerFast`.

Special tokens (fixed ids first, so `HRMConfig`'s defaults pad=0, bos=1, eos=2 hold for every trained
tokenizer): pad/bos/eos, one token per language and per task (the language registry and the dataset's
configurations, which the model's puzzle-identifier table in `hrm_modeling.configuration_hrm` equals) and the
prompt section markers
used by `prompt_format`. Aider's edit-block markers (`<<<<<<< SEARCH`, `=======`, `>>>>>>> REPLACE`) are
added as *non-special* tokens: each is one token, but `decode(..., skip_special_tokens=True)` keeps them,
because they are part of a diff_edit answer.

No token is added automatically by `__call__`: `encode_pair` places bos/eos explicitly, so training and
evaluation build identical sequences.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from ..dataset.names import CONFIG_NAMES
from ..languages import LANGUAGES

__all__ = [
    "BOS_TOKEN",
    "EDIT_MARKERS",
    "EOS_TOKEN",
    "PAD_TOKEN",
    "SECTION_TOKENS",
    "encode_pair",
    "header_length",
    "keep_head_and_tail",
    "language_token",
    "load_tokenizer",
    "min_vocab_size",
    "special_tokens",
    "task_token",
    "train_tokenizer",
]

logger = logging.getLogger(__name__)

PAD_TOKEN = "<|pad|>"
BOS_TOKEN = "<|bos|>"
EOS_TOKEN = "<|eos|>"
# Section markers of the prompt layout (rendered by prompt_format).
SECTION_TOKENS: tuple[str, ...] = ("<|instructions|>", "<|file|>", "<|source|>", "<|test_output|>", "<|answer|>")
EDIT_MARKERS: tuple[str, ...] = ("<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE")
DEFAULT_VOCAB_SIZE = 8192
MODEL_MAX_LENGTH = 4096


def language_token(language: str) -> str:
    """`"<|lang:python|>"`; raises ValueError for a language that is not registered."""
    if language not in LANGUAGES:
        raise ValueError(f"Unknown language {language!r}: expected one of {tuple(LANGUAGES)}.")
    return f"<|lang:{language}|>"


def task_token(task: str) -> str:
    """`"<|task:diff_edit|>"`; raises ValueError for a task that is no configuration of the dataset."""
    if task not in CONFIG_NAMES:
        raise ValueError(f"Unknown task {task!r}: expected one of {CONFIG_NAMES}.")
    return f"<|task:{task}|>"


def special_tokens() -> list[str]:
    """All special tokens in id order: pad, bos, eos, languages, tasks, section markers."""
    return [
        PAD_TOKEN, BOS_TOKEN, EOS_TOKEN,
        *(language_token(lang) for lang in LANGUAGES),
        *(task_token(task) for task in CONFIG_NAMES),
        *SECTION_TOKENS,
    ]


def _wrap(tokenizer: Tokenizer) -> PreTrainedTokenizerFast:
    """The HF wrapper with pad/bos/eos and the language/task/section tokens declared special."""
    extra = special_tokens()[3:]
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token=PAD_TOKEN,
        bos_token=BOS_TOKEN,
        eos_token=EOS_TOKEN,
        extra_special_tokens=extra,
        model_max_length=MODEL_MAX_LENGTH,
        clean_up_tokenization_spaces=False,  # code: decode must give back exactly the text
        padding_side="right",
    )


def min_vocab_size() -> int:
    """The smallest ``vocab_size`` :func:`train_tokenizer` takes: the 256 byte symbols, the special tokens, the
    edit markers and one merge."""
    return len(special_tokens()) + 256 + len(EDIT_MARKERS) + 1


def train_tokenizer(
    texts: Iterable[str], vocab_size: int = DEFAULT_VOCAB_SIZE, min_frequency: int = 2
) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE on any iterator of strings (e.g. rendered prompts and answers of the dataset).

    `vocab_size` is the total including special tokens and edit markers; a small corpus can give fewer
    merges, so read `len(tokenizer)` for the model's `vocab_size`.
    """
    specials = special_tokens()
    budget = vocab_size - len(EDIT_MARKERS)
    if vocab_size < min_vocab_size():
        raise ValueError(
            f"vocab_size={vocab_size} is too small: the 256 byte symbols, {len(specials)} special tokens and "
            f"{len(EDIT_MARKERS)} edit markers need more. Use vocab_size >= {min_vocab_size()}."
        )
    tokenizer = Tokenizer(models.BPE())
    # add_prefix_space=False: code is whitespace-sensitive and must round-trip byte for byte.
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=budget,
        min_frequency=min_frequency,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_strings(texts), trainer=trainer)
    tokenizer.add_tokens([AddedToken(m, normalized=False, special=False) for m in EDIT_MARKERS])
    logger.info("trained byte-level BPE: %d tokens", tokenizer.get_vocab_size())
    return _wrap(tokenizer)


def _strings(texts: Iterable[str]) -> Iterator[str]:
    """Pass strings through, failing clearly on anything else (a common mistake is passing dataset rows)."""
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"train_tokenizer expects strings; item {i} is a {type(text).__name__}.")
        yield text


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerFast:
    """Load a tokenizer saved with `save_pretrained` (equivalent to `AutoTokenizer.from_pretrained`)."""
    return PreTrainedTokenizerFast.from_pretrained(str(path))


def encode_pair(
    tokenizer: PreTrainedTokenizerFast, prompt: str, answer: str | None = None, max_length: int | None = None
) -> dict[str, list[int]]:
    """Token ids for one example: `bos + prompt (+ answer + eos)`.

    Returns input_ids, attention_mask, token_type_ids (1 on bos + prompt: the model's bidirectional prefix-LM
    block) and labels (-100 on bos + prompt, so only the answer is learned). With `answer=None` it is a
    generation prompt (no eos, no labels). `max_length` truncates the prompt from the left, keeping bos and the
    header's task and language tokens (:func:`header_length`), the prompt's end (the answer marker) and the whole
    answer; it raises if the answer alone does not fit.
    """
    prompt_ids = [tokenizer.bos_token_id] + tokenizer.encode(prompt, add_special_tokens=False)
    answer_ids = [] if answer is None else tokenizer.encode(answer, add_special_tokens=False) + [tokenizer.eos_token_id]
    if max_length is not None and len(prompt_ids) + len(answer_ids) > max_length:
        keep = max_length - len(answer_ids)
        head = header_length(tokenizer, prompt_ids)
        if keep < head + 1:
            raise ValueError(
                f"The answer has {len(answer_ids)} tokens, which does not fit max_length={max_length} with a prompt; "
                "raise max_length or filter long examples."
            )
        prompt_ids = keep_head_and_tail(prompt_ids, keep, head)
    ids = prompt_ids + answer_ids
    out = {
        "input_ids": ids,
        "attention_mask": [1] * len(ids),
        "token_type_ids": [1] * len(prompt_ids) + [0] * len(answer_ids),
    }
    if answer is not None:
        out["labels"] = [-100] * len(prompt_ids) + answer_ids
    return out


def header_length(tokenizer: PreTrainedTokenizerFast, ids: list[int]) -> int:
    """Tokens a truncated prompt keeps at its start: bos and the task and language tokens right after it (the
    header line of the prompt format). The model reads its puzzle identifier from them
    (``hrm_modeling.prompt_inputs_from_ids``), so cutting a long prompt must not take them away."""
    header = set(tokenizer.convert_tokens_to_ids([task_token(t) for t in CONFIG_NAMES]
                                                 + [language_token(lang) for lang in LANGUAGES]))
    n = 1 if ids and ids[0] == tokenizer.bos_token_id else 0
    while n < len(ids) and ids[n] in header:
        n += 1
    return n


def keep_head_and_tail(ids: list[int], limit: int, head: int) -> list[int]:
    """The first `head` and the last `limit - head` of `ids` (all of them when they fit in `limit`)."""
    if len(ids) <= limit:
        return list(ids)
    return list(ids[:head]) + list(ids[len(ids) - (limit - head):])
