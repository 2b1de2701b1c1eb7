"""Tests of `polyglot_hrm.training`: collator, sampler, config/recipes, pipeline, callback; the end-to-end
memorisation test and the two-process `accelerate launch` run (both slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import torch
import yaml

from hrm_modeling import HRMConfig, HRMForCausalLM
from polyglot_hrm.training.callbacks import ExecutionEvalCallback, flat_metrics
from polyglot_hrm.training.collator import IGNORE_INDEX, PolyglotCollator
from polyglot_hrm.training.config import PolyglotTrainingConfig, apply_overrides, load_recipe
from polyglot_hrm.training.data import select_eval_rows
from polyglot_hrm.training.sampler import CurriculumSampler, competence, row_probabilities
from polyglot_hrm.settings import GenerationOptions

torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]
RECIPES = sorted((REPO / "trainer" / "recipes").glob("*.yaml"))
RECIPES_BY_NAME = {p.stem: p for p in RECIPES}


# ---------------------------------------------------------------------------------------------- collator
def test_collator_pads_right_and_masks_the_prompt():
    features = [
        {"input_ids": [1, 10, 11, 12, 13, 2], "token_type_ids": [1, 1, 1, 0, 0, 0], "puzzle_identifiers": 5},
        {"input_ids": [1, 20, 21, 2], "token_type_ids": [1, 1, 0, 0], "puzzle_identifiers": 7},
    ]
    batch = PolyglotCollator(pad_token_id=0)(features)
    assert batch["input_ids"].tolist() == [[1, 10, 11, 12, 13, 2], [1, 20, 21, 2, 0, 0]]
    assert batch["attention_mask"].tolist() == [[1] * 6, [1, 1, 1, 1, 0, 0]]
    assert batch["labels"].tolist() == [[-100, -100, -100, 12, 13, 2], [-100, -100, 21, 2, -100, -100]]
    assert batch["token_type_ids"].tolist() == [[1, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0]]
    assert batch["puzzle_identifiers"].tolist() == [5, 7]


def test_collator_pads_to_a_multiple_and_checks_lengths():
    batch = PolyglotCollator(0, pad_to_multiple_of=8)([{"input_ids": [1, 2, 3], "token_type_ids": [1, 0, 0]}])
    assert batch["input_ids"].shape == (1, 8)
    assert (batch["labels"][0, 3:] == IGNORE_INDEX).all()
    with pytest.raises(ValueError, match="token_type_ids"):
        PolyglotCollator(0)([{"input_ids": [1, 2, 3], "token_type_ids": [1, 0]}])



def test_collator_derives_types_and_puzzle_ids_as_the_model_does():
    """With the model's config (derive_prompt_inputs), the prompt block and the puzzle id come from the ids by
    the model's own function, whatever the example stored; the labels follow."""
    from hrm_modeling import tiny_config

    config = tiny_config(derive_prompt_inputs=True, prompt_end_token_ids=[16, 17],
                         language_token_ids=[3, 4, 5, 6, 7, 8], task_token_ids=[9, 10, 11])
    features = [{"input_ids": [1, 9, 7, 40, 16, 17, 50, 2], "token_type_ids": [1] * 8, "puzzle_identifiers": 0},
                {"input_ids": [1, 11, 3, 16, 17, 60, 2], "token_type_ids": [1] * 7}]
    batch = PolyglotCollator(0, model_config=config)(features)
    assert batch["token_type_ids"].tolist() == [[1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 0, 0, 0]]
    assert batch["labels"].tolist() == [[-100] * 6 + [50, 2], [-100] * 5 + [60, 2, -100]]
    assert batch["puzzle_identifiers"].tolist() == [config.puzzle_id("python", "generation"),
                                                    config.puzzle_id("cpp", "transfer")]

