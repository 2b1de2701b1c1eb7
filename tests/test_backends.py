"""Backends and the chat protocol (issue 15): the chat format, seeded sampling, a tiny Llama scored through the
``transformers`` backend, the ``openai`` backend through a real ``transformers serve`` behind a fault-injecting
proxy, resuming a killed run, identical samples executed once, calibrated timeouts."""

from __future__ import annotations

import http.server
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from polyglot_hrm.evaluation import load_cases
from polyglot_hrm.evaluation.cases import reference_files
from polyglot_hrm.execution.timeouts import AUTO, DEFAULT_TIMEOUT, run_timeout
from polyglot_hrm.modelio.backends import ReferenceBackend, Request, infer_backend
from polyglot_hrm.modelio.chat_format import chat_messages, parse_whole
from polyglot_hrm.scoring import problem_from_reference, resolve_candidate

from chat_models import build_tiny_chat_model
from conftest import run_command

SECRET = "sk-test-0123456789-do-not-leak"
# Keys of results.json that are timings (or say what this invocation did): the rest must match exactly.
TIMINGS = {"duration_s", "generation_s", "seconds_per_case", "wall_s", "this_invocation", "build_s", "runs_per_node"}


@pytest.fixture(scope="module")
def mini_cases():
    return load_cases()


@pytest.fixture(scope="module")
def tiny_chat(tmp_path_factory) -> Path:
    return build_tiny_chat_model(tmp_path_factory.mktemp("tiny-chat"))


def _no_timings(value):
    """``value`` without timing keys; test output with its durations and temporary workspace paths masked."""
    from polyglot_hrm.evaluation.protocol import steady_output

    if isinstance(value, dict):
        return {k: _no_timings(v) for k, v in value.items() if k not in TIMINGS}
    if isinstance(value, list):
        return [_no_timings(v) for v in value]
    return re.sub(r"/\S*?polyglot-hrm-\w+/", "/WORKSPACE/", steady_output(value)) if isinstance(value, str) else value


# --------------------------------------------------------------------------------------------- chat format


def test_first_and_second_attempt_messages(mini_cases):
    case = next(c for c in mini_cases if c["language"] == "python")
    stub = next(f for f in case["input_files"] if f["role"] == "solution")
    for edit_format, marker in (("whole", "complete content"), ("diff", "<<<<<<< SEARCH")):
        system, user = chat_messages(case, edit_format)
        assert system["role"] == "system" and marker in system["content"]
        assert case["instructions"].strip()[:40] in user["content"] and stub["content"] in user["content"]
        assert f"`{stub['path']}`" in user["content"] and "do not change or add test files" in user["content"]
    retry = {**case, "test_feedback": "AssertionError: 1 != 2",
             "input_files": [{**stub, "content": "def shift(text, amount):\n    return text\n"}],
             "previous": {"answer": "FIRST ANSWER", "input_files": case["input_files"], "test_feedback": "",
                          "applied": True}}
    messages = chat_messages(retry, "diff")
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert stub["content"] in messages[1]["content"] and messages[2]["content"] == "FIRST ANSWER"
    assert "AssertionError: 1 != 2" in messages[3]["content"] and "return text" in messages[3]["content"]
    assert "do not change them" in messages[3]["content"]
    unusable = chat_messages({**retry, "previous": {**retry["previous"], "applied": False}}, "whole")[3]["content"]
    assert unusable.startswith("Your answer could not be used")


def test_whole_answers_are_read_the_way_models_write_them():
    paths = ["src/lib.rs", "src/util.rs"]
    text = ("Here is the fix.\n\n**src/lib.rs**\n```rust\npub fn f() {}\n```\n\nand\n`util.rs`:\n```\nfn g() {}\n"
            "```\nHere is an example:\n```bash\ncargo test\n```\n")
    assert parse_whole(text, paths) == {"src/lib.rs": "pub fn f() {}\n", "src/util.rs": "fn g() {}\n"}
    # One file shown: a block without a name is that file (Aider's whole-file coder); a cut-off block runs to the end.
    assert parse_whole("Sure:\n```python\ndef f():\n    return 1", ["a.py"]) == {"a.py": "def f():\n    return 1\n"}
    assert parse_whole("no code here", ["a.py"]) == {}


@pytest.mark.parametrize("edit_format", ["whole", "diff"])
def test_reference_answers_resolve_to_the_references(mini_cases, edit_format):
    """The reference backend writes what a perfect model would, and the protocol's parsers read it back."""
    backend = ReferenceBackend(edit_format)
    answers = backend.generate([Request(case) for case in mini_cases])
    for case, answer in zip(mini_cases, answers):
        resolved = resolve_candidate(case, problem_from_reference(case), backend.candidate(case, answer.text))
        assert resolved == reference_files(case), case["id"]


