"""``polyglot-hrm evaluate --config eval.yaml``: every flag a key (from the parser), unknown keys and wrong types
refused naming the key, and the command line over the file over the defaults."""

from __future__ import annotations

import argparse

import pytest
from conftest import run_command

from polyglot_hrm.evaluation.commands import add_evaluate_arguments, apply_settings_file, effective_config
from polyglot_hrm.execution.commands import ConfigFileError, config_keys


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    add_evaluate_arguments(p)
    return p


def _args(tmp_path, text: str, *tokens: str) -> argparse.Namespace:
    (tmp_path / "eval.yaml").write_text(text)
    argv = ["--config", str(tmp_path / "eval.yaml"), *tokens]
    args = _parser().parse_args(argv)
    args.command_argv = argv  # as polyglot_hrm.cli.main records it
    apply_settings_file(args)
    return args


def test_every_evaluate_flag_is_a_key_with_dashes_or_underscores():
    parser = _parser()
    keys = config_keys(parser)
    for action in parser._actions:
        for flag in (o for o in action.option_strings if o.startswith("--") and o != "--help"):
            assert keys[flag[2:].replace("-", "_")] is action
    assert {"max_new_tokens", "num_samples", "k", "executor", "timeout", "no_report", "solutions_json"} <= set(keys)


def test_the_file_sets_what_the_command_line_does_not(tmp_path):
    args = _args(tmp_path, "max-new-tokens: 64\nmax_retries: 2\nk: [1, 5]\ntimeout: 30\nlanguages: [python, go]\n"
                           "no_report: true\nseed: 3\nbackend: reference\n")
    assert (args.max_new_tokens, args.max_retries, args.k, args.timeout) == (64, 2, [1, 5], 30.0)
    assert (args.languages, args.no_report, args.seed, args.backend) == ("python,go", True, 3, "reference")
    assert args.config == "generation"  # the dataset config: the file's `config` key, else the default


def test_the_command_line_wins_even_with_the_default_value(tmp_path):
    args = _args(tmp_path, "seed: 3\ntemperature: 0.7\nnum_samples: 4\nconfig: diff_edit\n",
                 "--seed", "0", "--num-samples", "2")
    assert args.seed == 0 and args.num_samples == 2  # given: the flag wins, though 0 is the default seed
    assert args.temperature == 0.7 and args.config == "diff_edit"  # not given: the file's


def test_without_the_recorded_command_line_a_changed_value_counts_as_given(tmp_path):
    (tmp_path / "eval.yaml").write_text("seed: 3\nlimit: 2\n")
    args = _parser().parse_args(["--config", str(tmp_path / "eval.yaml"), "--limit", "5"])
    apply_settings_file(args)  # a library caller's Namespace: no command_argv
    assert args.limit == 5 and args.seed == 3


def test_the_effective_config_reads_back_as_a_settings_file(tmp_path):
    import yaml

    args = _args(tmp_path, "seed: 3\nlimit: 2\n", "--temperature", "0.5")
    config = effective_config(args)
    again = _args(tmp_path, yaml.safe_dump({k: v for k, v in config.items() if v is not None}))
    assert effective_config(again) == config


@pytest.mark.parametrize("text,words", [
    ("temprature: 0.2\n", "unknown key 'temprature'; did you mean 'temperature'?"),
    ("max-new-tokenz: 5\n", "did you mean 'max_new_tokens'?"),
    ("jobs: two\n", "jobs: 'two'"),
    ("jobs: 2.5\n", "jobs: 2.5"),
    ("temperature: true\n", "temperature: True is a bool"),
    ("no_report: 'yes'\n", "no_report: 'yes' is not true or false"),
    ("backend: gpt\n", "backend: 'gpt' is not one of hrm, transformers, openai, reference"),
    ("k: [0]\n", "k: [0]"),
    ("seed: 1\nseed_: 2\n", "unknown key 'seed_'"),
    ("max_new_tokens: 5\nmax-new-tokens: 6\n", "set the same option"),
    ("config: other.yaml\n", "cannot name another"),
    ("- a\n- b\n", "a YAML mapping"),
])
def test_a_bad_file_is_refused_naming_the_key(tmp_path, text, words):
    with pytest.raises(ConfigFileError, match=None) as err:
        _args(tmp_path, text)
    assert words in str(err.value), str(err.value)


def test_the_command_says_what_is_wrong_with_the_file(tmp_path):
    (tmp_path / "eval.yaml").write_text("backend: reference\ntemprature: 0\n")
    done = run_command("evaluate", "--config", str(tmp_path / "eval.yaml"), execution=False)
    assert done.returncode == 2
    assert "unknown key 'temprature'; did you mean 'temperature'?" in done.stderr
    done = run_command("evaluate", "--config", "nope.json", execution=False)
    assert done.returncode == 2
    assert "a dataset config (generation, diff_edit, transfer) or a settings file" in done.stderr