# ---------------------------------------------------------------------------------------------- sampler
def _sampler(n_per=30, **kwargs):
    difficulties = ["easy"] * n_per + ["medium"] * n_per + ["hard"] * n_per
    languages = (["python", "rust", "go"] * n_per)[: 3 * n_per]
    tasks = ["generation"] * (3 * n_per)
    defaults = dict(total_samples=3000, num_samples=1000, seed=3)
    defaults.update(kwargs)
    return CurriculumSampler(difficulties, languages, tasks, **defaults), difficulties, languages


@pytest.mark.parametrize("pacing", ["linear", "sqrt"])
def test_competence_grows_from_start_to_one(pacing):
    values = [competence(p / 10, start=0.2, full_at=0.5, pacing=pacing) for p in range(11)]
    assert values[0] == pytest.approx(0.2)
    assert all(a <= b for a, b in zip(values, values[1:]))
    assert values[5] == pytest.approx(1.0) and values[-1] == 1.0


def test_curriculum_draws_easy_rows_first_and_all_rows_later():
    sampler, difficulties, _ = _sampler(start=0.2, full_at=0.5)
    first_epoch = [difficulties[i] for i in sampler]  # progress 0 .. 1/3
    early = Counter(first_epoch[:200])  # competence <= 0.2 + 0.8 * (200 / 3000) / 0.5 < 1/3: easy rows only
    assert set(early) == {"easy"}, early
    sampler.set_epoch(2)  # progress 2/3 .. 1: everything is available
    late = Counter(difficulties[i] for i in sampler)
    assert set(late) == {"easy", "medium", "hard"}
    assert min(late.values()) > 200


def test_without_curriculum_every_difficulty_appears_from_the_start():
    sampler, difficulties, _ = _sampler(curriculum=False)
    early = Counter(difficulties[i] for i in list(sampler)[:200])
    assert set(early) == {"easy", "medium", "hard"}


def test_sampler_is_deterministic_per_epoch_and_differs_between_epochs():
    a, _, _ = _sampler()
    b, _, _ = _sampler()
    first_a, first_b = list(a), list(b)
    assert first_a == first_b
    assert list(a) != first_a  # second epoch (set_epoch never called)
    b.set_epoch(0)
    assert list(b) == first_a


def test_language_weights_shape_the_draws():
    sampler, _, languages = _sampler(curriculum=False, language_weights={"python": 3.0, "rust": 1.0, "go": 0.0})
    counts = Counter(languages[i] for i in sampler)
    assert counts["go"] == 0
    assert 2.4 < counts["python"] / counts["rust"] < 3.7


def test_mixing_ratio_sets_the_share_of_transfer_rows():
    tasks = ["transfer"] * 10 + ["generation"] * 90
    probs = row_probabilities(["python"] * 100, tasks, {}, mixing_ratio=0.3)
    assert probs[:10].sum() == pytest.approx(0.3)
    natural = row_probabilities(["python"] * 100, tasks, {}, mixing_ratio=None)
    assert natural[:10].sum() == pytest.approx(0.1)
    sampler = CurriculumSampler(["easy"] * 100, ["python"] * 100, tasks, total_samples=4000, num_samples=4000,
                                mixing_ratio=0.3, curriculum=False)
    share = sum(tasks[i] == "transfer" for i in sampler) / 4000
    assert 0.26 < share < 0.34


def test_sampler_rejects_bad_input():
    with pytest.raises(ValueError, match="difficulty"):
        CurriculumSampler(["trivial"], ["python"], ["generation"], total_samples=1)
    with pytest.raises(ValueError, match="pacing"):
        CurriculumSampler(["easy"], ["python"], ["generation"], total_samples=1, pacing="cubic")
    with pytest.raises(ValueError, match="language weight 0"):
        row_probabilities(["go"], ["generation"], {"go": 0.0}, None)


