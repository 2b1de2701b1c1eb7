"""Tests of GRPO's data and recipes (`polyglot_hrm.training.grpo_data`, `.grpo_config`): the prompt column on an
exported dataset loaded with `load_dataset`, and the recipes. The reward and the two-process `accelerate launch`
GRPO smoke run are in tests/test_rewards.py."""

from __future__ import annotations

from pathlib import Path

import datasets
import pytest
import torch

from polyglot_hrm.dataset import CONFIG_NAMES
from polyglot_hrm.dataset.export import export
from polyglot_hrm.modelio.chat_format import system_message
from polyglot_hrm.modelio.prompt_format import render_prompt
from polyglot_hrm.modelio.tokenizer import BOS_TOKEN, encode_pair, task_token, language_token
from polyglot_hrm.rewards import REWARD_COLUMNS
from polyglot_hrm.training.config import RecipeError
from polyglot_hrm.training.grpo_config import load_grpo_recipe, shipped_grpo_recipes
from polyglot_hrm.training.grpo_data import prompt_of, reward_format, with_prompts

torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> dict[str, datasets.DatasetDict]:
    """The mini-benchmark exported (Parquet + card) and loaded back with `load_dataset`, as from the Hub."""
    cache = str(tmp_path_factory.mktemp("hf-cache"))
    out = tmp_path_factory.mktemp("export")
    export(None, out, cache_dir=cache, verify_by_execution=False)
    return {name: datasets.load_dataset(str(out), name, cache_dir=cache) for name in CONFIG_NAMES}


# ---------------------------------------------------------------------------------------------- the prompt column
@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_hrm_prompts_are_the_models_own_prompt_after_bos(loaded, name):
    ds = with_prompts(loaded[name], style="hrm")
    assert isinstance(ds, datasets.DatasetDict) and set(ds) == set(loaded[name])
    split = ds["train"]
    assert set(split.column_names) == {"prompt"} | (set(REWARD_COLUMNS) & set(loaded[name]["train"].column_names))
    assert "target_files" not in split.column_names and "target_edit" not in split.column_names  # no answers
    for row, original in zip(split, loaded[name]["train"]):
        assert row["prompt"] == BOS_TOKEN + render_prompt(original)
        assert row["prompt"].startswith(f"{BOS_TOKEN}{task_token(name)}{language_token(original['language'])}")
        assert row["id"] == original["id"] and row["files"] == original["files"]


@pytest.mark.parametrize("edit_format", ["whole", "diff"])
@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_chat_prompts_are_the_evaluations_first_attempt(loaded, name, edit_format):
    split = with_prompts(loaded[name]["train"], style="chat", edit_format=edit_format)
    for row, original in zip(split, loaded[name]["train"]):
        system, user = row["prompt"]
        assert system == {"role": "system", "content": system_message(edit_format)}
        assert user["role"] == "user" and original["instructions"].strip()[:40] in user["content"]
        for f in original["input_files"]:
            if f["role"] == "solution":
                assert f["path"] in user["content"]
        if original.get("test_feedback"):
            assert "# Output of the tests" in user["content"]
    assert reward_format("chat", edit_format) == edit_format and reward_format("hrm") == "hrm"


def test_an_hrm_prompt_tokenizes_as_training_encodes_it(loaded):
    """TRL tokenizes a plain prompt with the tokenizer alone: the ids must be encode_pair's (bos + prompt), so the
    model's prompt block and puzzle id are what training gave it."""
    from polyglot_hrm.training.data import train_tokenizer_on_rows

    rows = [r for name in CONFIG_NAMES for r in loaded[name]["train"].select(range(3))]
    tokenizer = train_tokenizer_on_rows(rows, 600)
    for row in rows:
        assert tokenizer(prompt_of(row, "hrm"))["input_ids"] == encode_pair(tokenizer, render_prompt(row))["input_ids"]


def test_with_prompts_says_what_is_wrong(loaded):
    with pytest.raises(ValueError, match="style='code'"):
        with_prompts(loaded["generation"]["train"], style="code")
    with pytest.raises(ValueError, match="edit_format='udiff'"):
        with_prompts(loaded["generation"]["train"], style="chat", edit_format="udiff")
    with pytest.raises(ValueError, match="no column"):
        with_prompts(datasets.Dataset.from_list([{"text": "x"}]))
    with pytest.raises(TypeError, match="from_list"):
        with_prompts([{"task": "generation"}])
    kept = with_prompts(loaded["generation"]["train"], keep=["difficulty"])
    assert "difficulty" in kept.column_names


# ---------------------------------------------------------------------------------------------- recipes
def test_every_shipped_grpo_recipe_loads():
    shipped = shipped_grpo_recipes()
    assert set(shipped) == {"tiny", "hrm-27m", "qwen-coder-chat"}
    for name, path in shipped.items():
        recipe = load_grpo_recipe(path)
        assert recipe.grpo_args["num_generations"] >= 2
        assert load_grpo_recipe(f"trainer/recipes/grpo/{name}.yaml").grpo_args == recipe.grpo_args
    assert load_grpo_recipe("tiny").policy_config().style == "hrm"
    assert load_grpo_recipe("qwen-coder-chat").policy_config().style == "chat"


@pytest.mark.parametrize("override, message", [
    ("grpo_args.num_generation=4", "did you mean grpo_args.num_generations"),
    ("grpo_args.num_generations=1", "at least 2"),
    ("grpo_args.output_dir=x", "set by the run"),
    ("policy.kind=llama", "policy.kind=llama"),
    ("reward.executor=spark", "GRPOReward.executor='spark'"),
    ("data.configs=[translation]", "GRPOData.configs"),
    ("grpo_args.learning_rate=fast", "grpo_args.learning_rate='fast' is a str"),
])
def test_recipe_mistakes_are_named(override, message):
    with pytest.raises(RecipeError, match=message.replace("[", r"\[").replace("(", r"\(")) as err:
        load_grpo_recipe("tiny", [override])
    assert override in str(err.value) or "tiny.yaml" in str(err.value)


def test_an_sft_recipe_is_not_a_grpo_recipe():
    with pytest.raises(RecipeError, match="SFT recipe"):
        load_grpo_recipe(REPO / "trainer" / "recipes" / "tiny.yaml")