# --------------------------------------------------------------------------------------------- choices and errors


def test_backend_is_inferred_from_the_model_and_the_flags(tmp_path):
    hrm = tmp_path / "hrm"
    hrm.mkdir()
    (hrm / "config.json").write_text(json.dumps({"model_type": "polyglot_hrm"}))
    assert infer_backend(str(hrm), None) == "hrm"
    assert infer_backend("Qwen/Qwen2.5-Coder-0.5B-Instruct", None) == "transformers"
    assert infer_backend("qwen-coder", "http://127.0.0.1:8000/v1") == "openai"

    from polyglot_hrm.cli import main

    def error(*argv):
        return main(["evaluate", "--languages", "python", "--limit", "1", *argv])

    assert error("--model", str(hrm), "--edit-format", "diff") == 2
    assert error("--model", "m", "--backend", "transformers", "--base-url", "http://127.0.0.1:1/v1") == 2
    assert error("--backend", "openai") == 2  # no --model


@pytest.mark.slow
def test_a_model_without_chat_template_is_refused(tiny_chat, tmp_path):
    from transformers import AutoTokenizer

    from polyglot_hrm.modelio.backends import TransformersBackend

    tokenizer = AutoTokenizer.from_pretrained(tiny_chat)
    tokenizer.chat_template = None
    tokenizer.save_pretrained(tmp_path)
    (tmp_path / "chat_template.jinja").unlink(missing_ok=True)
    with pytest.raises(ValueError, match="no chat template"):
        TransformersBackend(str(tmp_path))


def test_unreachable_server_stops_with_the_fix_and_no_key(tmp_path, capsys, monkeypatch, allow_execution):
    from polyglot_hrm.cli import main

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    monkeypatch.setenv("POLYGLOT_TEST_KEY", SECRET)
    code = main(["evaluate", "--backend", "openai", "--model", "m", "--base-url", f"http://127.0.0.1:{port}/v1",
                 "--api-key-env", "POLYGLOT_TEST_KEY", "--max-retries", "0", "--request-timeout", "5",
                 "--languages", "python", "--limit", "1", "-o", str(tmp_path / "r.json")])
    err = capsys.readouterr().err
    assert code == 2 and "--base-url" in err and "rerun the same command" in err and SECRET not in err
    lines = (tmp_path / "r.jsonl").read_text().splitlines()
    assert len(lines) == 1 and SECRET not in lines[0] and json.loads(lines[0])["settings"]["api_key_env"] == \
        "POLYGLOT_TEST_KEY"


# --------------------------------------------------------------------------------------------- timeouts


def test_timeout_rule():
    assert run_timeout(AUTO, None) == DEFAULT_TIMEOUT
    assert run_timeout(AUTO, 0.8) == 30.0  # the floor
    assert run_timeout(AUTO, 20.0) == 200.0  # 10 x a slow reference, above 180 s
    assert run_timeout(45, 20.0) == 45.0  # a number is the limit, whatever the reference took
    with pytest.raises(ValueError, match="auto"):
        run_timeout(0, None)


@pytest.mark.slow
def test_calibrated_timeout_stops_an_infinite_loop_early(mini_problems, monkeypatch, allow_execution):
    """A reference run records its seconds (what `validate` does); ``auto`` then limits a looping candidate by
    them (floor and factor lowered here so the test is short)."""
    from polyglot_hrm.execution import RunnerContext, RunTask, run_many, timeouts
    from polyglot_hrm.execution.expected import load_reference_seconds

    problem = next(p for p in mini_problems if p.id == "python/digit-sum")
    ctx = RunnerContext()
    assert run_many([RunTask(problem, mode="reference")], progress=False)[0].passed
    seconds = load_reference_seconds(problem, ctx)
    assert seconds is not None and 0 < seconds < 60
    monkeypatch.setattr(timeouts, "AUTO_FLOOR_S", 2.0)
    monkeypatch.setattr(timeouts, "AUTO_FACTOR", 1.0)
    limit = max(2.0, seconds)
    stub = problem.files_with_role("solution")[0]
    start = time.monotonic()
    result = run_many([RunTask(problem, {stub.path: "while True:\n    pass\n"})], timeout=AUTO, progress=False)[0]
    assert result.status == "timeout" and f"timed out after {limit:.0f} s" in result.output
    assert time.monotonic() - start < limit + 30  # not the 180 s of the fixed default


# --------------------------------------------------------------------------------------------- transformers