# ---------------------------------------------------------------------------------------------- config, recipes
@pytest.mark.parametrize("kwargs, field", [
    ({"configs": ("generation", "poetry")}, "configs"),
    ({"batch_size": 0}, "batch_size"),
    ({"curriculum_pacing": "cubic"}, "curriculum_pacing"),
    ({"curriculum_start": 0.0}, "curriculum_start"),
    ({"cross_language_mixing_ratio": 1.5}, "cross_language_mixing_ratio"),
    ({"language_weights": {"cobol": 1.0}}, "language_weights"),
    ({"language_weights": {"go": -1.0}}, "language_weights"),
    ({"eval_split": "dev"}, "eval_split"),
    ({"eval_num_problems": -1}, "eval_num_problems"),
    ({"max_train_rows": 0}, "max_train_rows"),
])
def test_config_rejects_bad_values_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        PolyglotTrainingConfig(**kwargs)


def test_config_defaults_keep_the_seed_fields():
    config = PolyglotTrainingConfig()
    for name in ("max_problems_per_language", "max_diff_examples_per_problem", "max_transfer_examples_per_pair",
                 "min_complexity_score", "max_complexity_score", "min_diff_quality_score", "batch_size",
                 "max_sequence_length", "curriculum_learning", "cross_language_mixing_ratio", "language_weights"):
        assert hasattr(config, name)
    assert PolyglotTrainingConfig(eval_split="validation, test").eval_splits == ("validation", "test")


@pytest.mark.parametrize("path", RECIPES, ids=[p.stem for p in RECIPES])
def test_every_shipped_recipe_parses_and_builds(path, tmp_path):
    from transformers import TrainingArguments

    recipe = load_recipe(path)
    config = recipe.training_config()
    assert config.configs
    hrm = HRMConfig(vocab_size=config.vocab_size, **recipe.model)
    assert hrm.max_position_embeddings >= config.max_sequence_length
    args = TrainingArguments(output_dir=str(tmp_path), **{k: v for k, v in recipe.training_args.items()
                                                         if k not in ("bf16", "fp16")})
    assert args.eval_strategy != "no"


def test_hrm_27m_recipe_is_about_27m_parameters():
    recipe = load_recipe(REPO / "trainer" / "recipes" / "hrm-27m.yaml")
    with torch.device("meta"):
        model = HRMForCausalLM(HRMConfig(vocab_size=recipe.training_config().vocab_size, **recipe.model))
    assert 20e6 < model.num_parameters() < 35e6


def test_overrides_are_parsed_as_yaml_and_checked(tmp_path):
    recipe = load_recipe(RECIPES[0], ["training_args.max_steps=7", "polyglot.language_weights={go: 2.5}"])
    assert recipe.training_args["max_steps"] == 7
    assert recipe.polyglot["language_weights"] == {"go": 2.5}
    apply_overrides(recipe, ["training_args.eval_strategy=no", "training_args.push_to_hub=true"])
    assert recipe.training_args["eval_strategy"] == "no" and recipe.training_args["push_to_hub"] is True
    with pytest.raises(ValueError, match="section.field=value"):
        apply_overrides(recipe, ["max_steps=7"])
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"polyglot": {"batch_sise": 3}}))
    with pytest.raises(ValueError, match="batch_sise"):
        load_recipe(bad).training_config()
    with pytest.raises(FileNotFoundError, match="recipe="):
        load_recipe(tmp_path / "missing.yaml")


# ---------------------------------------------------------------------------------------------- pipeline
@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    from polyglot_hrm.training.data import load_rows

    config = PolyglotTrainingConfig(max_diff_examples_per_problem=2, max_transfer_examples_per_pair=1,
                                    verify_by_execution=False)
    return load_rows(config, None, tmp_path_factory.mktemp("datasets"))


