"""Tests of `polyglot_hrm.modelio.generation`: batching, sampling modes, candidates."""

from __future__ import annotations

import pytest
import torch

from hrm_modeling import HRMForCausalLM, tiny_config
from polyglot_hrm.modelio.generation import answer_to_candidate, candidates_for, generate_answers
from polyglot_hrm.modelio.prompt_format import render_example
from polyglot_hrm.modelio.tokenizer import train_tokenizer

torch.set_num_threads(1)


def _row(task: str, language: str, body: str) -> dict:
    row = {
        "task": task, "language": language, "instructions": f"Write {body}.\n",
        "input_files": [{"path": "a.py", "role": "solution", "content": "def f():\n    pass\n" * (len(body) % 4 + 1)}],
        "target_files": [{"path": "a.py", "role": "reference", "content": f"def f():\n    return {body!r}\n"}],
    }
    if task == "diff_edit":
        row["target_edit"] = "a.py\n```\n<<<<<<< SEARCH\n    pass\n=======\n    return 1\n>>>>>>> REPLACE\n```\n"
    if task == "transfer":
        row["source_language"] = "go"
    return row


ROWS = [_row("generation", "python", "x"), _row("diff_edit", "rust", "longer body"), _row("transfer", "cpp", "yz")]


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer([t for r in ROWS for t in render_example(r)] * 5, vocab_size=400)


@pytest.fixture(scope="module")
def model(tokenizer):
    torch.manual_seed(0)
    # initializer_range 0.1: random tiny models at 0.02 emit nearly the same token everywhere.
    return HRMForCausalLM(tiny_config(vocab_size=len(tokenizer), initializer_range=0.1)).eval()


def test_batched_generation_equals_one_by_one(model, tokenizer):
    together = generate_answers(model, tokenizer, ROWS, max_new_tokens=12, batch_size=3, progress=False)
    alone = [generate_answers(model, tokenizer, [r], max_new_tokens=12, batch_size=1, progress=False)[0] for r in ROWS]
    assert together == alone
    assert all(len(a) == 1 and isinstance(a[0], str) for a in together)
    assert len({a[0] for a in together}) > 1, "a random model should not write the same text for different prompts"


def test_greedy_repeats_and_sampling_varies(model, tokenizer):
    greedy = generate_answers(model, tokenizer, ROWS[:1], num_samples=3, max_new_tokens=8, progress=False)
    assert len(greedy[0]) == 3 and len(set(greedy[0])) == 1
    sampled = generate_answers(model, tokenizer, ROWS[:1], num_samples=4, temperature=5.0, max_new_tokens=8,
                               seed=1, progress=False)
    assert len(sampled[0]) == 4 and len(set(sampled[0])) > 1
    again = generate_answers(model, tokenizer, ROWS[:1], num_samples=4, temperature=5.0, max_new_tokens=8,
                             seed=1, progress=False)
    assert again == sampled


def test_training_mode_is_restored(model, tokenizer):
    model.train()
    generate_answers(model, tokenizer, ROWS[:1], max_new_tokens=2, progress=False)
    assert model.training
    model.eval()


def test_bad_arguments_raise(model, tokenizer):
    with pytest.raises(ValueError, match="num_samples"):
        generate_answers(model, tokenizer, ROWS, num_samples=0)
    with pytest.raises(ValueError, match="temperature"):
        generate_answers(model, tokenizer, ROWS, temperature=-1)


def test_answer_to_candidate_forms():
    gen, edit, transfer = (render_example(r)[1] for r in ROWS)
    assert answer_to_candidate(ROWS[0], gen + "<|eos|>junk") == {"a.py": "def f():\n    return 'x'\n"}
    assert answer_to_candidate(ROWS[1], edit) == ROWS[1]["target_edit"]
    assert answer_to_candidate(ROWS[2], transfer) == {"a.py": "def f():\n    return 'yz'\n"}
    assert answer_to_candidate(ROWS[0], "no files here") == {}
    assert candidates_for(ROWS[:2], [[gen, "x"], [edit]]) == [[{"a.py": "def f():\n    return 'x'\n"}, {}],
                                                              [ROWS[1]["target_edit"]]]
    with pytest.raises(ValueError, match="one list per row"):
        candidates_for(ROWS, [[gen]])