@pytest.mark.slow
def test_seeded_sampling_does_not_depend_on_the_batch(tiny_chat, mini_cases):
    from polyglot_hrm.modelio.backends import TransformersBackend
    from polyglot_hrm.settings import GenerationOptions
    from polyglot_hrm.modelio.sampling import request_seed

    cases = [c for c in mini_cases if c["language"] in ("python", "go")][:3]
    requests = [Request(c, s, 1, request_seed(0, c["id"], s, 1)) for c in cases for s in range(2)]
    backend = TransformersBackend(str(tiny_chat), "whole", GenerationOptions(24, 1.0, 1.0, batch_size=6), device="cpu")
    together = [a.text for a in backend.generate(requests)]
    backend.options = GenerationOptions(24, 1.0, 1.0, batch_size=1)
    alone = [a.text for a in backend.generate(requests[::-1])][::-1]
    assert together == alone
    assert len(set(together)) == len(together)  # each (case, sample) has its own stream


@pytest.mark.slow
@pytest.mark.parametrize("edit_format", ["whole", "diff"])
def test_tiny_llama_scored_through_transformers(tiny_chat, tmp_path, edit_format, allow_execution, capsys):
    from polyglot_hrm.cli import main

    out = tmp_path / "results.json"
    assert main(["evaluate", "--model", str(tiny_chat), "--device", "cpu", "--edit-format", edit_format,
                 "--languages", "python,go", "--limit", "1", "--num-samples", "2", "--temperature", "1.0",
                 "--k", "1,2", "--attempts", "2", "--max-new-tokens", "48", "--jobs", "2", "-o", str(out)]) == 0
    assert "Evaluation by language" in capsys.readouterr().out
    data = json.loads(out.read_text())
    s, settings = data["summary"], data["settings"]
    assert settings["backend"] == "transformers" and settings["edit_format"] == edit_format
    assert s["cases"] == 2 and s["candidates"] == 4 and set(data["per_language"]) == {"go", "python"}
    for case in data["cases"]:
        first = case["candidates"][0]
        assert (case["retry"] is None) == (first["status"] == "passed")
        for c in case["candidates"] + ([case["retry"]] if case["retry"] else []):
            assert c["tokens_in"] > 100 and 0 < c["tokens_out"] <= 48 and c["kind"] == (
                "edit" if edit_format == "diff" else "files")
    answered = 4 + sum(c["retry"] is not None for c in data["cases"])
    assert s["tokens_in"] == sum(c["tokens_in"] for case in data["cases"]
                                 for c in case["candidates"] + ([case["retry"]] if case["retry"] else []))
    assert settings["this_invocation"]["generated"] == answered
    if edit_format == "whole":  # the fence-biased random model writes blocks: some are run, and fail
        ran = [c for case in data["cases"] for c in case["candidates"] if c["applies"]]
        assert ran and all(c["status"] in ("failed", "compile_error", "error") for c in ran)
    else:  # random text has no SEARCH/REPLACE block: malformed, never run
        assert s["malformed_edits"] == 4 and s["executions"] == 0


# --------------------------------------------------------------------------------------------- resume, dedupe


def _journal_keys(path: Path, kind: str) -> list[tuple]:
    out = []
    for line in path.read_text().splitlines():
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        if r.get("kind") == kind:
            out.append((r["case"], r["sample"], r["attempt"]))
    return out


