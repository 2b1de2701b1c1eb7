"""The dataset builder: configs, splits by slug, Arrow caching keyed on the benchmark tree."""

from __future__ import annotations

import shutil

import pytest

from polyglot_hrm.dataset import CONFIG_NAMES, PolyglotHRM, PolyglotHRMConfig, assign_splits, tree_hash


def _build(name, cache_dir, **kwargs):
    builder = PolyglotHRM(config_name=name, cache_dir=str(cache_dir), verify_by_execution=False, **kwargs)
    builder.download_and_prepare()
    return builder, builder.as_dataset()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    cache = tmp_path_factory.mktemp("hf-cache")
    return {name: _build(name, cache)[1] for name in CONFIG_NAMES}


def test_every_config_has_rows_in_every_split(built):
    for name, ds in built.items():
        assert set(ds) == {"train", "validation", "test"}
        for split, rows in ds.items():
            assert len(rows) > 0, (name, split)
            assert set(rows["task"]) == {name}
            assert set(rows["split"]) == {split}


def test_no_slug_in_two_splits_in_any_config(built):
    owner: dict[str, str] = {}
    for ds in built.values():
        for split, rows in ds.items():
            for slug in rows["slug"]:
                assert owner.setdefault(slug, split) == split, f"{slug} in {owner[slug]} and {split}"


def test_ids_are_unique_and_rows_carry_all_files(built, mini_problems):
    by_id = {p.id: p for p in mini_problems}
    for ds in built.values():
        ids = [i for rows in ds.values() for i in rows["id"]]
        assert len(ids) == len(set(ids))
        row = ds["train"][0]
        assert len(row["files"]) == len(by_id[row["problem_id"]].files)
        assert row["difficulty"] in ("easy", "medium", "hard")


def test_diff_edit_has_every_edit_type(built):
    types = {t for rows in built["diff_edit"].values() for t in rows["edit_type"]}
    assert types == {"implement", "bug_fix", "feature"}
    assert min(s for rows in built["diff_edit"].values() for s in rows["quality_score"]) >= 0.5


def test_assign_splits_is_deterministic_and_fills_small_sets():
    ratios = {"train": 0.8, "validation": 0.1, "test": 0.1}
    slugs = ["a", "b", "c", "d", "e", "f"]
    a = assign_splits(slugs, 42, ratios)
    assert a == assign_splits(list(reversed(slugs)), 42, ratios)
    assert set(a.values()) == {"train", "validation", "test"}
    many = [f"slug-{i}" for i in range(400)]
    b = assign_splits(many, 42, ratios)
    share = sum(v == "train" for v in b.values()) / len(many)
    assert 0.7 < share < 0.9
    # on a large set a slug's split does not depend on the other slugs
    assert all(assign_splits(many[:300], 42, ratios)[s] == b[s] for s in many[:300])


def test_cached_reload_does_not_rebuild(tmp_path):
    first, ds1 = _build("generation", tmp_path)
    files = sorted(p.name for p in __import__("pathlib").Path(first.cache_dir).iterdir())
    second, ds2 = _build("generation", tmp_path)
    assert first.build_report is not None and second.build_report is None  # reloaded: nothing was built
    assert second.cache_dir == first.cache_dir
    assert sorted(p.name for p in __import__("pathlib").Path(second.cache_dir).iterdir()) == files
    assert ds2["train"]["id"] == ds1["train"]["id"]


def test_editing_a_benchmark_file_changes_the_fingerprint(tmp_path, mini_root):
    tree = tmp_path / "bench"
    shutil.copytree(mini_root, tree)
    before = PolyglotHRM(config_name="generation", data_dir=str(tree), cache_dir=str(tmp_path / "c"))
    assert tree_hash(tree) == tree_hash(mini_root)
    instructions = tree / "python/exercises/practice/digit-sum/.docs/instructions.md"
    instructions.write_text(instructions.read_text() + "\nOne more sentence.\n")
    after = PolyglotHRM(config_name="generation", data_dir=str(tree), cache_dir=str(tmp_path / "c"))
    assert before.cache_dir != after.cache_dir
    after.download_and_prepare()
    assert after.build_report is not None and after.build_report.config == "generation"
    row = next(r for r in after.as_dataset(split="train").to_list() + after.as_dataset(split="test").to_list()
               + after.as_dataset(split="validation").to_list() if r["problem_id"] == "python/digit-sum")
    assert "One more sentence." in row["instructions"]


