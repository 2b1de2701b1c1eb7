"""Benchmark the default HRM against a LlamaForCausalLM of the same width, depth and parameter count.

Two HRM training setups are compared, before and after issue 18 (`HRM_VARIANTS`): `k_step`, HRM-Text's
k-step gradient with every activation kept (the model's training until then, except that it shares the
new chunked LM loss, ~250 MiB lighter at 2048 tokens), and `one_step`, the default config (the paper's
one-step gradient, selective activation checkpointing). Inference is the same in both. Measures, in one run on the same machine (CPU by default, `--device cuda` where there
is a GPU):
  * training-step time (forward + backward + AdamW step, batch 1), the three models' steps interleaved
    rep by rep so that load from other processes hits them alike; ratios are to the Llama's step;
  * where a training step's time goes: stack calls with and without autograd, the rest of the forward
    (embeddings, lm_head and its gradients, losses), backward (with any recomputation), optimizer step;
  * peak memory at sequence length 2048, batch 1, in a fresh subprocess per model (CPU: peak RSS,
    VmHWM, of the whole process, torch and the weights included, and that less the RSS the process had
    before the model was built; CUDA: torch.cuda.max_memory_allocated) of the first training step and of a
    steady-state second step (AdamW state resident);
  * cached greedy generation throughput in new tokens/s (and the time for a typical answer);
  * where the HRM's forward time goes: per L-step, per H-step, embeddings/heads, per segment.

"Same depth" means the Llama has as many layers as the HRM has distinct layers (H stack + L stack); its
MLP is widened so the parameter counts match (the HRM attention has an extra output gate).

Usage:  python benchmarks/model.py [--threads 1] [--train-len 512] [--new-tokens 32] [--reps 3] [--skip-memory]
On a shared 2-core box use --threads 1: with other processes running, a second torch thread mostly spins.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from transformers import LlamaConfig, LlamaForCausalLM  # noqa: E402

from hrm_modeling import HRMConfig, HRMForCausalLM  # noqa: E402

logger = logging.getLogger("benchmarks.model")
TYPICAL_ANSWER_TOKENS = 400  # a mid-size Exercism solution file in BPE tokens, for "time per problem"


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# HRM training setups compared (HRMConfig overrides): before issue 18 and the default after it.
HRM_VARIANTS: dict[str, dict] = {
    "k_step": dict(gradient_mode="k_step", selective_checkpointing=False),
    "one_step": {},
}
LABELS = {"llama": "Llama", "k_step": "HRM k-step (before)", "one_step": "HRM one-step (default)"}


def build_hrm(variant: str = "one_step") -> HRMForCausalLM:
    torch.manual_seed(0)
    return HRMForCausalLM(HRMConfig(**HRM_VARIANTS[variant]))


def build_llama(target_params: int, hrm_cfg: HRMConfig) -> LlamaForCausalLM:
    """Llama with the HRM's width and distinct-layer count; intermediate size solved to match parameters."""
    d, layers = hrm_cfg.hidden_size, 2 * hrm_cfg.num_layers_per_stack
    fixed = 2 * hrm_cfg.vocab_size * d + layers * (4 * d * d + 2 * d) + d  # embeddings, head, attention, norms
    intermediate = max(64, round((target_params - fixed) / (3 * d * layers) / 16) * 16)
    cfg = LlamaConfig(
        vocab_size=hrm_cfg.vocab_size, hidden_size=d, intermediate_size=intermediate, num_hidden_layers=layers,
        num_attention_heads=hrm_cfg.num_attention_heads, num_key_value_heads=hrm_cfg.num_attention_heads,
        max_position_embeddings=hrm_cfg.max_position_embeddings, tie_word_embeddings=False,
        pad_token_id=0, bos_token_id=1, eos_token_id=2,
    )
    torch.manual_seed(0)
    return LlamaForCausalLM(cfg)