def test_a_plain_causal_lm_generates_in_the_same_format(tokenizer):
    """A Llama trained on this prompt format (benchmarks/learning.py) takes neither puzzle ids nor token types:
    generation gives it input_ids and attention_mask only, and its batched answers equal one-by-one ones."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    llama = LlamaForCausalLM(LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                                         num_hidden_layers=1, num_attention_heads=2, initializer_range=0.1,
                                         pad_token_id=0, bos_token_id=1, eos_token_id=2)).eval()
    together = generate_answers(llama, tokenizer, ROWS, max_new_tokens=6, batch_size=3, progress=False)
    alone = [generate_answers(llama, tokenizer, [r], max_new_tokens=6, batch_size=1, progress=False)[0] for r in ROWS]
    assert together == alone
    assert all(len(a) == 1 and a[0] for a in together)


# ---------------------------------------------------------------------------------------------- ids alone
def _deriving(model, tokenizer):
    """The same weights with `derive_prompt_inputs` on: the model reads types and puzzle ids from the ids."""
    from polyglot_hrm.modelio.prompt_format import prompt_layout_fields

    config = tiny_config(vocab_size=len(tokenizer), initializer_range=0.1, derive_prompt_inputs=True,
                         **prompt_layout_fields(tokenizer))
    twin = HRMForCausalLM(config).eval()
    twin.load_state_dict(model.state_dict())
    return twin


def test_the_derivation_reads_what_encode_pair_and_the_row_give(tokenizer):
    """Every task: the prompt block is encode_pair's (bos + prompt through `<|answer|>\\n`), the puzzle id the
    row's language x task, also when a long prompt is cut (its header stays)."""
    from hrm_modeling import prompt_inputs_from_ids
    from polyglot_hrm.modelio.prompt_format import prompt_layout_fields
    from polyglot_hrm.modelio.tokenizer import encode_pair

    config = tiny_config(vocab_size=len(tokenizer), derive_prompt_inputs=True, **prompt_layout_fields(tokenizer))
    for row in ROWS:
        prompt, answer = render_example(row)
        full = encode_pair(tokenizer, prompt, answer)
        cut = encode_pair(tokenizer, prompt, answer, max_length=len(full["input_ids"]) - 6)
        for enc in (full, cut):
            types, puzzle = prompt_inputs_from_ids(torch.tensor([enc["input_ids"]]), None, config)
            assert types[0].tolist() == enc["token_type_ids"]
            assert puzzle.tolist() == [config.puzzle_id(row["language"], row["task"])] != [0]
    # Padding and a second `<|answer|>\n` (generated) are answer-side; no header gives puzzle 0.
    ids = torch.tensor([[0, 0] + encode_pair(tokenizer, render_example(ROWS[0])[0])["input_ids"]
                        + config.prompt_end_token_ids])
    mask = (torch.arange(ids.shape[1]) >= 2).long()[None]
    types, _ = prompt_inputs_from_ids(ids, mask, config)
    assert types[0, :2].tolist() == [0, 0] and types[0, -2:].tolist() == [0, 0] and types[0, 2:-2].all()
    assert prompt_inputs_from_ids(torch.tensor([[5, 6, 7]]), None, config)[1].tolist() == [0]


def test_ids_alone_generate_what_the_explicit_inputs_generate(model, tokenizer):
    """generate_answers passes types and puzzle ids to a model without the flag and nothing to one with it: the
    answers are the same, token for token."""
    explicit = generate_answers(model, tokenizer, ROWS, max_new_tokens=12, batch_size=3, progress=False)
    derived = generate_answers(_deriving(model, tokenizer), tokenizer, ROWS, max_new_tokens=12, batch_size=3,
                               progress=False)
    assert derived == explicit
