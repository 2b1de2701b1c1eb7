"""Model backends behind one interface: ``backend.generate(requests, on_answer=None) -> answers``.

A :class:`Request` is one (case, sample, attempt): the case's row as that attempt sees it (a second
attempt's row carries the test output and the first answer; see :mod:`.chat_format`) and a seed of its
own. An :class:`Answer` is the text the model wrote, the tokens in and out where the backend knows them,
the seconds it took, why it ended (``finish_reason``, below), and, for a prompt the model could not answer
(too long for its context, refused by a content filter), why: that answer scores as malformed.
``on_answer(i, answer)`` is called in the caller's thread as each answer is ready, so a journal can keep it
at once. ``backend.candidate(row, text)`` turns an answer into what scoring runs.

**Why an answer ended** (``Answer.finish_reason``, one of :data:`FINISH_REASONS`): ``stop`` (the model
ended it), ``length`` (it hit ``max_new_tokens`` before ending it), ``context_window`` (the prompt plus the
answer's budget did not fit the model's positions: the local hrm backend cut the prompt from the left to fit,
the transformers backend and a server gave no answer), ``content_filter`` (the server's filter cut or refused
it) and ``error`` (the server says the generation failed). A cut answer that cannot be used says so in its
reason (:mod:`polyglot_hrm.evaluation.protocol`).

Backends (``--backend``; :func:`infer_backend` picks one from ``--model`` / ``--base-url``):

* ``hrm``: this project's HRM checkpoint, prompted and decoded exactly as it was trained
  (:mod:`.prompt_format`, :mod:`.generation`): it answers in its trained format (files for generation
  and transfer rows, SEARCH/REPLACE for diff_edit rows); ``--edit-format`` does not apply.
* ``transformers``: any ``AutoModelForCausalLM`` whose tokenizer has a chat template, from a local folder
  or a Hub id; prompts are :mod:`.chat_format`'s messages through the chat template, left-padded
  batches, on ``--device`` in ``--dtype``.
* ``openai``: any OpenAI-compatible ``/v1/chat/completions`` server (vLLM, TGI, llama.cpp's server,
  ``transformers serve``, hosted APIs) through the ``openai`` client library: ``--base-url``; the API
  key read from the environment variable ``--api-key-env`` names (never written to results or logs);
  ``--concurrency`` requests in flight; the client's retries with exponential backoff on connection
  errors, 408/409/429 and 5xx (honouring ``Retry-After``), ``--max-retries`` times; ``--request-timeout``;
  token usage from the server's ``usage``; the server's ``finish_reason`` mapped to ours. A prompt the server
  rejects as too long for the model's context (or refuses by its content filter) is an answer with an error;
  any other refusal (a 4xx other than 408/409/429: a parameter the model does not take, a wrong model name or
  key) is no answer of the model, so it stops the run with the server's message and what to change, as does a
  request that still fails after its retries (the answers finished so far are kept: rerun to resume).
  ``extra_body`` (``--extra-body JSON``) is merged into every request's body, over what this backend sends (a
  key set to null is left out); ``no_sampling_params`` (``--no-sampling-params``) sends no ``temperature``,
  ``top_p`` nor ``max_tokens``, for reasoning models that reject them (give ``max_completion_tokens`` or
  ``reasoning_effort`` through ``extra_body``).
* ``reference``: no model: each case answered with its reference solution in ``--edit-format``. It
  runs the whole protocol path (prompt, answer parsing, edit application, execution, journal), so the
  references must score 100%: the protocol's fidelity check.

Sampling: temperature 0 is greedy. Above 0, the local backends sample each request from its own seeded
stream (:mod:`.sampling`), so batching and resuming cannot change an answer; the ``openai`` backend
sends the request's seed, which servers honour as far as they can.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from ..edit_format import render_blocks
from ..provenance import redact_url
from ..settings import API_CONCURRENCY, API_KEY_ENV, API_MAX_RETRIES, API_REQUEST_TIMEOUT, GenerationOptions, api_key
from ..synthesis.edit_synthesis import synthesize_blocks
from ..synthesis.examples import row_files
from .chat_format import chat_messages, parse_chat_answer, render_whole
from .names import BACKENDS, EDIT_FORMATS, BackendError, BackendName, EditFormat
from .prompt_format import parse_answer, render_prompt
from .tokenizer import encode_pair

__all__ = ["Answer", "Backend", "BACKENDS", "BackendError", "FINISH_REASONS", "FinishReason", "HRMBackend",
           "OpenAIBackend", "ReferenceBackend", "Request", "ServerRefusal", "TransformersBackend", "check_extra_body",
           "infer_backend", "is_hrm_checkpoint"]

logger = logging.getLogger(__name__)

OnAnswer = Callable[[int, "Answer"], None]

#: Why an answer ended (module docstring).
FinishReason = Literal["stop", "length", "context_window", "content_filter", "error"]
FINISH_REASONS: tuple[str, ...] = ("stop", "length", "context_window", "content_filter", "error")


@dataclass(frozen=True)
class Request:
    """One (case, sample, attempt) to answer; ``seed``: its own sampling seed."""

    row: Mapping[str, Any]
    sample: int = 0
    attempt: int = 1
    seed: int = 0

    @property
    def case_id(self) -> str:
        return str(self.row["id"])


@dataclass
class Answer:
    """What the model wrote for one request, and what it cost."""

    text: str
    tokens_in: int | None = None
    tokens_out: int | None = None
    seconds: float = 0.0
    retries: int = 0
    error: str | None = None
    finish_reason: FinishReason = "stop"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Backend:
    """The interface (module docstring). Subclasses set ``name`` and implement ``_answer_batch`` or ``generate``."""

    name: str = ""
    edit_format: str | None = None

    def settings(self) -> dict[str, Any]:
        """What identifies this backend's answers (the journal's header, results' settings); never a secret."""
        return {"backend": self.name, "edit_format": self.edit_format}

    def candidate(self, row: Mapping[str, Any], text: str) -> dict[str, str] | str:
        assert self.edit_format is not None
        return parse_chat_answer(row, text, self.edit_format)  # type: ignore[arg-type]

    def generate(self, requests: Sequence[Request], on_answer: OnAnswer | None = None,
                 progress: bool = False) -> list[Answer]:
        raise NotImplementedError