def test_pipeline_yields_batches_the_model_trains_on(tmp_path):
    from polyglot_hrm.training.pipeline import PolyglotTrainingPipeline

    model = HRMForCausalLM(HRMConfig(vocab_size=512, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                     num_attention_heads=4, max_position_embeddings=1024))
    config = PolyglotTrainingConfig(configs=("generation", "diff_edit"), max_diff_examples_per_problem=1,
                                    verify_by_execution=False,
                                    batch_size=3, max_sequence_length=1024, vocab_size=512)
    pipeline = PolyglotTrainingPipeline(None, model, config, cache_dir=tmp_path)
    data = pipeline.extract_and_process_data()
    assert {"train", "validation", "test"} <= set(data)
    assert {r["task"] for r in data["train"]} == {"generation", "diff_edit"}
    train, val = pipeline.create_training_datasets()
    assert len(train) and len(val)
    assert len(pipeline.tokenizer) <= 512
    train_loader, val_loader = pipeline.create_data_loaders()
    batch = next(iter(train_loader))
    assert set(batch) >= {"input_ids", "attention_mask", "labels", "puzzle_identifiers"}
    assert batch["input_ids"].shape[0] == 3 and batch["puzzle_identifiers"].shape == (3,)
    assert (batch["labels"] != -100).any() and (batch["labels"][:, 0] == -100).all()
    ids = {model.config.puzzle_id(r["language"], r["task"]) for r in train.rows}
    assert set(batch["puzzle_identifiers"].tolist()) <= ids
    loss = model(**batch).loss
    assert torch.isfinite(loss)
    assert next(iter(val_loader))["input_ids"].shape[0] <= 3


def test_eval_rows_are_spread_over_languages(rows):
    held = rows["validation"] + rows["test"]
    chosen = select_eval_rows(held, 6, seed=1)
    assert len(chosen) == 6
    langs = Counter(r["language"] for r in chosen)
    assert len(langs) == min(6, len({r["language"] for r in held}))
    assert select_eval_rows(held, 6, seed=1) == chosen
    assert len(select_eval_rows(held, 10_000)) == len(held)


def test_train_slice_is_each_languages_shortest_rows(rows):
    from polyglot_hrm.modelio.prompt_format import render_example
    from polyglot_hrm.training.data import select_train_rows

    def length(row):
        return sum(len(text) for text in render_example(row))

    train = rows["train"]
    chosen = select_train_rows(train, 6)
    assert sorted(r["language"] for r in chosen) == sorted({r["language"] for r in train})  # one per language
    for row in chosen:
        assert length(row) == min(length(r) for r in train if r["language"] == row["language"])
    twelve = select_train_rows(train, 12)
    assert twelve[:6] == chosen and len({r["id"] for r in twelve}) == 12
    assert len(select_train_rows(train, 10_000)) == len(train)


def test_max_train_rows_cuts_the_train_split_only(tmp_path):
    from polyglot_hrm.training.data import load_rows

    config = PolyglotTrainingConfig(configs=("generation",), verify_by_execution=False, max_train_rows=3)
    cut = load_rows(config, None, tmp_path)
    full = load_rows(PolyglotTrainingConfig(configs=("generation",), verify_by_execution=False), None, tmp_path)
    assert len(cut["train"]) == 3 < len(full["train"])
    assert {s: len(r) for s, r in cut.items() if s != "train"} == {s: len(r) for s, r in full.items() if s != "train"}


def test_callback_skips_without_the_execution_opt_in(monkeypatch, caplog):
    monkeypatch.delenv("POLYGLOT_HRM_ALLOW_CODE_EXECUTION", raising=False)
    monkeypatch.delenv("HF_ALLOW_CODE_EVAL", raising=False)
    logged = []

    class FakeTrainer:
        def add_callback(self, cb):
            pass

        def log(self, metrics):
            logged.append(metrics)

    callback = ExecutionEvalCallback([{"task": "generation", "language": "python"}], tokenizer=None).attach(FakeTrainer())
    with caplog.at_level("WARNING"):
        callback.on_evaluate(args=None, state=None, control="c", model=None)
    assert logged == [] and "POLYGLOT_HRM_ALLOW_CODE_EXECUTION" in caplog.text


def test_flat_metrics_names():
    result = {"pass@1": 0.5, "per_language": {"go": {"problems": 2, "pass@1": 1.0}, "rust": {"problems": 2, "pass@1": 0.0}},
              "results": [1, 2, 3, 4], "malformed_edits": 1}
    assert flat_metrics(result) == {"eval_pass@1": 0.5, "eval_pass@1/go": 1.0, "eval_pass@1/rust": 0.0,
                                    "eval_exec_problems": 4.0, "eval_exec_malformed_edits": 1.0}


