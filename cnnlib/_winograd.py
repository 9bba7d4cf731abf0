"""Winograd's minimal filtering: a 3x3, stride-1 convolution with fewer multiplications.

``cnnlib._conv_fast`` dispatches here for 3x3 kernels with stride 1, dilation 1 and one
group when ``winograd_pays`` says so; nothing else imports this module.  The numbers are
those of ``cnnlib.conv.conv2d_naive`` up to rounding (the tests measure how much).

The idea (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016).
``F(m x m, 3 x 3)`` computes an ``m x m`` tile of outputs from an ``a x a`` tile of the
padded input, ``a = m + 2``:

    Y = A^T [ (G g G^T) * (B^T d B) ] A

with ``g`` the 3x3 kernel, ``d`` the input tile, ``*`` the elementwise product, and
three constant matrices: ``G`` (a x 3) transforms the kernel, ``B^T`` (a x a) the input
tile, ``A^T`` (m x a) brings the product back to outputs.  The direct sum needs
``9 m^2`` multiplications per tile, the elementwise product ``a^2``: 16 instead of 36
for ``F(2x2, 3x3)`` (2.25x fewer), 36 instead of 144 for ``F(4x4, 3x3)`` (4x fewer).

In a layer the kernel and input transforms are linear, so the sum over input channels
can be done *in the transformed domain*: for each of the ``a^2`` tile positions ``xi``,

    M[xi] = U[xi] @ V[xi]      (C_out, C_in) @ (C_in, tiles) -> (C_out, tiles)

with ``U = G g G^T`` for every kernel and ``V = B^T d B`` for every tile of every image.
That is one batched matrix product (``np.matmul`` over the ``a^2`` positions), where
the convolution's multiply-adds are; the transforms cost a few additions per value.

Both gradients are Winograd convolutions too:

- the input gradient is the stride-1 3x3 convolution of the output gradient, padded by
  2, with the kernel flipped and its two channel axes swapped (``input_gradient``);
- the weight gradient is the adjoint of the forward's arithmetic:
  ``dU[xi] = dM[xi] @ V[xi]^T`` with ``dM = A dY A^T``, then ``dg = G^T dU G``
  (``weight_gradient``).

Float32 error: the larger tile's matrices hold larger and more varied numbers (up to 8
in ``A^T``, 1/24 in ``G``), so ``F(4x4, 3x3)`` rounds worse, about 10x the direct sum's
error: too much for the course's float32 tolerance, so float32 uses ``F(2x2, 3x3)`` and
float64 ``F(4x4, 3x3)`` (``tile_size_for``; the numbers are in ``benchmarks/README.md``).
"""
import numpy as np

__all__ = ["TRANSFORMS", "TILE_SIZES", "CHUNK_BYTES", "winograd_pays", "tile_size_for",
           "forward", "weight_gradient", "input_gradient", "kernel_transform",
           "input_transform", "output_transform", "output_transform_adjoint"]

# The transform matrices of Lavin & Gray (2016), named as there: B^T (a x a), G (a x 3),
# A^T (m x a), for F(2x2, 3x3) (interpolation points 0, 1, -1, infinity) and
# F(4x4, 3x3) (points 0, 1, -1, 2, -2, infinity).
TRANSFORMS = {
    2: dict(
        BT=np.array([[1, 0, -1, 0],
                     [0, 1, 1, 0],
                     [0, -1, 1, 0],
                     [0, 1, 0, -1]], dtype=np.float64),
        G=np.array([[1, 0, 0],
                    [1 / 2, 1 / 2, 1 / 2],
                    [1 / 2, -1 / 2, 1 / 2],
                    [0, 0, 1]], dtype=np.float64),
        AT=np.array([[1, 1, 1, 0],
                     [0, 1, -1, -1]], dtype=np.float64)),
    4: dict(
        BT=np.array([[4, 0, -5, 0, 1, 0],
                     [0, -4, -4, 1, 1, 0],
                     [0, 4, -4, -1, 1, 0],
                     [0, -2, -1, 2, 1, 0],
                     [0, 2, -1, -2, 1, 0],
                     [0, 4, 0, -5, 0, 1]], dtype=np.float64),
        G=np.array([[1 / 4, 0, 0],
                    [-1 / 6, -1 / 6, -1 / 6],
                    [-1 / 6, 1 / 6, -1 / 6],
                    [1 / 24, 1 / 12, 1 / 6],
                    [1 / 24, -1 / 12, 1 / 6],
                    [0, 0, 1]], dtype=np.float64),
        AT=np.array([[1, 1, 1, 1, 1, 0],
                     [0, 1, -1, 2, -2, 0],
                     [0, 1, 1, 4, 4, 0],
                     [0, 1, -1, 8, -8, 1]], dtype=np.float64)),
}
TILE_SIZES = tuple(TRANSFORMS)