def _check_edit_format(edit_format: str) -> EditFormat:
    if edit_format not in EDIT_FORMATS:
        raise ValueError(f"edit_format={edit_format!r}: choose one of {', '.join(EDIT_FORMATS)}")
    return edit_format  # type: ignore[return-value]


class _LocalBackend(Backend):
    """Batched generation on this machine. Greedy requests of the same (case, attempt) are generated once:
    greedy samples are identical."""

    options: GenerationOptions

    def _batch(self, requests: Sequence[Request]) -> list[Answer]:
        raise NotImplementedError

    def _length(self, request: Request) -> int:
        return 0

    def generate(self, requests: Sequence[Request], on_answer: OnAnswer | None = None,
                 progress: bool = False) -> list[Answer]:
        from tqdm.auto import tqdm

        groups: dict[Any, list[int]] = {}
        for i, r in enumerate(requests):
            key = (r.case_id, r.attempt) if self.options.temperature == 0 else i
            groups.setdefault(key, []).append(i)
        leaders = sorted((g[0] for g in groups.values()), key=lambda i: self._length(requests[i]))
        followers = {g[0]: g[1:] for g in groups.values()}
        answers: list[Answer | None] = [None] * len(requests)
        size = self.options.batch_size
        batches = [leaders[k:k + size] for k in range(0, len(leaders), size)]
        for batch in tqdm(batches, desc=f"generating ({self.name})", unit="batch", disable=not progress):
            for i, answer in zip(batch, self._batch([requests[i] for i in batch])):
                for j in [i, *followers[i]]:
                    answers[j] = answer if j == i else replace(answer, seconds=0.0)  # generated once
                    if on_answer is not None:
                        on_answer(j, answers[j])  # type: ignore[arg-type]
        return [a for a in answers if a is not None]


