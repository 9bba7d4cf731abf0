"""Float32 error of each Winograd tile size against a float64 direct convolution.

Winograd's transforms (Lavin & Gray, 2016) compute the same sums as the direct
convolution, but through intermediate values of a different size, so float32 rounding
differs: ``F(4x4, 3x3)``'s matrices hold larger and more varied numbers than
``F(2x2, 3x3)``'s.  This script measures, on the VGG block's shape (N=8, 64->64, 56x56,
3x3, padding 1) and two kinds of realistic magnitudes, the largest error of the forward
and of both gradients relative to the largest reference value, for im2col (the direct
sum as a matrix product), F(2x2, 3x3) and F(4x4, 3x3), all in float32, against the
float64 direct convolution computed by PyTorch.

Run from the repository root:
    python benchmarks/winograd_error.py
"""
import numpy as np
import torch
import torch.nn.functional as F

from cnnlib import _winograd, conv2d_im2col, conv2d_backward_im2col

SHAPE = dict(n=8, c_in=64, c_out=64, size=56)
CASES = {
    "activations N(0, 1), He-initialised kernels": lambda rng, x, w: (
        x, w * np.sqrt(2 / (9 * SHAPE["c_in"]))),
    "ReLU outputs in [0, 6), kernels N(0, 1/9)": lambda rng, x, w: (
        np.clip(np.abs(x) * 2, 0, 6), w / 3),
}


def relative(value, reference):
    """Largest absolute error over the largest absolute reference value."""
    return float(np.abs(value - reference).max() / np.abs(reference).max())


def main():
    """Print the error table (Markdown) of every method on both kinds of magnitudes."""
    rng = np.random.default_rng(0)
    n, c_in, c_out, size = SHAPE.values()
    x0 = rng.standard_normal((n, c_in, size, size))
    w0 = rng.standard_normal((c_out, c_in, 3, 3))
    dout = rng.standard_normal((n, c_out, size, size))
    print("| magnitudes | method | forward | weight gradient | input gradient |")
    print("|---|---|---|---|---|")
    for name, make in CASES.items():
        x, w = make(rng, x0, w0)
        tx = torch.from_numpy(x).requires_grad_()
        tw = torch.from_numpy(w).requires_grad_()
        ref = F.conv2d(tx, tw, padding=1)
        ref.backward(torch.from_numpy(dout))
        ref, ref_dx, ref_dw = ref.detach().numpy(), tx.grad.numpy(), tw.grad.numpy()
        x32, w32, d32 = (v.astype(np.float32) for v in (x, w, dout))
        xp = np.pad(x32, ((0, 0), (0, 0), (1, 1), (1, 1)))
        out = conv2d_im2col(x32, w32, padding=1)
        dx, dw, _ = conv2d_backward_im2col(d32, x32, w32, padding=1)
        rows = [("im2col (direct sum)", out, dw, dx)]
        for m in _winograd.TILE_SIZES:
            rows.append((f"F({m}x{m}, 3x3)", _winograd.forward(xp, w32, m),
                         _winograd.weight_gradient(d32, xp, m),
                         _winograd.input_gradient(d32, w32, xp.shape[2:], m)[:, :, 1:-1, 1:-1]))
        for method, o, gw, gx in rows:
            print(f"| {name} | {method} | {relative(o, ref):.1e} | {relative(gw, ref_dw):.1e} "
                  f"| {relative(gx, ref_dx):.1e} |")


if __name__ == "__main__":
    main()
