"""Tests of `hrm_modeling`: config validation, save/load, remote code, generation with the cache, ACT, training."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from hrm_modeling import HRMConfig, HRMForCausalLM, HRMModel, LANGUAGES, TASKS, tiny_config
from hrm_modeling import modeling_hrm
from hrm_modeling.modeling_hrm import HRMCarry
from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, DynamicCache

VOCAB = 128  # tiny_config's vocabulary


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny matrices are fastest on one thread, and on a shared 2-core box extra threads only spin."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _model(seed: int = 0, **overrides) -> HRMForCausalLM:
    torch.manual_seed(seed)
    return HRMForCausalLM(tiny_config(**overrides)).eval()


def _ids(batch: int = 2, length: int = 12, seed: int = 1) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(3, VOCAB, (batch, length), generator=gen)


GREEDY = dict(do_sample=False, eos_token_id=None, pad_token_id=0)


# ---------------------------------------------------------------------------------------------- config
def test_default_config_is_about_27m_parameters():
    model = HRMForCausalLM(HRMConfig())
    n = sum(p.numel() for p in model.parameters())
    print(f"default HRMConfig: {n:,} parameters ({n / 1e6:.1f}M)")
    assert 24e6 <= n <= 30e6


def test_config_round_trips_and_sizes_the_cache():
    cfg = tiny_config(inference_segments=3)
    again = HRMConfig.from_dict(cfg.to_dict())
    # 1 layer/stack x H_cycles 2 x (L_cycles 2 + 1) x 3 segments = one KV slot per attention invocation
    assert cfg.num_hidden_layers == again.num_hidden_layers == 18
    assert again.num_layers_per_stack == 1
    assert again.puzzle_identifier_names == cfg.puzzle_identifier_names


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (dict(num_segments=3, halt_max_steps=2), "halt_max_steps"),
        (dict(halt_exploration_prob=1.5), "halt_exploration_prob"),
        (dict(hidden_size=30, num_attention_heads=4), "hidden_size"),
        (dict(H_cycles=0), "H_cycles"),
        (dict(num_segments=0), "num_segments"),
        (dict(inference_segments=0), "inference_segments"),
        (dict(puzzle_emb_len=-1), "puzzle_emb_len"),
        (dict(puzzle_identifier_names=["python/generation"]), "puzzle_identifier_names"),
        (dict(L_bp_cycles=[3]), "L_bp_cycles"),
        (dict(gradient_mode="k_step", L_bp_cycles=[3]), "L_bp_cycles"),
        (dict(L_bp_cycles=[2]), "L_bp_cycles"),  # k-step's knob with the one-step default
        (dict(gradient_mode="two_step"), "gradient_mode"),
        (dict(pad_token_id=500), "pad_token_id"),
        (dict(q_loss_weight=-1.0), "q_loss_weight"),
    ],
)
def test_config_rejects_bad_values_naming_field_and_fix(overrides, field):
    with pytest.raises(ValueError, match=f"HRMConfig.{field}=") as err:
        tiny_config(**overrides)
    assert "Fix:" in str(err.value)


def test_puzzle_table_has_one_id_per_language_and_task():
    cfg = tiny_config()
    ids = {cfg.puzzle_id(lang, task) for lang in LANGUAGES for task in TASKS}
    assert ids == set(range(1, 19))
    assert cfg.puzzle_id(None, "generation") == 0
    with pytest.raises(ValueError, match="cobol"):
        cfg.puzzle_id("cobol", "generation")


def test_auto_classes_resolve_the_model_type():
    fields = tiny_config().to_diff_dict()
    fields.pop("model_type")
    cfg = AutoConfig.for_model("polyglot_hrm", **fields)
    assert isinstance(cfg, HRMConfig)
    assert isinstance(AutoModel.from_config(cfg), HRMModel)
    assert isinstance(AutoModelForCausalLM.from_config(cfg), HRMForCausalLM)


# ---------------------------------------------------------------------------------------------- forward
def test_tiny_forward_backward_is_well_under_a_second():
    model = _model().train()
    ids = _ids(2, 32)
    model(ids, labels=ids).loss.backward()  # warm-up (first-call allocations)
    start = time.perf_counter()
    model(ids, labels=ids).loss.backward()
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5, f"tiny forward+backward took {elapsed:.2f}s"


def test_puzzle_identifiers_change_the_output():
    model = _model()
    ids = _ids(1)
    a = model(ids, puzzle_identifiers=torch.tensor([0])).logits
    b = model(ids, puzzle_identifiers=torch.tensor([5])).logits
    assert not torch.allclose(a, b, atol=1e-4)
    with pytest.raises(ValueError, match="puzzle_identifiers"):
        model(ids, puzzle_identifiers=torch.tensor([99]))


def test_prefix_lm_makes_the_prompt_bidirectional_and_the_answer_causal():
    model = _model()
    ids = _ids(1, 10)
    changed = ids.clone()
    changed[0, 4] = (changed[0, 4] + 1) % VOCAB  # edit a prompt token
    prompt_then_answer = torch.tensor([[1] * 6 + [0] * 4])
    # Causal: position 0 cannot see position 4.
    assert torch.allclose(model(ids).logits[0, 0], model(changed).logits[0, 0], atol=1e-5)
    # Prefix-LM: position 0 is in the prompt block with position 4, so it does see it.
    with_tt = model(ids, token_type_ids=prompt_then_answer).logits
    changed_tt = model(changed, token_type_ids=prompt_then_answer).logits
    assert not torch.allclose(with_tt[0, 0], changed_tt[0, 0], atol=1e-5)
    # The answer stays causal: editing the last token leaves the earlier answer positions alone.
    last = ids.clone()
    last[0, -1] = (last[0, -1] + 1) % VOCAB
    assert torch.allclose(with_tt[0, 6:9], model(last, token_type_ids=prompt_then_answer).logits[0, 6:9], atol=1e-5)


def test_eval_loss_is_the_lm_loss_of_the_returned_logits():
    model = _model()
    ids = _ids()
    out = model(ids, labels=ids)
    expected = torch.nn.functional.cross_entropy(out.logits[:, :-1].reshape(-1, VOCAB), ids[:, 1:].reshape(-1))
    assert torch.allclose(out.loss, expected, atol=1e-5)


# ---------------------------------------------------------------------------------------------- gradient routing
def _stack_calls(model: HRMForCausalLM, run) -> list[tuple[str, bool]]:
    """(stack, records autograd) for every L/H stack call made while `run()` executes, in order."""
    calls: list[tuple[str, bool]] = []
    handles = [
        stack.register_forward_pre_hook(lambda module, args, name=name: calls.append((name, torch.is_grad_enabled())))
        for name, stack in (("L", model.model.L_module), ("H", model.model.H_module))
    ]
    try:
        run()
    finally:
        for h in handles:
            h.remove()
    return calls


@pytest.mark.parametrize(
    ("gradient_mode", "per_segment"),
    [
        # H_cycles = L_cycles = 2: L L H L L H. One-step: only the final L-step and the final H-step.
        ("one_step", [("L", False), ("L", False), ("H", False), ("L", False), ("L", True), ("H", True)]),
        # HRM-Text's k-step with L_bp_cycles [1]: every H-step and the last L-step of each H-cycle.
        ("k_step", [("L", False), ("L", True), ("H", True), ("L", False), ("L", True), ("H", True)]),
    ],
)
def test_training_forward_records_autograd_only_in_the_gradient_steps(gradient_mode, per_segment):
    model = _model(gradient_mode=gradient_mode, halt_exploration_prob=0.0).train()
    with torch.no_grad():
        model.q_head.bias.copy_(torch.tensor([-5.0, 5.0]))  # never halt early: both segments run
    ids = _ids(2, 12)
    calls = _stack_calls(model, lambda: model(ids, labels=ids))
    assert calls == per_segment * 2
    assert model.config.gradient_mode == gradient_mode
    assert len(model.config.gradient_steps) == sum(grad for _, grad in per_segment)


def test_default_is_the_one_step_gradient():
    assert HRMConfig().gradient_mode == tiny_config().gradient_mode == "one_step"
    assert tiny_config().gradient_steps == {(1, 1), (1, 2)}  # (H-cycle, step); step L_cycles = the H-step


def _segment_grads(model: HRMForCausalLM, segment_fn, ids: torch.Tensor) -> dict[str, torch.Tensor]:
    """Gradients of a fixed function of one segment's output state, the segment computed by `segment_fn`."""
    model.zero_grad(set_to_none=True)
    inputs = model.model.prepare_inputs(ids, puzzle_identifiers=torch.tensor([3] * ids.shape[0]))
    carry = model.model.initial_carry(inputs)
    z_H, z_L = segment_fn(carry.z_H, carry.z_L, inputs)
    weights = torch.linspace(-1, 1, z_H.numel()).view_as(z_H)
    ((z_H * weights).sum() + (z_L * weights.flip(-1)).sum()).backward()
    return {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}