class HRMBackend(_LocalBackend):
    """This project's HRM checkpoint, in the format it was trained on (module docstring)."""

    name = "hrm"

    def __init__(self, model: Any, tokenizer: Any, options: GenerationOptions = GenerationOptions(),
                 model_name: str | None = None):
        self.model, self.tokenizer, self.options, self.model_name = model, tokenizer, options, model_name

    def settings(self) -> dict[str, Any]:
        return {"backend": self.name, **({"model": self.model_name} if self.model_name else {}), "edit_format": None,
                **asdict(self.options)}

    def candidate(self, row: Mapping[str, Any], text: str) -> dict[str, str] | str:
        return parse_answer(row["task"], text)

    def _length(self, request: Request) -> int:
        return sum(len(f.get("content") or "") for f in request.row.get("input_files") or [])

    def _batch(self, requests: Sequence[Request]) -> list[Answer]:
        from . import generation

        start = time.perf_counter()
        outputs = generation.generate_outputs(
            self.model, self.tokenizer, [r.row for r in requests], num_samples=1,
            temperature=self.options.temperature, top_p=self.options.top_p,
            max_new_tokens=self.options.max_new_tokens, batch_size=self.options.batch_size,
            seeds=[r.seed for r in requests] if self.options.temperature > 0 else None, progress=False)
        seconds = (time.perf_counter() - start) / max(1, len(requests))
        out = []
        for r, (o,) in zip(requests, outputs):
            tokens_in = len(encode_pair(self.tokenizer, render_prompt(r.row))["input_ids"])
            tokens_out = len(self.tokenizer.encode(o.text, add_special_tokens=False))
            out.append(Answer(o.text, tokens_in, tokens_out, round(seconds, 4), finish_reason=o.finish_reason))
        return out


def _torch_dtype(dtype: str) -> Any:
    import torch

    if dtype == "auto":
        return "auto"
    value = getattr(torch, dtype, None)
    if not isinstance(value, torch.dtype):
        raise ValueError(f"dtype={dtype!r}: auto, float32, bfloat16 or float16")
    return value


def _device(device: str | None) -> str:
    import torch

    if device in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