# ---------------------------------------------------------------------------------------------- end to end
MEMORISE = ["generation/python/tally-words", "generation/javascript/clamp-list", "diff_edit/python/clamp-list/bug_fix/0",
            "diff_edit/go/fizz-words/bug_fix/0", "transfer/go-to-python/tally-words"]


@pytest.mark.slow
def test_memorised_rows_pass_their_tests_by_execution(rows, allow_execution):
    """The whole chain: tokenizer, prompt format, collator, model, greedy generation, edit application, runners."""
    from polyglot_hrm.training.callbacks import evaluate_by_execution
    from polyglot_hrm.training.data import tokenize_rows, train_tokenizer_on_rows

    by_id = {r["id"]: r for split in rows.values() for r in split}
    chosen = [by_id[i] for i in MEMORISE]
    assert {r["task"] for r in chosen} == {"generation", "diff_edit", "transfer"}
    tokenizer = train_tokenizer_on_rows(chosen, vocab_size=512)
    data = tokenize_rows(chosen, tokenizer, max_length=1024)
    assert len(data) == len(chosen)
    torch.manual_seed(0)
    model = HRMForCausalLM(HRMConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128,
                                     num_hidden_layers=1, num_attention_heads=4, max_position_embeddings=1024))
    batch = PolyglotCollator(tokenizer.pad_token_id)(data.examples)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)  # memorises in ~120 steps (3e-3: ~190)
    answer = batch["labels"][:, 1:] != -100
    before = None
    for step in range(400):
        model.train()
        loss = model(**batch).loss
        before = before if before is not None else loss.item()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()
        if step % 10 == 9:
            model.eval()
            with torch.no_grad():
                predicted = model(**batch).logits[:, :-1].argmax(-1)
            wrong = int(((predicted != batch["labels"][:, 1:]) & answer).sum())
            if wrong == 0:
                break
    assert wrong == 0, f"not memorised after {step + 1} steps: {wrong} answer tokens wrong (loss {before:.2f} -> {loss.item():.3f})"
    result = evaluate_by_execution(model, tokenizer, chosen, generation=GenerationOptions(160, batch_size=5),
                                   progress=False)
    statuses = [c["status"] for r in result["results"] for c in r["candidates"]]
    assert result["pass@1"] == 1.0, (statuses, result["answers"])
    assert set(result["per_language"]) == {"python", "javascript", "go"}
    assert result["malformed_edits"] == 0 and result["non_applying_edits"] == 0