def _stack_fn(model: HRMForCausalLM, inputs):
    kwargs = {"attention_mask": inputs.attention_mask, "position_embeddings": inputs.position_embeddings}
    return (lambda h: model.model.L_module(h, **kwargs)), (lambda h: model.model.H_module(h, **kwargs))


def _paper_one_step(model: HRMForCausalLM):
    """The HRM paper's segment (Sapient's `hrm_act_v1`): everything under no_grad but the last L- and H-step."""
    cfg = model.config

    def run(z_H, z_L, inputs):
        L, H = _stack_fn(model, inputs)
        x = inputs.embeddings
        with torch.no_grad():
            for h in range(cfg.H_cycles):
                for l in range(cfg.L_cycles):
                    if not (h == cfg.H_cycles - 1 and l == cfg.L_cycles - 1):
                        z_L = L(z_L + z_H + x)
                if h != cfg.H_cycles - 1:
                    z_H = H(z_H + z_L)
        z_L = L(z_L + z_H + x)
        z_H = H(z_H + z_L)
        return z_H, z_L

    return run


def _previous_k_step(model: HRMForCausalLM):
    """The segment as this model ran it before `gradient_mode` (HRM-Text's k-step gradient): per H-cycle the last
    `L_bp_cycles[h]` L-steps (left-padded with 1s) and every H-step record autograd."""
    cfg = model.config

    def run(z_H, z_L, inputs):
        L, H = _stack_fn(model, inputs)
        x = inputs.embeddings
        bp = [1] * (cfg.H_cycles - len(cfg.L_bp_cycles)) + list(cfg.L_bp_cycles)
        for h in range(cfg.H_cycles):
            for l in range(cfg.L_cycles):
                if l >= cfg.L_cycles - bp[h]:
                    z_L = L(z_L + z_H + x)
                else:
                    with torch.no_grad():
                        z_L = L(z_L + z_H + x)
            z_H = H(z_H + z_L)
        return z_H, z_L

    return run