class TransformersBackend(_LocalBackend):
    """Any transformers causal LM with a chat template (module docstring)."""

    name = "transformers"

    def __init__(self, model: str, edit_format: str = "whole", options: GenerationOptions = GenerationOptions(),
                 device: str | None = None, dtype: str = "auto", trust_remote_code: bool = False):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.model_name, self.options = str(model), options
        self.edit_format = _check_edit_format(edit_format)
        self.device, self.dtype = _device(device), dtype
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_name, trust_remote_code=trust_remote_code)
        if not getattr(self.tokenizer, "chat_template", None):
            raise ValueError(f"model={model}: its tokenizer has no chat template, and the transformers backend "
                             "prompts with one. Use a chat/instruct checkpoint, or add a template "
                             "(tokenizer.chat_template = ...; tokenizer.save_pretrained(DIR)).")
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(self.model_name, dtype=_torch_dtype(dtype),
                                                          trust_remote_code=trust_remote_code)
        self.model.to(self.device).eval()
        self._eos = self._eos_ids()
        self._torch = torch

    def _eos_ids(self) -> set[int]:
        ids = self.model.generation_config.eos_token_id
        ids = set(ids if isinstance(ids, (list, tuple)) else [ids] if ids is not None else [])
        if self.tokenizer.eos_token_id is not None:
            ids.add(self.tokenizer.eos_token_id)
        return ids

    def settings(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model_name, "edit_format": self.edit_format,
                "dtype": self.dtype, **asdict(self.options)}

    def _prompt_ids(self, request: Request) -> list[int]:
        messages = chat_messages(request.row, self.edit_format)  # type: ignore[arg-type]
        try:
            text = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        except Exception:  # noqa: BLE001 - templates that refuse a system turn: fold it into the first user turn
            merged = [{"role": "user", "content": f"{messages[0]['content']}\n\n{messages[1]['content']}"},
                      *messages[2:]]
            text = self.tokenizer.apply_chat_template(merged, add_generation_prompt=True, tokenize=False)
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def _length(self, request: Request) -> int:
        return len(self._prompt_ids(request))

    def _context(self) -> int | None:
        config = getattr(self.model.config, "get_text_config", lambda: self.model.config)()
        return getattr(config, "max_position_embeddings", None)

    def _batch(self, requests: Sequence[Request]) -> list[Answer]:
        from transformers import LogitsProcessorList

        from .sampling import SeededSampling

        torch = self._torch
        prompts = [self._prompt_ids(r) for r in requests]
        limit = self._context()
        answers: list[Answer | None] = [None] * len(requests)
        run = []
        for i, ids in enumerate(prompts):
            if limit is not None and len(ids) + self.options.max_new_tokens > limit:
                answers[i] = Answer("", len(ids), 0, error=f"the prompt's {len(ids)} tokens plus max_new_tokens="
                                    f"{self.options.max_new_tokens} exceed the model's {limit} positions",
                                    finish_reason="context_window")
            else:
                run.append(i)
        if run:
            start = time.perf_counter()
            width = max(len(prompts[i]) for i in run)
            pad = self.tokenizer.pad_token_id
            input_ids = torch.tensor([[pad] * (width - len(prompts[i])) + prompts[i] for i in run], device=self.device)
            mask = torch.tensor([[0] * (width - len(prompts[i])) + [1] * len(prompts[i]) for i in run],
                                device=self.device)  # (B, T)
            config = copy.deepcopy(self.model.generation_config)
            config.update(max_new_tokens=self.options.max_new_tokens, do_sample=False, num_return_sequences=1,
                          pad_token_id=pad, temperature=1.0, top_p=1.0, top_k=50, min_p=None)  # neutral: no warning
            kwargs: dict[str, Any] = {}
            if self.options.temperature > 0:
                kwargs["logits_processor"] = LogitsProcessorList(
                    [SeededSampling([requests[i].seed for i in run], self.options.temperature, self.options.top_p)])
            with torch.no_grad():
                out = self.model.generate(input_ids=input_ids, attention_mask=mask, generation_config=config, **kwargs)
            new = out[:, width:].tolist()  # (B, N)
            seconds = (time.perf_counter() - start) / len(run)
            for row, i in zip(new, run):
                ends = [k for k, t in enumerate(row) if t in self._eos]
                kept = row[: ends[0]] if ends else row
                text = self.tokenizer.decode(kept, skip_special_tokens=True)
                answers[i] = Answer(text, len(prompts[i]), len(kept) + (1 if ends else 0), round(seconds, 4),
                                    finish_reason="stop" if ends else "length")  # no end token: max_new_tokens
        return [a for a in answers if a is not None]


#: The server's ``finish_reason`` (OpenAI's values, and those of servers that say it their own way) -> ours; any
#: other value is taken as ``stop`` (the server ended the answer, for a reason we do not know).
SERVER_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop", "eos": "stop", "eos_token": "stop", "stop_sequence": "stop", "end_turn": "stop",
    "tool_calls": "stop", "function_call": "stop", "length": "length", "max_tokens": "length",
    "model_length": "context_window", "content_filter": "content_filter", "error": "error", "abort": "error"}
# A 400/413/422 that says the prompt (with the answer's budget) does not fit the model: OpenAI's code
# `context_length_exceeded`, vLLM's "maximum context length", TGI's "Input validation error: `inputs` tokens + ...",
# llama.cpp's "exceeds the available context size".
_CONTEXT_ERROR = re.compile(r"context[ _-]?(length|window|size)|maximum context|prompt is too long|input is too long|"
                            r"too many (input )?tokens|max_model_len|inputs` tokens \+", re.IGNORECASE)
