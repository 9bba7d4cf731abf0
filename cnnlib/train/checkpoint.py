"""Checkpoints of :func:`~cnnlib.train.fit`: save a run, resume it exactly, or say why not.

A checkpoint holds the model, optimiser and scheduler, the random states, the
run state (epoch, step, the order of the current epoch) and the history, all as
tensors and plain data (numbers, strings, lists, tuples, dicts), so that it is
read with ``torch.load(weights_only=True)``: unpickling a file can run any code
the file names, and a checkpoint someone else made must not.  What is read is
then checked against :data:`CHECKPOINT_KEYS`, the allow-list of what a
checkpoint holds.  Weights holding NaN are never saved; a file that cannot be
read, or holds anything else, is named in the error; a run resumed with other
hyper-parameters warns, and with another kind of optimiser is refused.
"""
from __future__ import annotations

import dataclasses
import os
import pickle
import re
import pathlib
import random
import tempfile
import warnings

import numpy as np
import torch

from .history import EpochSums, History, RunState

__all__ = ["CHECKPOINT_KEYS", "hyperparameters", "resume_from", "save_checkpoint"]


def _rng_states():
    # NumPy's state as plain data (its key array as a tensor), so weights_only can read it.
    kind, key, pos, has_gauss, gauss = np.random.get_state()
    states = {"python": random.getstate(),
              "numpy": (kind, torch.from_numpy(key.astype(np.int64)), pos, has_gauss, gauss),
              "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _set_rng_states(states):
    random.setstate(states["python"])
    kind, key, pos, has_gauss, gauss = states["numpy"]
    np.random.set_state((kind, key.numpy().astype(np.uint32), pos, has_gauss, gauss))
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


# The allow-list: every key a checkpoint of fit holds, and the type of its value.
CHECKPOINT_KEYS = {"model": dict, "optimizer": dict, "scheduler": (dict, type(None)),
                   "history": dict, "epoch": int, "step": int, "global_step": int,
                   "sums": tuple, "order": (list, type(None)), "rng": dict,
                   "seed": (int, type(None)), "hparams": dict}


def _refuse(path, why):
    return ValueError(f"checkpoint {path} is refused: {why}. A checkpoint of cnnlib.train.fit "
                      f"holds tensors and plain data only; load no file you did not make. "
                      f"Delete it, or pass resume=False (or another checkpoint path) to start "
                      f"afresh")


def _load_checkpoint(path, device):
    """The checkpoint dict at ``path``, or a ValueError that names the file."""
    try:
        # weights_only: tensors and plain containers only, so no code in the file runs.
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:    # truncated, not a torch file, or code: all named
        found = re.search(r"GLOBAL (\S+)", str(exc), flags=re.IGNORECASE)
        if isinstance(exc, pickle.UnpicklingError) and found:
            raise _refuse(path, f"it names {found.group(1)}, which loading it would call: "
                                f"not a tensor or plain data") from None
        # torch's own message for a broken pickle talks of weights_only: leave it out.
        why = ("not a file torch.save wrote, or a truncated one"
               if isinstance(exc, pickle.UnpicklingError) else f"{type(exc).__name__}: {exc}")
        raise ValueError(f"checkpoint {path} cannot be read ({why}); "
                         f"delete it, or pass resume=False to start afresh") from exc
    if not isinstance(state, dict):
        raise ValueError(f"checkpoint {path} is not a checkpoint of cnnlib.train.fit (it holds "
                         f"a {type(state).__name__}); delete it, or pass resume=False to start "
                         f"afresh")
    missing = [k for k in CHECKPOINT_KEYS if k not in state]
    if missing:
        raise ValueError(f"checkpoint {path} is not a checkpoint of cnnlib.train.fit (missing "
                         f"{missing}); delete it, or pass resume=False to start afresh")
    foreign = [k for k in state if k not in CHECKPOINT_KEYS]
    wrong = [k for k, kind in CHECKPOINT_KEYS.items() if not isinstance(state[k], kind)]
    if foreign or wrong:
        raise _refuse(path, f"it holds {'the unknown keys ' + str(foreign) if foreign else ''}"
                            f"{' and ' if foreign and wrong else ''}"
                            f"{'values of the wrong type under ' + str(wrong) if wrong else ''}")
    return state


def resume_from(path, device, model, opt, sched, hparams):
    """Restore model, optimiser, scheduler and random states.

    Returns the history, the run state and the hyper-parameters of the run,
    which are the checkpoint's: its optimiser state replaces the new one.
    """
    state = _load_checkpoint(path, device)
    saved_kind = state["hparams"].get("optimizer")
    if saved_kind is not None and saved_kind != hparams["optimizer"]:
        raise ValueError(f"checkpoint {path} was saved with the optimiser {saved_kind}, but this "
                         f"run uses {hparams['optimizer']}: the state of one kind of optimiser "
                         f"does not carry over to another. Resume with {saved_kind}, or pass "
                         f"resume=False (or another checkpoint path) to start afresh with "
                         f"{hparams['optimizer']}")
    changes = _changed(state["hparams"], hparams)
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
    return History(**state["history"]), run, state["hparams"]


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
    # Write to a temporary file of its own in the same folder, then rename (atomic
    # on one file system): an interruption leaves the previous checkpoint intact,
    # and two runs saving to one path never write into the same temporary file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    os.close(fd)
    state = {
        "model": model.state_dict(), "optimizer": opt.state_dict(),
        "scheduler": None if sched is None else sched.state_dict(),
        "history": history.to_dict(), "epoch": run.epoch, "step": run.step,
        "global_step": run.global_step, "sums": dataclasses.astuple(run.sums),
        "order": run.order, "rng": _rng_states(), "seed": seed, "hparams": hparams,
    }
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise
