"""Configuration of the polyglot HRM (Hierarchical Reasoning Model, arXiv 2506.21734).

`HRMConfig` extends transformers' `HrmTextConfig` (H/L stacks, prefix-LM, k-step gradient) with what
the original HRM has and HRM-Text lacks: puzzle (here: language x task) embeddings, deep supervision
over segments, the ACT Q-head and the paper's one-step gradient (the default `gradient_mode`). The
puzzle-identifier table lives here because the checkpoint must be self-describing; its `LANGUAGES` and
`TASKS` are a copy of polyglot_hrm's language registry and dataset configurations, which the tokenizer
and prompt format use (`tests/test_languages.py` checks that they agree: a new language is appended here
too).

This file is also shipped next to saved checkpoints as remote code, so it imports nothing but
transformers (and nothing from `polyglot_hrm`).
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from huggingface_hub.dataclasses import strict
from transformers.models.hrm_text.configuration_hrm_text import HrmTextConfig

__all__ = [
    "GRADIENT_MODES",
    "GradientMode",
    "HRMConfig",
    "LANGUAGES",
    "NO_PUZZLE",
    "TASKS",
    "default_puzzle_identifier_names",
    "puzzle_identifier_name",
]

# The shared language x task table. Order is part of the checkpoint format: never reorder, only append.
LANGUAGES: tuple[str, ...] = ("cpp", "go", "java", "javascript", "python", "rust")
TASKS: tuple[str, ...] = ("generation", "diff_edit", "transfer")
NO_PUZZLE = "none"

# Which stack calls of a segment record autograd in training (see `HRMConfig.gradient_steps`).
GradientMode = Literal["one_step", "k_step"]
GRADIENT_MODES: tuple[str, ...] = get_args(GradientMode)


def puzzle_identifier_name(language: str, task: str) -> str:
    """Name of the puzzle identifier for one language x task pair, e.g. `"python/diff_edit"`."""
    return f"{language}/{task}"


def default_puzzle_identifier_names() -> list[str]:
    """`["none", "cpp/generation", "cpp/diff_edit", ..., "rust/transfer"]`: id 0 means no task."""
    return [NO_PUZZLE] + [puzzle_identifier_name(lang, task) for lang in LANGUAGES for task in TASKS]


def _require(ok: bool, field: str, value: Any, reason: str, fix: str) -> None:
    """Raise a `ValueError` that names the field, the reason and the fix."""
    if not ok:
        raise ValueError(f"HRMConfig.{field}={value!r} is invalid: {reason}. Fix: {fix}.")


@strict
class HRMConfig(HrmTextConfig):
    r"""
    Configuration of [`HRMForCausalLM`]. Defaults give a model of about 26M parameters (the HRM paper's size)
    with an 8192-token vocabulary.

    `num_hidden_layers` is, as in `HrmTextConfig`, passed as the number of layers *per stack* (H and L have
    the same depth). On construction it is remembered in `num_layers_per_stack` and rewritten to the number
    of KV-cache slots the recurrent forward needs at inference, so `DynamicCache(config=...)` (which
    `generate` builds) has one slot per attention invocation:
    `num_layers_per_stack * H_cycles * (L_cycles + 1) * effective_inference_segments`.

    HRM-specific fields:
        puzzle_emb_len (`int`, defaults to 1): learned prefix positions per sequence, selected by
            `puzzle_identifiers` (0 disables the prefix).
        puzzle_identifier_names (`list[str]`, optional): the language x task table; index = id. Defaults to
            `default_puzzle_identifier_names()` (19 entries, id 0 = "none").
        num_segments (`int`, defaults to 2): deep-supervision segments per training forward; the H/L state
            is carried, detached, from one segment to the next and each segment gets a loss.
        halt_max_steps (`int`, defaults to 2): ACT cap on segments per sequence (must be >= num_segments).
        halt_exploration_prob (`float`, defaults to 0.1): probability of forcing a random minimum number of
            segments before halting (the paper's exploration).
        inference_segments (`int`, optional): segments run at inference / generation; `None` means
            `num_segments` (a fixed count, as the original evaluates).
        q_loss_weight (`float`, defaults to 0.5): weight of the Q-halt and Q-continue losses.
        gradient_mode (`"one_step"` or `"k_step"`, defaults to `"one_step"`): which stack calls of a segment
            record autograd in training (`gradient_steps` lists them); all others run under `torch.no_grad()`.
            `"one_step"` is the HRM paper's one-step gradient: only the final L-step and the final H-step of
            each segment (2 of the `H_cycles * (L_cycles + 1)` calls). `"k_step"` is HRM-Text's k-step
            gradient, this model's behaviour before `gradient_mode` existed: every H-step and, per H-cycle,
            the trailing `L_bp_cycles` L-steps (4 of 6 calls at H_cycles = L_cycles = 2); gradients then flow
            back through all H-cycles of the segment. Inference is the same in both modes. A `config.json`
            saved before this field existed (it has `num_layers_per_stack` but no `gradient_mode`) loads as
            `"k_step"`, so resumed or fine-tuned old checkpoints keep the gradient they trained with; pass
            `gradient_mode="one_step"` to `from_pretrained` to switch one.
        selective_checkpointing (`bool`, defaults to `True`): in training, the decoder layers of the stack calls
            that record autograd keep only their matmul and attention outputs for backward and recompute the
            elementwise rest (norms, rotary embeddings, SiLU, gates): transformers' activation checkpointing with
            a selective policy, enabled when the model is built. Frees most of the `(B, T, intermediate_size)`
            MLP activations for a few percent of step time; the gradients are the same (bit for bit in float32).
            `model.gradient_checkpointing_enable()` switches to full checkpointing, `..._disable()` turns it off.
        L_bp_cycles (`list[int]`, defaults to `[1]`): with `gradient_mode="k_step"` only: per H-cycle, how many
            of the trailing L-steps run with autograd (left-padded with 1s to `H_cycles` entries). Must stay
            `[1]` with `"one_step"`.
        derive_prompt_inputs (`bool`, defaults to `False`): when a first (uncached) forward gets `input_ids` but no
            `token_type_ids` or no `puzzle_identifiers`, derive them from the ids (`prompt_inputs_from_ids` in
            `modeling_hrm.py`): the prompt block is every attended token up to and including the first
            `prompt_end_token_ids` run, the puzzle identifier is the first language and the first task token in
            that block. Callers that pass only `input_ids` and `attention_mask` (TRL's `GRPOTrainer`, plain
            `generate`) then see what training saw. Needs the three token-id fields below (the tokenizer's:
            `polyglot_hrm.modelio.tokenizer.prompt_layout_fields` gives them).
        prompt_end_token_ids (`list[int]`, optional): the tokens that close a prompt (the prompt format's
            `<|answer|>` and its line break).
        language_token_ids (`list[int]`, optional): the token of each language of `LANGUAGES`, in that order.
        task_token_ids (`list[int]`, optional): the token of each task of `TASKS`, in that order.
    """

    model_type = "polyglot_hrm"

    vocab_size: int = 8192
    hidden_size: int = 512
    intermediate_size: int = 2048
    num_hidden_layers: int = 2
    num_attention_heads: int = 8
    head_dim: int | None = None
    max_position_embeddings: int = 4096
    pad_token_id: int | None = 0
    bos_token_id: int | None = 1
    eos_token_id: int | list[int] | None = 2
    H_cycles: int = 2
    L_cycles: int = 2

    puzzle_emb_len: int = 1
    puzzle_identifier_names: list[str] | None = None
    num_segments: int = 2
    halt_max_steps: int = 2
    halt_exploration_prob: float = 0.1
    inference_segments: int | None = None
    q_loss_weight: float = 0.5
    gradient_mode: GradientMode = "one_step"
    selective_checkpointing: bool = True
    derive_prompt_inputs: bool = False
    prompt_end_token_ids: list[int] | None = None
    language_token_ids: list[int] | None = None
    task_token_ids: list[int] | None = None

    @classmethod
    def from_dict(cls, config_dict: dict[str, Any], **kwargs: Any) -> HRMConfig:
        """As `PreTrainedConfig.from_dict`, but a serialised HRMConfig from before `gradient_mode` existed (it has
        `num_layers_per_stack`, always written, and no `gradient_mode`) gets the k-step gradient it trained with."""
        if "num_layers_per_stack" in config_dict and "gradient_mode" not in config_dict:
            config_dict = {**config_dict, "gradient_mode": "k_step"}
        return super().from_dict(config_dict, **kwargs)

    def __post_init__(self, **kwargs: Any) -> None:
        if self.L_bp_cycles is None:
            self.L_bp_cycles = [1]
        if self.puzzle_identifier_names is None:
            self.puzzle_identifier_names = default_puzzle_identifier_names()
        if self.head_dim is None and self.num_attention_heads > 0:
            self.head_dim = self.hidden_size // self.num_attention_heads
        self._validate_hrm_fields()
        if self.num_layers_per_stack is None:
            # First construction: `num_hidden_layers` carries the per-stack depth (HrmTextConfig convention).
            self.num_layers_per_stack = self.num_hidden_layers
        # Always recomputed (not only on first construction) so that overriding `inference_segments` at load
        # time, e.g. `from_pretrained(..., inference_segments=4)`, resizes the generation cache too.
        self.num_hidden_layers = self.num_layers_per_stack * self.cache_slots_per_segment * self.effective_inference_segments
        super().__post_init__(**kwargs)

    # ------------------------------------------------------------------ derived quantities
    @property
    def cache_slots_per_segment(self) -> int:
        """Stack invocations per segment (`H_cycles * (L_cycles + 1)`); times layers = KV slots per segment."""
        return self.H_cycles * (self.L_cycles + 1)

    @property
    def gradient_steps(self) -> frozenset[tuple[int, int]]:
        """Stack calls of one training segment that record autograd, as `(h, step)`: H-cycle `h`, and `step` in
        `0..L_cycles-1` for its L-steps or `step == L_cycles` for its H-step (see `gradient_mode`)."""
        H, L = self.H_cycles, self.L_cycles
        if self.gradient_mode == "one_step":
            return frozenset({(H - 1, L - 1), (H - 1, L)})
        bp = [1] * (H - len(self.L_bp_cycles)) + list(self.L_bp_cycles)  # HRM-Text's left padding
        return frozenset((h, step) for h in range(H) for step in range(L - bp[h], L + 1))

    @property
    def effective_inference_segments(self) -> int:
        """Segments run at inference: `inference_segments`, or `num_segments` when unset."""
        return self.inference_segments if self.inference_segments is not None else self.num_segments

    @property
    def num_puzzle_identifiers(self) -> int:
        """Rows of the puzzle-embedding table."""
        return len(self.puzzle_identifier_names)

    def puzzle_id(self, language: str | None, task: str | None) -> int:
        """Id of a language x task pair in this config's table; `None` for either gives 0 ("none")."""
        if language is None or task is None:
            return 0
        name = puzzle_identifier_name(language, task)
        if name not in self.puzzle_identifier_names:
            raise ValueError(
                f"No puzzle identifier for language={language!r}, task={task!r}: known names are "
                f"{self.puzzle_identifier_names}. Use one of LANGUAGES={LANGUAGES} and TASKS={TASKS}."
            )
        return self.puzzle_identifier_names.index(name)

    # ------------------------------------------------------------------ validation
    def _validate_hrm_fields(self) -> None:
        """Check every field this class adds or depends on; raise `ValueError(field, reason, fix)`."""
        positive = {
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size,
            "num_attention_heads": self.num_attention_heads,
            "H_cycles": self.H_cycles,
            "L_cycles": self.L_cycles,
            "num_segments": self.num_segments,
            "halt_max_steps": self.halt_max_steps,
            "max_position_embeddings": self.max_position_embeddings,
        }
        for name, value in positive.items():
            _require(isinstance(value, int) and value >= 1, name, value, "must be an integer >= 1", f"set {name} >= 1")
        per_stack = self.num_layers_per_stack if self.num_layers_per_stack is not None else self.num_hidden_layers
        _require(per_stack >= 1, "num_hidden_layers", per_stack, "each H/L stack needs at least one layer",
                 "pass num_hidden_layers >= 1 (layers per stack)")
        _require(self.hidden_size % self.num_attention_heads == 0, "hidden_size", self.hidden_size,
                 f"not divisible by num_attention_heads={self.num_attention_heads}",
                 "choose hidden_size as a multiple of num_attention_heads")
        _require(self.head_dim is not None and self.head_dim >= 2 and self.head_dim % 2 == 0, "head_dim", self.head_dim,
                 "rotary embeddings need an even head dimension >= 2", "set head_dim to an even number or leave it None")
        _require(self.halt_max_steps >= self.num_segments, "halt_max_steps", self.halt_max_steps,
                 f"smaller than num_segments={self.num_segments}, so the last segments could never run",
                 f"set halt_max_steps >= {self.num_segments} or lower num_segments")
        _require(0.0 <= self.halt_exploration_prob <= 1.0, "halt_exploration_prob", self.halt_exploration_prob,
                 "is a probability", "use a value in [0, 1]")
        _require(self.inference_segments is None or self.inference_segments >= 1, "inference_segments",
                 self.inference_segments, "at least one segment must run", "use None (= num_segments) or an int >= 1")
        _require(self.q_loss_weight >= 0.0, "q_loss_weight", self.q_loss_weight, "a negative weight rewards a bad Q-head",
                 "use a value >= 0 (0 disables the ACT losses)")
        _require(self.puzzle_emb_len >= 0, "puzzle_emb_len", self.puzzle_emb_len, "a prefix length cannot be negative",
                 "use 0 (no prefix) or a positive number of prefix positions")
        names = self.puzzle_identifier_names
        _require(len(names) >= 1 and names[0] == NO_PUZZLE, "puzzle_identifier_names", names[:3],
                 f"id 0 must be {NO_PUZZLE!r} (rows without a task)", "leave it None for the default table")
        _require(len(set(names)) == len(names), "puzzle_identifier_names", names, "names must be unique",
                 "remove duplicate entries")
        bp = self.L_bp_cycles
        _require(0 < len(bp) <= self.H_cycles and all(1 <= k <= self.L_cycles for k in bp), "L_bp_cycles", bp,
                 f"needs 1..H_cycles={self.H_cycles} entries, each in 1..L_cycles={self.L_cycles}",
                 "use e.g. [1] or [L_cycles] (backprop through every L-step) with gradient_mode='k_step'")
        _require(self.gradient_mode in GRADIENT_MODES, "gradient_mode", self.gradient_mode,
                 f"must be one of {GRADIENT_MODES}", "use 'one_step' (the paper's, default) or 'k_step' (HRM-Text's)")
        _require(self.gradient_mode == "k_step" or list(bp) == [1], "L_bp_cycles", bp,
                 "only applies to gradient_mode='k_step'; the one-step gradient keeps only the final L-step",
                 "set gradient_mode='k_step' to use L_bp_cycles, or leave L_bp_cycles unset")
        self._validate_prompt_layout()
        for name in ("pad_token_id", "bos_token_id"):
            value = getattr(self, name)
            _require(value is None or 0 <= value < self.vocab_size, name, value, f"outside the vocabulary (size {self.vocab_size})",
                     f"use an id in [0, {self.vocab_size}) matching the tokenizer, or None")

    def _validate_prompt_layout(self) -> None:
        """The token ids `derive_prompt_inputs` reads: set (all three) when it is on, inside the vocabulary."""
        expected = {"prompt_end_token_ids": None, "language_token_ids": len(LANGUAGES), "task_token_ids": len(TASKS)}
        for name, count in expected.items():
            ids = getattr(self, name)
            if ids is None:
                _require(not self.derive_prompt_inputs, name, ids, "derive_prompt_inputs=True reads it",
                         "set it from the tokenizer (polyglot_hrm.modelio.tokenizer.prompt_layout_fields) or set "
                         "derive_prompt_inputs=False")
                continue
            _require(len(ids) >= 1 and (count is None or len(ids) == count), name, ids,
                     f"needs {count or 'at least one'} token id(s)" + (f", one per entry of {name.split('_')[0].upper()}S"
                                                                      if count else ""),
                     "set it from the tokenizer (polyglot_hrm.modelio.tokenizer.prompt_layout_fields)")
            _require(all(isinstance(i, int) and 0 <= i < self.vocab_size for i in ids), name, ids,
                     f"holds an id outside the vocabulary (size {self.vocab_size})",
                     "use the ids of the tokenizer the model was built with")
