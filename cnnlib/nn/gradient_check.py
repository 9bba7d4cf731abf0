"""Gradient checking: compare a backward pass with central finite differences.

Test your own layer with :func:`gradcheck` (float64, a random upstream
gradient), or build on :func:`numerical_gradient` and :func:`rel_error`.
"""
from __future__ import annotations

import copy

import numpy as np

from .._validate import check_same_shape
from .modules import Module

__all__ = ["numerical_gradient", "rel_error", "GradcheckReport", "gradcheck"]


def numerical_gradient(f, x, dout=None, eps=1e-6):
    """Central-difference gradient of ``sum(f(x) * dout)`` with respect to the array ``x``.

    Each entry of ``x`` is nudged by ``±eps`` in place (and restored):
    ``(L(x + eps e_i) - L(x - eps e_i)) / (2 eps)``, whose error is ``O(eps^2)``.
    Use float64: in float32 the rounding error of ``L`` swamps the difference.

    Parameters
    ----------
    f : callable, ``f(x) -> ndarray`` (it may also ignore its argument and read ``x``
        from elsewhere, e.g. a layer's weight array)
    x : ndarray (float64), modified temporarily
    dout : ndarray of ``f(x)``'s shape, optional
        Upstream gradient; ones by default (the gradient of ``sum(f(x))``).
    eps : float
        Step of the central differences, > 0.

    Returns
    -------
    ndarray, the shape of ``x``

    Examples
    --------
    >>> numerical_gradient(lambda a: a ** 2, np.array([1.0, 3.0])).round(6)
    array([2., 6.])
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a NumPy array (its entries are changed in place), "
                        f"got {type(x).__name__}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"x must be a floating-point array, got dtype {x.dtype}: the nudges "
                        f"x +- eps would be rounded away; pass x.astype(np.float64)")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("x must be a contiguous array (its entries are changed in place)")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = f(x)
        flat[i] = old - eps
        minus = f(x)
        flat[i] = old
        if dout is not None:
            check_same_shape(dout, plus, "dout", "f(x)")
        d = np.ones_like(plus) if dout is None else dout
        gflat[i] = np.sum((plus - minus) * d) / (2 * eps)
    return grad


def rel_error(a, b):
    """Relative error ``||a - b|| / (||a|| + ||b||)`` (0 when both are zero).

    ``a`` and ``b`` must have the same shape: broadcasting ``(3, 1)`` against
    ``(3,)`` would compare nine pairs instead of three.

    Examples
    --------
    >>> rel_error([3.0, 4.0], [3.0, 4.0])
    0.0
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    check_same_shape(a, b, "a", "b")
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


class GradcheckReport:
    """Result of :func:`gradcheck`: relative errors per checked array, and ``passed``."""

    def __init__(self, errors, tol, analytic, numeric):
        self.errors, self.tol = errors, tol
        self.analytic, self.numeric = analytic, numeric
        self.passed = all(e <= tol for e in errors.values())

    def __bool__(self):
        return self.passed

    def __repr__(self):
        width = max(len(k) for k in self.errors)
        lines = [f"{k:<{width}}  relative error {e:.2e}  {'ok' if e <= self.tol else 'FAIL'}"
                 for k, e in self.errors.items()]
        verdict = "passed" if self.passed else "FAILED"
        return "\n".join(lines + [f"gradcheck {verdict} (tolerance {self.tol:g})"])


def gradcheck(f, x, backward=None, eps=1e-6, tol=1e-6, seed=0):
    """Compare an analytic backward pass with central differences, in float64.

    Parameters
    ----------
    f : Module or callable
        A layer with ``forward``/``backward`` (its parameter gradients are checked
        too, on a float64 copy, so your layer is left untouched), or a function
        ``f(x) -> ndarray``.
    x : ndarray
        Input at which to check (cast to float64).  Avoid kinks (e.g. ReLU at 0,
        ties in max pooling) where the derivative does not exist, and randomness
        (check dropout with ``eval()`` or a fixed mask): ``f`` is evaluated
        twice per entry and must give the same function each time.
    backward : callable ``backward(dout, x) -> dx``, required when ``f`` is a function
        (e.g. ``gradcheck(relu, x, relu_backward)``).
    eps : float
        Step of the central differences.
    tol : float
        Largest relative error (:func:`rel_error`) that passes; float64 with
        ``eps=1e-6`` typically gives 1e-8 or less for a correct gradient.
    seed : int
        Seed of the random upstream gradient ``dout`` (random, so that errors
        cannot cancel in a sum).

    Returns
    -------
    GradcheckReport
        Truthy when every error is within ``tol``; prints one line per array.

    Examples
    --------
    >>> import numpy as np
    >>> from cnnlib.nn import tanh, tanh_backward
    >>> x = np.random.default_rng(0).standard_normal((3, 4))
    >>> gradcheck(tanh, x, tanh_backward).passed
    True
    """
    x = np.array(x, dtype=np.float64)
    rng = np.random.default_rng(seed)
    if isinstance(f, Module):
        module = copy.deepcopy(f).to(np.float64)
        out = module.forward(x)
        dout = rng.standard_normal(out.shape)
        module.zero_grad()
        dx = module.backward(dout)
        analytic, numeric = {}, {}
        if dx is not None:          # None: a first layer built with input_grad=False
            analytic["input"] = dx
            numeric["input"] = numerical_gradient(module.forward, x, dout, eps)
        for name, p in module.named_parameters():
            analytic[name] = p.grad
            numeric[name] = numerical_gradient(lambda _: module.forward(x), p.data, dout, eps)
    else:
        if backward is None:
            raise TypeError("gradcheck of a plain function needs backward(dout, x) -> dx")
        out = np.asarray(f(x))
        dout = rng.standard_normal(out.shape)
        analytic = {"input": np.asarray(backward(dout, x))}
        numeric = {"input": numerical_gradient(f, x, dout, eps)}
    for name in analytic:
        if analytic[name] is None or analytic[name].shape != numeric[name].shape:
            got = None if analytic[name] is None else analytic[name].shape
            raise ValueError(f"the backward pass gave gradient {name!r} of shape {got}, "
                             f"expected {numeric[name].shape}")
    errors = {name: rel_error(analytic[name], numeric[name]) for name in analytic}
    return GradcheckReport(errors, tol, analytic, numeric)
