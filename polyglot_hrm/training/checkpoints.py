"""Training runs that protect each other: output folders, checkpoints to resume from, stored tokenizers.

* **Output folder.** A run writes its output folder's manifest (:mod:`polyglot_hrm.outputs`). A folder holding
  an earlier run's ``checkpoint-*`` folders is refused unless the run resumes (``--resume-from-checkpoint``)
  or starts over (``--overwrite-output-dir``, ours: transformers 5 removed the argument): otherwise the
  Trainer's checkpoint rotation would delete the earlier run's checkpoints. Starting over removes only what
  the manifest lists and the Trainer's own ``checkpoint-*`` folders; a non-empty folder this tool did not write
  is never cleared.
* **Complete checkpoints.** The Trainer writes a checkpoint's weights first and ``trainer_state.json`` last, so
  a kill while saving leaves a folder without it (or with truncated weights). ``auto`` resumes from the
  newest checkpoint whose files check out, logs which, and warns about each newer one it skips.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path

from ..outputs import NotOursError, read_manifest, record_files, remove_listed

__all__ = ["CHECKPOINT", "CheckpointError", "RunExistsError", "checkpoint_problems", "checkpoints", "prepare_output_dir",
           "resolve_resume"]

logger = logging.getLogger(__name__)

CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
KIND = "training"


class RunExistsError(ValueError):
    """An output folder holding an earlier run's checkpoints, and neither resume nor overwrite asked."""


class CheckpointError(ValueError):
    """A checkpoint given to resume from that is incomplete."""


def checkpoints(output_dir: Path) -> list[Path]:
    """``checkpoint-N`` folders, newest (highest N) first."""
    if not output_dir.is_dir():
        return []
    found = [p for p in output_dir.iterdir() if p.is_dir() and CHECKPOINT.match(p.name)]
    return sorted(found, key=lambda p: int(CHECKPOINT.match(p.name).group(1)), reverse=True)  # type: ignore[union-attr]


def check_output_dir(output_dir: Path, resume: str | None, overwrite: bool) -> None:
    """Refuse, before any work, an output folder the run must not write into (see the module docstring)."""
    if output_dir.exists() and not output_dir.is_dir():
        raise NotOursError(f"output_dir={output_dir}: exists and is not a folder")
    if not output_dir.is_dir() or not any(output_dir.iterdir()):
        return
    found = checkpoints(output_dir)
    manifest = read_manifest(output_dir)
    ours = manifest is not None and manifest.kind == KIND
    if not ours and not (resume and found):
        names = ", ".join(sorted(p.name for p in output_dir.iterdir())[:5])
        raise NotOursError(f"output_dir={output_dir} is not empty ({names}) and was not written by a polyglot-hrm "
                           f"training run; nothing there is overwritten or deleted. Choose another `output_dir`, or "
                           f"move its files yourself.")
    finished = (output_dir / "trainer_state.json").is_file()  # a final model, also without checkpoints
    if (found or finished) and not resume and not overwrite:
        shown = ", ".join(p.name for p in found[:3]) + (" ..." if len(found) > 3 else "")
        what = f"checkpoints ({shown})" if found else "final model (trainer_state.json)"
        raise RunExistsError(
            f"output_dir={output_dir} holds an earlier run's {what}; a new run would overwrite it and let checkpoint "
            f"rotation delete its checkpoints. Pass `resume_from_checkpoint=auto` to continue that run, "
            f"`overwrite_output_dir=True` to start over (its checkpoints, model and tokenizer are removed), or choose "
            f"another `output_dir`.")


def prepare_output_dir(output_dir: Path, overwrite: bool) -> None:
    """Claim the folder for this run (main process only): with ``overwrite``, remove what the earlier run wrote."""
    manifest = read_manifest(output_dir)
    if overwrite and manifest is not None and manifest.kind == KIND:
        removed = remove_listed(output_dir, manifest)
        for folder in checkpoints(output_dir):
            shutil.rmtree(folder)
            removed.append(folder.name)
        if removed:
            logger.warning("overwrite_output_dir=True: removed the earlier run's %s from %s",
                           ", ".join(sorted(removed)), output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    # Listed before it exists: a run that fails after training its tokenizer still owns it.
    record_files(output_dir, KIND, ["tokenizer"])


def record_run_outputs(output_dir: Path, before: set[str]) -> None:
    """List in the manifest what this run added to the folder (so a later ``overwrite_output_dir`` removes it)."""
    new = {p.name for p in output_dir.iterdir()} - before - {".polyglot-hrm.json"}
    record_files(output_dir, KIND, sorted(new))


def _safetensors_problem(path: Path) -> str | None:
    """Whether a safetensors file is whole: its header parses and the data it announces is all there."""
    try:
        with open(path, "rb") as handle:
            size = int.from_bytes(handle.read(8), "little")
            header = json.loads(handle.read(size))
        end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
        actual = path.stat().st_size
    except (OSError, ValueError, KeyError, TypeError, IndexError) as err:
        return f"{path.name} unreadable ({err})"
    if actual < 8 + size + end:
        return f"{path.name} truncated ({actual} of {8 + size + end} bytes)"
    return None


def _weights_problems(folder: Path) -> list[str]:
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        try:
            shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        except (OSError, ValueError, KeyError) as err:
            return [f"{index.name} unreadable ({err})"]
        missing = [s for s in shards if not (folder / s).is_file()]
        if missing:
            return [f"missing weight shard(s) {missing}"]
        return [p for p in (_safetensors_problem(folder / s) for s in shards) if p]
    if (folder / "model.safetensors").is_file():
        problem = _safetensors_problem(folder / "model.safetensors")
        return [problem] if problem else []
    if (folder / "pytorch_model.bin").is_file():
        return []
    return ["no model weights (model.safetensors)"]


def checkpoint_problems(folder: str | Path) -> list[str]:
    """What makes a checkpoint folder unusable for resuming (empty: it is complete)."""
    folder = Path(folder)
    if not folder.is_dir():
        return [f"{folder}: no such folder"]
    problems = _weights_problems(folder)
    if not (folder / "config.json").is_file():
        problems.append("no config.json")
    state = folder / "trainer_state.json"
    if not state.is_file():
        problems.append("no trainer_state.json (the Trainer writes it last: saving was interrupted)")
    else:
        try:
            json.loads(state.read_text())
        except (OSError, ValueError) as err:
            problems.append(f"trainer_state.json unreadable ({err})")
    return problems


def resolve_resume(output_dir: Path, value: str | None) -> str | None:
    """The checkpoint to resume from: ``auto`` = the newest complete one under ``output_dir`` (None: start
    fresh); a path must be complete. Logs which checkpoint is used."""
    if not value:
        return None
    if value != "auto":
        problems = checkpoint_problems(value)
        if problems:
            raise CheckpointError(f"resume_from_checkpoint={value}: incomplete checkpoint ({'; '.join(problems)}); "
                                  f"resume from an earlier one, or pass auto to take the newest complete one")
        logger.info("resuming from %s", value)
        return str(value)
    for folder in checkpoints(output_dir):
        problems = checkpoint_problems(folder)
        if not problems:
            logger.info("resume_from_checkpoint=auto: resuming from %s (the newest complete checkpoint)", folder)
            return str(folder)
        logger.warning("resume_from_checkpoint=auto: skipping %s, incomplete: %s", folder, "; ".join(problems))
    logger.warning("resume_from_checkpoint=auto: no complete checkpoint-* under %s; starting fresh", output_dir)
    return None