@pytest.mark.slow
def test_killed_run_resumes_to_the_uninterrupted_results(tiny_chat, tmp_path, allow_execution):
    """Kill a run (by its pid) in the middle of executing, rerun the same command: nothing finished is
    generated or executed again, and the results equal an uninterrupted run's (timings aside) that was
    generated in other batches."""
    from polyglot_hrm.cli import main

    common = ["evaluate", "--model", str(tiny_chat), "--device", "cpu", "--edit-format", "whole",
              "--languages", "python", "--limit", "2", "--num-samples", "2", "--temperature", "1.0", "--attempts", "2",
              "--max-new-tokens", "32", "--jobs", "1", "--no-report"]
    whole = tmp_path / "whole" / "results.json"
    assert main([*common, "--batch-size", "6", "-o", str(whole)]) == 0

    out = tmp_path / "resumed" / "results.json"
    journal = out.with_suffix(".jsonl")
    argv = [sys.executable, "-m", "polyglot_hrm.cli", *common, "--batch-size", "1", "-o", str(out)]
    env = {**os.environ, "POLYGLOT_HRM_ALLOW_CODE_EXECUTION": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and '"executed": true' in journal.read_text():
            break  # one run has finished: kill the rest in the middle
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed midway"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    answers_before, results_before = _journal_keys(journal, "answer"), _journal_keys(journal, "result")
    assert not out.exists() and answers_before and results_before

    assert main([*common, "--batch-size", "1", "-o", str(out)]) == 0
    answers, results = _journal_keys(journal, "answer"), _journal_keys(journal, "result")
    assert len(answers) == len(set(answers)) and len(results) == len(set(results))  # no case twice
    resumed, uninterrupted = json.loads(out.read_text()), json.loads(whole.read_text())
    assert resumed["settings"]["this_invocation"]["generated"] == len(answers) - len(answers_before)
    # The provenance records each invocation (its date, its command line: -o and --batch-size differ); what they
    # scored is the same.
    here, there = resumed.pop("provenance"), uninterrupted.pop("provenance")
    assert here["benchmark"] == there["benchmark"] and here["model"] == there["model"]
    assert _no_timings(resumed) == _no_timings(uninterrupted)
    assert resumed["summary"]["candidates"] == 4


@pytest.mark.slow
def test_identical_samples_execute_once(tmp_path, allow_execution, mini_cases):
    """Three identical samples per case (the reference, in the diff format): one execution per case; a rerun
    executes nothing."""
    from polyglot_hrm.evaluation.protocol import evaluate_backend

    cases = [c for c in mini_cases if c["language"] == "python"][:2]
    journal = tmp_path / "results.jsonl"
    results = evaluate_backend(cases, ReferenceBackend("diff"), num_samples=3, jobs=2, journal=journal,
                               progress=False)
    s = results.summary
    assert s["candidates"] == 6 and s["pass@1"] == 1.0 and s["executions"] == 2
    assert results.settings["this_invocation"] == {"generated": 6, "executed": 2, "reused": 0}
    records = [json.loads(line) for line in journal.read_text().splitlines()[1:]]
    executed = [r for r in records if r["kind"] == "result" and r["executed"]]
    assert len(executed) == 2 and {r["case"] for r in executed} == {c["id"] for c in cases}
    again = evaluate_backend(cases, ReferenceBackend("diff"), num_samples=3, jobs=2, journal=journal, progress=False)
    assert again.settings["this_invocation"] == {"generated": 0, "executed": 0, "reused": 0}
    assert again.cases == results.cases


# --------------------------------------------------------------------------------------------- openai


class _FaultyProxy(http.server.ThreadingHTTPServer):
    """Forwards to ``upstream``; answers the chat requests numbered in ``faults`` (1-based) with that status."""

    def __init__(self, upstream: str, faults: dict[int, int]):
        self.upstream, self.faults = upstream, faults
        self.chat_requests = 0
        self.authorizations: list[str] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    server: _FaultyProxy

    def log_message(self, *args):  # quiet
        pass

    def _relay(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else None
        if self.path.endswith("/chat/completions"):
            with self.server.lock:
                self.server.chat_requests += 1
                number = self.server.chat_requests
                self.server.authorizations.append(self.headers.get("Authorization", ""))
            status = self.server.faults.get(number)
            if status:
                payload = json.dumps({"error": {"message": f"injected {status}", "type": "test"}}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                if status == 429:
                    self.send_header("Retry-After", "1")
                self.end_headers()
                self.wfile.write(payload)
                return
        request = urllib.request.Request(self.server.upstream + self.path, data=body, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as err:
            status, payload = err.code, err.read()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        self._relay("GET")

    def do_POST(self):
        self._relay("POST")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tiny_chat):
    """``transformers serve`` with the tiny model on loopback, offline."""
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_UPDATE_CHECK": "1",
           "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "transformers.cli.transformers", "serve", str(tiny_chat),
                             "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(url + "/v1/models", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"transformers serve did not start: {proc.stderr.read()[-3000:]}")
        time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.slow
def test_openai_backend_through_a_real_server_with_retries(served, tiny_chat, tmp_path, allow_execution,
                                                          monkeypatch):
    proxy = _FaultyProxy(served, faults={1: 503, 2: 429})
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        out = tmp_path / "results.json"
        monkeypatch.setenv("POLYGLOT_TEST_KEY", SECRET)
        done = run_command(
            "-v", "evaluate", "--base-url", f"http://127.0.0.1:{proxy.server_address[1]}/v1", "--model",
            str(tiny_chat), "--api-key-env", "POLYGLOT_TEST_KEY", "--concurrency", "1", "--max-retries", "3",
            "--request-timeout", "120", "--edit-format", "whole", "--languages", "python", "--limit", "2",
            "--attempts", "2", "--max-new-tokens", "48", "--temperature", "1.0", "--jobs", "2", "-o", str(out))
    finally:
        proxy.shutdown()
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(out.read_text())
    answers = [c for case in data["cases"] for c in case["candidates"] + ([case["retry"]] if case["retry"] else [])]
    assert data["settings"]["backend"] == "openai" and data["summary"]["cases"] == 2
    # The first request met a 503 then a 429 and was retried twice by the client; every answer came back.
    assert sum(c.get("retries", 0) for c in answers) == 2 and proxy.chat_requests == len(answers) + 2
    assert all(c["tokens_in"] > 100 and c["tokens_out"] > 0 for c in answers)  # the server's usage
    assert set(proxy.authorizations) == {f"Bearer {SECRET}"}  # the key is sent ...
    written = [out, out.with_suffix(".jsonl"), out.parent / "report.md", out.parent / "report.html"]
    for text in [done.stdout, done.stderr, *(p.read_text() for p in written)]:
        assert SECRET not in text  # ... and never written
    assert data["settings"]["api_key_env"] == "POLYGLOT_TEST_KEY"


# --------------------------------------------------------------------------------------------- compare


def _results_file(path: Path, model: str, passes: dict[str, list[bool]]) -> Path:
    from polyglot_hrm.evaluation.results import case_record, results_from_records

    records = []
    for lang, flags in passes.items():
        for i, ok in enumerate(flags):
            measures = {"status": "passed" if ok else "failed", "kind": "files", "well_formed": True, "applies": True,
                        "compiled": True, "edited_chars": 10, "efficiency": 1.0, "diff_quality": None,
                        "duration_s": 1.0, "tokens_in": 100, "tokens_out": 20, "generation_s": 0.5}
            record = case_record({"id": f"{lang}/x{i}", "problem_id": f"{lang}/x{i}", "language": lang}, [measures])
            record["retry"] = None if ok else {**measures, "status": "passed" if i == 0 else "failed"}
            records.append(record)
    settings = {"mode": "model", "backend": "openai", "model": model, "edit_format": "diff"}
    path.write_text(json.dumps(results_from_records(records, (1,), settings).to_dict()))
    return path


def test_compare_prints_languages_side_by_side_and_writes_a_report(tmp_path, capsys):
    from polyglot_hrm.cli import main

    a = _results_file(tmp_path / "a.json", "qwen-coder", {"python": [True, False], "rust": [False, False]})
    b = _results_file(tmp_path / "b.json", "hrm-27m", {"python": [False, False], "rust": [True, True]})
    assert main(["compare", str(a), str(b), "--output-dir", str(tmp_path / "cmp")]) == 0
    out = capsys.readouterr().out
    assert "pass_rate_2 by language" in out and "qwen-coder [diff]" in out and "hrm-27m [diff]" in out
    table = out.split("\n\n")[0].splitlines()
    # a first attempt that fails and is retried passes on the retry only for case x0 (see _results_file)
    assert table[3].split() == ["python", "0.500", "0.500"] and table[4].split() == ["rust", "0.500", "1.000"]
    assert table[5].split() == ["all", "0.500", "0.750"]
    page = (tmp_path / "cmp" / "compare.html").read_text()
    assert page.count("data:image/png;base64,") == 1 and "qwen-coder [diff]" in page and "hrm-27m [diff]" in page
    assert main(["compare", str(a), str(b), "--labels", "only-one"]) == 2


def test_the_invocation_log_counts_the_stub_runs_the_runs_per_node_table_counts(caplog, mini_cases, monkeypatch):
    """Before: a model whose answers were all unusable logged "executed 0 runs" and then printed a runs-per-node
    table with 6 runs (the stubs' runs, checking whether a stub already passes), which the log did not name."""
    from polyglot_hrm.evaluation import protocol
    from polyglot_hrm.modelio.backends import Answer, Backend

    class Unusable(Backend):
        name, edit_format = "unusable", "whole"

        def generate(self, requests, on_answer=None, progress=False):
            answers = [Answer("no files here") for _ in requests]
            for i, a in enumerate(answers):
                if on_answer is not None:
                    on_answer(i, a)
            return answers

    def fake_stub_passing(cases, jobs, executor):
        executor.runs_per_node["local (test)"] += len(cases)
        return set()

    monkeypatch.setattr(protocol, "stub_passing", fake_stub_passing)
    cases = [c for c in mini_cases if c["language"] == "python"][:2]
    with caplog.at_level(logging.INFO, logger="polyglot_hrm.evaluation.protocol"):
        results = protocol.evaluate_backend(cases, Unusable(), progress=False)
    assert results.settings["this_invocation"]["executed"] == 0
    assert "runs executed: 0 of answers, 2 of stubs" in caplog.text
    assert sum(results.settings["runs_per_node"].values()) == 2