def _model_segment(model: HRMForCausalLM):
    def run(z_H, z_L, inputs):
        carry = model.model.segment(HRMCarry(z_H, z_L), inputs)
        return carry.z_H, carry.z_L

    return run


@pytest.mark.parametrize("selective_checkpointing", [True, False])
def test_one_step_gradients_equal_the_papers_one_step_computation(selective_checkpointing):
    model = _model(initializer_range=0.1, selective_checkpointing=selective_checkpointing).train()
    ids = _ids(2, 12)
    got = _segment_grads(model, _model_segment(model), ids)
    want = _segment_grads(model, _paper_one_step(model), ids)
    assert got.keys() == want.keys()
    # The embeddings, the puzzle embedding and both stacks all get gradients (through the final L- and H-step).
    assert {"model.embed_tokens.weight", "model.puzzle_emb.weight"} <= got.keys()
    assert any(k.startswith("model.L_module.") for k in got) and any(k.startswith("model.H_module.") for k in got)
    for name in want:
        assert torch.equal(got[name], want[name]), name


@pytest.mark.parametrize(
    "overrides",
    [dict(), dict(L_bp_cycles=[2]), dict(H_cycles=3, L_cycles=3, L_bp_cycles=[3, 2])],
    ids=["bp1", "bp2", "H3L3-bp32"],
)
def test_k_step_option_reproduces_the_previous_gradients(overrides):
    model = _model(initializer_range=0.1, gradient_mode="k_step", **overrides).train()
    ids = _ids(2, 12)
    got = _segment_grads(model, _model_segment(model), ids)
    want = _segment_grads(model, _previous_k_step(model), ids)
    assert got.keys() == want.keys()
    for name in want:
        assert torch.equal(got[name], want[name]), name
    # ...and they are not the one-step gradients: the earlier H-cycles contribute.
    one_step = _segment_grads(model, _paper_one_step(model), ids)
    assert not torch.equal(got["model.H_module.layers.0.mlp.up_proj.weight"],
                           one_step["model.H_module.layers.0.mlp.up_proj.weight"])


