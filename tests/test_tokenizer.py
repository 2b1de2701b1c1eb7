"""Tests of the tokenizer (`polyglot_hrm.modelio.tokenizer`) and the prompt format (`...prompt_format`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from hrm_modeling import HRMConfig, LANGUAGES, TASKS
from polyglot_hrm.modelio.prompt_format import (
    ANSWER_MARKER,
    parse_answer,
    render_example,
    render_files,
    render_prompt,
)
from polyglot_hrm.modelio.tokenizer import (
    EDIT_MARKERS,
    encode_pair,
    language_token,
    special_tokens,
    task_token,
    train_tokenizer,
)

EDIT = (
    "src/lib.rs\n```rust\n<<<<<<< SEARCH\n    a + b\n=======\n    a - b\n>>>>>>> REPLACE\n```\n"
)
CORPUS = [
    "def add(a, b):\n    return a + b\n",
    "fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n",
    "func Add(a, b int) int {\n\treturn a + b\n}\n",
    "public int add(int a, int b) { return a + b; }\n",
    "export const add = (a, b) => a + b;\n",
    "int add(int a, int b) { return a + b; }  // naïve ünïcode ✓\n",
    EDIT,
] * 20


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    return train_tokenizer(CORPUS, vocab_size=400, min_frequency=2)


def _row(task: str, language: str = "python") -> dict:
    row = {
        "task": task,
        "language": language,
        "instructions": "Add two numbers.\n",
        "input_files": [
            {"path": "add.py", "role": "solution", "content": "def add(a, b):\n    pass\n"},
            {"path": "add_test.py", "role": "test", "content": "SECRET_TEST\n"},
            {"path": "setup.cfg", "role": "support", "content": "SECRET_SUPPORT\n"},
        ],
        "target_files": [
            {"path": "add.py", "role": "reference", "content": 'def add(a, b):\n    """```x```"""\n    return a + b\n'},
        ],
    }
    if task == "diff_edit":
        row["target_edit"] = EDIT
        row["test_feedback"] = "FAILED add_test.py::test_add - assert 1 == 3"
    if task == "transfer":
        row["source_language"] = "rust"
        row["input_files"].append({"path": "src/lib.rs", "role": "source", "content": "fn add() {}\n"})
    return row


# ---------------------------------------------------------------------------------------------- tokenizer
def test_special_ids_match_the_model_config_defaults(tokenizer):
    cfg = HRMConfig()
    assert (tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id) == (
        cfg.pad_token_id, cfg.bos_token_id, cfg.eos_token_id)


@pytest.mark.parametrize("token", [*(language_token(lang) for lang in LANGUAGES), *(task_token(t) for t in TASKS)])
def test_language_and_task_tokens_are_single_special_tokens(tokenizer, token):
    ids = tokenizer.encode(f"x{token}y", add_special_tokens=False)
    assert tokenizer.convert_tokens_to_ids(token) in ids
    assert token in tokenizer.all_special_tokens
    assert token not in tokenizer.decode(ids, skip_special_tokens=True)


def test_edit_markers_are_single_tokens_kept_on_decode(tokenizer):
    ids = tokenizer.encode(EDIT, add_special_tokens=False)
    pieces = tokenizer.convert_ids_to_tokens(ids)
    for marker in EDIT_MARKERS:
        assert marker in pieces
    assert tokenizer.decode(ids, skip_special_tokens=True) == EDIT


def test_len_tokenizer_fits_the_requested_vocab(tokenizer):
    assert len(special_tokens()) + len(EDIT_MARKERS) + 256 < len(tokenizer) <= 400


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200).filter(lambda s: "<|" not in s and not any(m in s for m in EDIT_MARKERS)))
def test_any_text_round_trips_byte_for_byte(tokenizer, text):
    ids = tokenizer.encode(text, add_special_tokens=False)
    assert tokenizer.decode(ids) == text


def test_saved_tokenizer_loads_as_pretrained_tokenizer_fast(tokenizer, tmp_path: Path):
    tokenizer.save_pretrained(tmp_path)
    for loaded in (PreTrainedTokenizerFast.from_pretrained(tmp_path), AutoTokenizer.from_pretrained(tmp_path)):
        assert loaded.encode(EDIT, add_special_tokens=False) == tokenizer.encode(EDIT, add_special_tokens=False)
        assert loaded.pad_token_id == 0 and len(loaded) == len(tokenizer)


def test_too_small_vocab_is_rejected():
    with pytest.raises(ValueError, match="vocab_size"):
        train_tokenizer(CORPUS, vocab_size=100)


def test_non_string_items_are_rejected():
    with pytest.raises(TypeError, match="item 1"):
        train_tokenizer(["ok", {"task": "generation"}], vocab_size=400)


# ---------------------------------------------------------------------------------------------- encode_pair
def test_encode_pair_masks_the_prompt_and_marks_it_bidirectional(tokenizer):
    prompt, answer = render_example(_row("generation"))
    enc = encode_pair(tokenizer, prompt, answer)
    n_prompt = sum(enc["token_type_ids"])
    assert enc["input_ids"][0] == tokenizer.bos_token_id and enc["input_ids"][-1] == tokenizer.eos_token_id
    assert enc["labels"][:n_prompt] == [-100] * n_prompt
    assert enc["labels"][n_prompt:] == enc["input_ids"][n_prompt:]
    assert tokenizer.decode(enc["input_ids"][n_prompt:-1]) == answer


def test_encode_pair_truncates_the_prompt_not_the_answer(tokenizer):
    prompt, answer = render_example(_row("generation"))
    full = encode_pair(tokenizer, prompt, answer)
    cut = encode_pair(tokenizer, prompt, answer, max_length=len(full["input_ids"]) - 5)
    assert len(cut["input_ids"]) == len(full["input_ids"]) - 5
    assert cut["input_ids"][-len(full["input_ids"]) + sum(full["token_type_ids"]):] == full["input_ids"][sum(full["token_type_ids"]):]
    with pytest.raises(ValueError, match="max_length"):
        encode_pair(tokenizer, prompt, answer, max_length=3)


# ---------------------------------------------------------------------------------------------- prompt format
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("task", ["generation", "transfer"])
def test_answer_files_round_trip(task, language):
    row = _row(task, language)
    prompt, answer = render_example(row)
    assert prompt.startswith(task_token(task) + language_token(language))
    assert prompt.endswith(ANSWER_MARKER + "\n")
    parsed = parse_answer(task, answer + "<|eos|>trailing junk")
    assert parsed == {f["path"]: f["content"] for f in row["target_files"]}


def test_prompt_shows_solution_files_but_not_tests_or_support():
    prompt = render_prompt(_row("generation"))
    assert "def add(a, b):\n    pass" in prompt
    assert "SECRET_TEST" not in prompt and "SECRET_SUPPORT" not in prompt


def test_transfer_prompt_carries_the_source_solution():
    prompt = render_prompt(_row("transfer"))
    assert "<|source|> rust" in prompt and "fn add() {}" in prompt


def test_diff_edit_answer_is_the_edit_text_and_feedback_is_shown():
    row = _row("diff_edit")
    prompt, answer = render_example(row)
    assert "assert 1 == 3" in prompt
    assert answer == EDIT
    assert parse_answer("diff_edit", answer + "<|eos|>") == EDIT


def test_fences_outgrow_backticks_in_the_content():
    files = [{"path": "a.md", "content": "````\ninner ``` fence\n````\n"}]
    rendered = render_files(files, "python")
    assert rendered.split("\n")[1].startswith("`````")
    assert parse_answer("generation", rendered) == {"a.md": files[0]["content"]}


def test_truncated_generation_still_parses():
    assert parse_answer("generation", "a.py\n```python\nx = 1\n") == {"a.py": "x = 1\n"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"task": "translate"}, "task"),
        ({"language": "cobol"}, "language"),
        ({"task": "transfer", "source_language": None}, "source_language"),
        ({"task": "diff_edit", "target_edit": ""}, "target_edit"),
        ({"target_files": []}, "target_files"),
    ],
)
def test_bad_rows_fail_naming_the_field(change, message):
    row = {**_row("generation"), **change}
    with pytest.raises(ValueError, match=message):
        render_example(row)
