"""Checkpoints of :func:`~cnnlib.train.fit`: save a run, resume it exactly, or say why not.

A checkpoint holds the model, optimiser and scheduler, the random states, the
run state (epoch, step, the order of the current epoch) and the history. Weights
holding NaN are never saved; a file that cannot be read is named in the error;
a run resumed with other hyper-parameters warns.
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
import random
import warnings

import numpy as np
import torch

from .history import EpochSums, History, RunState

__all__ = ["hyperparameters", "resume_from", "save_checkpoint"]


def _rng_states():
    states = {"python": random.getstate(), "numpy": np.random.get_state(),
              "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _set_rng_states(states):
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def hyperparameters(opt, batch_size, seed) -> dict:
    """What a resumed run should share with the run that saved the checkpoint."""
    simple = (int, float, str, bool, tuple, type(None))
    groups = [{k: v for k, v in group.items() if k != "params" and isinstance(v, simple)}
              for group in opt.param_groups]
    return {"optimizer": type(opt).__name__, "param_groups": groups,
            "batch_size": batch_size, "seed": seed}


def _changed(saved: dict, now: dict) -> list:
    """``"name: saved -> now"`` for every hyper-parameter that differs."""
    changes = [f"{key}: {saved[key]!r} -> {now[key]!r}"
               for key in ("optimizer", "batch_size", "seed") if saved.get(key) != now[key]]
    for i, (old, new) in enumerate(zip(saved.get("param_groups", []), now["param_groups"])):
        prefix = f"param_groups[{i}]." if len(now["param_groups"]) > 1 else ""
        changes += [f"{prefix}{key}: {old[key]!r} -> {new[key]!r}"
                    for key in new if key in old and old[key] != new[key]]
    return changes


_CHECKPOINT_KEYS = ("model", "optimizer", "scheduler", "history", "epoch", "step",
                    "global_step", "sums", "order", "rng")


def _load_checkpoint(path, device):
    """The checkpoint dict at ``path``, or a ValueError that names the file."""
    try:
        state = torch.load(path, map_location=device, weights_only=False)
    except Exception as exc:     # truncated, not a torch file, unpicklable: all one answer
        raise ValueError(f"checkpoint {path} cannot be read ({type(exc).__name__}: {exc}); "
                         f"delete it, or pass resume=False to start afresh") from exc
    missing = [k for k in _CHECKPOINT_KEYS if k not in state] if isinstance(state, dict) else ["*"]
    if missing:
        raise ValueError(f"checkpoint {path} is not a checkpoint of cnnlib.train.fit (missing "
                         f"{missing}); delete it, or pass resume=False to start afresh")
    return state


def resume_from(path, device, model, opt, sched, hparams):
    """Restore model, optimiser, scheduler and random states.

    Returns the history, the run state and the hyper-parameters of the run,
    which are the checkpoint's: its optimiser state replaces the new one.
    """
    state = _load_checkpoint(path, device)
    changes = _changed(state["hparams"], hparams) if "hparams" in state else []
    if changes:
        warnings.warn(f"resuming from {path}, saved with other hyper-parameters ("
                      f"{'; '.join(changes)}); the run continues with the checkpoint's "
                      f"optimiser state and shuffling. Pass resume=False (or another "
                      f"checkpoint path) to start a new run with the new values.",
                      UserWarning, stacklevel=4)
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    if sched is not None and state["scheduler"] is not None:
        sched.load_state_dict(state["scheduler"])
    _set_rng_states(state["rng"])
    run = RunState(state["epoch"], state["step"], state["global_step"],
                    EpochSums(*state["sums"]), state["order"])
    return History(**state["history"]), run, state.get("hparams", hparams)


def _non_finite(model) -> list:
    return [name for name, t in model.state_dict().items()
            if t.is_floating_point() and not torch.isfinite(t).all()]


def save_checkpoint(path, model, opt, sched, history, run, seed, hparams):
    """Save the run; refuse to save weights that hold NaN or infinity."""
    bad = _non_finite(model)
    if bad:
        raise FloatingPointError(f"the weights {bad[:3]} hold NaN or infinite values at epoch "
                                 f"{run.epoch + 1}, step {run.step}; they are not saved, so "
                                 f"{path} keeps the last finite state")
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write to a temporary file and rename: an interruption during the write
    # leaves the previous checkpoint intact.
    tmp = path.with_name(path.name + ".tmp")
    torch.save({
        "model": model.state_dict(), "optimizer": opt.state_dict(),
        "scheduler": None if sched is None else sched.state_dict(),
        "history": history.to_dict(), "epoch": run.epoch, "step": run.step,
        "global_step": run.global_step, "sums": dataclasses.astuple(run.sums),
        "order": run.order, "rng": _rng_states(), "seed": seed, "hparams": hparams,
    }, tmp)
    os.replace(tmp, path)