def test_selective_checkpointing_recomputes_the_gradient_steps_in_backward():
    """transformers' activation checkpointing with the selective policy: backward re-runs the decoder layers of the
    stack calls that recorded autograd (their MLPs are seen again), once each; without it nothing is re-run."""
    ids = _ids(2, 12)
    for selective, recomputed in ((True, {"L": 2, "H": 2}), (False, {"L": 0, "H": 0})):
        model = _model(selective_checkpointing=selective, halt_exploration_prob=0.0).train()
        assert model.is_activation_checkpointing == selective
        with torch.no_grad():
            model.q_head.bias.copy_(torch.tensor([-5.0, 5.0]))  # both segments run
        loss = model(ids, labels=ids).loss
        seen = {"L": 0, "H": 0}
        handles = [
            stack.layers[0].mlp.register_forward_pre_hook(lambda m, a, name=name: seen.__setitem__(name, seen[name] + 1))
            for name, stack in (("L", model.model.L_module), ("H", model.model.H_module))
        ]
        loss.backward()
        for h in handles:
            h.remove()
        assert seen == recomputed  # one gradient L-step and one H-step per segment, 2 segments


def test_selective_checkpointing_trains_under_autocast():
    """bf16 autocast (the GPU recipes) with the selective policy: it runs, and the gradients match those without
    checkpointing to bf16 rounding (not bit for bit: autocast caches one bf16 copy of a weight for both segments
    without checkpointing, so their gradients add up in bf16 there)."""
    ids = _ids(2, 12)
    grads = {}
    for selective in (True, False):
        model = _model(selective_checkpointing=selective, halt_exploration_prob=0.0).train()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = model(ids, labels=ids).loss
        loss.backward()
        grads[selective] = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
    assert grads[True].keys() == grads[False].keys()
    for name, grad in grads[False].items():
        torch.testing.assert_close(grads[True][name], grad, rtol=2e-2, atol=2e-2 * grad.abs().max().item())


@pytest.mark.parametrize("grad", [True, False])
def test_chunked_lm_loss_equals_cross_entropy_on_full_logits(grad, monkeypatch):
    """The training LM loss (`_LinearCrossEntropy`, several chunks here) against `F.cross_entropy` on full logits:
    same loss, gradients and predictions, ignored tokens included; no gradients computed under no_grad."""
    monkeypatch.setattr(modeling_hrm, "LM_LOSS_CHUNK_LOGITS", 7 * 50)  # 7 tokens per chunk over a 50-token vocab
    gen = torch.Generator().manual_seed(0)
    hidden = torch.randn(30, 16, generator=gen, requires_grad=True)
    weight = torch.randn(50, 16, generator=gen, requires_grad=True)
    labels = torch.randint(0, 50, (30,), generator=gen)
    labels[::4] = -100
    token_weights = (labels != -100).float() / 17.0
    with torch.set_grad_enabled(grad):
        loss, predictions = modeling_hrm.linear_cross_entropy(hidden, weight, labels, token_weights)
    logits = hidden @ weight.T
    expected = (torch.nn.functional.cross_entropy(logits, labels, reduction="none") * token_weights).sum()
    torch.testing.assert_close(loss, expected, rtol=1e-6, atol=1e-6)
    assert torch.equal(predictions, logits.argmax(-1))
    assert loss.requires_grad == grad
    if grad:
        got = torch.autograd.grad(3.0 * loss, (hidden, weight))
        want = torch.autograd.grad(3.0 * expected, (hidden, weight))
        for g, w in zip(got, want):
            torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-6)


