"""The three tiers of cnnlib.conv (loop, im2col, fast layer) agree with PyTorch and each other.

The reading order is part of the contract: the loop comes first in the file, the im2col
tier calls the public ``im2col``/``col2im`` the lessons teach plus one matrix product, and
the input gradient of ``conv2d_backward`` and ``conv_transpose2d`` run one function.
"""
import ast
import inspect
import textwrap
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings, strategies as st

import cnnlib
import cnnlib._conv_fast
import cnnlib.conv
from cnnlib.conv import (conv2d, conv2d_backward, conv2d_backward_im2col, conv2d_backward_naive,
                         conv2d_im2col, conv2d_naive, conv_transpose2d)

LIB = Path(cnnlib.__file__).parent
MODES = ("zeros", "reflect", "replicate", "circular")


def first_function(module_file):
    tree = ast.parse(module_file.read_text())
    return next(node.name for node in tree.body
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)))


def test_the_loop_is_the_first_function_a_reader_meets():
    assert first_function(LIB / "conv.py") == "conv2d_naive"
    assert first_function(LIB / "pool.py") == "max_pool2d_naive"


def test_the_tiers_come_in_lecture_order():
    names = [node.name for node in ast.parse((LIB / "conv.py").read_text()).body
             if isinstance(node, ast.FunctionDef)]
    order = ["conv2d_naive", "conv2d_backward_naive", "conv2d_im2col", "conv2d_backward_im2col",
             "conv2d", "conv2d_backward"]
    assert [names.index(n) for n in order] == sorted(names.index(n) for n in order)


def calls_in(function):
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return [ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)]


def test_the_im2col_tier_is_public_im2col_and_one_matrix_product():
    forward = calls_in(conv2d_im2col)
    assert forward.count("im2col") == 1 and forward.count("np.matmul") == 1
    backward = calls_in(conv2d_backward_im2col)
    assert "im2col" in backward and "col2im" in backward
    # The names it calls are the very functions of cnnlib.unfold (not a private copy).
    assert cnnlib.conv.im2col is cnnlib.unfold.im2col
    assert cnnlib.conv.col2im is cnnlib.unfold.col2im
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(2, 4, 6, 6)), rng.normal(size=(6, 2, 3, 3))
    with mock.patch.object(cnnlib.conv, "im2col", wraps=cnnlib.unfold.im2col) as spy, \
            mock.patch.object(cnnlib.conv, "col2im", wraps=cnnlib.unfold.col2im) as fold:
        conv2d_im2col(x, w, groups=2)
        conv2d_backward_im2col(np.ones((2, 6, 4, 4)), x, w, groups=2)
    assert spy.call_count == 2 and fold.call_count == 1


def test_input_gradient_and_transposed_convolution_run_one_function():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(2, 3, 7, 7)), rng.normal(size=(4, 3, 3, 3))
    with mock.patch.object(cnnlib._conv_fast, "input_gradient",
                           wraps=cnnlib._conv_fast.input_gradient) as spy:
        conv2d_backward(np.ones((2, 4, 5, 5)), x, w)
        assert spy.call_count == 1
        conv_transpose2d(np.ones((2, 4, 5, 5)), w)
        assert spy.call_count == 2
        conv2d_backward(np.ones((2, 4, 5, 5)), x, w, input_grad=False)
        assert spy.call_count == 2


def torch_layer(x, w, b, stride, padding, dilation, groups, mode):
    kh, kw = w.shape[2:]
    if padding == "full":
        padding = (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
    layer = torch.nn.Conv2d(x.shape[1], w.shape[0], (kh, kw), stride=stride, padding=padding,
                            dilation=dilation, groups=groups, bias=b is not None,
                            padding_mode=mode, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(w))
        if b is not None:
            layer.bias.copy_(torch.from_numpy(b))
    tx = torch.from_numpy(x).requires_grad_()
    return layer, tx


@st.composite
def cases(draw):
    groups = draw(st.sampled_from([1, 2, 3]))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 3))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.one_of(st.integers(0, 2), st.sampled_from(["valid", "same", "full"])))
    stride = (1, 1) if padding == "same" else (draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    size = (draw(st.integers(1, 8)), draw(st.integers(1, 8)))
    return (draw(st.integers(1, 2)), c_in, c_out, size, kernel, stride, padding, dilation,
            groups, draw(st.sampled_from(MODES)), draw(st.booleans()))


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@settings(max_examples=60, deadline=None)
@given(cases(), st.integers(0, 2**31 - 1))
def test_each_tier_equals_torch_forward_and_backward(case, seed):
    n, c_in, c_out, size, kernel, stride, padding, dilation, groups, mode, use_bias = case
    pads = cnnlib.conv_padding(padding, kernel, dilation)
    for s, k, d, (a, b) in zip(size, kernel, dilation, pads):
        assume(s + a + b >= d * (k - 1) + 1)
        assume(not (mode == "reflect" and max(a, b) >= s) and
               not (mode == "circular" and max(a, b) > s))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c_in) + size)
    w = rng.normal(size=(c_out, c_in // groups) + kernel)
    b = rng.normal(size=c_out) if use_bias else None
    layer, tx = torch_layer(x, w, b, stride, padding, dilation, groups, mode)
    expected = layer(tx)
    dout = rng.normal(size=tuple(expected.shape))
    expected.backward(torch.from_numpy(dout))
    args = dict(stride=stride, padding=padding, dilation=dilation, groups=groups,
                padding_mode=mode)
    for forward in (conv2d_naive, conv2d_im2col, conv2d):
        np.testing.assert_allclose(forward(x, w, b, **args), expected.detach().numpy(),
                                   rtol=1e-10, atol=1e-10, err_msg=forward.__name__)
    for backward in (conv2d_backward_naive, conv2d_backward_im2col, conv2d_backward):
        dx, dw, db = backward(dout, x, w, **args)
        np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-9, atol=1e-9,
                                   err_msg=backward.__name__)
        np.testing.assert_allclose(dw, layer.weight.grad.numpy(), rtol=1e-9, atol=1e-9,
                                   err_msg=backward.__name__)
        np.testing.assert_allclose(db, np.asarray(dout).sum(axis=(0, 2, 3)), rtol=1e-9)


def test_the_im2col_tier_keeps_dtypes_and_unbatched_inputs():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 6, 6)).astype(np.float32)
    w = rng.normal(size=(2, 3, 3, 3)).astype(np.float32)
    out = conv2d_im2col(x, w, padding=1)
    expected = F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w), padding=1)[0]
    assert out.dtype == np.float32 and out.shape == (2, 6, 6)
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-5, atol=1e-5)
    dx, dw, db = conv2d_backward_im2col(np.ones((2, 6, 6), np.float32), x, w, padding=1)
    assert dx.shape == x.shape and dx.dtype == np.float32 and dw.shape == w.shape


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.integers(1, 3), st.integers(0, 2**31 - 1))
def test_depthwise_transposed_convolution_equals_torch(channels, m, k, stride, dilation, seed):
    # groups = C_in and one input channel per group: the depthwise branch of input_gradient.
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, channels, 5, 4))
    w = rng.normal(size=(channels, m, k, k))
    output_padding = max(stride, dilation) - 1
    padding = min(1, (k - 1) * dilation // 2)
    expected = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), stride=stride,
                                  padding=padding, output_padding=output_padding,
                                  groups=channels, dilation=dilation)
    out = conv_transpose2d(x, w, stride=stride, padding=padding, output_padding=output_padding,
                           groups=channels, dilation=dilation)
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-10, atol=1e-10)