# The transformed tiles are built for blocks of tile rows whose transformed input takes at
# most this many bytes, so a large image never holds all of them at once (and a block's
# tiles stay closer to the cache).
CHUNK_BYTES = 2**20


# --------------------------------------------------------------------------------------
# When Winograd is used
# --------------------------------------------------------------------------------------
def winograd_pays(weight_shape, stride, dilation, groups, output_size):
    """True when the layer is a 3x3, stride-1, undilated, ungrouped convolution worth it.

    The rule (measured with ``benchmarks/bench_layers.py`` on a 2-core AVX2 machine, one
    thread): the batched matrix product must be big enough to dominate the transforms,
    i.e. at least 16 input and 16 output channels, and the output at least 4 x 4.
    Smaller layers (a first layer with 1 or 3 channels, a 2 x 2 feature map) keep im2col.
    """
    c_out, c_in, kh, kw = weight_shape
    return ((kh, kw) == (3, 3) and tuple(stride) == (1, 1) and tuple(dilation) == (1, 1)
            and groups == 1 and c_in >= 16 and c_out >= 16
            and min(output_size) >= 4)


def tile_size_for(dtype, output_size):
    """The output tile ``m`` of ``F(m x m, 3 x 3)``: 4 in float64 on maps of 8 x 8 or more, else 2.

    ``F(4x4, 3x3)`` needs 4x fewer multiplications than the direct sum, ``F(2x2, 3x3)``
    2.25x, but the larger tile rounds worse.  Measured on the VGG block with
    ``benchmarks/winograd_error.py`` (largest error over the largest value, against a
    float64 direct convolution): in float32, im2col 6e-7, ``F(2x2)`` 4e-7 to 6e-7,
    ``F(4x4)`` 5e-6 to 9e-6, i.e. absolute errors of about 6e-5 on outputs of size 7,
    beyond the course's float32 tolerance (``rtol = atol = 1e-5``).  So float32 uses
    ``F(2x2, 3x3)``; float64 (errors near 1e-14) uses ``F(4x4, 3x3)``.  On maps smaller
    than 8 x 8 the larger tile would mostly compute padding.
    """
    return 4 if np.dtype(dtype) == np.float64 and min(output_size) >= 8 else 2


# --------------------------------------------------------------------------------------
# The three entry points
# --------------------------------------------------------------------------------------
def forward(xp, weight, m=2):
    """Stride-1 3x3 cross-correlation of the padded input ``xp`` (no bias).

    Parameters
    ----------
    xp : ndarray, shape (N, C_in, H_p, W_p), padded, float32 or float64
    weight : ndarray, shape (C_out, C_in, 3, 3), same dtype
    m : int
        Output tile size: 2 for F(2x2, 3x3), 4 for F(4x4, 3x3).

    Returns
    -------
    ndarray, shape (N, C_out, H_p - 2, W_p - 2), contiguous
    """
    t = _matrices(m, xp.dtype)
    u = kernel_transform(weight, t)                     # (a^2, C_out, C_in)
    output_size = (xp.shape[2] - 2, xp.shape[3] - 2)
    grid = _tile_grid(output_size, m)
    xc = _extended_channels_first(xp, grid, m)          # (C_in, N, th*m + 2, tw*m + 2)
    n, c_out = xp.shape[0], weight.shape[0]
    # Outputs of whole tiles; the rows and columns beyond the output are cropped at the end.
    out = np.empty((n, c_out, grid[0], m, grid[1], m), xp.dtype)
    for rows in _tile_row_blocks(xc, grid, m):
        v = input_transform(xc, rows, grid[1], t)       # (a^2, C_in, tiles)
        mm = np.matmul(u, v)                            # (a^2, C_out, tiles): the work
        y = output_transform(mm, t)                     # (m^2, C_out, tiles)
        # y[(i, j), o, (n, ty, tx)] is out[n, o, ty*m + i, tx*m + j]
        y = y.reshape(m, m, c_out, n, rows.stop - rows.start, grid[1])
        out[:, :, rows] = y.transpose(3, 2, 4, 0, 5, 1)
    out = out.reshape(n, c_out, grid[0] * m, grid[1] * m)
    return _crop(out, output_size)