def test_config_saved_before_gradient_mode_loads_with_the_k_step_gradient(tmp_path: Path):
    """A checkpoint written before `gradient_mode` existed trained with the k-step gradient and keeps it."""
    model = _model()
    model.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["gradient_mode"] == "one_step"  # always written, so only old files lack it
    assert AutoConfig.from_pretrained(tmp_path).gradient_mode == "one_step"
    del saved["gradient_mode"], saved["selective_checkpointing"]
    (tmp_path / "config.json").write_text(json.dumps(saved))
    old = AutoModelForCausalLM.from_pretrained(tmp_path)
    assert old.config.gradient_mode == "k_step"
    assert old.config.gradient_steps == {(0, 1), (0, 2), (1, 1), (1, 2)}
    assert AutoConfig.from_pretrained(tmp_path, gradient_mode="one_step").gradient_mode == "one_step"
    # A plain dict of fields (no num_layers_per_stack: not a serialised config) gets the default.
    assert HRMConfig.from_dict({"hidden_size": 32, "num_attention_heads": 4}).gradient_mode == "one_step"


# ---------------------------------------------------------------------------------------------- ACT / deep supervision
def test_act_steps_bounded_and_q_losses_finite():
    model = _model(num_segments=3, halt_max_steps=3, halt_exploration_prob=0.5).train()
    ids = _ids(8, 12)
    out = model(ids, labels=ids, puzzle_identifiers=torch.arange(8))
    assert out.act_steps.shape == (8,)
    assert int(out.act_steps.min()) >= 1 and int(out.act_steps.max()) <= model.config.halt_max_steps
    for loss in (out.loss, out.lm_loss, out.q_halt_loss, out.q_continue_loss):
        assert loss is not None and torch.isfinite(loss)
    assert out.q_continue_loss > 0  # segments 1..2 got bootstrapped continue targets
    assert out.segment_losses.shape == (3,)
    out.loss.backward()
    assert model.q_head.weight.grad is not None and model.q_head.weight.grad.abs().sum() > 0


def test_act_halts_when_q_says_halt_and_runs_on_otherwise():
    model = _model(num_segments=3, halt_max_steps=3, halt_exploration_prob=0.0).train()
    ids = _ids(4, 12)
    with torch.no_grad():
        model.q_head.bias.copy_(torch.tensor([5.0, -5.0]))  # halt >> continue
    assert model(ids, labels=ids).act_steps.tolist() == [1, 1, 1, 1]
    with torch.no_grad():
        model.q_head.bias.copy_(torch.tensor([-5.0, 5.0]))  # continue >> halt: only the cap stops it
    assert model(ids, labels=ids).act_steps.tolist() == [3, 3, 3, 3]


def test_exploration_forces_a_minimum_of_two_segments():
    model = _model(num_segments=3, halt_max_steps=3, halt_exploration_prob=1.0).train()
    with torch.no_grad():
        model.q_head.bias.copy_(torch.tensor([5.0, -5.0]))
    ids = _ids(16, 8)
    assert int(model(ids, labels=ids).act_steps.min()) >= 2