def timed(fn: Callable[[], object], reps: int, device: str) -> float:
    """Median seconds of `reps` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(reps):
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def timed_interleaved(fns: dict[str, Callable[[], object]], reps: int, device: str) -> dict[str, dict[str, float]]:
    """Median seconds per function over `reps` rounds that call each once in turn, after one warm-up round:
    `wall` (elapsed) and, on CPU, `cpu` (this process's CPU time: on a shared machine it leaves out the time other
    processes held the cores, so ratios between models stay put when the load changes)."""
    for fn in fns.values():
        fn()
    times: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            if device == "cuda":
                torch.cuda.synchronize()
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            if device == "cuda":
                torch.cuda.synchronize()
            times[name]["wall"].append(time.perf_counter() - wall)
            times[name]["cpu"].append(time.process_time() - cpu)
    return {name: {kind: sorted(t)[len(t) // 2] for kind, t in kinds.items() if device == "cpu" or kind == "wall"}
            for name, kinds in times.items()}


def train_step_fn(model: torch.nn.Module, length: int, device: str) -> Callable[[], None]:
    """One optimizer step on a random batch of 1 x `length` tokens (labels = inputs)."""
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    ids = torch.randint(3, model.config.vocab_size, (1, length), device=device)

    def step() -> None:
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    return step


def generate_fn(model: torch.nn.Module, prompt_len: int, new_tokens: int, device: str, use_cache: bool = True):
    model.eval()
    ids = torch.randint(3, model.config.vocab_size, (1, prompt_len), device=device)

    @torch.no_grad()
    def gen() -> None:
        out = model.generate(ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                             use_cache=use_cache, pad_token_id=0)
        assert out.shape[1] == prompt_len + new_tokens

    return gen


def hrm_time_breakdown(model: HRMForCausalLM, length: int, device: str) -> dict[str, float]:
    """Forward-only (eval, one call) seconds spent in L-steps, H-steps and the rest, via module hooks."""
    model.eval()
    spent: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    starts: dict[str, float] = {}

    def pre(name: str):
        def hook(module, args, kwargs=None):
            if device == "cuda":
                torch.cuda.synchronize()
            starts[name] = time.perf_counter()
        return hook

    def post(name: str):
        def hook(module, args, output):
            if device == "cuda":
                torch.cuda.synchronize()
            spent[name] += time.perf_counter() - starts[name]
            calls[name] += 1
        return hook

    handles = []
    for name, module in (("L-step", model.model.L_module), ("H-step", model.model.H_module), ("lm_head", model.lm_head)):
        handles.append(module.register_forward_pre_hook(pre(name)))
        handles.append(module.register_forward_hook(post(name)))
    ids = torch.randint(3, model.config.vocab_size, (1, length), device=device)
    with torch.no_grad():
        model(ids)  # warm-up
        spent.clear(), calls.clear()
        start = time.perf_counter()
        model(ids)
        total = time.perf_counter() - start
    for h in handles:
        h.remove()
    cfg = model.config
    result = {
        "forward_s": total,
        "segments": cfg.effective_inference_segments,
        "per_segment_s": (spent["L-step"] + spent["H-step"]) / cfg.effective_inference_segments,
        "per_L_step_s": spent["L-step"] / max(calls["L-step"], 1),
        "per_H_step_s": spent["H-step"] / max(calls["H-step"], 1),
        "L_steps": calls["L-step"],
        "H_steps": calls["H-step"],
        "L_share": spent["L-step"] / total,
        "H_share": spent["H-step"] / total,
        "lm_head_share": spent["lm_head"] / total,
    }
    result["other_share"] = 1 - result["L_share"] - result["H_share"] - result["lm_head_share"]
    return result


def train_step_profile(model: HRMForCausalLM, length: int, device: str) -> dict[str, float]:
    """Seconds of one training step (after a warm-up step) split into: L/H stack calls that record autograd,
    stack calls under no_grad, the rest of the forward (embeddings, the LM loss, whose lm_head gradients are
    computed in the forward, the Q-head), backward (with the recomputation of checkpointed layers) and the
    optimizer step. CPU time on CPU."""
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    ids = torch.randint(3, model.config.vocab_size, (1, length), device=device)
    spent: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    state = {"forward": False, "start": 0.0}
    clock = time.process_time if device == "cpu" else time.perf_counter  # CPU time: see timed_interleaved

    def sync() -> None:
        if device == "cuda":
            torch.cuda.synchronize()

    def pre(module, args):
        if state["forward"]:
            sync()
            state["start"] = clock()

    def post(module, args, output):
        if state["forward"]:  # not the recomputation inside backward
            sync()
            key = "stack_grad" if torch.is_grad_enabled() else "stack_no_grad"
            spent[key] += clock() - state["start"]
            calls[key] += 1

    handles = [m.register_forward_pre_hook(pre) for m in (model.model.L_module, model.model.H_module)]
    handles += [m.register_forward_hook(post) for m in (model.model.L_module, model.model.H_module)]

    def step(record: bool) -> None:
        state["forward"] = record
        sync()
        t0 = clock()
        loss = model(input_ids=ids, labels=ids).loss
        sync()
        t1 = clock()
        state["forward"] = False
        loss.backward()
        sync()
        t2 = clock()
        opt.step()
        opt.zero_grad(set_to_none=True)
        sync()
        t3 = clock()
        if record:
            spent.update(forward=t1 - t0, backward=t2 - t1, optimizer=t3 - t2)

    step(False)
    step(True)
    for h in handles:
        h.remove()
    total = spent["forward"] + spent["backward"] + spent["optimizer"]
    return {
        "total_s": total,
        "stack_grad_s": spent["stack_grad"], "stack_grad_calls": calls["stack_grad"],
        "stack_no_grad_s": spent["stack_no_grad"], "stack_no_grad_calls": calls["stack_no_grad"],
        "forward_other_s": spent["forward"] - spent["stack_grad"] - spent["stack_no_grad"],
        "backward_s": spent["backward"], "optimizer_s": spent["optimizer"],
    }


def llama_forward_s(model: LlamaForCausalLM, length: int, device: str) -> float:
    model.eval()
    ids = torch.randint(3, model.config.vocab_size, (1, length), device=device)
    with torch.no_grad():
        return timed(lambda: model(ids), 1, device)


# ---------------------------------------------------------------------------------------------- memory
def _peak_rss_mib() -> float:
    """This process's peak resident set (VmHWM), in MiB. Not `ru_maxrss`: a child started with vfork + exec
    inherits the parent's peak there, which would report the benchmark process, not the child."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM:"))


def _reset_peak_rss() -> None:
    """Restart VmHWM from the current RSS (Linux >= 4.0)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def memory_child(which: str, length: int, device: str) -> dict[str, float]:
    """Run in a fresh process: peak memory (MiB) of the first and of a second training step of `which` at `length`
    tokens. CPU: peak RSS of the whole process (torch, weights, gradients, optimizer state, activations), and
    the same less the process's RSS before the model is built (the torch runtime and libraries: what
    torch.cuda.max_memory_allocated leaves out on a GPU)."""
    runtime = _peak_rss_mib() if device != "cuda" else 0.0
    if which == "llama":
        # Count the HRM's parameters on the meta device: materialising it would raise the peak RSS we measure.
        with torch.device("meta"):
            hrm = HRMForCausalLM(HRMConfig())
        model = build_llama(n_params(hrm), hrm.config)
    else:
        model = build_hrm(which)
    model.to(device)
    step = train_step_fn(model, length, device)
    result: dict[str, float] = {"runtime_mib": runtime}
    for name in ("first", "steady"):  # steady: the second step, with AdamW's state allocated by the first
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
            torch.cuda.synchronize()
            base = torch.cuda.memory_allocated() / 2**20
        else:
            if name == "steady":
                _reset_peak_rss()
            base = _peak_rss_mib()
        start = time.perf_counter()
        step()
        if device == "cuda":
            torch.cuda.synchronize()
            peak = torch.cuda.max_memory_allocated() / 2**20
        else:
            peak = _peak_rss_mib()
        result[f"{name}_peak_mib"] = peak
        result[f"{name}_model_mib"] = peak - runtime
        result[f"{name}_step_mib"] = peak - base
        result[f"{name}_seconds"] = time.perf_counter() - start
    return result


def measure_memory(which: str, length: int, device: str, threads: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--memory-child", which, "--mem-len", str(length), "--device", device,
           "--threads", str(threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"memory measurement for {which} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", help="cpu or cuda (default: cuda if available)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1; see module docstring)")
    p.add_argument("--train-len", type=int, default=512, help="tokens per training step for throughput (default 512)")
    p.add_argument("--prompt-len", type=int, default=128, help="prompt tokens for generation (default 128)")
    p.add_argument("--new-tokens", type=int, default=32, help="new tokens per generation (default 32)")
    p.add_argument("--reps", type=int, default=3, help="timed repetitions per measurement, median reported (default 3)")
    p.add_argument("--mem-len", type=int, default=2048, help="sequence length of the memory measurement (default 2048)")
    p.add_argument("--skip-memory", action="store_true", help="skip the (slow) 2048-token memory measurement")
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    p.add_argument("--memory-child", choices=["llama", *HRM_VARIANTS], help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child, args.mem_len, args.device)))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    dev = args.device
    hrms = {variant: build_hrm(variant).to(dev) for variant in HRM_VARIANTS}
    hrm = hrms["one_step"]
    llama = build_llama(n_params(hrm), hrm.config).to(dev)
    models = {"llama": llama, **hrms}
    cfg = hrm.config
    res: dict[str, dict] = {name: {"params": n_params(model)} for name, model in models.items()}
    logger.info("device=%s threads=%d | HRM %.2fM params (hidden %d, %d layers/stack, H%d x L%d, %d segments) | "
                "Llama %.2fM params (hidden %d, %d layers, intermediate %d)", dev, args.threads, res["one_step"]["params"] / 1e6,
                cfg.hidden_size, cfg.num_layers_per_stack, cfg.H_cycles, cfg.L_cycles, cfg.num_segments,
                res["llama"]["params"] / 1e6, llama.config.hidden_size, llama.config.num_hidden_layers,
                llama.config.intermediate_size)
    logger.info("timing training steps (%d tokens), interleaved: %s...", args.train_len, ", ".join(models))
    step_s = timed_interleaved({name: train_step_fn(model, args.train_len, dev) for name, model in models.items()},
                               args.reps, dev)
    for name, t in step_s.items():
        res[name]["train_step_s"] = t["wall"]
        res[name]["train_tok_s"] = args.train_len / t["wall"]
        if "cpu" in t:
            res[name]["train_step_cpu_s"] = t["cpu"]
    for variant, model in hrms.items():
        logger.info("profiling a %s training step...", variant)
        res[variant]["profile"] = train_step_profile(model, args.train_len, dev)
        res[variant]["grad_steps_per_segment"] = len(model.config.gradient_steps)
    for name in ("one_step", "llama"):  # generation does not depend on the gradient mode
        logger.info("timing %s cached generation (%d + %d tokens)...", name, args.prompt_len, args.new_tokens)
        t = timed(generate_fn(models[name], args.prompt_len, args.new_tokens, dev), args.reps, dev)
        res[name]["gen_s"] = t
        res[name]["gen_tok_s"] = args.new_tokens / t
    logger.info("timing HRM uncached generation and the forward breakdown...")
    res["one_step"]["gen_nocache_tok_s"] = args.new_tokens / timed(generate_fn(hrm, args.prompt_len, args.new_tokens, dev, False), 1, dev)
    breakdown = hrm_time_breakdown(hrm, args.train_len, dev)
    breakdown["llama_forward_s"] = llama_forward_s(llama, args.train_len, dev)
    del hrms, hrm, llama, models
    if not args.skip_memory:
        for name in ("llama", *HRM_VARIANTS):
            logger.info("measuring %s training-step memory at %d tokens (subprocess)...", name, args.mem_len)
            res[name]["memory"] = measure_memory(name, args.mem_len, dev, args.threads)
    res["breakdown"] = breakdown
    res["args"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    print(render_table(res, args))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return 0


def _table(header: list[str], rows: list[tuple[str, ...]]) -> list[str]:
    width = max(len(r[0]) for r in rows)
    cols = [max(len(h), *(len(r[i + 1]) for r in rows)) for i, h in enumerate(header)]
    lines = [f"{'':{width}}  " + "  ".join(f"{h:>{c}}" for h, c in zip(header, cols))]
    lines += [f"{r[0]:{width}}  " + "  ".join(f"{v:>{c}}" for v, c in zip(r[1:], cols)) for r in rows]
    return lines


def render_table(res: dict, args: argparse.Namespace) -> str:
    names = ["llama", *HRM_VARIANTS]
    l, h, b = res["llama"], res["one_step"], res["breakdown"]
    cfg_calls = h["profile"]["stack_grad_calls"] + h["profile"]["stack_no_grad_calls"]
    rows = [
        ("parameters", *(f"{res[n]['params'] / 1e6:.2f}M" for n in names)),
        (f"train step, {args.train_len} tok, elapsed (s)", *(f"{res[n]['train_step_s']:.2f}" for n in names)),
        ("  ratio to Llama", *(f"{res[n]['train_step_s'] / l['train_step_s']:.2f}" for n in names)),
    ]
    if "train_step_cpu_s" in l:
        rows += [
            (f"train step, {args.train_len} tok, CPU time (s)", *(f"{res[n]['train_step_cpu_s']:.2f}" for n in names)),
            ("  ratio to Llama", *(f"{res[n]['train_step_cpu_s'] / l['train_step_cpu_s']:.2f}" for n in names)),
        ]
    rows += [
        ("train throughput (tok/s)", *(f"{res[n]['train_tok_s']:.0f}" for n in names)),
        ("stack calls with autograd per step", "",
         *(f"{res[n]['profile']['stack_grad_calls']} of {cfg_calls}" for n in HRM_VARIANTS)),
    ]
    if "memory" in h:
        for key, label in (("first", "first"), ("steady", "second (steady-state)")):
            rows += [
                (f"peak memory, {label} train step, {args.mem_len} tok (MiB)",
                 *(f"{res[n]['memory'][f'{key}_peak_mib']:.0f}" for n in names)),
                ("  ratio to Llama", *(f"{res[n]['memory'][f'{key}_peak_mib'] / l['memory'][f'{key}_peak_mib']:.2f}" for n in names)),
            ]
            if key == "first":  # the steady step's increase says more about the allocator than about the model
                rows.append(("  added by the step (MiB)", *(f"{res[n]['memory']['first_step_mib']:.0f}" for n in names)))
            if args.device != "cuda":
                rows.append(("  less the torch runtime (MiB)",
                             *(f"{res[n]['memory'][f'{key}_model_mib']:.0f}" for n in names)))
        if args.device != "cuda":
            rows.append(("process RSS before the model (MiB)",
                         *(f"{res[n]['memory']['runtime_mib']:.0f}" for n in names)))
        rows.append((f"step time at {args.mem_len} tok (s)", *(f"{res[n]['memory']['steady_seconds']:.1f}" for n in names)))
    lines = [f"device={args.device} threads={args.threads} reps={args.reps}  (train steps interleaved; medians)"]
    lines += _table([LABELS[n] for n in names], rows)

    prof_rows = []
    for key, label in (("stack_grad", "stack calls with autograd"), ("stack_no_grad", "stack calls under no_grad")):
        prof_rows.append((label, *(f"{res[n]['profile'][f'{key}_calls']} x {res[n]['profile'][f'{key}_s'] / max(res[n]['profile'][f'{key}_calls'], 1) * 1e3:.0f} ms"
                                   f" = {res[n]['profile'][f'{key}_s'] / res[n]['profile']['total_s']:.0%}" for n in HRM_VARIANTS)))
    for key, label in (("forward_other", "forward, rest (embed, lm_head + its grads, losses)"),
                       ("backward", "backward (incl. recomputation)"), ("optimizer", "AdamW step")):
        prof_rows.append((label, *(f"{res[n]['profile'][f'{key}_s'] * 1e3:.0f} ms = {res[n]['profile'][f'{key}_s'] / res[n]['profile']['total_s']:.0%}"
                                   for n in HRM_VARIANTS)))
    prof_rows.append(("total", *(f"{res[n]['profile']['total_s']:.2f} s" for n in HRM_VARIANTS)))
    lines += ["", f"Where a training step's time goes ({args.train_len} tokens, one profiled step each"
              f"{', CPU time' if args.device == 'cpu' else ''}):"]
    lines += _table([LABELS[n] for n in HRM_VARIANTS], prof_rows)

    gen_rows = [
        ("generation, cached (new tok/s)", f"{h['gen_tok_s']:.1f}", f"{l['gen_tok_s']:.1f}", f"{h['gen_tok_s'] / l['gen_tok_s']:.3f}"),
        (f"time for {TYPICAL_ANSWER_TOKENS} new tokens (s)", f"{TYPICAL_ANSWER_TOKENS / h['gen_tok_s']:.1f}", f"{TYPICAL_ANSWER_TOKENS / l['gen_tok_s']:.1f}", ""),
        ("generation, no cache (new tok/s)", f"{h['gen_nocache_tok_s']:.1f}", "", ""),
    ]
    lines += ["", "Inference (the same for either gradient mode):"]
    lines += _table(["HRM", "Llama", "HRM/Llama"], gen_rows)
    lines += [
        "",
        f"Where the HRM forward time goes ({args.train_len} tokens, eval, {b['segments']} segments, "
        f"{b['forward_s']:.2f}s vs Llama forward {b['llama_forward_s']:.2f}s):",
        f"  {b['L_steps']} L-steps x {b['per_L_step_s'] * 1e3:.0f} ms = {b['L_share']:.0%}; "
        f"{b['H_steps']} H-steps x {b['per_H_step_s'] * 1e3:.0f} ms = {b['H_share']:.0%}; "
        f"lm_head {b['lm_head_share']:.0%}; embeddings/masks/other {b['other_share']:.0%}",
        f"  per segment {b['per_segment_s'] * 1e3:.0f} ms. Each L- or H-step is one stack, half the Llama's depth, so a "
        "segment costs about H_cycles*(L_cycles+1)/2 Llama forwards, times the segments run.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