def input_gradient(dout, weight, padded_size, m=2):
    """``dL/dx_padded`` of the stride-1 3x3 convolution: (N, C_in, *padded_size).

    The gradient of ``x_padded[n, c, i + u, j + v]`` collects ``dout[n, o, i, j] *
    weight[o, c, u, v]``: that is the full correlation of ``dout`` with the kernel turned
    by 180 degrees, i.e. a stride-1 3x3 convolution of ``dout`` padded by 2 on every
    side, with the kernel flipped and its channel axes swapped, so ``forward`` does it.

    Parameters
    ----------
    dout : ndarray, shape (N, C_out, H_out, W_out)
    weight : ndarray, shape (C_out, C_in, 3, 3)
    padded_size : (int, int)
        At least ``(H_out + 2, W_out + 2)``; the cells beyond receive no gradient (0).
    """
    # flip both kernel axes (the 180-degree turn) and swap C_out and C_in
    flipped = np.ascontiguousarray(weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    dxp = forward(np.pad(dout, ((0, 0), (0, 0), (2, 2), (2, 2))), flipped, m)
    extra = (padded_size[0] - dxp.shape[2], padded_size[1] - dxp.shape[3])
    if extra != (0, 0):
        dxp = np.pad(dxp, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))
    return dxp


def weight_gradient(dout, xp, m=2):
    """``dL/dweight`` (C_out, C_in, 3, 3): the adjoint of ``forward``'s arithmetic.

    ``forward`` computes ``Y = A^T (U * V) A`` per tile with ``U = G g G^T``.  Running
    it backwards: ``dM = A dY A^T`` (the adjoint of the output transform), ``dU[xi] =
    sum over tiles of dM[xi] V[xi]^T`` (the batched product, transposed), and
    ``dg = G^T dU G`` (the adjoint of the kernel transform).

    Parameters
    ----------
    dout : ndarray, shape (N, C_out, H_p - 2, W_p - 2)
    xp : ndarray, shape (N, C_in, H_p, W_p), the padded input of the forward
    """
    t = _matrices(m, xp.dtype)
    output_size = dout.shape[2:]
    grid = _tile_grid(output_size, m)
    xc = _extended_channels_first(xp, grid, m)
    n, c_out, c_in = xp.shape[0], dout.shape[1], xp.shape[1]
    # dout cut into tiles: [n, o, ty, i, tx, j] is dout[n, o, ty*m + i, tx*m + j], 0 beyond
    full = np.zeros((n, c_out, grid[0] * m, grid[1] * m), xp.dtype)
    full[:, :, :output_size[0], :output_size[1]] = dout
    dout_tiles = full.reshape(n, c_out, grid[0], m, grid[1], m)
    du = np.zeros(((m + 2) ** 2, c_out, c_in), xp.dtype)
    for rows in _tile_row_blocks(xc, grid, m):
        v = input_transform(xc, rows, grid[1], t)                   # (a^2, C_in, tiles)
        dy = dout_tiles[:, :, rows].transpose(3, 5, 1, 0, 2, 4).reshape(m * m, c_out, -1)
        dm = output_transform_adjoint(dy, t)                        # (a^2, C_out, tiles)
        du += np.matmul(dm, v.transpose(0, 2, 1))                   # (a^2, C_out, C_in)
    # dg = G^T dU G for every kernel: the adjoint of kernel_transform
    dg = t["GG"].T @ du.reshape(du.shape[0], -1)                    # (9, C_out*C_in)
    return np.ascontiguousarray(dg.reshape(3, 3, c_out, c_in).transpose(2, 3, 0, 1))


# --------------------------------------------------------------------------------------
# The transforms
# --------------------------------------------------------------------------------------
# Trick: a two-sided product ``P z Q^T`` of a small tile ``z`` is one matrix-vector product
# with the Kronecker product, ``vec(P z Q^T) = (P kron Q) vec(z)`` (``vec`` reads row by
# row).  With the tiles' entries as the rows of one matrix, (a^2, everything else), every
# tile of every channel and image is transformed by ONE matrix product with the a^2 x a^2
# (or m^2 x a^2) Kronecker matrix, which BLAS runs at speed, instead of many tiny products.