@pytest.mark.parametrize("kwargs, field", [
    ({"languages": "python,cobol"}, "languages"),
    ({"max_problems_per_language": 0}, "max_problems_per_language"),
    ({"max_diff_examples_per_problem": 0}, "max_diff_examples_per_problem"),
    ({"max_transfer_examples_per_pair": -1}, "max_transfer_examples_per_pair"),
    ({"min_complexity_score": 0.9, "max_complexity_score": 0.1}, "min_complexity_score"),
    ({"min_diff_quality_score": 1.5}, "min_diff_quality_score"),
    ({"seed": "x"}, "seed"),
    ({"verify_by_execution": "yes"}, "verify_by_execution"),
    ({"train_ratio": 0.5}, "sum to 1"),
    ({"test_ratio": -0.1, "train_ratio": 1.0, "validation_ratio": 0.1}, "test_ratio"),
])
def test_config_validation_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        PolyglotHRMConfig(name="diff_edit", **kwargs)
    with pytest.raises(ValueError, match=field):
        PolyglotHRM(config_name="diff_edit", **kwargs)


def test_unknown_config_name_and_missing_data_dir(tmp_path):
    with pytest.raises(ValueError, match="name="):
        PolyglotHRMConfig(name="bogus")
    with pytest.raises(FileNotFoundError, match="data_dir"):
        PolyglotHRM(config_name="generation", data_dir=str(tmp_path / "missing"))


def test_options_reach_the_rows(tmp_path):
    _, ds = _build("diff_edit", tmp_path, languages="python", max_diff_examples_per_problem=2)
    rows = [r for split in ds.values() for r in split.to_list()]
    assert {r["language"] for r in rows} == {"python"}
    per_problem = {}
    for r in rows:
        per_problem[r["problem_id"]] = per_problem.get(r["problem_id"], 0) + 1
    assert max(per_problem.values()) <= 2


def test_rows_render_with_the_shared_prompt_format(built):
    from polyglot_hrm.modelio.prompt_format import parse_answer, render_example

    for name, ds in built.items():
        row = ds["train"][0]
        prompt, answer = render_example(row)
        assert prompt.endswith("<|answer|>\n") and answer.strip()
        if name == "diff_edit":
            assert parse_answer("diff_edit", answer) == answer
        else:
            assert parse_answer(name, answer) == {f["path"]: f["content"] for f in row["target_files"]}
        if name == "transfer":
            assert f"<|source|> {row['source_language']}" in prompt
    feedback = next(r for r in built["diff_edit"]["train"] if r["edit_type"] == "bug_fix")
    assert "has a bug" in feedback["instructions"]


@pytest.mark.slow
def test_no_slug_in_two_splits_on_the_real_benchmark(real_root):
    from polyglot_hrm.problems import load_benchmark
    from polyglot_hrm.dataset.rows import build_rows

    problems = load_benchmark(real_root)
    owner: dict[str, str] = {}
    for name in CONFIG_NAMES:
        config = PolyglotHRMConfig(name=name, data_dir=str(real_root), verify_by_execution=False)
        for row in build_rows(config, problems):
            assert owner.setdefault(row["slug"], row["split"]) == row["split"], row["id"]
    assert set(owner.values()) == {"train", "validation", "test"}


def test_dataset_options_are_declared_once():
    """The builder config, the training config and the build/export flags are all made from DatasetOptions."""
    from dataclasses import fields

    from polyglot_hrm.cli import build_parser
    from polyglot_hrm.dataset.config import DatasetOptions, PolyglotHRMConfig
    from polyglot_hrm.training.config import PolyglotTrainingConfig

    defaults = {f.name: f.default for f in fields(DatasetOptions)}
    for cls in (PolyglotHRMConfig, PolyglotTrainingConfig):
        assert {f.name: f.default for f in fields(cls) if f.name in defaults} == defaults, cls
    flags = build_parser()._subparsers._group_actions[0].choices["build"]._option_string_actions
    for name in defaults:
        flag = "--verify" if name == "verify_by_execution" else f"--{name.replace('_', '-')}"
        assert flag in flags, flag
    with pytest.raises(ValueError, match="PolyglotTrainingConfig.seed="):
        PolyglotTrainingConfig(seed="x")
