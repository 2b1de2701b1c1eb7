"""Export to Parquet + dataset card, load_dataset equality, push --dry-run, the build/crosslang commands."""

from __future__ import annotations

import json

import datasets
import pytest
import yaml

from polyglot_hrm.cli import main
from polyglot_hrm.dataset import CONFIG_NAMES
from polyglot_hrm.dataset.export import build_datasets, export, push


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    cache = str(tmp_path_factory.mktemp("hf-cache"))
    out = tmp_path_factory.mktemp("export")
    report = export(None, out, cache_dir=cache, verify_by_execution=False)
    built = build_datasets(None, cache_dir=cache, verify_by_execution=False)
    return out, report, built


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_load_dataset_of_the_export_equals_the_builder(exported, name, tmp_path):
    out, _, built = exported
    loaded = datasets.load_dataset(str(out), name, cache_dir=str(tmp_path))
    assert set(loaded) == set(built[name])
    for split in built[name]:
        assert loaded[split].features == built[name][split].features
        assert loaded[split].to_list() == built[name][split].to_list()


def test_card_gives_the_exports_provenance(exported):
    import polyglot_hrm
    from polyglot_hrm.dataset.fingerprint import data_hash
    from polyglot_hrm.settings import mini_benchmark_root

    out, _, _ = exported
    text = (out / "README.md").read_text()
    record = json.loads(text.split("## Provenance")[1].split("```json\n")[1].split("```")[0])
    assert record["polyglot_hrm"]["version"] == polyglot_hrm.__version__ and record["date_utc"].endswith("Z")
    assert record["benchmark"]["data_sha256"] == data_hash(None)
    assert [r["root"] for r in record["benchmark"]["roots"]] == [str(mini_benchmark_root())]
    assert record["config"]["verify_by_execution"] is False
    assert set(record["toolchains"]) == {p.name for p in mini_benchmark_root().iterdir() if p.is_dir()}


def test_card_has_configs_features_counts_and_licence(exported):
    out, report, built = exported
    text = (out / "README.md").read_text()
    header = yaml.safe_load(text.split("---\n")[1])
    assert [c["config_name"] for c in header["configs"]] == list(CONFIG_NAMES)
    for config in header["configs"]:
        for entry in config["data_files"]:
            assert (out / entry["path"]).is_file()
    info = {i["config_name"]: i for i in header["dataset_info"]}
    assert {s["name"]: s["num_examples"] for s in info["diff_edit"]["splits"]} == report.counts["diff_edit"]
    assert header["license"] == "mit"
    for phrase in ("Exercism", "MIT", "polyglot-benchmark", "edit type"):
        assert phrase in text


def test_push_dry_run_lists_files_and_sends_nothing(exported, capsys):
    out, _, _ = exported
    lines = push(out, "someone/polyglot-hrm", dry_run=True)
    assert lines[0].startswith("would upload to https://huggingface.co/datasets/someone/polyglot-hrm")
    assert any("diff_edit/train-00000-of-00001.parquet" in line for line in lines)
    assert main(["push", "--repo-id", "someone/x", "--export-dir", str(out), "--dry-run", "--private"]) == 0
    assert "(private)" in capsys.readouterr().out
    with pytest.raises(ValueError, match="ORG/NAME"):
        push(out, "no-slash", dry_run=True)


def test_build_stats_prints_the_tables(tmp_path, capsys):
    assert main(["build", "--configs", "diff_edit,generation", "--verify", "off", "--stats",
                 "--cache-dir", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "diff_edit: rows per split and language" in text
    assert "diff_edit: rows per edit type" in text
    assert "generation: rows per split and language" in text
    assert main(["build", "--configs", "nope"]) == 2


def test_crosslang_writes_pairs_and_matrix(mini_root, tmp_path, capsys):
    problems = tmp_path / "p.json"
    assert main(["extract", "--benchmark-root", str(mini_root), "--output", str(problems)]) == 0
    out = tmp_path / "x.json"
    assert main(["crosslang", "--problems-json", str(problems), "--output", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["matrix"]["python"]["rust"]["shared_slugs"] == 5
    assert 0 < data["matrix"]["python"]["rust"]["mean_similarity"] < 1
    assert data["matrix"]["java"]["cpp"]["shared_slugs"] == data["matrix"]["cpp"]["java"]["shared_slugs"]
    pair = data["pairs"][0]
    assert {"slug", "source", "target", "similarity"} <= set(pair)
    assert "Jaccard" in capsys.readouterr().out


def test_the_card_is_a_hub_card_and_the_export_loads_without_a_config_name(exported, tmp_path):
    """huggingface_hub reads the card's metadata; every split has its size (datasets keeps the split info);
    the default config loads without a name; the usage snippet names a placeholder until push."""
    from huggingface_hub import DatasetCard

    from polyglot_hrm.dataset.export import REPO_PLACEHOLDER, card_for_repo

    out, _, built = exported
    card = DatasetCard.load(out / "README.md")
    data = card.data.to_dict()
    assert data["license"] == "mit"
    assert [c for c in data["configs"] if c.get("default")] == [next(c for c in data["configs"]
                                                                     if c["config_name"] == "generation")]
    for info in data["dataset_info"]:
        assert all(s["num_bytes"] > 0 and s["num_examples"] > 0 for s in info["splits"])
    for section in ("## Source", "## Licence"):
        assert section in card.text
    assert "@misc{aider_polyglot_benchmark" not in card.text  # the mini-benchmark is not Aider's (issue 25)
    assert data["size_categories"] == ["n<1K"]
    assert f'load_dataset("{REPO_PLACEHOLDER}", "diff_edit")' in card.text and str(out) not in card.text
    assert 'load_dataset("me/data", "diff_edit")' in card_for_repo(out / "README.md", "me/data")
    default = datasets.load_dataset(str(out), cache_dir=str(tmp_path))
    assert default["train"].to_list() == built["generation"]["train"].to_list()
    builder = datasets.load_dataset_builder(str(out), "diff_edit", cache_dir=str(tmp_path))
    assert builder.info.splits["train"].num_bytes > 0  # kept: the card's split sizes are complete


def test_empty_configs_and_splits_are_skipped_not_errors(tmp_path, caplog):
    built = build_datasets(None, ["transfer", "generation"], str(tmp_path), languages=("python",),
                           verify_by_execution=False)
    assert list(built) == ["generation"] and "skipped transfer" in caplog.text
    small = build_datasets(None, ["generation"], str(tmp_path), max_problems_per_language=1, verify_by_execution=False)
    assert set(small["generation"]) <= {"train", "validation", "test"} and small["generation"]["train"].num_rows