def _matrices(m, dtype):
    """The Kronecker matrices of F(m x m, 3 x 3) in ``dtype``.

    ``BB`` = B^T kron B^T (a^2, a^2) for the input tiles, ``GG`` = G kron G (a^2, 9) for the
    kernels, ``AA`` = A^T kron A^T (m^2, a^2) for the outputs.
    """
    if m not in TRANSFORMS:
        raise ValueError(f"m must be one of {TILE_SIZES} (the tile sizes), got {m!r}")
    bt, g, at = (TRANSFORMS[m][k] for k in ("BT", "G", "AT"))
    return dict(m=m, BB=np.kron(bt, bt).astype(dtype), GG=np.kron(g, g).astype(dtype),
                AA=np.kron(at, at).astype(dtype))


def kernel_transform(weight, t):
    """``U = G g G^T`` for every kernel: (C_out, C_in, 3, 3) -> (a^2, C_out, C_in)."""
    c_out, c_in = weight.shape[:2]
    g = np.ascontiguousarray(weight.transpose(2, 3, 0, 1)).reshape(9, c_out * c_in)
    return (t["GG"] @ g).reshape(-1, c_out, c_in)


def input_transform(xc, rows, tiles_per_row, t):
    """``V = B^T d B`` for the input tiles of tile rows ``rows``: (a^2, C_in, tiles).

    ``xc`` is the zero-extended padded input seen channels first, (C_in, N, H_e, W_e).
    Tile ``(ty, tx)`` reads rows ``ty*m .. ty*m + a - 1`` and columns ``tx*m ..
    tx*m + a - 1``: neighbouring tiles overlap by ``a - m = 2`` cells (the kernel's
    reach), so every output's 3x3 window lies inside exactly one tile.  Trick: entry
    ``(i, j)`` of every tile at once is one strided slice, ``xc[:, :, ty*m + i, tx*m + j]``
    over all ``(ty, tx)``, so the tiles are gathered with ``a^2`` slice copies (the
    tiles' order is (image, tile row, tile column)).
    """
    m = t["m"]
    a = m + 2
    c_in, n = xc.shape[:2]
    d = np.empty((a, a, c_in, n, rows.stop - rows.start, tiles_per_row), xc.dtype)
    for i in range(a):
        rs = slice(rows.start * m + i, (rows.stop - 1) * m + i + 1, m)
        for j in range(a):
            d[i, j] = xc[:, :, rs, j:(tiles_per_row - 1) * m + j + 1:m]
    return (t["BB"] @ d.reshape(a * a, -1)).reshape(a * a, c_in, -1)


def output_transform(mm, t):
    """``Y = A^T M A`` for every tile: (a^2, C_out, tiles) -> (m^2, C_out, tiles)."""
    return (t["AA"] @ mm.reshape(mm.shape[0], -1)).reshape((-1,) + mm.shape[1:])


def output_transform_adjoint(dy, t):
    """``dM = A dY A^T`` for every tile: (m^2, C_out, tiles) -> (a^2, C_out, tiles)."""
    return (t["AA"].T @ dy.reshape(dy.shape[0], -1)).reshape((-1,) + dy.shape[1:])


# --------------------------------------------------------------------------------------
# Tiles
# --------------------------------------------------------------------------------------
def _tile_grid(output_size, m):
    """Number of tiles per column and per row: ceil(H_out / m), ceil(W_out / m)."""
    return (-(-output_size[0] // m), -(-output_size[1] // m))


def _extended_channels_first(xp, grid, m):
    """The padded input with zeros added at the bottom and right up to whole tiles.

    Trick: the last tiles may reach beyond the input when ``H_out`` is not a multiple of
    ``m``; the zeros make every tile full-sized, and the outputs they produce beyond
    ``H_out`` are cropped.  Returned as the (C_in, N, H_e, W_e) view, so that one slice
    gathers a tile entry for every image.
    """
    need = (grid[0] * m + 2, grid[1] * m + 2)
    extra = (need[0] - xp.shape[2], need[1] - xp.shape[3])
    if extra != (0, 0):
        xp = np.pad(xp, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))
    return xp.transpose(1, 0, 2, 3)


def _tile_row_blocks(xc, grid, m):
    """Blocks of tile rows whose transformed input fits in ``CHUNK_BYTES``."""
    a = m + 2
    row_bytes = a * a * xc.shape[0] * xc.shape[1] * grid[1] * xc.itemsize
    step = max(1, min(grid[0], CHUNK_BYTES // max(row_bytes, 1)))
    return [slice(i, min(i + step, grid[0])) for i in range(0, grid[0], step)]


def _crop(out, output_size):
    """``out[:, :, :H_out, :W_out]``, contiguous (a copy only when tiles overhang)."""
    if out.shape[2:] == tuple(output_size):
        return out
    return np.ascontiguousarray(out[:, :, :output_size[0], :output_size[1]])
