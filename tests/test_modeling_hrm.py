"""Tests of `hrm_modeling`: config validation, save/load, remote code, generation with the cache, ACT, training."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from hrm_modeling import HRMConfig, HRMForCausalLM, HRMModel, LANGUAGES, TASKS, tiny_config
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
