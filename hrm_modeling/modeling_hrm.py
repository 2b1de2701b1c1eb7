"""The polyglot HRM as a transformers `PreTrainedModel`.

Built on `transformers.models.hrm_text`: attention (gated, rotary), SwiGLU MLP, RMS norms, the H/L
`HrmTextStack`s, rotary embeddings, prefix-LM masks (`create_causal_mask` with block ids) and the KV
cache with one slot per attention invocation are all reused. Added here, from the original HRM
(Sapient, arXiv 2506.21734):

* puzzle embeddings: `puzzle_identifiers` (one id per language x task, see `HRMConfig`) select
  `puzzle_emb_len` learned vectors that are prepended to the sequence;
* the original recurrence with input injection and a carried state:
  `z_L <- L(z_L + z_H + x)` (L_cycles times), then `z_H <- H(z_H + z_L)`, H_cycles times per segment;
* the one-step gradient: in training only the final L-step and the final H-step of each segment
  record autograd (`config.gradient_mode`; `"k_step"` keeps HRM-Text's k-step gradient), and those
  steps' layers are selectively checkpointed (`config.selective_checkpointing`);
* deep supervision: in training, `num_segments` segments per forward, the (z_H, z_L) state carried and
  detached between segments, an LM loss on each (chunked, never holding the `(B, T, V)` logits);
* ACT: a Q-head (halt / continue logits) with the halting loss (target: the segment's prediction is
  all right) and the bootstrapped continue target, `halt_max_steps` and exploration. At inference a
  fixed number of segments runs (`config.effective_inference_segments`), as the original evaluates.

Shapes: B = batch, T = tokens in this call, P = prefix positions in this call (`puzzle_emb_len` on a
first call, 0 on cached continuation calls), D = hidden size, V = vocabulary.

This file is shipped next to saved checkpoints as remote code: it imports only torch, transformers
and (relatively) its configuration.
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import create_selective_checkpoint_contexts
from transformers import initialization as init
from transformers.cache_utils import Cache, DynamicCache
from transformers.generation import GenerationMixin
from transformers.masking_utils import create_causal_mask
from transformers.modeling_outputs import BaseModelOutputWithPast, CausalLMOutputWithPast
from transformers.modeling_utils import slice_logits_to_keep
from transformers.models.hrm_text.modeling_hrm_text import (
    HrmTextPreTrainedModel,
    HrmTextRotaryEmbedding,
    HrmTextStack,
)
from transformers.utils import logging

from .configuration_hrm import LANGUAGES, TASKS, HRMConfig, puzzle_identifier_name

__all__ = ["HRMCarry", "HRMForCausalLM", "HRMModel", "HRMPreTrainedModel", "SELECTIVE_CHECKPOINTING_KWARGS",
           "prompt_inputs_from_ids"]

logger = logging.get_logger(__name__)

# Selective activation checkpointing (`HRMConfig.selective_checkpointing`): of a decoder layer that records autograd,
# only these ops' outputs are kept for backward; the rest (RMS norms, rotary embeddings, SiLU, gates, residual adds:
# elementwise and cheap) is recomputed from them. The (B, T, I) MLP intermediates are most of what that frees.
_KEPT_OPS = [
    getattr(torch.ops.aten, name).default
    for name in ("mm", "addmm", "bmm", "_scaled_dot_product_flash_attention_for_cpu",
                 "_scaled_dot_product_flash_attention", "_scaled_dot_product_efficient_attention",
                 "_scaled_dot_product_cudnn_attention")
    if hasattr(torch.ops.aten, name)
]


@contextmanager
def _without_autocast_cache(context):
    """`context` with autocast's weight-cast cache off. The cache would let the forward reuse weight casts made by
    earlier (no_grad) steps while the recomputation in backward, in a fresh autocast region, casts anew; selective
    checkpointing then finds ops it never saw and fails. Without the cache both cast each weight once per layer."""
    previous = torch.is_autocast_cache_enabled()
    torch.set_autocast_cache_enabled(False)
    try:
        with context:
            yield
    finally:
        torch.set_autocast_cache_enabled(previous)


def _keep_matmul_and_attention_outputs():
    """`context_fn` for `torch.utils.checkpoint.checkpoint`: the selective policy above, autocast-safe."""
    forward, recompute = create_selective_checkpoint_contexts(_KEPT_OPS)
    return _without_autocast_cache(forward), _without_autocast_cache(recompute)


# The checkpointing kwargs of `HRMConfig.selective_checkpointing`: give them to whatever turns checkpointing back on
# (TRL's GRPOTrainer does after each generation, through `gradient_checkpointing_kwargs`), or it becomes full.
SELECTIVE_CHECKPOINTING_KWARGS = {"use_reentrant": False, "context_fn": _keep_matmul_and_attention_outputs}

# Logits per chunk of the training LM loss (`_LinearCrossEntropy`): 8 MiB of float32 logits per chunk.
LM_LOSS_CHUNK_LOGITS = 2**21

# The paper initialises the Q-head to "never halt" (sigmoid(-5) ~ 0.007) so early training runs all segments.
Q_HEAD_INIT_BIAS = -5.0


@dataclass
class HRMCarry:
    """Recurrent state carried from one segment to the next; both `(B, P + T, D)`."""

    z_H: torch.Tensor
    z_L: torch.Tensor

    def detach(self) -> HRMCarry:
        """The same state cut from the graph (the paper's deep-supervision carry)."""
        return HRMCarry(self.z_H.detach(), self.z_L.detach())


@dataclass
class HRMInputs:
    """Everything a segment needs that does not change between segments."""

    embeddings: torch.Tensor  # (B, P + T, D), injected into every L step
    attention_mask: torch.Tensor | None  # 4D mask from `create_causal_mask` or None (plain causal)
    position_embeddings: tuple[torch.Tensor, torch.Tensor]  # rotary (cos, sin), each (B|1, P + T, head_dim)
    prefix_len: int  # P


@dataclass
class HRMModelOutput(BaseModelOutputWithPast):
    """`last_hidden_state` is z_H of the last segment without prefix positions, `(B, T, D)`; `carry` keeps them."""

    carry: HRMCarry | None = None


@dataclass
class HRMCausalLMOutputWithPast(CausalLMOutputWithPast):
    """Causal-LM output plus the ACT / deep-supervision diagnostics.

    logits: `(B, T, V)` outside training; `None` from the training (deep-supervision) forward, whose LM loss never
    materialises them. lm_loss: mean over segments of the LM loss. q_halt_loss / q_continue_loss: the ACT losses
    (training only).
    q_halt_logits / q_continue_logits: `(B,)`, from the last segment run. act_steps: `(B,)` segments each
    sequence ran before halting. segment_losses: `(S,)` detached LM loss per segment.
    """

    lm_loss: torch.Tensor | None = None
    q_halt_loss: torch.Tensor | None = None
    q_continue_loss: torch.Tensor | None = None
    q_halt_logits: torch.Tensor | None = None
    q_continue_logits: torch.Tensor | None = None
    act_steps: torch.Tensor | None = None
    segment_losses: torch.Tensor | None = None


class _LinearCrossEntropy(torch.autograd.Function):
    """Weighted LM loss `sum_t w_t * CE(hidden_t @ weight.T, label_t)` that never holds all `(N, V)` logits.

    hidden `(N, D)`, weight `(V, D)`, labels `(N,)` (-100 = ignored), token_weights `(N,)` (0 where ignored).
    Returns the loss `()` and the argmax predictions `(N,)`. Tokens go in chunks of `LM_LOSS_CHUNK_LOGITS`; the
    gradients for `hidden` and `weight` are computed in the forward, chunk by chunk (as Liger-Kernel's fused
    linear cross-entropy does), so backward only scales them: no logits or log-probabilities are kept for
    backward and no matmul is recomputed. At 2048 tokens and an 8192-token vocabulary that is ~250 MiB less
    at the peak of a training step than `F.cross_entropy` on full logits, for the same arithmetic.
    """

    @staticmethod
    def forward(ctx, hidden, weight, labels, token_weights):
        n, vocab = hidden.shape[0], weight.shape[0]
        chunk = max(1, LM_LOSS_CHUNK_LOGITS // vocab)
        loss = torch.zeros((), dtype=torch.float32, device=hidden.device)
        predictions = torch.empty(n, dtype=torch.long, device=hidden.device)
        grad_hidden = torch.empty_like(hidden) if ctx.needs_input_grad[0] else None
        grad_weight = torch.zeros_like(weight) if ctx.needs_input_grad[1] else None
        for start in range(0, n, chunk):
            rows = slice(start, start + chunk)
            h = hidden[rows]  # (c, D)
            logits = F.linear(h, weight).float()  # (c, V)
            predictions[rows] = logits.argmax(-1)
            target = labels[rows].clamp(min=0)[:, None]  # (c, 1); ignored tokens have weight 0
            w = token_weights[rows].float()  # (c,)
            lse = torch.logsumexp(logits, dim=-1)  # (c,)
            loss += ((lse - logits.gather(1, target)[:, 0]) * w).sum()
            if grad_hidden is not None or grad_weight is not None:
                # d loss / d logits = w * (softmax - one_hot), built in place in the logits' buffer.
                d_logits = logits.sub_(lse[:, None]).exp_()
                d_logits.scatter_add_(1, target, torch.full_like(target, -1.0, dtype=d_logits.dtype))
                d_logits.mul_(w[:, None])
                if grad_hidden is not None:
                    grad_hidden[rows] = (d_logits.to(weight.dtype) @ weight).to(hidden.dtype)
                if grad_weight is not None:
                    grad_weight += (d_logits.t().to(h.dtype) @ h).to(weight.dtype)
        ctx.save_for_backward(grad_hidden, grad_weight)
        ctx.mark_non_differentiable(predictions)
        return loss, predictions

    @staticmethod
    def backward(ctx, grad_loss, grad_predictions):
        grad_hidden, grad_weight = ctx.saved_tensors
        return (
            grad_hidden * grad_loss if grad_hidden is not None else None,
            grad_weight * grad_loss if grad_weight is not None else None,
            None,
            None,
        )


def linear_cross_entropy(
    hidden: torch.Tensor, weight: torch.Tensor, labels: torch.Tensor, token_weights: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """`(sum_t w_t * CE(hidden_t @ weight.T, label_t), argmax predictions (N,))` via `_LinearCrossEntropy`; no
    gradients are computed under `torch.no_grad()`."""
    if not torch.is_grad_enabled():
        hidden, weight = hidden.detach(), weight.detach()
    return _LinearCrossEntropy.apply(hidden, weight, labels, token_weights)


def prompt_inputs_from_ids(
    input_ids: torch.LongTensor, attention_mask: torch.Tensor | None, config: HRMConfig
) -> tuple[torch.LongTensor, torch.LongTensor]:
    """`(token_type_ids (B, T), puzzle_identifiers (B,))` read from sequences in the prompt format: the one
    derivation that training's collator, `generate` and a forward given only `input_ids` share
    (`config.derive_prompt_inputs`).

    Prompt block (type 1): every attended token up to and including the first run of `config.prompt_end_token_ids`
    (`<|answer|>` and its line break); what follows (the answer, generated tokens) and padding are type 0. A
    sequence without that run is all prompt. Puzzle identifier: the first language token and the first task token
    of the prompt block (the prompt's header line) looked up in `config.puzzle_identifier_names`; 0 ("none") when
    either is missing or the pair has no entry.
    """
    ids = input_ids.long()
    batch, length = ids.shape
    device = ids.device
    attended = (attention_mask.to(device) != 0) if attention_mask is not None and attention_mask.ndim == 2 \
        else torch.ones_like(ids, dtype=torch.bool)
    end = torch.tensor(config.prompt_end_token_ids, dtype=torch.long, device=device)
    n = end.numel()
    ends_here = torch.zeros_like(attended)  # (B, T): the prompt's closing run ends at this position
    if length >= n:
        windows = ids.unfold(1, n, 1)  # (B, T - n + 1, n)
        ends_here[:, n - 1 :] = (windows == end).all(-1) & attended[:, n - 1 :]
    closed_before = (ends_here.long().cumsum(1) - ends_here.long()) > 0  # strictly after the first closing run
    in_prompt = attended & ~closed_before
    token_type_ids = in_prompt.long()

    def first_of(token_ids: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Index into `token_ids` of the first of them in the prompt block `(B,)`, and whether there is one."""
        table = torch.tensor(token_ids, dtype=torch.long, device=device)
        hits = (ids[..., None] == table) & in_prompt[..., None]  # (B, T, K)
        found = hits.any(-1)  # (B, T)
        position = found.long().argmax(1)  # (B,) first hit (0 when none)
        which = hits[torch.arange(batch, device=device), position].long().argmax(-1)  # (B,)
        return which, found.any(1)

    language, has_language = first_of(config.language_token_ids)
    task, has_task = first_of(config.task_token_ids)
    names = config.puzzle_identifier_names
    table = torch.tensor([[names.index(puzzle_identifier_name(lang, t)) if puzzle_identifier_name(lang, t) in names
                           else 0 for t in TASKS] for lang in LANGUAGES], dtype=torch.long, device=device)  # (L, K)
    puzzle_identifiers = torch.where(has_language & has_task, table[language, task], torch.zeros_like(language))
    return token_type_ids, puzzle_identifiers


class HRMQHead(nn.Linear):
    """ACT Q-head: hidden `(B, D)` -> `(B, 2)` logits [halt, continue]. Its own class so init can find it."""

    def __init__(self, hidden_size: int) -> None:
        super().__init__(hidden_size, 2, bias=True)


class HRMPreTrainedModel(HrmTextPreTrainedModel):
    """Weight init and transformers plumbing shared by `HRMModel` and `HRMForCausalLM`."""

    config: HRMConfig
    config_class = HRMConfig
    base_model_prefix = "model"
    # The prefix positions make static (compiled) caches and their pre-built 4D masks the wrong length.
    _can_compile_fullgraph = False
    _supports_flash_attn = False

    def post_init(self) -> None:
        """transformers' post-init, then selective activation checkpointing when `config.selective_checkpointing`:
        transformers' own machinery (each `HrmTextDecoderLayer` checkpoints itself in training, with autograd on),
        with a policy that keeps matmul and attention outputs. `gradient_checkpointing_enable()` replaces it with
        full checkpointing, `gradient_checkpointing_disable()` turns it off."""
        super().post_init()
        if self.config.selective_checkpointing:
            self.activation_checkpointing_enable(SELECTIVE_CHECKPOINTING_KWARGS)

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, HRMModel):
            # Fixed random initial states, as the paper's H_init / L_init buffers (std 1 like the scaled inputs).
            init.trunc_normal_(module.z_H_init, std=1.0, a=-2.0, b=2.0)
            init.trunc_normal_(module.z_L_init, std=1.0, a=-2.0, b=2.0)
        elif isinstance(module, HRMQHead):
            init.zeros_(module.weight)
            init.constant_(module.bias, Q_HEAD_INIT_BIAS)


class HRMModel(HRMPreTrainedModel):
    """Embeddings (+ puzzle prefix), the H and L stacks, and the segment recurrence."""

    def __init__(self, config: HRMConfig) -> None:
        super().__init__(config)
        self.padding_idx = config.pad_token_id
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size, self.padding_idx)
        self.puzzle_emb = (
            nn.Embedding(config.num_puzzle_identifiers, config.puzzle_emb_len * config.hidden_size)
            if config.puzzle_emb_len > 0
            else None
        )
        self.rotary_emb = HrmTextRotaryEmbedding(config=config)
        self.L_module = HrmTextStack(config)
        self.H_module = HrmTextStack(config)
        # Not trained but saved (persistent buffers), so a checkpoint reproduces its outputs exactly. Buffers, not
        # parameters: `from_pretrained` turns every loaded floating-point parameter trainable, and these
        # never get a gradient (the first H/L steps run without autograd), which DDP refuses as unused parameters.
        self.register_buffer("z_H_init", torch.zeros(config.hidden_size))
        self.register_buffer("z_L_init", torch.zeros(config.hidden_size))
        self.gradient_checkpointing = False
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embed_tokens = value

    # ------------------------------------------------------------------ input preparation
    def _embed(
        self,
        input_ids: torch.LongTensor | None,
        inputs_embeds: torch.Tensor | None,
        puzzle_identifiers: torch.LongTensor | None,
        with_prefix: bool,
    ) -> torch.Tensor:
        """Token embeddings, scaled to unit variance, with the puzzle prefix prepended: `(B, P + T, D)`."""
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("Pass exactly one of `input_ids` or `inputs_embeds` to HRMModel.")
        if inputs_embeds is None:
            inputs_embeds = self.embed_tokens(input_ids)
        x = inputs_embeds * self.config.embedding_scale  # (B, T, D)
        if not with_prefix:
            return x
        batch = x.shape[0]
        if puzzle_identifiers is None:
            puzzle_identifiers = torch.zeros(batch, dtype=torch.long, device=x.device)
        puzzle_identifiers = puzzle_identifiers.to(x.device).long().view(-1)
        if puzzle_identifiers.shape[0] != batch:
            raise ValueError(
                f"`puzzle_identifiers` has {puzzle_identifiers.shape[0]} entries for a batch of {batch}: pass one id "
                "per sequence, shape (batch,)."
            )
        if puzzle_identifiers.numel() and (
            puzzle_identifiers.min() < 0 or puzzle_identifiers.max() >= self.config.num_puzzle_identifiers
        ):
            raise ValueError(
                f"`puzzle_identifiers` must lie in [0, {self.config.num_puzzle_identifiers}) "
                "(config.puzzle_identifier_names); use config.puzzle_id(language, task)."
            )
        prefix = self.puzzle_emb(puzzle_identifiers).view(batch, self.config.puzzle_emb_len, -1)  # (B, P, D)
        prefix = prefix.to(x.dtype) * self.config.embedding_scale
        return torch.cat([prefix, x], dim=1)

    def prepare_inputs(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        cache: Cache | None = None,
        token_type_ids: torch.LongTensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        puzzle_identifiers: torch.LongTensor | None = None,
    ) -> HRMInputs:
        """Embed, prepend the puzzle prefix (first call only), shift positions past it and build the mask.

        attention_mask: 2D `(B, past + T)` over tokens (1 = attend); the prefix is always attended.
        position_ids: `(B|1, T)` token positions, counted without the prefix.
        token_type_ids: `(B, T)`, 1 = prompt (bidirectional block, with the prefix), 0 = answer (causal).
        With `config.derive_prompt_inputs`, a first call given `input_ids` but not `token_type_ids` or not
        `puzzle_identifiers` derives them (`prompt_inputs_from_ids`).
        """
        past = cache.get_seq_length() if cache is not None else 0
        if self.config.derive_prompt_inputs and input_ids is not None and past == 0 \
                and (token_type_ids is None or puzzle_identifiers is None):
            mask_2d = attention_mask if attention_mask is not None and attention_mask.ndim == 2 else None
            derived_types, derived_puzzles = prompt_inputs_from_ids(input_ids, mask_2d, self.config)
            token_type_ids = derived_types if token_type_ids is None else token_type_ids
            puzzle_identifiers = derived_puzzles if puzzle_identifiers is None else puzzle_identifiers
        prefix_total = self.config.puzzle_emb_len
        with_prefix = prefix_total > 0 and past == 0
        x = self._embed(input_ids, inputs_embeds, puzzle_identifiers, with_prefix)  # (B, P + T, D)
        batch, length = x.shape[:2]
        p = prefix_total if with_prefix else 0
        tokens = length - p
        device = x.device

        if position_ids is None:
            # `past` already counts the cached prefix, so positions continue right after it.
            token_pos = torch.arange(tokens, device=device).unsqueeze(0) + past + p
        else:
            token_pos = position_ids.to(device) + prefix_total
        if with_prefix:
            prefix_pos = torch.arange(p, device=device).unsqueeze(0).expand(token_pos.shape[0], -1)
            position_ids = torch.cat([prefix_pos, token_pos], dim=1)  # (B|1, P + T)
        else:
            position_ids = token_pos

        if attention_mask is not None and prefix_total > 0:
            if attention_mask.ndim != 2:
                raise ValueError(
                    "HRMModel needs a 2D `attention_mask` (batch, tokens) when config.puzzle_emb_len > 0: the "
                    "puzzle prefix changes the key length, so a prepared 4D mask cannot be right."
                )
            ones = attention_mask.new_ones(attention_mask.shape[0], prefix_total)
            attention_mask = torch.cat([ones, attention_mask], dim=1)  # (B, P + past + T)

        mask_kwargs = {
            "config": self.config,
            "inputs_embeds": x,
            "attention_mask": attention_mask,
            "cache": cache,
            "position_ids": position_ids,
        }
        if token_type_ids is not None and past == 0:
            if self.config.prefix_lm:
                if with_prefix:
                    token_type_ids = torch.cat([token_type_ids.new_ones(batch, p), token_type_ids.to(device)], dim=1)
                # Block 0 = prefix + prompt, attended both ways; -1 = causal (answer, padding).
                mask_kwargs["block_sequence_ids"] = torch.where(token_type_ids.to(device) == 1, 0, -1)
            else:
                logger.warning_once("`token_type_ids` was passed but config.prefix_lm=False; ignoring it.")
        mask = create_causal_mask(**mask_kwargs)
        position_embeddings = self.rotary_emb(x, position_ids)
        return HRMInputs(x, mask, position_embeddings, p)

    def initial_carry(self, inputs: HRMInputs) -> HRMCarry:
        """The start state of the first segment: fixed vectors broadcast over `(B, P + T, D)`."""
        x = inputs.embeddings
        z_H = self.z_H_init.to(dtype=x.dtype, device=x.device).expand_as(x).contiguous()
        z_L = self.z_L_init.to(dtype=x.dtype, device=x.device).expand_as(x).contiguous()
        return HRMCarry(z_H, z_L)

    # ------------------------------------------------------------------ recurrence
    def _check_cache_slots(self, cache: Cache | None, segments: int) -> None:
        """Fail clearly (instead of an IndexError deep in the cache) when the cache has too few slots."""
        if cache is None or getattr(cache, "layer_class_to_replicate", None) is not None:
            return  # no cache, or one that grows on demand
        needed = self.config.num_layers_per_stack * self.config.cache_slots_per_segment * segments
        if len(cache.layers) < needed:
            raise ValueError(
                f"The cache has {len(cache.layers)} layer slots but {segments} segments need {needed}. Build the "
                "config with the segment count you generate with (HRMConfig(inference_segments=...)), or pass "
                "`cache=DynamicCache()`, which grows on demand."
            )

    def segment(
        self, carry: HRMCarry, inputs: HRMInputs, cache: Cache | None = None, segment_idx: int = 0
    ) -> HRMCarry:
        """One HRM segment: H_cycles x (L_cycles L-steps + one H-step), returning the new `(B, P + T, D)` state.

        Only the stack calls in `config.gradient_steps` record autograd; the others run under `torch.no_grad()`.
        By default (`gradient_mode="one_step"`) that is the final L-step and the final H-step, the paper's
        one-step gradient; `"k_step"` is HRM-Text's k-step gradient. KV-cache slots are
        `segment_idx * slots_per_segment + (h * (L_cycles + 1) + l) * layers + layer`.
        """
        cfg = self.config
        layers = cfg.num_layers_per_stack
        base = segment_idx * cfg.cache_slots_per_segment * layers
        with_grad = cfg.gradient_steps
        z_H, z_L, x = carry.z_H, carry.z_L, inputs.embeddings
        stack_kwargs = {"attention_mask": inputs.attention_mask, "cache": cache,
                        "position_embeddings": inputs.position_embeddings}
        for h in range(cfg.H_cycles):
            for l in range(cfg.L_cycles):
                offset = base + (h * (cfg.L_cycles + 1) + l) * layers
                with nullcontext() if (h, l) in with_grad else torch.no_grad():
                    z_L = self.L_module(z_L + z_H + x, cycle_offset=offset, **stack_kwargs)
            offset = base + (h * (cfg.L_cycles + 1) + cfg.L_cycles) * layers
            with nullcontext() if (h, cfg.L_cycles) in with_grad else torch.no_grad():
                z_H = self.H_module(z_H + z_L, cycle_offset=offset, **stack_kwargs)
        return HRMCarry(z_H, z_L)

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        cache: Cache | None = None,
        token_type_ids: torch.LongTensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        puzzle_identifiers: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        num_segments: int | None = None,
        **kwargs,
    ) -> HRMModelOutput:
        """Run a fixed number of segments (default `config.effective_inference_segments`).

        Returns `last_hidden_state` `(B, T, D)`: z_H of the last segment at the token positions.
        """
        use_cache = use_cache if use_cache is not None else self.config.use_cache
        if use_cache and cache is None:
            cache = DynamicCache(config=self.config)
        if not use_cache:
            cache = None
        segments = num_segments or self.config.effective_inference_segments
        self._check_cache_slots(cache, segments)
        inputs = self.prepare_inputs(
            input_ids, attention_mask, position_ids, cache, token_type_ids, inputs_embeds, puzzle_identifiers
        )
        carry = self.initial_carry(inputs)
        for s in range(segments):
            # Detached between segments, as in training, so a grad-enabled call never backprops across segments.
            carry = self.segment(carry.detach() if s else carry, inputs, cache, s)
        return HRMModelOutput(last_hidden_state=carry.z_H[:, inputs.prefix_len :], cache=cache, carry=carry)


def _last_valid_index(attention_mask: torch.Tensor | None, batch: int, length: int, device: torch.device) -> torch.Tensor:
    """Index `(B,)` of the last attended position among the last `length` mask columns (length-1 if no mask)."""
    if attention_mask is None or attention_mask.ndim != 2:
        return torch.full((batch,), length - 1, dtype=torch.long, device=device)
    mask = attention_mask[:, -length:].to(device).long()
    ranks = mask * torch.arange(1, length + 1, device=device)  # 0 on padding, position+1 elsewhere
    return (ranks.argmax(dim=-1)).clamp(min=0)


class HRMForCausalLM(HRMPreTrainedModel, GenerationMixin):
    """HRM with an LM head and the ACT Q-head; `generate` works with and without the KV cache."""

    _tied_weights_keys = {"lm_head.weight": "model.embed_tokens.weight"}

    def __init__(self, config: HRMConfig) -> None:
        super().__init__(config)
        self.model = HRMModel(config)
        self.vocab_size = config.vocab_size
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.q_head = HRMQHead(config.hidden_size)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.model.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.model.embed_tokens = value

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head

    def set_output_embeddings(self, value: nn.Linear) -> None:
        self.lm_head = value

    # ------------------------------------------------------------------ heads
    def q_logits(self, hidden: torch.Tensor, attention_mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """ACT Q-values `(B,)`, `(B,)` (halt, continue) read at each sequence's last attended token of
        `hidden` `(B, T, D)`: in a causal model it is the only position that has seen the whole sequence."""
        batch, length = hidden.shape[:2]
        idx = _last_valid_index(attention_mask, batch, length, hidden.device)
        q = self.q_head(hidden[torch.arange(batch, device=hidden.device), idx]).float()  # (B, 2)
        return q[:, 0], q[:, 1]

    # ------------------------------------------------------------------ forward
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        cache: Cache | None = None,
        token_type_ids: torch.LongTensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        puzzle_identifiers: torch.LongTensor | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int | torch.Tensor = 0,
        **kwargs,
    ) -> HRMCausalLMOutputWithPast:
        """input_ids `(B, T)`, labels `(B, T)` (-100 = ignored; shifted inside), puzzle_identifiers `(B,)`.

        In training mode with labels: deep supervision + ACT (see `_deep_supervision_forward`). Otherwise a fixed
        number of segments; logits `(B, T, V)` (or the last `logits_to_keep`), loss = LM loss of the last segment.
        """
        if labels is not None and self.training:
            return self._deep_supervision_forward(
                input_ids, attention_mask, position_ids, token_type_ids, inputs_embeds, puzzle_identifiers, labels,
                kwargs.get("num_items_in_batch"),
            )
        if labels is not None:
            use_cache = False  # scoring a full sequence never needs the cache
        out = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            cache=cache,
            token_type_ids=token_type_ids,
            inputs_embeds=inputs_embeds,
            puzzle_identifiers=puzzle_identifiers,
            use_cache=use_cache,
        )
        hidden = out.last_hidden_state  # (B, T, D)
        logits = self.lm_head(slice_logits_to_keep(hidden, logits_to_keep))
        q_halt, q_continue = self.q_logits(hidden, attention_mask)
        loss = None
        if labels is not None:
            loss = self.loss_function(logits=logits, labels=labels, vocab_size=self.config.vocab_size, **kwargs)
        return HRMCausalLMOutputWithPast(
            loss=loss, logits=logits, cache=out.cache, lm_loss=loss,
            q_halt_logits=q_halt, q_continue_logits=q_continue,
        )

    def _deep_supervision_forward(
        self,
        input_ids: torch.LongTensor | None,
        attention_mask: torch.Tensor | None,
        position_ids: torch.LongTensor | None,
        token_type_ids: torch.LongTensor | None,
        inputs_embeds: torch.Tensor | None,
        puzzle_identifiers: torch.LongTensor | None,
        labels: torch.LongTensor,
        num_items_in_batch: int | torch.Tensor | None,
    ) -> HRMCausalLMOutputWithPast:
        """Up to `num_segments` segments, state detached in between, an LM loss on each, ACT halting per sequence.

        LM loss of a segment: summed token cross-entropy of the sequences still running, over the number of label
        tokens in the batch (`num_items_in_batch` under the HF Trainer, so gradient accumulation stays exact);
        `lm_loss` is the mean over the segments run. Q-halt target: every label token predicted right. Q-continue
        target: sigmoid of the next segment's Q (max of halt/continue, or halt at the last step), i.e. the paper's
        bootstrapped target without its extra forward pass, because the next segment is computed anyway. The last
        segment run has no next segment and so no continue loss. The LM loss never holds a segment's `(B, T, V)`
        logits (`_LinearCrossEntropy`), so the output has `logits=None`; call the model in eval mode for logits.
        """
        cfg = self.config
        inputs = self.model.prepare_inputs(
            input_ids, attention_mask, position_ids, None, token_type_ids, inputs_embeds, puzzle_identifiers
        )
        carry = self.model.initial_carry(inputs)
        shift_labels = F.pad(labels[:, 1:], (0, 1), value=-100).to(inputs.embeddings.device)  # (B, T)
        valid = shift_labels != -100
        denom = num_items_in_batch if num_items_in_batch is not None else valid.sum().clamp(min=1)
        batch = shift_labels.shape[0]
        halted = torch.zeros(batch, dtype=torch.bool, device=shift_labels.device)
        steps = torch.zeros(batch, dtype=torch.long, device=shift_labels.device)
        lm_losses: list[torch.Tensor] = []
        q_halt_sum = q_cont_sum = torch.zeros((), device=shift_labels.device)
        q_halt_n = q_cont_n = 0
        previous = None  # (q_continue logits, active mask, was-last-step mask) of the previous segment
        for s in range(cfg.num_segments):
            active = ~halted
            carry = self.model.segment(carry.detach(), inputs, None, s)
            hidden = carry.z_H[:, inputs.prefix_len :]  # (B, T, D)
            token_weights = (valid & active[:, None]).float() / denom  # (B, T); 0 = not in the loss
            segment_loss, predictions = linear_cross_entropy(
                hidden.flatten(0, 1), self.lm_head.weight, shift_labels.flatten(), token_weights.flatten()
            )
            lm_losses.append(segment_loss)
            predictions = predictions.view_as(shift_labels)  # (B, T) argmax of the logits
            correct = ((predictions == shift_labels) | ~valid).all(-1) & valid.any(-1)  # (B,)
            q_halt, q_cont = self.q_logits(hidden, attention_mask)
            steps = steps + active.long()
            if previous is not None:
                prev_cont, prev_active, prev_last = previous
                target = torch.sigmoid(torch.where(prev_last, q_halt, torch.maximum(q_halt, q_cont))).detach()
                q_cont_sum = q_cont_sum + F.binary_cross_entropy_with_logits(
                    prev_cont[prev_active], target[prev_active], reduction="sum")
                q_cont_n += int(prev_active.sum())
            q_halt_sum = q_halt_sum + F.binary_cross_entropy_with_logits(
                q_halt[active], correct[active].float(), reduction="sum")
            q_halt_n += int(active.sum())
            is_last = steps >= cfg.halt_max_steps
            halt_now = self._halt_decision(q_halt, q_cont, steps, is_last) | (s == cfg.num_segments - 1)
            halted = halted | (active & halt_now)
            previous = (q_cont, active, is_last)
            if bool(halted.all()) and s < cfg.num_segments - 1:
                break
        lm_loss = torch.stack(lm_losses).mean()
        q_halt_loss = q_halt_sum / max(q_halt_n, 1)
        q_continue_loss = q_cont_sum / max(q_cont_n, 1)
        loss = lm_loss + cfg.q_loss_weight * (q_halt_loss + q_continue_loss)
        return HRMCausalLMOutputWithPast(
            loss=loss, logits=None, lm_loss=lm_loss.detach(), q_halt_loss=q_halt_loss.detach(),
            q_continue_loss=q_continue_loss.detach(), q_halt_logits=q_halt.detach(),
            q_continue_logits=q_cont.detach(), act_steps=steps, segment_losses=torch.stack(lm_losses).detach(),
        )

    def _halt_decision(
        self, q_halt: torch.Tensor, q_cont: torch.Tensor, steps: torch.Tensor, is_last: torch.Tensor
    ) -> torch.Tensor:
        """Training-time halting `(B,)`: at the step cap, or when Q says halt, but with probability
        `halt_exploration_prob` not before a random minimum of 2..halt_max_steps segments (the paper's rule)."""
        cfg = self.config
        if cfg.halt_max_steps == 1:
            return torch.ones_like(is_last)
        halt = is_last | (q_halt > q_cont)
        explore = torch.rand(q_halt.shape, device=q_halt.device) < cfg.halt_exploration_prob
        min_steps = torch.randint(2, cfg.halt_max_steps + 1, q_halt.shape, device=q_halt.device)
        min_steps = torch.where(explore, min_steps, torch.zeros_like(min_steps))
        return halt & (steps >= min_steps)

    # ------------------------------------------------------------------ generation
    def _update_model_kwargs_for_generation(self, outputs, model_kwargs, is_encoder_decoder=False, num_new_tokens=1):
        """As GenerationMixin's, except generated tokens get `token_type_ids` 0: they are answer tokens (causal).

        The default repeats the last prompt type (1), which would put generated tokens inside the bidirectional
        prompt block on cache-less steps and make cached and uncached generation differ.
        """
        token_type_ids = model_kwargs.pop("token_type_ids", None)
        model_kwargs = super()._update_model_kwargs_for_generation(
            outputs, model_kwargs, is_encoder_decoder=is_encoder_decoder, num_new_tokens=num_new_tokens
        )
        if token_type_ids is not None:
            zeros = token_type_ids.new_zeros(token_type_ids.shape[0], num_new_tokens)
            model_kwargs["token_type_ids"] = torch.cat([token_type_ids, zeros], dim=-1)
        return model_kwargs
