"""Provenance (polyglot_hrm.provenance): secrets hidden, git state, weight hashes kept per (path, size, mtime),
the problems' digest; and what ``evaluate`` records with it."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import run_command

import polyglot_hrm
from polyglot_hrm import provenance
from polyglot_hrm.provenance import (MASK, collect, command_line, git_state, is_secret_key, redact, redact_argv,
                                     redact_url, rows_digest, short_commit, weights_digest)


# ------------------------------------------------------------------------------------------------------ secrets
@pytest.mark.parametrize("name", ["api_key", "API-KEY", "apiKey", "key", "hf_token", "access_token", "token",
                                  "Authorization", "x-api-key", "password", "client_secret", "sig", "--hf-token"])
def test_credential_names_are_secret(name):
    assert is_secret_key(name)


@pytest.mark.parametrize("name", ["max_tokens", "max_new_tokens", "max_completion_tokens", "thinking_tokens",
                                  "api_key_env", "reasoning_effort", "monkey", "tokens_in", "model", "base_url"])
def test_ordinary_names_are_not(name):
    assert not is_secret_key(name)


def test_a_url_loses_its_password_and_credential_parameters():
    url = "https://alice:s3cret@example.com:8443/v1?api_key=AAA&model=m&token=BBB&x=1"
    assert redact_url(url) == "https://***@example.com:8443/v1?api_key=***&model=m&token=***&x=1"
    assert redact_url("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"


def test_mappings_hide_credential_values_at_any_depth():
    settings = {"backend": "openai", "base_url": "https://u:p@h/v1?key=K", "api_key_env": "OPENAI_API_KEY",
                "max_tokens": 512,
                "extra_body": {"reasoning_effort": "high", "api_key": "sk-123",
                               "headers": {"Authorization": "Bearer xyz", "Accept": "json"}}}
    out = redact(settings)
    assert out["base_url"] == "https://***@h/v1?key=***"
    assert out["api_key_env"] == "OPENAI_API_KEY" and out["max_tokens"] == 512
    assert out["extra_body"] == {"reasoning_effort": "high", "api_key": MASK,
                                 "headers": {"Authorization": MASK, "Accept": "json"}}
    assert "sk-123" not in json.dumps(out) and "xyz" not in json.dumps(out)


def test_a_command_line_hides_extra_body_credentials_tokens_and_url_passwords():
    argv = ["polyglot-hrm", "evaluate", "--model", "m", "--base-url=https://u:pw@h/v1?token=T1",
            "--extra-body", '{"reasoning_effort": "low", "api_key": "sk-SECRET", "max_completion_tokens": 9}',
            "--hf-token", "hf_SECRET", "--api-key=sk-OTHER", "--api-key-env", "MY_KEY"]
    out = redact_argv(argv)
    text = command_line(argv)
    for secret in ("pw", "T1", "sk-SECRET", "hf_SECRET", "sk-OTHER"):
        assert secret not in text, secret
    assert out[4] == "--base-url=https://***@h/v1?token=***"
    assert json.loads(out[6]) == {"reasoning_effort": "low", "api_key": MASK, "max_completion_tokens": 9}
    assert out[7:9] == ["--hf-token", MASK] and out[9] == f"--api-key={MASK}"
    assert out[10:] == ["--api-key-env", "MY_KEY"]  # a variable's name, not the key


def test_collect_redacts_every_section(monkeypatch):
    monkeypatch.setattr(provenance, "toolchain_versions", lambda languages=None: {})
    record = collect(languages=[], backend={"extra_body": {"token": "T"}, "base_url": "https://a:b@h"},
                     argv=["x", "--extra-body", '{"password": "P"}'], config={"api_key": "K"})
    text = json.dumps(record)
    assert "\"T\"" not in text and "a:b" not in text and "\"P\"" not in text and "\"K\"" not in text


# ---------------------------------------------------------------------------------------------------------- git
def _git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def checkout(tmp_path):
    repo = tmp_path / "bench"
    (repo / "python").mkdir(parents=True)
    (repo / "python" / "a.py").write_text("x = 1\n")
    _git(repo.parent, "init", "-q", str(repo))
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    return repo


def test_git_state_of_a_checkout_clean_then_dirty(checkout):
    state = git_state(checkout)
    assert state == {"git_commit": _git(checkout, "rev-parse", "HEAD"), "git_dirty": False}
    (checkout / "python" / "a.py").write_text("x = 2\n")
    dirty = git_state(checkout)
    assert dirty["git_dirty"] is True
    assert short_commit(dirty) == dirty["git_commit"][:7] + "-dirty"


def test_git_state_outside_a_checkout_says_so(tmp_path, checkout):
    plain = tmp_path / "plain"
    plain.mkdir()
    state = git_state(plain)
    assert state["git_commit"] is None and "not a git checkout" in state["git"]
    # An installed package inside someone else's repository is not that repository's code.
    inner = checkout / "python"
    state = git_state(inner, own_root=True)
    assert state["git_commit"] is None and "installed package" in state["git"]
    assert short_commit(state) is None


def test_package_info_names_this_checkouts_commit():
    info = provenance.package_info()
    assert info["version"] == polyglot_hrm.__version__
    source = Path(polyglot_hrm.__file__).resolve().parent.parent
    if (source / ".git").exists():
        assert info["git_commit"] == _git(source, "rev-parse", "HEAD")
        assert isinstance(info["git_dirty"], bool)
    else:  # an installed wheel: said, not guessed
        assert info["git_commit"] is None and info["git"]


# ------------------------------------------------------------------------------------------------ weights, rows
def test_weights_are_hashed_once_per_path_size_and_mtime(tmp_path, monkeypatch):
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"weights" * 100)
    (model / "config.json").write_text("{}")  # not weight files
    (model / "training_args.bin").write_bytes(b"pickled arguments")
    cache = tmp_path / "cache" / "hashes.json"
    first = weights_digest(model, cache)
    file_hash = hashlib.sha256(b"weights" * 100).hexdigest()
    assert first["weights_sha256"] == hashlib.sha256(f"model.safetensors\0{file_hash}\n".encode()).hexdigest()
    assert first["weight_files"] == ["model.safetensors"] and cache.is_file()

    def must_not_read(path):
        raise AssertionError(f"{path} read again")

    monkeypatch.setattr(provenance, "_file_digest", must_not_read)
    assert weights_digest(model, cache) == first  # from the cache
    monkeypatch.undo()
    (model / "model.safetensors").write_bytes(b"changed" * 100)
    assert weights_digest(model, cache)["weights_sha256"] != first["weights_sha256"]


def test_a_local_model_folder_gets_its_weight_hash_and_a_server_model_its_server(tmp_path, monkeypatch):
    monkeypatch.setenv("POLYGLOT_HRM_CACHE", str(tmp_path / "runner-cache"))
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "pytorch_model.bin").write_bytes(b"w")
    local = provenance.model_info(str(tmp_path / "m"), "transformers")
    assert local["path"] == str((tmp_path / "m").resolve()) and len(local["weights_sha256"]) == 64
    assert (tmp_path / "runner-cache" / "weight_hashes.json").is_file()
    served = provenance.model_info("gpt-x", "openai", "https://k:v@api.example/v1")
    assert served == {"name": "gpt-x", "backend": "openai", "served_by": "https://***@api.example/v1"}


def test_rows_digest_ignores_order_and_sees_every_byte():
    rows = [{"id": "python/a", "files": [{"path": "a.py", "role": "solution", "content": "x"}]},
            {"id": "go/b", "files": [{"path": "b.go", "role": "test", "content": "y"}]}]
    assert rows_digest(rows) == rows_digest(rows[::-1])
    changed = [rows[0], {"id": "go/b", "files": [{"path": "b.go", "role": "test", "content": "y "}]}]
    assert rows_digest(changed) != rows_digest(rows)


# --------------------------------------------------------------------------------------------------- evaluate
@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    """One reference-backend evaluation of the mini-benchmark (python and go, one exercise each, two attempts),
    with a settings file whose seed the command line overrides."""
    folder = tmp_path_factory.mktemp("reference-run")
    settings = folder / "eval.yaml"
    settings.write_text("backend: reference\nlanguages: [python, go]\nlimit: 1\nseed: 3\nmax-new-tokens: 64\n"
                        "attempts: 2\n")
    done = run_command("evaluate", "--config", str(settings), "--seed", "0", "-o", str(folder / "results.json"))
    assert done.returncode == 0, done.stderr
    return folder, json.loads((folder / "results.json").read_text())


@pytest.mark.slow
def test_results_record_provenance_of_a_local_checkout(reference_run):
    from polyglot_hrm.evaluation.cases import load_cases
    from polyglot_hrm.settings import mini_benchmark_root

    folder, data = reference_run
    record = data["provenance"]
    assert record["date_utc"].endswith("Z")
    assert record["polyglot_hrm"]["version"] == polyglot_hrm.__version__
    source = Path(polyglot_hrm.__file__).resolve().parent.parent
    if (source / ".git").exists():
        assert record["polyglot_hrm"]["git_commit"] == _git(source, "rev-parse", "HEAD")
    assert record["interpreter"]["version"] == ".".join(map(str, os.sys.version_info[:3]))
    assert set(record["toolchains"]) == {"go", "python"} and record["toolchains"]["go"]["go"]
    bench = record["benchmark"]
    assert bench["root"] == str(mini_benchmark_root()) and bench["problems"] == 2
    assert bench["problems_sha256"] == rows_digest(load_cases(languages=["python", "go"], limit=1))
    assert record["model"] == {"name": None, "backend": "reference"}
    assert record["seeds"] == {"seed": 0}
    assert record["command"].startswith("polyglot-hrm evaluate --config ")
    assert record["config_file"]["keys"] == ["attempts", "backend", "languages", "limit", "max_new_tokens", "seed"]
    report = (folder / "report.md").read_text()
    assert "## Provenance" in report and polyglot_hrm.__version__ in report


@pytest.mark.slow
def test_the_settings_file_and_the_command_line_give_the_effective_config(reference_run):
    _, data = reference_run
    config = data["provenance"]["config"]
    assert config["seed"] == 0  # given on the command line: wins over the file's 3, though it is the default
    assert config["max_new_tokens"] == 64 and config["limit"] == 1 and config["attempts"] == 2  # from the file
    assert config["languages"] == "python,go" and config["config"] == "generation"
    assert config["temperature"] == 0.0  # neither: the default


@pytest.mark.slow
def test_compare_shows_both_runs_provenance(reference_run, tmp_path):
    folder, _ = reference_run
    done = run_command("compare", str(folder / "results.json"), str(folder / "results.json"),
                       "--output-dir", str(tmp_path / "cmp"))
    assert done.returncode == 0, done.stderr
    assert "Provenance" in done.stdout and polyglot_hrm.__version__ in done.stdout
    assert "## Provenance" in (tmp_path / "cmp" / "compare.md").read_text()


def test_the_openai_backends_settings_hide_a_url_password():
    """Its settings head the journal and go into results.json: a token in --base-url must not."""
    from polyglot_hrm.modelio.backends import OpenAIBackend

    settings = OpenAIBackend("m", "https://user:pw@h.example/v1?api_key=K").settings()
    assert settings["base_url"] == "https://***@h.example/v1?api_key=***"
    assert OpenAIBackend("m", "http://127.0.0.1:8000/v1").settings()["base_url"] == "http://127.0.0.1:8000/v1"