_FILTER_ERROR = re.compile(r"content[ _-]?(filter|policy|management)", re.IGNORECASE)
# Request fields this backend sets from the case and the model: `extra_body` may not replace them.
_OWN_FIELDS = ("model", "messages")
# Keys of `extra_body` whose values are secrets (a token, a password): recorded as "***".
_SECRET_KEY = re.compile(r"api[_-]?key|secret|password|passwd|authorization|bearer|credential|access[_-]?token|"
                         r"^token$|_token$", re.IGNORECASE)
_COUNTED_KEY = re.compile(r"_tokens$", re.IGNORECASE)  # max_completion_tokens is a count, not a token


def check_extra_body(extra_body: Any) -> dict[str, Any]:
    """``extra_body`` as a dict, checked: a JSON object whose keys are not the fields this backend fills."""
    if extra_body is None:
        return {}
    if not isinstance(extra_body, Mapping) or not all(isinstance(k, str) for k in extra_body):
        raise ValueError(f"extra_body={json.dumps(extra_body, default=str)[:200]}: must be a JSON object of fields "
                         "to add to each request, e.g. {\"max_completion_tokens\": 8192, \"reasoning_effort\": "
                         "\"low\"}")
    own = [k for k in _OWN_FIELDS if k in extra_body]
    if own:
        raise ValueError(f"extra_body: {', '.join(own)} is set by the backend (`model`, and the case's messages); "
                         "leave it out of `extra_body`")
    try:
        json.dumps(dict(extra_body))
    except (TypeError, ValueError) as err:
        raise ValueError(f"extra_body: not JSON-serialisable ({err})") from None
    return dict(extra_body)