@pytest.mark.slow
def test_tiny_model_overfits_a_small_batch():
    """4 random sequences of 24 tokens: chance level is ln(128) = 4.85 nats/token. Memorising them (loss < 0.5,
    i.e. the right token gets > 60% probability on average) shows the loss, the one-step gradients through
    the H/L recurrence and the carried segments actually train the model."""
    model = _model(num_segments=2, halt_max_steps=2).train()
    ids = _ids(4, 24, seed=3)
    puzzle = torch.tensor([1, 2, 3, 4])
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=3e-3, weight_decay=0.0)
    first = None
    for _ in range(150):
        out = model(ids, labels=ids, puzzle_identifiers=puzzle)
        first = first if first is not None else out.lm_loss.item()
        opt.zero_grad()
        out.loss.backward()
        opt.step()
    model.eval()
    final = model(ids, labels=ids, puzzle_identifiers=puzzle).loss.item()
    assert first > 4.0
    assert final < 0.5, f"lm loss {first:.2f} -> {final:.2f}"


# ---------------------------------------------------------------------------------------------- generation
def _generate(model: HRMForCausalLM, ids: torch.Tensor, **kwargs) -> tuple[torch.Tensor, torch.Tensor]:
    """Greedy generation returning (sequences `(B, T + N)`, per-step logits `(B, N, V)`)."""
    out = model.generate(ids, output_logits=True, return_dict_in_generate=True, **GREEDY, **kwargs)
    return out.sequences, torch.stack(out.logits, dim=1)


def test_greedy_generation_with_cache_equals_without():
    # initializer_range 0.1: at the default 0.02 attention moves tiny random models so little that a broken
    # prefix-LM mask on cache-less steps changes the logits by ~1e-6 only; here by ~1e-2 (measured).
    model = _model(initializer_range=0.1)
    ids = _ids(2, 10)
    kwargs = dict(
        attention_mask=torch.ones_like(ids), token_type_ids=torch.ones_like(ids),
        puzzle_identifiers=torch.tensor([3, 14]), max_new_tokens=8,
    )
    cached, cached_logits = _generate(model, ids, use_cache=True, **kwargs)
    uncached, uncached_logits = _generate(model, ids, use_cache=False, **kwargs)
    assert cached.shape == (2, 18)
    assert torch.equal(cached, uncached)
    torch.testing.assert_close(cached_logits, uncached_logits, atol=1e-4, rtol=1e-4)


def test_batched_generation_with_left_padding_matches_one_by_one():
    model = _model(initializer_range=0.1)
    long, short = _ids(1, 10, seed=4), _ids(1, 6, seed=5)
    batch = torch.cat([long, torch.cat([torch.zeros(1, 4, dtype=torch.long), short], dim=1)])
    mask = torch.ones_like(batch)
    mask[1, :4] = 0
    puzzle = torch.tensor([2, 7])
    together, together_logits = _generate(model, batch, attention_mask=mask, puzzle_identifiers=puzzle, max_new_tokens=6)
    alone_long, long_logits = _generate(model, long, puzzle_identifiers=puzzle[:1], max_new_tokens=6)
    alone_short, short_logits = _generate(model, short, puzzle_identifiers=puzzle[1:], max_new_tokens=6)
    assert torch.equal(together[0, 10:], alone_long[0, 10:])
    assert torch.equal(together[1, 10:], alone_short[0, 6:])
    torch.testing.assert_close(together_logits, torch.cat([long_logits, short_logits]), atol=1e-4, rtol=1e-4)


def test_too_small_cache_fails_clearly():
    model = _model()
    ids = _ids(1, 4)
    with pytest.raises(ValueError, match="inference_segments"):
        model(ids, cache=DynamicCache(config=tiny_config(inference_segments=1)), use_cache=True)
    # A growing cache works for any segment count.
    assert model(ids, cache=DynamicCache(), use_cache=True).logits.shape == (1, 4, VOCAB)


# ---------------------------------------------------------------------------------------------- save / load
def test_save_and_load_give_identical_logits(tmp_path: Path):
    model = _model()
    ids = _ids()
    before = model(ids, puzzle_identifiers=torch.tensor([1, 2])).logits
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists()
    assert {"configuration_hrm.py", "modeling_hrm.py"} <= {p.name for p in tmp_path.iterdir()}
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path).eval()
    assert isinstance(loaded, HRMForCausalLM)
    assert torch.equal(before, loaded(ids, puzzle_identifiers=torch.tensor([1, 2])).logits)


@pytest.mark.slow
def test_trust_remote_code_loads_without_the_package(tmp_path: Path):
    model = _model()
    ids = _ids()
    ckpt = tmp_path / "ckpt"
    model.save_pretrained(ckpt)
    torch.save({"ids": ids, "logits": model(ids).logits}, tmp_path / "ref.pt")
    script = textwrap.dedent(
        f"""
        import importlib.abc, sys

        class _Block(importlib.abc.MetaPathFinder):
            # An editable install would make the package importable even under -I: refuse it outright.
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "hrm_modeling":
                    raise ImportError("hrm_modeling is blocked in this test")

        sys.meta_path.insert(0, _Block())
        try:
            import hrm_modeling
        except ImportError:
            pass
        else:
            sys.exit("hrm_modeling is importable: the test would prove nothing")
        import torch
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained({str(ckpt)!r}, trust_remote_code=True).eval()
        assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
        ref = torch.load({str(tmp_path / 'ref.pt')!r})
        assert torch.equal(model(ref["ids"]).logits, ref["logits"])
        out = model.generate(ref["ids"], max_new_tokens=3, do_sample=False, pad_token_id=0, eos_token_id=None)
        assert out.shape[1] == ref["ids"].shape[1] + 3
        print("REMOTE_OK")
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(HF_HOME=str(tmp_path / "hf_home"), OMP_NUM_THREADS="1")
    # -I: isolated mode (no cwd / PYTHONPATH / user site on sys.path); cwd is a directory without the repo.
    proc = subprocess.run(
        [sys.executable, "-I", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "REMOTE_OK" in proc.stdout


# ---------------------------------------------------------------------------------------------- ids alone
LAYOUT = dict(prompt_end_token_ids=[16, 17], language_token_ids=[3, 4, 5, 6, 7, 8], task_token_ids=[9, 10, 11])


def test_derive_prompt_inputs_needs_the_token_ids():
    with pytest.raises(ValueError, match="prompt_end_token_ids"):
        tiny_config(derive_prompt_inputs=True)
    with pytest.raises(ValueError, match="language_token_ids"):
        tiny_config(derive_prompt_inputs=True, **{**LAYOUT, "language_token_ids": [3, 4]})
    with pytest.raises(ValueError, match="outside the vocabulary"):
        tiny_config(derive_prompt_inputs=True, **{**LAYOUT, "task_token_ids": [9, 10, VOCAB]})


def test_a_forward_given_ids_alone_equals_one_given_types_and_puzzle_ids():
    """What TRL's log-probability pass does (ids, mask, and the backbone alone), left padding included."""
    model = _model(initializer_range=0.1, derive_prompt_inputs=True, **LAYOUT)
    prompt = torch.tensor([1, 9 + 1, 3 + 4, 40, 41, 42, 16, 17])  # bos, diff_edit, python, text, <|answer|>\n
    ids = torch.cat([torch.tensor([[0, 0], [50, 51]]), prompt.expand(2, -1), torch.tensor([[60, 61], [62, 2]])], 1)
    mask = torch.ones_like(ids)
    mask[0, :2] = 0
    types = torch.tensor([[0, 0] + [1] * 8 + [0, 0], [1] * 10 + [0, 0]])
    puzzle = torch.tensor([model.config.puzzle_id("python", "diff_edit")] * 2)
    explicit = model(ids, attention_mask=mask, token_type_ids=types, puzzle_identifiers=puzzle).logits
    derived = model(ids, attention_mask=mask).logits
    torch.testing.assert_close(derived, explicit)
    backbone = model.model(input_ids=ids, attention_mask=mask, use_cache=False).last_hidden_state
    torch.testing.assert_close(model.lm_head(backbone), explicit)
    assert not torch.allclose(derived, model(ids, attention_mask=mask, puzzle_identifiers=torch.zeros(2).long()).logits)
    # logits_to_keep: the last positions only, the same values.
    torch.testing.assert_close(model(ids, attention_mask=mask, logits_to_keep=3).logits, explicit[:, -3:])
