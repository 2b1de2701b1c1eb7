"""Benchmark the default HRM against a LlamaForCausalLM of the same width, depth and parameter count.

Measures, in one run on the same machine (CPU by default, `--device cuda` where there is a GPU):
  * training-step throughput (forward + backward + AdamW step, batch 1) in tokens/s;
  * cached greedy generation throughput in new tokens/s (and the time for a typical answer);
  * peak memory of one training step at sequence length 2048, batch 1 (CPU: peak RSS of a fresh
    subprocess minus its RSS just before the step; CUDA: torch.cuda.max_memory_allocated);
  * where the HRM's forward time goes: per L-step, per H-step, embeddings/heads, per segment.

"Same depth" means the Llama has as many layers as the HRM has distinct layers (H stack + L stack); its
MLP is widened so the parameter counts match (the HRM attention has an extra output gate).

Usage:  python benchmarks/model.py [--threads 1] [--train-len 512] [--new-tokens 32] [--reps 2] [--skip-memory]
On a shared 2-core box use --threads 1: with other processes running, a second torch thread mostly spins.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
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


def build_hrm() -> HRMForCausalLM:
    torch.manual_seed(0)
    return HRMForCausalLM(HRMConfig())


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


def llama_forward_s(model: LlamaForCausalLM, length: int, device: str) -> float:
    model.eval()
    ids = torch.randint(3, model.config.vocab_size, (1, length), device=device)
    with torch.no_grad():
        return timed(lambda: model(ids), 1, device)


# ---------------------------------------------------------------------------------------------- memory
def memory_child(which: str, length: int, device: str) -> dict[str, float]:
    """Run in a fresh process: peak memory (MiB) of one training step of `which` at `length` tokens."""
    if which == "hrm":
        model = build_hrm()
    else:
        # Count the HRM's parameters on the meta device: materialising it would raise the peak RSS we measure.
        with torch.device("meta"):
            hrm = HRMForCausalLM(HRMConfig())
        model = build_llama(n_params(hrm), hrm.config)
    model.to(device)
    step = train_step_fn(model, length, device)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        start = time.perf_counter()
        step()
        torch.cuda.synchronize()
        return {"peak_mib": torch.cuda.max_memory_allocated() / 2**20, "step_mib": (torch.cuda.max_memory_allocated() - base) / 2**20,
                "seconds": time.perf_counter() - start}
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB (Linux)
    start = time.perf_counter()
    step()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"peak_mib": peak, "step_mib": peak - base, "seconds": time.perf_counter() - start}


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
    p.add_argument("--reps", type=int, default=2, help="timed repetitions per measurement, median reported (default 2)")
    p.add_argument("--mem-len", type=int, default=2048, help="sequence length of the memory measurement (default 2048)")
    p.add_argument("--skip-memory", action="store_true", help="skip the (slow) 2048-token memory measurement")
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    p.add_argument("--memory-child", choices=["hrm", "llama"], help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child, args.mem_len, args.device)))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    dev = args.device
    hrm = build_hrm().to(dev)
    llama = build_llama(n_params(hrm), hrm.config).to(dev)
    cfg = hrm.config
    res: dict[str, dict] = {"hrm": {"params": n_params(hrm)}, "llama": {"params": n_params(llama)}}
    logger.info("device=%s threads=%d | HRM %.2fM params (hidden %d, %d layers/stack, H%d x L%d, %d segments) | "
                "Llama %.2fM params (hidden %d, %d layers, intermediate %d)", dev, args.threads, res["hrm"]["params"] / 1e6,
                cfg.hidden_size, cfg.num_layers_per_stack, cfg.H_cycles, cfg.L_cycles, cfg.effective_inference_segments,
                res["llama"]["params"] / 1e6, llama.config.hidden_size, llama.config.num_hidden_layers,
                llama.config.intermediate_size)
    for name, model in (("hrm", hrm), ("llama", llama)):
        logger.info("timing %s training step (%d tokens)...", name, args.train_len)
        t = timed(train_step_fn(model, args.train_len, dev), args.reps, dev)
        res[name]["train_step_s"] = t
        res[name]["train_tok_s"] = args.train_len / t
        logger.info("timing %s cached generation (%d + %d tokens)...", name, args.prompt_len, args.new_tokens)
        t = timed(generate_fn(model, args.prompt_len, args.new_tokens, dev), args.reps, dev)
        res[name]["gen_s"] = t
        res[name]["gen_tok_s"] = args.new_tokens / t
    logger.info("timing HRM uncached generation and the forward breakdown...")
    res["hrm"]["gen_nocache_tok_s"] = args.new_tokens / timed(generate_fn(hrm, args.prompt_len, args.new_tokens, dev, False), 1, dev)
    breakdown = hrm_time_breakdown(hrm, args.train_len, dev)
    breakdown["llama_forward_s"] = llama_forward_s(llama, args.train_len, dev)
    if not args.skip_memory:
        for name in ("hrm", "llama"):
            logger.info("measuring %s training-step memory at %d tokens (subprocess)...", name, args.mem_len)
            res[name]["memory"] = measure_memory(name, args.mem_len, dev, args.threads)
    res["breakdown"] = breakdown
    res["args"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    print(render_table(res, args))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return 0


def render_table(res: dict, args: argparse.Namespace) -> str:
    h, l, b = res["hrm"], res["llama"], res["breakdown"]
    rows = [
        ("parameters", f"{h['params'] / 1e6:.2f}M", f"{l['params'] / 1e6:.2f}M", f"{h['params'] / l['params']:.2f}"),
        (f"train step, {args.train_len} tok (s)", f"{h['train_step_s']:.2f}", f"{l['train_step_s']:.2f}", f"{h['train_step_s'] / l['train_step_s']:.2f}"),
        ("train throughput (tok/s)", f"{h['train_tok_s']:.0f}", f"{l['train_tok_s']:.0f}", f"{h['train_tok_s'] / l['train_tok_s']:.3f}"),
        ("generation, cached (new tok/s)", f"{h['gen_tok_s']:.1f}", f"{l['gen_tok_s']:.1f}", f"{h['gen_tok_s'] / l['gen_tok_s']:.3f}"),
        (f"time for {TYPICAL_ANSWER_TOKENS} new tokens (s)", f"{TYPICAL_ANSWER_TOKENS / h['gen_tok_s']:.1f}", f"{TYPICAL_ANSWER_TOKENS / l['gen_tok_s']:.1f}", ""),
        ("generation, no cache (new tok/s)", f"{h['gen_nocache_tok_s']:.1f}", "", ""),
    ]
    if "memory" in h:
        hm, lm = h["memory"], l["memory"]
        rows += [
            (f"train step peak memory, {args.mem_len} tok (MiB)", f"{hm['peak_mib']:.0f}", f"{lm['peak_mib']:.0f}", f"{hm['peak_mib'] / lm['peak_mib']:.2f}"),
            ("  of which the step itself (MiB)", f"{hm['step_mib']:.0f}", f"{lm['step_mib']:.0f}", f"{hm['step_mib'] / max(lm['step_mib'], 1):.2f}"),
            (f"  step time at {args.mem_len} tok (s)", f"{hm['seconds']:.1f}", f"{lm['seconds']:.1f}", f"{hm['seconds'] / lm['seconds']:.2f}"),
        ]
    width = max(len(r[0]) for r in rows)
    lines = [f"device={args.device} threads={args.threads} reps={args.reps}",
             f"{'':{width}}  {'HRM':>10}  {'Llama':>10}  {'HRM/Llama':>10}"]
    lines += [f"{r[0]:{width}}  {r[1]:>10}  {r[2]:>10}  {r[3]:>10}" for r in rows]
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