def _redacted(body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` as results and journals record it: values under secret-looking keys replaced by ``***``."""
    def hide(key: str, value: Any) -> Any:
        if _SECRET_KEY.search(key) and not _COUNTED_KEY.search(key):
            return "***"
        return _redacted(value) if isinstance(value, Mapping) else value

    return {k: hide(str(k), v) for k, v in body.items()}


class ServerRefusal(BackendError):
    """The server refused a request in a way no answer explains (a parameter, the model name, the key)."""


class OpenAIBackend(Backend):
    """Any OpenAI-compatible chat-completions server, through the ``openai`` client (module docstring)."""

    name = "openai"

    def __init__(self, model: str, base_url: str | None, edit_format: str = "whole",
                 options: GenerationOptions = GenerationOptions(), api_key_env: str = API_KEY_ENV,
                 concurrency: int = API_CONCURRENCY, max_retries: int = API_MAX_RETRIES,
                 request_timeout: float = API_REQUEST_TIMEOUT, extra_body: Mapping[str, Any] | None = None,
                 no_sampling_params: bool = False):
        import openai

        self.extra_body = check_extra_body(extra_body)
        self.no_sampling_params = bool(no_sampling_params)
        if concurrency < 1:
            raise ValueError(f"concurrency={concurrency}: must be >= 1")
        if max_retries < 0:
            raise ValueError(f"max_retries={max_retries}: must be >= 0")
        if request_timeout <= 0:
            raise ValueError(f"request_timeout={request_timeout}: must be > 0 seconds")
        self.model_name, self.base_url, self.options = model, base_url, options
        self.edit_format = _check_edit_format(edit_format)
        self.api_key_env, self.concurrency = api_key_env, concurrency
        self.max_retries, self.request_timeout = max_retries, request_timeout
        key = api_key(api_key_env)
        if not key:
            logger.info("$%s is not set: sending no API key (fine for a local server)", api_key_env)
        self._secret = key or ""
        self.client = openai.OpenAI(base_url=base_url, api_key=key or "no-key", max_retries=max_retries,
                                    timeout=request_timeout)
        self._openai = openai

    def settings(self) -> dict[str, Any]:
        # The key's variable name only, never its value. The two request options only when given, so a journal
        # written before they existed still resumes.
        sent = {k: v for k, v in asdict(self.options).items() if k != "batch_size"}
        if self.no_sampling_params:
            sent = {"no_sampling_params": True}  # temperature, top_p, max_new_tokens were not sent
        out = {"backend": self.name, "model": self.model_name, "base_url": redact_url(self.base_url) if self.base_url else self.base_url,
               "edit_format": self.edit_format, "api_key_env": self.api_key_env, **sent}
        if self.extra_body:
            out["extra_body"] = json.loads(self._scrub(json.dumps(_redacted(self.extra_body))))
        return out

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    def request_params(self, request: Request) -> dict[str, Any]:
        """The keyword arguments of ``chat.completions.create`` for ``request``: ours, then ``extra_body`` over
        them (a key of ours it names is replaced by it, or left out when it gives null)."""
        params: dict[str, Any] = {"model": self.model_name,
                                  "messages": chat_messages(request.row, self.edit_format),  # type: ignore[arg-type]
                                  "seed": request.seed % 2**31}
        if not self.no_sampling_params:
            params.update(max_tokens=self.options.max_new_tokens, temperature=self.options.temperature)
            if self.options.top_p < 1.0:
                params["top_p"] = self.options.top_p
        for key in self.extra_body:
            params.pop(key, None)
        extra = {k: v for k, v in self.extra_body.items() if v is not None}
        if extra:
            params["extra_body"] = extra  # the client merges it into the JSON body as it is
        return params

    @staticmethod
    def _server_message(err: Any) -> str:
        """What the server said: its error object's message (the client's own message prefixes a status line)."""
        body = getattr(err, "body", None)
        if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
            body = body["error"]
        message = body.get("message") if isinstance(body, Mapping) else None
        return str(message) if message else str(err.message)

    def _refused(self, err: Any, seconds: float) -> Answer:
        """A 4xx that is the model's limit (context) or the server's filter: an answer with an error. Anything else
        is no answer of the model: :class:`ServerRefusal` stops the run."""
        text = f"{getattr(err, 'code', None) or ''} {self._server_message(err)}"
        status = err.status_code
        if status in (400, 413, 422) and (getattr(err, "code", None) == "context_length_exceeded"
                                          or _CONTEXT_ERROR.search(text)):
            reason: FinishReason = "context_window"
        elif status in (400, 403, 422) and _FILTER_ERROR.search(text):
            reason = "content_filter"
        else:
            raise ServerRefusal(self._scrub(self._refusal_message(err)))
        return Answer("", seconds=round(seconds, 3), finish_reason=reason,
                      error=self._scrub(f"the server refused the prompt ({status}): {self._server_message(err)}"))

    def _refusal_message(self, err: Any) -> str:
        status = err.status_code
        if status in (401, 403):
            fix = f"check the key in ${self.api_key_env} (`api_key_env`) and that it may use `model`"
        elif status == 404:
            fix = "check `model` (the name the server knows) and `base_url` (its API root, ending in /v1)"
        else:
            fix = ("if it names a parameter, change what is sent: "
                   + ("" if self.no_sampling_params else
                      "`no_sampling_params=True` sends no temperature, top_p nor max_tokens, and ")
                   + "`extra_body` adds (or, given null, removes) fields, e.g. "
                   '{"max_completion_tokens": 8192, "reasoning_effort": "low"} for a reasoning model')
        return (f"the server at {self.base_url or 'the API'} refused a request ({status}: "
                f"{self._server_message(err)}); that is no answer of the model, so the run stops: {fix}")

    def _one(self, request: Request) -> Answer:
        start = time.perf_counter()
        try:
            raw = self.client.chat.completions.with_raw_response.create(**self.request_params(request))
        except self._openai.APIStatusError as err:
            if err.status_code in (408, 409, 429) or err.status_code >= 500:
                raise  # retried by the client already, as many times as allowed: generate() stops the run
            return self._refused(err, time.perf_counter() - start)
        completion = raw.parse()
        seconds = time.perf_counter() - start
        choice = completion.choices[0] if completion.choices else None
        text = (choice.message.content or "") if choice is not None else ""
        reason = SERVER_FINISH_REASONS.get(str(choice.finish_reason), "stop") if choice is not None else "error"
        usage = completion.usage
        return Answer(text, usage.prompt_tokens if usage else None, usage.completion_tokens if usage else None,
                      round(seconds, 3), raw.retries_taken, finish_reason=reason,
                      error=None if choice is not None else "the server's response had no choices")

    def generate(self, requests: Sequence[Request], on_answer: OnAnswer | None = None,
                 progress: bool = False) -> list[Answer]:
        from tqdm.auto import tqdm

        answers: list[Answer | None] = [None] * len(requests)
        stop = threading.Event()
        failures: list[str] = []
        refusals: list[str] = []

        def guarded(request: Request) -> Answer | None:
            if stop.is_set():
                return None
            try:
                return self._one(request)
            except ServerRefusal as err:
                stop.set()  # a parameter or the model refused: every other request would be refused the same way
                refusals.append(str(err))
                return None
            except self._openai.OpenAIError as err:
                stop.set()  # the server is down or refuses us: the other requests would fail the same way
                failures.append(self._scrub(f"{type(err).__name__}: {err}"))
                return None

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures = {pool.submit(guarded, r): i for i, r in enumerate(requests)}
            for future in tqdm(as_completed(futures), total=len(futures), desc="generating (openai)", unit="request",
                               disable=not progress):
                i = futures[future]
                answer = future.result()
                if answer is not None:
                    answers[i] = answer
                    if on_answer is not None:
                        on_answer(i, answer)
        done = sum(a is not None for a in answers)
        if refusals:
            raise ServerRefusal(f"{refusals[0]}. The {done} answer(s) that came back are kept in the journal: rerun "
                                "to resume (a journal that holds no answer yet takes the new options; one that does "
                                "is refused with other options, so add `resume=False` to start over).")
        if failures:
            raise BackendError(f"{len(requests) - done} of {len(requests)} requests to {self.base_url or 'the API'} "
                               f"failed after up to {self.max_retries} retries ({failures[0]}). The {done} answers "
                               "that came back are kept: fix the cause (`base_url`, `model`, the key in "
                               f"${self.api_key_env}, or raise `max_retries` / `request_timeout`) and rerun the same "
                               "command to resume.")
        return [a for a in answers if a is not None]


class ReferenceBackend(Backend):
    """Each case's reference solution, written in ``edit_format`` as a model would answer (module docstring)."""

    name = "reference"

    def __init__(self, edit_format: str = "whole"):
        self.edit_format = _check_edit_format(edit_format)

    def _text(self, row: Mapping[str, Any]) -> str:
        before = row_files(row.get("input_files"), "solution")
        after = {**before, **row_files(row.get("target_files"))}
        changed = {p: c for p, c in after.items() if before.get(p) != c}
        if self.edit_format == "whole":
            return render_whole(changed, row["language"])
        return render_blocks(synthesize_blocks(before, after, on_delete="empty"))

    def generate(self, requests: Sequence[Request], on_answer: OnAnswer | None = None,
                 progress: bool = False) -> list[Answer]:
        answers = []
        for i, r in enumerate(requests):
            answers.append(Answer(self._text(r.row)))
            if on_answer is not None:
                on_answer(i, answers[-1])
        return answers


def is_hrm_checkpoint(model: str | Path) -> bool:
    """A local folder whose ``config.json`` is this project's HRM (``model_type`` ``polyglot_hrm``)."""
    config = Path(model) / "config.json"
    try:
        return json.loads(config.read_text()).get("model_type") == "polyglot_hrm"
    except (OSError, ValueError, AttributeError):
        return False


def infer_backend(model: str | None, base_url: str | None) -> BackendName:
    """``--backend`` when not given: ``openai`` with ``--base-url``; ``hrm`` for a folder holding an HRM
    config; else ``transformers`` (a chat model folder or a Hub id)."""
    if base_url:
        return "openai"
    if model and is_hrm_checkpoint(model):
        return "hrm"
    return "transformers"
