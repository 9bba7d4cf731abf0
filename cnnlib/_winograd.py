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

    M[xi] = V[xi] @ U[xi]      (tiles, C_in) @ (C_in, C_out) -> (tiles, C_out)

with ``U = G g G^T`` for every kernel and ``V = B^T d B`` for every tile of every image.
That is one batched matrix product (``np.matmul`` over the ``a^2`` positions), where
the convolution's multiply-adds are; the transforms cost a few additions per value.
(The tiles are rows and the channels columns: on the course's reference machine BLAS
runs this layout about 2.5x faster than ``U @ V`` with its few thousand columns split
into blocks.)

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

__all__ = ["TRANSFORMS", "TILE_SIZES", "CHUNK_BYTES", "MIN_TILES", "winograd_pays", "tile_size_for",
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

# The transformed tiles are built block by block (``_blocks``): about this many bytes of
# transformed input per block, so a large image never holds all of them at once and a
# block's tiles stay closer to the cache; but at least MIN_TILES tiles, so that with many
# channels the batched product still gets enough rows to run at speed.
CHUNK_BYTES = 2**20
MIN_TILES = 256


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
    u = kernel_transform(weight, t)                     # (a^2, C_in, C_out)
    output_size = (xp.shape[2] - 2, xp.shape[3] - 2)
    grid = _tile_grid(output_size, m)
    n, c_out = xp.shape[0], weight.shape[0]
    # Outputs of whole tiles: [n, o, ty, i, tx, j] is out[n, o, ty*m + i, tx*m + j]; the
    # rows and columns beyond the output are cropped at the end.
    out = np.empty((n, c_out, grid[0], m, grid[1], m), xp.dtype)
    for images, rows in _blocks(xp, grid, m):
        xh = _channels_last_slab(xp, images, rows, grid, m)   # (B, rows' cells, W_e, C_in)
        v = input_transform(xh, grid[1], t)                   # (a^2, tiles, C_in)
        mm = np.matmul(v, u)                                  # (a^2, tiles, C_out): the work
        # the block's outputs, seen as (B, R, m, tiles per row, m, C_out)
        output_transform(mm, t, out=out[images, :, rows].transpose(0, 2, 3, 4, 5, 1))
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
    n, c_out, c_in = xp.shape[0], dout.shape[1], xp.shape[1]
    # dout cut into tiles, channels last: [n, ty, i, tx, j, o] is dout[n, o, ty*m + i, tx*m + j],
    # 0 beyond the output
    dy = np.zeros((n, grid[0] * m, grid[1] * m, c_out), xp.dtype)
    dy[:, :output_size[0], :output_size[1]] = dout.transpose(0, 2, 3, 1)
    dy = dy.reshape(n, grid[0], m, grid[1], m, c_out)
    du = np.zeros(((m + 2) ** 2, c_in, c_out), xp.dtype)
    for images, rows in _blocks(xp, grid, m):
        xh = _channels_last_slab(xp, images, rows, grid, m)
        v = input_transform(xh, grid[1], t)                        # (a^2, tiles, C_in)
        dm = output_transform_adjoint(dy[images, rows], t)         # (a^2, tiles, C_out)
        du += np.matmul(v.transpose(0, 2, 1), dm)                  # (a^2, C_in, C_out)
    # dg = G^T dU G for every kernel: the adjoint of kernel_transform
    dg = t["GG"].T @ du.reshape(du.shape[0], -1)                    # (9, C_in*C_out)
    return np.ascontiguousarray(dg.reshape(3, 3, c_in, c_out).transpose(3, 2, 0, 1))


# --------------------------------------------------------------------------------------
# The transforms
# --------------------------------------------------------------------------------------
# A two-sided product ``P z Q^T`` of a small tile ``z`` is done one side at a time, for
# every tile at once: row ``k`` of ``P z`` is ``sum_i P[k, i] * z[i]``, and with ``z[i]``
# the strided view holding entry ``i`` of every tile, that is a few whole-array additions
# (``_combine``).  The matrices of F(2x2, 3x3) hold only 0 and +-1, so its transforms are
# additions and subtractions of views: no multiplication, and no copy of the tiles.  The
# tiles' values are channels last, (..., C), so each view reads runs of C contiguous numbers
# and the batched product gets (tiles, C_in) rows, the layout BLAS runs fastest here.

def _matrices(m, dtype):
    """The matrices of F(m x m, 3 x 3): ``B^T`` and ``A^T`` as Python numbers, ``G kron G``.

    ``GG`` = G kron G (a^2, 9) transforms all the kernels in one product (``vec(G g G^T) =
    (G kron G) vec(g)``, ``vec`` reading row by row).
    """
    if m not in TRANSFORMS:
        raise ValueError(f"m must be one of {TILE_SIZES} (the tile sizes), got {m!r}")
    bt, g, at = (TRANSFORMS[m][k] for k in ("BT", "G", "AT"))
    return dict(m=m, BT=bt.tolist(), AT=at.tolist(), GG=np.kron(g, g).astype(dtype))


def _combine(coefficients, terms, out):
    """``out[...] = sum_i coefficients[i] * terms[i]``, skipping zeros; returns ``out``.

    One NumPy operation per nonzero coefficient; a coefficient of +-1 is an addition or a
    subtraction (no multiplication).  ``coefficients`` are Python numbers, so a float32
    ``out`` stays float32.
    """
    # a +1 term first (if any), so that the first two terms are often one add or subtract
    pairs = sorted(((c, z) for c, z in zip(coefficients, terms) if c != 0),
                   key=lambda pair: pair[0] != 1)
    (c, z), rest = pairs[0], pairs[1:]
    if c == 1 and rest and rest[0][0] in (1, -1):
        (np.add if rest[0][0] == 1 else np.subtract)(z, rest[0][1], out=out)
        rest = rest[1:]
    elif c == 1:
        np.copyto(out, z)
    else:
        np.multiply(z, c, out=out)
    for c, z in rest:
        if c == 1:
            np.add(out, z, out=out)
        elif c == -1:
            np.subtract(out, z, out=out)
        else:
            out += c * z
    return out


def kernel_transform(weight, t):
    """``U = G g G^T`` for every kernel: (C_out, C_in, 3, 3) -> (a^2, C_in, C_out).

    Transposed (C_in before C_out), the layout of the batched product ``V[xi] @ U[xi]``.
    """
    c_out, c_in = weight.shape[:2]
    g = np.ascontiguousarray(weight.transpose(2, 3, 1, 0)).reshape(9, c_in * c_out)
    return (t["GG"] @ g).reshape(-1, c_in, c_out)


def input_transform(xh, tiles_per_row, t):
    """``V = B^T d B`` for every input tile of a block: (a^2, tiles, C_in).

    ``xh`` is the block's slab of the padded input, channels last, (B, R*m + 2, W_e,
    C_in) for ``R`` tile rows (``_channels_last_slab``).  Tile ``(ty, tx)`` reads rows
    ``ty*m .. ty*m + a - 1`` and
    columns ``tx*m .. tx*m + a - 1``: neighbouring tiles overlap by ``a - m = 2`` cells
    (the kernel's reach), so every output's 3x3 window lies inside exactly one tile.
    Trick: row ``i`` of every tile at once is one strided view, ``xh[:, ty*m + i]`` over
    all ``ty``; ``B^T`` combines those views (the tiles' rows), then ``B`` the columns the
    same way.  The tiles come in the order (image, tile row, tile column).
    """
    m, bt = t["m"], t["BT"]
    a = m + 2
    b, h, we, c_in = xh.shape
    r = (h - 2) // m                                               # tile rows
    tile_rows = [xh[:, i:(r - 1) * m + i + 1:m] for i in range(a)]
    bd = np.empty((a, b, r, we, c_in), xh.dtype)                   # B^T d, every tile
    for k in range(a):
        _combine(bt[k], tile_rows, out=bd[k])
    tile_cols = [bd[:, :, :, j:(tiles_per_row - 1) * m + j + 1:m] for j in range(a)]
    v = np.empty((a, a, b, r, tiles_per_row, c_in), xh.dtype)      # B^T d B
    for k in range(a):
        _combine(bt[k], tile_cols, out=v[:, k])
    return v.reshape(a * a, -1, c_in)


def output_transform(mm, t, out):
    """``Y = A^T M A`` for every tile, written into ``out``.

    ``mm`` is (a^2, tiles, C_out) with the tiles in the order (image, tile row, tile
    column); ``out`` is the block's (B, R, m, tiles_per_row, m, C_out) view of the output,
    ``out[n, ty, i, tx, j]`` the output at ``(ty*m + i, tx*m + j)``.
    """
    m, at = t["m"], t["AT"]
    a = m + 2
    b, r, _, tw, _, c_out = out.shape
    mm = mm.reshape(a, a, b, r, tw, c_out)
    ma = np.empty((a, m, b, r, tw, c_out), mm.dtype)                # M A
    for j in range(m):
        _combine(at[j], [mm[:, k] for k in range(a)], out=ma[:, j])
    for i in range(m):                                              # A^T (M A)
        for j in range(m):
            _combine(at[i], [ma[k, j] for k in range(a)], out=out[:, :, i, :, j])
    return out


def output_transform_adjoint(dy, t):
    """``dM = A dY A^T`` for every tile: the adjoint of ``output_transform``.

    ``dy`` is a block of the output gradient cut into tiles, (B, R, m, tiles_per_row, m,
    C_out) as in ``output_transform``; returns (a^2, tiles, C_out).
    """
    m, at = t["m"], t["AT"]
    a = m + 2
    b, r, _, tw, _, c_out = dy.shape
    columns = [[at[j][k] for j in range(m)] for k in range(a)]      # column k of A^T
    day = np.empty((m, a, b, r, tw, c_out), dy.dtype)               # dY A^T
    for i in range(m):
        for k in range(a):
            _combine(columns[k], [dy[:, :, i, :, j] for j in range(m)], out=day[i, k])
    dm = np.empty((a, a, b, r, tw, c_out), dy.dtype)                # A (dY A^T)
    for k in range(a):
        _combine(columns[k], [day[i] for i in range(m)], out=dm[k])
    return dm.reshape(a * a, -1, c_out)


# --------------------------------------------------------------------------------------
# Tiles
# --------------------------------------------------------------------------------------
def _tile_grid(output_size, m):
    """Number of tiles per column and per row: ceil(H_out / m), ceil(W_out / m)."""
    return (-(-output_size[0] // m), -(-output_size[1] // m))


def _channels_last_slab(xp, images, rows, grid, m):
    """The cells a block of tiles reads, channels last: (B, R*m + 2, W_e, C_in), a copy.

    ``images`` and ``rows`` (tile rows) are a block of ``_blocks``; the slab holds input
    rows ``rows.start*m .. rows.stop*m + 1`` of the padded input ``xp`` (N, C_in, H_p,
    W_p), with its channels last so that each tile entry is a run of C_in numbers.
    Trick: the last tiles may reach beyond the input when ``H_out`` is not a multiple of
    ``m``; zeros there make every tile full-sized, and the outputs they produce beyond
    ``H_out`` are cropped.  Built block by block, the copy never holds the whole input.
    """
    top, bottom = rows.start * m, rows.stop * m + 2
    part = xp[images, :, top:bottom]                               # (B, C_in, <= R*m+2, W_p)
    slab = np.empty((part.shape[0], bottom - top, grid[1] * m + 2, xp.shape[1]), xp.dtype)
    h, w = part.shape[2], part.shape[3]
    slab[:, :h, :w] = part.transpose(0, 2, 3, 1)
    slab[:, h:] = 0
    slab[:, :h, w:] = 0
    return slab


def _blocks(xp, grid, m):
    """``(images, tile rows)`` slices of about ``CHUNK_BYTES`` of transformed input.

    Small images go several to a block (fewer, larger matrix products); a large one is
    cut into blocks of tile rows, so a block's tiles stay close to the cache.  A block has
    at least ``MIN_TILES`` tiles (when there are that many), or with many channels the
    matrix products would get too few rows to run at speed.
    """
    a = m + 2
    n, c_in = xp.shape[0], xp.shape[1]
    tiles = max(MIN_TILES, CHUNK_BYTES // (a * a * c_in * xp.itemsize))
    rows = max(1, min(grid[0], -(-tiles // grid[1])))                  # tile rows per block
    if rows < grid[0]:
        return [(slice(i, i + 1), slice(r, min(r + rows, grid[0])))
                for i in range(n) for r in range(0, grid[0], rows)]
    images = max(1, -(-tiles // (grid[0] * grid[1])))
    return [(slice(i, min(i + images, n)), slice(0, grid[0])) for i in range(0, n, images)]


def _crop(out, output_size):
    """``out[:, :, :H_out, :W_out]``, contiguous (a copy only when tiles overhang)."""
    if out.shape[2:] == tuple(output_size):
        return out
    return np.ascontiguousarray(out[:, :, :output_size[0], :output_size[1]])
