"""What every self-check shares: the error it raises, the comparison, the report.

A check calls the student's function through :func:`call` (a stub's
``NotImplementedError`` becomes "not written yet", with its hint), turns the result
into a float array with :func:`as_array` (None, a wrong type or complex values are
reported as such), compares with :func:`agree`, and explains a difference with
:func:`diagnose`: the first "usual mistake" (a candidate result computed from the
same inputs) that reproduces the student's answer, otherwise where and by how much
the arrays differ (:func:`difference`).  The assignment modules hold the cases;
the usual mistakes are tables of :class:`Mistake` rows, one table per check.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

__all__ = ["RTOL", "ATOL", "SelfCheckError", "Mistake", "function_name", "passed", "call",
           "as_array",
           "rel_error", "agree", "index_text", "difference", "diagnose", "check_unchanged",
           "case_arrays", "torch_call", "torch_grads", "check_dtype", "compare_tensor"]

RTOL, ATOL = 1e-5, 1e-6


class SelfCheckError(AssertionError):
    """A self-check failed; the message says what differs and, if it can, why."""

    def _render_traceback_(self):
        # IPython shows this list instead of a traceback: the message is the news,
        # the stack inside the checker would only hide it.
        return ["\x1b[31m✘ " + line + "\x1b[0m" if i == 0 else line
                for i, line in enumerate(str(self).split("\n"))]


def function_name(fn, param, name, default):
    """The name the messages give ``fn``; a TypeError unless ``fn`` is a function to check."""
    if not callable(fn):
        raise TypeError(f"{param} must be your function (a callable), got "
                        f"{type(fn).__name__}: pass the function itself, e.g. "
                        f"check(my_{default}), not a result or a call of it")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a str or None, got {type(name).__name__}")
    return name or getattr(fn, "__name__", default)


def passed(name, cases, detail=""):
    print(f"✔ {name}: all {cases} cases agree with the reference{detail}")


def call(fn, name, case, *args, **kwargs):
    """Call the student's function; turn a stub's NotImplementedError into a clear message."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as exc:
        hint = f" (hint: {exc})" if str(exc) else ""
        raise SelfCheckError(
            f"{name} is not written yet: it raises NotImplementedError{hint}.\n"
            f"Replace the `raise NotImplementedError` line with your code, run that cell, "
            f"then run this check again.") from None
    except Exception as exc:
        exc.add_note(f"[self-check] {name} failed on case {case}")
        raise


def as_array(out, name, case, what="the result", integers=False):
    """``out`` as a float64 array; None, tensors, ragged lists, integers and complex are errors.

    ``integers=True`` accepts an integer result, for answers that are counts (an output size,
    a number of parameters), where a whole number is what is asked for.
    """
    if out is None:
        raise SelfCheckError(f"{name}, case {case}: returned None. Did you forget `return`?")
    if type(out).__module__.startswith("torch"):
        grad = " that requires grad" if getattr(out, "requires_grad", False) else ""
        raise SelfCheckError(
            f"{name}, case {case}: {what} is a torch.Tensor{grad}; this task is written in "
            f"NumPy and returns a NumPy array (compute with NumPy on the arrays you get).")
    try:
        array = np.asarray(out)
    except ValueError:
        raise SelfCheckError(
            f"{name}, case {case}: {what} is a {type(out).__name__} whose rows have different "
            f"lengths (ragged), which is no array: return one NumPy array, e.g. made with "
            f"np.zeros of the output shape and filled in.") from None
    if np.iscomplexobj(array):
        raise SelfCheckError(
            f"{name}, case {case}: {what} is complex ({array.dtype}); a layer of "
            f"real inputs gives real values. Complex numbers come from e.g. np.fft or a "
            f"square root of a negative number: compute with real arithmetic.")
    if array.dtype.kind in "biu" and not integers:
        raise SelfCheckError(
            f"{name}, case {case}: {what} has the integer dtype {array.dtype}, so every value "
            f"was cut to a whole number: create the output with a float dtype, e.g. "
            f"np.zeros(shape, dtype=x.dtype).")
    try:
        return np.asarray(array, dtype=np.float64)
    except (TypeError, ValueError):
        raise SelfCheckError(f"{name}, case {case}: must return {what} as a NumPy array, "
                             f"got {type(out).__name__}") from None


def rel_error(a, b):
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def agree(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=RTOL, atol=ATOL)