@pytest.mark.slow
def test_accelerate_two_cpu_processes_train_save_and_log_pass_at_1(tmp_path):
    """Two processes with gloo. Not `accelerate launch --cpu --num_processes 2`: without mpirun that starts ONE
    process (measured with accelerate 1.15); cpu_multi.yaml uses the torch launcher, and the run records its
    process count so this test fails if it ever silently runs alone."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path / "run"
    env = {**os.environ, "POLYGLOT_HRM_ALLOW_CODE_EXECUTION": "1", "OMP_NUM_THREADS": "1"}
    cmd = [str(Path(sys.executable).parent / "accelerate"), "launch", "--config_file",
           str(REPO / "trainer" / "accelerate" / "cpu_multi.yaml"), "--main_process_port", "0",
           str(REPO / "trainer" / "train.py"), "--recipe", str(REPO / "trainer" / "recipes" / "tiny.yaml"),
           "--output-dir", str(out), "--cache-dir", str(tmp_path / "datasets"),
           # Ten steps drop the loss by about 2 nats (measured 6.65 -> 4.61); the held-out LM loss over the
           # validation split only (7 rows, not 29): what is checked is that both are logged, not their value.
           "training_args.max_steps=10", "training_args.logging_steps=3", "training_args.save_steps=5",
           "training_args.eval_steps=10", "polyglot.eval_split=validation", "polyglot.eval_num_problems=4",
           "polyglot.eval_max_new_tokens=48"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    saved = json.loads((out / "polyglot_training_config.json").read_text())
    assert saved["num_processes"] == 2 and "MULTI_CPU" in saved["distributed_type"]
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    losses = [h["loss"] for h in history if "loss" in h]
    assert len(losses) >= 3 and losses[-1] < losses[0] - 0.5, losses
    # lm_loss is the true per-token LM loss over both processes (it was half of it): the Trainer's loss is the
    # LM loss plus the Q-losses, which the Trainer scales by the process count with the rest of the loss.
    weight = json.loads((out / "config.json").read_text())["q_loss_weight"]
    for h in (h for h in history if "lm_loss" in h):
        assert abs(h["loss"] - h["lm_loss"] - 2 * weight * (h["q_halt_loss"] + h["q_continue_loss"])) < 0.02, h
    evals = [h for h in history if "eval_pass@1" in h]
    assert evals and 0.0 <= evals[-1]["eval_pass@1"] <= 1.0
    assert evals[-1]["eval_exec_problems"] == 4
    assert any(k.startswith("eval_pass@1/") for k in evals[-1])
    checkpoint = out / "checkpoint-5"
    for path in (out, checkpoint):
        model = AutoModelForCausalLM.from_pretrained(path)
        assert isinstance(model, HRMForCausalLM)
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert model.config.vocab_size == len(tokenizer)


@pytest.mark.slow
def test_training_resumes_from_its_last_checkpoint(tmp_path):
    from polyglot_hrm.training.run import train

    overrides = ["polyglot.configs=[generation]", "polyglot.eval_num_problems=0", "training_args.eval_strategy=no",
                 "training_args.save_steps=2", "training_args.logging_steps=1", "training_args.save_total_limit=null"]
    out, cache = tmp_path / "run", tmp_path / "datasets"
    first = train(load_recipe(RECIPES_BY_NAME["tiny"], overrides + ["training_args.max_steps=4"]), out, cache_dir=cache)
    assert (out / "checkpoint-4").is_dir() and (out / "tokenizer" / "tokenizer.json").is_file()
    assert [h["step"] for h in first.log_history if "loss" in h] == [1, 2, 3, 4]
    saved_tokenizer = (out / "tokenizer" / "tokenizer.json").stat().st_mtime_ns
    second = train(load_recipe(RECIPES_BY_NAME["tiny"], overrides + ["training_args.max_steps=6"]), out,
                   cache_dir=cache, resume_from_checkpoint="auto")
    steps = [h["step"] for h in second.log_history if "loss" in h]
    assert steps == [1, 2, 3, 4, 5, 6]  # history restored from checkpoint-4, then steps 5 and 6 only
    assert (out / "checkpoint-6").is_dir()
    # The resumed run loaded the first run's tokenizer instead of training and saving another.
    assert (out / "tokenizer" / "tokenizer.json").stat().st_mtime_ns == saved_tokenizer
    assert len(second.tokenizer) == len(first.tokenizer)


@pytest.mark.slow
def test_demo_trains_scores_and_writes_its_reports(tmp_path, allow_execution, capsys):
    from polyglot_hrm.demo import DemoOptions, run_demo

    summary = run_demo(DemoOptions(output_dir=tmp_path / "demo", overrides=("training_args.max_steps=4",
                                   "training_args.eval_steps=4", "polyglot.eval_num_problems=2",
                                   "polyglot.eval_max_new_tokens=8"),
                                   eval_max_new_tokens=16, seen_rows=2, cache_dir=tmp_path / "datasets"))
    printed = capsys.readouterr().out
    assert "Evaluation by language" in printed and str((tmp_path / "demo").resolve()) in printed
    held = summary["evaluations"]["held_out"]
    assert held["rows"] == 29  # every validation and test row of the mini-benchmark
    assert 0.0 <= held["summary"]["pass@1"] <= 1.0
    assert summary["evaluations"]["seen"]["rows"] == 2
    assert summary["train_rows"] == 8  # tiny.yaml's max_train_rows
    assert summary["meaning"] in printed and "seen pass@1" in printed and "held-out pass@1" in printed
    for name in ("results.json", "per_language.png", "report.md"):
        assert (tmp_path / "demo" / "held_out" / name).stat().st_size > 0
    assert json.loads((tmp_path / "demo" / "demo.json").read_text())["first_loss"] == summary["first_loss"]
    assert (tmp_path / "demo" / "model" / "model.safetensors").is_file()


def test_distributed_loaders_give_each_rank_its_own_share(tmp_path, monkeypatch):
    """Under DDP the pipeline's loaders split the sampled order by rank: disjoint shares that cover it."""
    from polyglot_hrm.training import pipeline as pipeline_module
    from polyglot_hrm.training.pipeline import PolyglotTrainingPipeline, _Shard

    assert [list(_Shard(range(7), r, 2)) for r in (0, 1)] == [[0, 2, 4, 6], [1, 3, 5]]
    assert [len(_Shard(range(7), r, 2)) for r in (0, 1)] == [4, 3]
    model = HRMForCausalLM(HRMConfig(vocab_size=512, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                     num_attention_heads=4, max_position_embeddings=1024))
    config = PolyglotTrainingConfig(configs=("generation",), verify_by_execution=False, batch_size=1,
                                    max_sequence_length=1024, vocab_size=512, curriculum_learning=False)
    pipeline = PolyglotTrainingPipeline(None, model, config, cache_dir=tmp_path)
    shares = []
    for rank in (0, 1):
        monkeypatch.setattr(pipeline_module, "_rank_and_world", lambda rank=rank: (rank, 2))
        train, _ = pipeline.create_data_loaders()
        shares.append(list(train.sampler))
        assert len(list(train)) == len(shares[-1])  # batch size 1: one batch per index of the share
    monkeypatch.setattr(pipeline_module, "_rank_and_world", lambda: (0, 1))
    whole, _ = pipeline.create_data_loaders()
    order = list(whole.sampler)  # the same seeded order, undivided
    assert shares == [order[0::2], order[1::2]] and len(order) > 2


@pytest.mark.slow
@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.stem)
def test_every_shipped_recipe_trains_a_step(recipe, tmp_path):
    """Each recipe becomes a Trainer and takes one optimiser step on CPU (sizes shrunk by overrides; every other
    setting, report_to included, is the recipe's)."""
    from polyglot_hrm.training.run import train

    tiny = ["polyglot.configs=[generation]", "polyglot.languages=[python]", "polyglot.eval_num_problems=0",
            "polyglot.vocab_size=300", "polyglot.max_sequence_length=1024", "polyglot.batch_size=2",
            "polyglot.verify_by_execution=false", "model.hidden_size=32", "model.intermediate_size=64",
            "model.num_attention_heads=4", "model.max_position_embeddings=1280", "training_args.max_steps=1",
            "training_args.eval_strategy=no", "training_args.save_strategy=no", "training_args.bf16=false",
            "training_args.fp16=false", "training_args.use_cpu=true", "training_args.dataloader_num_workers=0"]
    outcome = train(load_recipe(recipe, tiny), tmp_path / "run", cache_dir=tmp_path / "datasets")
    assert outcome.log_history and outcome.log_history[-1]["step"] == 1
    # Where the run came from, beside the model it saved (polyglot_hrm.provenance).
    record = json.loads((tmp_path / "run" / "provenance.json").read_text())
    assert record["model"]["weight_files"] == ["model.safetensors"] and len(record["model"]["weights_sha256"]) == 64
    assert set(record["toolchains"]) == {"python"} and record["benchmark"]["train_rows"] > 0
    assert record["config"]["polyglot"]["languages"] == ["python"] and "seed" in record["seeds"]
