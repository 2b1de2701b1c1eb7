"""Why each answer ended, and server errors that are no answer (issue 27): ``finish_reason`` from the tiny
transformers chat model and the HRM, and from a fault-injecting OpenAI-compatible server written here (it
answers ``length``, a context-length 400, and rejects a parameter with a 400); ``--extra-body`` and
``--no-sampling-params`` reach, and leave out of, the request body."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from polyglot_hrm.evaluation import load_cases
from polyglot_hrm.modelio.backends import Request

from chat_models import build_tiny_chat_model

Reply = tuple[int, dict]


@pytest.fixture(scope="module")
def tiny_chat(tmp_path_factory) -> Path:
    return build_tiny_chat_model(tmp_path_factory.mktemp("tiny-chat"))


@pytest.fixture(scope="module")
def python_cases():
    return [c for c in load_cases() if c["language"] == "python"][:2]


# --------------------------------------------------------------------------------------------- local models


def test_transformers_backend_says_why_each_answer_ended(tiny_chat, tmp_path, python_cases):
    from transformers import GenerationConfig

    from polyglot_hrm.modelio.backends import TransformersBackend
    from polyglot_hrm.settings import GenerationOptions

    requests = [Request(c) for c in python_cases]
    short = TransformersBackend(str(tiny_chat), options=GenerationOptions(max_new_tokens=4), device="cpu")
    answers = short.generate(requests)
    assert [a.finish_reason for a in answers] == ["length", "length"] and all(a.tokens_out == 4 for a in answers)
    # The same weights, made to end at once: the end token ends the answer.
    config = GenerationConfig.from_pretrained(tiny_chat)
    config.sequence_bias = [[[config.eos_token_id], 50.0]]
    ending = tmp_path / "ending"
    for f in tiny_chat.iterdir():
        (ending / f.name).parent.mkdir(exist_ok=True)
        (ending / f.name).write_bytes(f.read_bytes())
    config.save_pretrained(ending)
    answers = TransformersBackend(str(ending), options=GenerationOptions(max_new_tokens=4), device="cpu").generate(
        requests)
    assert [(a.finish_reason, a.text, a.tokens_out) for a in answers] == [("stop", "", 1)] * 2
    # A budget the model's 16384 positions cannot hold beside the prompt: no answer, context_window.
    full = TransformersBackend(str(tiny_chat), options=GenerationOptions(max_new_tokens=16384), device="cpu")
    answers = full.generate(requests[:1])
    assert answers[0].finish_reason == "context_window" and "exceed the model's 16384 positions" in answers[0].error


def test_hrm_generation_says_why_each_answer_ended():
    import torch

    from hrm_modeling import HRMForCausalLM, tiny_config
    from polyglot_hrm.modelio.generation import generate_answers, generate_outputs
    from polyglot_hrm.modelio.prompt_format import render_example
    from polyglot_hrm.modelio.tokenizer import train_tokenizer

    rows = [{"task": "generation", "language": "python", "instructions": f"Write {body}.\n",
             "input_files": [{"path": "a.py", "role": "solution", "content": "def f():\n    pass\n"}],
             "target_files": [{"path": "a.py", "role": "reference", "content": f"def f():\n    return {body!r}\n"}]}
            for body in ("x", "a longer body")]
    tokenizer = train_tokenizer([t for r in rows for t in render_example(r)] * 5, vocab_size=400)
    torch.manual_seed(0)
    model = HRMForCausalLM(tiny_config(vocab_size=len(tokenizer), initializer_range=0.1)).eval()
    outputs = generate_outputs(model, tokenizer, rows, max_new_tokens=2, progress=False)
    assert [o.finish_reason for (o,) in outputs] == ["length", "length"]
    assert [[o.text for o in out] for out in outputs] == generate_answers(model, tokenizer, rows, max_new_tokens=2,
                                                                           progress=False)
    cut = generate_outputs(model, tokenizer, rows, max_new_tokens=2, max_prompt_length=20, progress=False)
    assert [o.finish_reason for (o,) in cut] == ["context_window", "context_window"]
    # With the end token as the only allowed one, every answer stops.
    model.generation_config.sequence_bias = [[[tokenizer.eos_token_id], 100.0]]
    stopped = generate_outputs(model, tokenizer, rows, max_new_tokens=2, progress=False)
    assert [(o.finish_reason, o.text) for (o,) in stopped] == [("stop", "")] * 2


# --------------------------------------------------------------------------------------------- a faulty server


class _Server(http.server.ThreadingHTTPServer):
    """An OpenAI-compatible ``/v1/chat/completions`` whose reply to each request (its number, from 1, and its JSON
    body) is ``reply``'s; it keeps every body."""

    def __init__(self, reply: Callable[[int, dict], Reply]):
        self.reply, self.bodies, self.lock = reply, [], threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        with self.server.lock:
            self.server.bodies.append(body)
            number = len(self.server.bodies)
        status, payload = self.server.reply(number, body)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _completion(text: str, finish_reason: str = "stop") -> Reply:
    return 200, {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                              "finish_reason": finish_reason}],
                 "usage": {"prompt_tokens": 100, "completion_tokens": 7, "total_tokens": 107}}


def _error(status: int, message: str, code: str | None = None) -> Reply:
    return status, {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}


@pytest.fixture
def serve():
    servers = []

    def start(reply: Callable[[int, dict], Reply]) -> _Server:
        server = _Server(reply)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _evaluate(server: _Server, out: Path, *flags: str) -> int:
    from polyglot_hrm.cli import main

    return main(["evaluate", "--backend", "openai", "--model", "m", "--base-url", server.url, "--max-retries", "0",
                 "--concurrency", "1", "--languages", "python", "--limit", "2", "--no-report", "-o", str(out), *flags])


def test_answers_cut_by_the_server_are_counted_and_say_why(serve, tmp_path, allow_execution):
    """The first case's answer is cut at max_tokens (finish_reason length), the second's prompt is too long for
    the model (a 400 that is the model's limit, not a fault): both are answers, counted, and say why."""
    def reply(number: int, body: dict) -> Reply:
        if number == 1:
            return _completion("Let me think about the rules step by step. First", "length")  # no file yet
        return _error(400, "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens",
                      "context_length_exceeded")

    out = tmp_path / "r.json"
    assert _evaluate(serve(reply), out, "--max-new-tokens", "7") == 0
    data = json.loads(out.read_text())
    first, second = (case["candidates"][0] for case in data["cases"])
    assert first["finish_reason"] == "length" and second["finish_reason"] == "context_window"
    assert first["output"].startswith("the answer was cut at the token limit (finish_reason length, "
                                      "max_new_tokens=7) before it was complete: ")
    assert "maximum context length is 4096" in second["answer_error"]
    summary, python = data["summary"], data["per_language"]["python"]
    for s in (summary, python):
        assert s["truncated_answers"] == 1 and s["exhausted_context_windows"] == 1
        assert s["finish_reasons"] == {"context_window": 1, "length": 1}
    journal = [json.loads(line) for line in out.with_suffix(".jsonl").read_text().splitlines()[1:]]
    assert sorted(r["answer"]["finish_reason"] for r in journal if r["kind"] == "answer") == ["context_window",
                                                                                             "length"]


def test_a_rejected_parameter_stops_the_run_and_a_rerun_resumes(serve, tmp_path, allow_execution, capsys):
    """The second request meets a 400 that no answer explains: the run stops with the server's message and what
    to change, the first answer kept; once the server takes it, the same command generates only the rest."""
    broken = {"on": True}

    def reply(number: int, body: dict) -> Reply:
        if number == 2 and broken["on"]:
            return _error(400, "Unsupported value: 'temperature' does not support 0 with this model.",
                          "unsupported_value")
        return _completion("no code here")

    server = serve(reply)
    out = tmp_path / "r.json"
    assert _evaluate(server, out) == 2
    err = capsys.readouterr().err
    assert "refused a request (400: Unsupported value: 'temperature' does not support 0 with this model.)" in err
    assert "--no-sampling-params" in err and "--extra-body" in err and "The 1 answer(s) that came back are kept" in err
    journal = out.with_suffix(".jsonl")
    assert [json.loads(line)["kind"] for line in journal.read_text().splitlines()] == ["journal", "answer"]
    assert not out.exists()

    broken["on"] = False  # the server is fixed
    assert _evaluate(server, out) == 0
    data = json.loads(out.read_text())
    assert data["settings"]["this_invocation"]["generated"] == 1 and len(server.bodies) == 3
    assert data["summary"]["cases"] == 2 and data["summary"]["finish_reasons"] == {"stop": 2}


def test_no_sampling_params_and_extra_body_shape_the_requests(serve, tmp_path, allow_execution, capsys):
    """A reasoning model that rejects max_tokens: the run stops at once, and the rerun with --no-sampling-params
    and --extra-body (the fix it names) takes over the journal, which holds no answer yet."""
    def reply(number: int, body: dict) -> Reply:
        if "max_tokens" in body:
            return _error(400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                               "'max_completion_tokens' instead.", "unsupported_parameter")
        return _completion("no code here")

    server = serve(reply)
    out = tmp_path / "r.json"
    assert _evaluate(server, out) == 2
    assert "Unsupported parameter: 'max_tokens'" in capsys.readouterr().err
    extra = {"max_completion_tokens": 64, "reasoning_effort": "low", "seed": None, "api_key": "sk-hidden-value"}
    assert _evaluate(server, out, "--no-sampling-params", "--extra-body", json.dumps(extra)) == 0
    sent = server.bodies[1:]
    assert len(sent) == 2
    for body in sent:
        assert not {"max_tokens", "temperature", "top_p", "seed"} & set(body)  # left out; seed: null in extra_body
        assert body["max_completion_tokens"] == 64 and body["reasoning_effort"] == "low"
    data = json.loads(out.read_text())
    settings = data["settings"]
    assert settings["no_sampling_params"] is True and "temperature" not in settings
    assert settings["extra_body"] == {**extra, "api_key": "***"}
    assert "sk-hidden-value" not in out.read_text() + out.with_suffix(".jsonl").read_text()


@pytest.mark.parametrize("flag", [["--extra-body", "[1, 2]"], ["--extra-body", "{not json"]])
def test_extra_body_must_be_a_json_object(flag, tmp_path, capsys):
    from polyglot_hrm.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", "--backend", "openai", "--model", "m", *flag, "-o", str(tmp_path / "r.json")])
    assert exit_.value.code == 2 and "--extra-body" in capsys.readouterr().err


def test_request_options_are_for_the_openai_backend(tmp_path, capsys):
    from polyglot_hrm.cli import main

    code = main(["evaluate", "--backend", "reference", "--no-sampling-params", "-o", str(tmp_path / "r.json")])
    assert code == 2 and "`--no-sampling-params` shapes the requests" in capsys.readouterr().err