def index_text(idx):
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def difference(got, expected, what, border=0):
    """Describe how ``got`` differs from ``expected`` (same shape): where, by how much."""
    if np.isnan(got).any():
        idx = np.argwhere(np.isnan(got))[0]
        return f"{what} contains NaN, first at {what}{index_text(idx)}"
    bad = ~np.isclose(got, expected, rtol=RTOL, atol=ATOL)
    idx = np.unravel_index(np.argmax(np.abs(got - expected) * bad), got.shape)
    first = np.argwhere(bad)[0]
    text = (f"{int(bad.sum())} of {got.size} values of {what} differ. First at "
            f"{what}{index_text(first)}: got {got[tuple(first)]:.6g}, expected "
            f"{expected[tuple(first)]:.6g}; largest difference at {what}{index_text(idx)}: got "
            f"{got[idx]:.6g}, expected {expected[idx]:.6g}; relative error of the whole array "
            f"{rel_error(got, expected):.2e}.")
    if border and got.ndim == 4:
        h, w = got.shape[2:]
        rows, cols = np.nonzero(bad.any(axis=(0, 1)))
        inner = ((rows >= border) & (rows < h - border) & (cols >= border) & (cols < w - border))
        if not inner.any():
            text += (f" Only values within {border} cell(s) of the border differ: look at "
                     f"your padding.")
    return text


@dataclasses.dataclass(frozen=True)
class Mistake:
    """A usual mistake: one row of a check's table."""

    name: str                  # what the mistake is, in a few words
    wrong: Callable            # wrong(case): the result it gives, or None if the case can't show it
    message: str               # what the student reads; may name the case's fields, e.g. {p}


def diagnose(got, expected, mistakes, case, what, border=0):
    """The message of the first of ``mistakes`` that reproduces ``got``, else the difference.

    ``case`` is the namespace of the case's inputs that each ``Mistake.wrong`` reads and
    its message may name.
    """
    for mistake in mistakes:
        candidate = mistake.wrong(case)
        if candidate is not None and agree(got, np.asarray(candidate, dtype=np.float64)):
            return mistake.message.format(**vars(case))
    return difference(got, expected, what, border)


def check_unchanged(before, after, name, case, what="x"):
    for b, a, arg in zip(before, after, what.split(", ")):
        if not np.array_equal(b, a):
            raise SelfCheckError(
                f"{name}, case {case}: changed its input `{arg}` in place (with +=, *= or "
                f"{arg}[...] = on the input itself): compute into a new array.")


def case_arrays(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


# --------------------------------------------------------------------------- autograd bridge
def torch_call(fn, name, case, *args):
    import torch
    out = call(fn, name, case, *args)
    if not isinstance(out, torch.Tensor):
        raise SelfCheckError(f"{name}, case {case}: must return a torch.Tensor (e.g. "
                             f"torch.from_numpy(out)), got {type(out).__name__}")
    return out


def torch_grads(out, name, case, n_forward_args):
    import torch
    if out.grad_fn is None:
        raise SelfCheckError(
            f"{name}, case {case}: the output is not connected to the autograd graph "
            f"(grad_fn is None). Call your Function with `.apply(...)`, which records it, "
            f"and return a tensor made from the NumPy result inside forward.")
    grad_out = torch.randn(out.shape, dtype=out.dtype, generator=torch.Generator().manual_seed(0))
    try:
        out.backward(grad_out)
    except RuntimeError as exc:
        if "incorrect number of gradients" in str(exc):
            raise SelfCheckError(
                f"{name}, case {case}: {exc}. backward must return one value per argument "
                f"of forward after ctx ({n_forward_args} here): None for the ones that "
                f"are not tensors, such as the stride.") from None
        exc.add_note(f"[self-check] {name}: the backward pass failed on case {case}")
        raise
    return grad_out


def check_dtype(out, dtype, name, case):
    if out.dtype != dtype:
        raise SelfCheckError(f"{name}, case {case}: the output is {out.dtype} for {dtype} "
                             f"input; keep the input's dtype (x.dtype).")


def compare_tensor(got, expected, what, name, case):
    if got is None:
        raise SelfCheckError(f"{name}, case {case}: {what} is None: backward returned no "
                             f"gradient for it.")
    if got.is_complex():
        raise SelfCheckError(f"{name}, case {case}: {what} is complex ({got.dtype}); keep "
                             f"the input's real dtype.")
    got, expected = got.detach().double().numpy(), expected.detach().double().numpy()
    if got.shape != expected.shape:
        raise SelfCheckError(f"{name}, case {case}: {what} has shape {got.shape}, expected "
                             f"{expected.shape}.")
    if not agree(got, expected):
        raise SelfCheckError(f"{name}, case {case}: {difference(got, expected, what)}")
