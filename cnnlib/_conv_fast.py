"""The convolution layer's fast path: the same sums as ``conv2d_naive``, arranged for speed.

``cnnlib.conv`` checks the arguments and dispatches here; nothing else imports this
module, and notebooks never need it.  Read ``conv2d_naive`` and ``conv2d_im2col`` in
``cnnlib.conv`` first: this module computes exactly their numbers, with four
shortcuts, each in a small function that says what it saves and why the result is the
same:

- *the layout*: the input seen channels first, ``(C, N, H, W)`` (a free view) or, when
  the output rows are shorter than ``SHORT_ROWS``, ``(C, H, W, N)`` (one copy), so one
  matrix product (per group) covers every image at once;
- *row blocks*: the columns are built for blocks of output rows whose columns fit in
  ``CHUNK_BYTES``, so a large image never holds all its columns (kH*kW copies of the
  input) at once;
- *the column cache*: ``conv2d(..., cache=d)`` keeps the columns in ``d`` and
  ``conv2d_backward(..., cache=d)`` reuses them for the weight gradient;
- *depthwise*: with one input channel per group (``groups = C_in``) the matrix product
  degenerates, and a loop over the kH*kW taps is faster;
- *Winograd*: a 3x3, stride-1, ungrouped layer with at least 16 channels in and out
  (``winograd_pays``) goes to ``cnnlib._winograd``, which needs 2.25x fewer
  multiplications (``F(2x2, 3x3)`` in float32, ``F(4x4, 3x3)``, 4x fewer, in float64),
  forward and both gradients.

Three entry points, one per quantity of the chain rule:

- ``forward(a, cache)``: the feature map;
- ``weight_gradient(dout, a, weight, cache)``: ``dL/dweight``, a correlation of the
  padded input with ``dout``;
- ``input_gradient(dout, weight, stride, dilation, groups, padded_size)``:
  ``dL/dx_padded``, every output's gradient sent back along the taps that produced it.
  ``conv2d_backward`` and ``conv_transpose2d`` both call it: the transposed convolution
  *is* this operation.

Each further algorithm is one more named branch in these entry points, chosen by a test
on the arguments (``is_depthwise``, ``winograd_pays``).
"""
import numpy as np

from ._validate import compute_dtype
from ._winograd import forward as winograd_forward
from ._winograd import input_gradient as winograd_input_gradient
from ._winograd import tile_size_for, winograd_pays
from ._winograd import weight_gradient as winograd_weight_gradient
from .padding import conv_output_shape, pad2d
from .unfold import tap_slices

__all__ = ["SHORT_ROWS", "CHUNK_BYTES", "DEPTHWISE_BLOCK_BYTES", "forward", "weight_gradient",
           "input_gradient", "is_depthwise"]

SHORT_ROWS = 16     # output rows shorter than this are unfolded with the images last
# im2col works in blocks of output rows whose columns take at most this many bytes, so a
# large image never needs its whole column matrix (kH*kW copies of the input) at once.
CHUNK_BYTES = 64 * 2**20
# The depthwise branch works on blocks of channels whose planes (input, output, scratch)
# take at most this many bytes (measured: 256 KB to 1 MB gain 10-15% over whole images).
DEPTHWISE_BLOCK_BYTES = 2**20


# --------------------------------------------------------------------------------------
# The three entry points
# --------------------------------------------------------------------------------------
def is_depthwise(weight, groups):
    """True for one input channel per group: the depthwise branch is taken."""
    return groups > 1 and weight.shape[1] == 1


def forward(a, cache=None):
    """``conv2d`` on checked arguments ``a`` (``cnnlib.conv.ConvArgs``): (N, C_out, H_out, W_out).

    Computes in ``compute_dtype`` of the inputs, bias included.  With a ``cache`` dict,
    the columns are kept for ``weight_gradient`` when they were built in one block.
    """
    extra = () if a.bias is None else (a.bias.dtype,)
    dtype = compute_dtype(a.x.dtype, a.weight.dtype, *extra)
    xp = pad2d(a.x.astype(dtype, copy=False), a.pads, a.padding_mode)
    weight = a.weight.astype(dtype, copy=False)
    output_size = conv_output_shape(xp.shape[2:], weight.shape[2:], a.stride, a.dilation)
    if is_depthwise(weight, a.groups):
        out = _depthwise_forward(xp, weight, a.stride, a.dilation, output_size)
    elif winograd_pays(weight.shape, a.stride, a.dilation, a.groups, output_size):
        out = winograd_forward(xp, weight, tile_size_for(dtype, output_size))
    else:
        out = _im2col_forward(xp, weight, a, output_size, cache)
    if a.bias is not None:
        out += a.bias.astype(dtype, copy=False)[:, None, None]
    return out


def weight_gradient(dout, a, weight, cache=None):
    """``dL/dweight`` (shape of ``weight``) for the batched ``dout`` and checked ``a``.

    ``weight`` and ``dout`` are already in the compute dtype.
    """
    if is_depthwise(weight, a.groups):
        xp = pad2d(a.x.astype(weight.dtype, copy=False), a.pads, a.padding_mode)
        return _depthwise_weight_gradient(dout, xp, weight, a.stride, a.dilation)
    output_size = dout.shape[2:]
    if winograd_pays(weight.shape, a.stride, a.dilation, a.groups, output_size):
        xp = pad2d(a.x.astype(weight.dtype, copy=False), a.pads, a.padding_mode)
        return winograd_weight_gradient(dout, xp, tile_size_for(weight.dtype, output_size))
    return _im2col_weight_gradient(dout, a, weight, cache)


def input_gradient(dout, weight, stride, dilation, groups, padded_size):
    """``dL/dx_padded``: (N, C_in, *padded_size), the transposed convolution of ``dout``.

    Parameters
    ----------
    dout : ndarray, shape (N, C_out, H_out, W_out), in the compute dtype
    weight : ndarray, shape (C_out, C_in // groups, kH, kW), in the compute dtype
    stride, dilation : (int, int)
    groups : int
    padded_size : (int, int)
        Size of the padded input; at least ``(H_out - 1) * stride + dilation * (kH - 1) + 1``
        (the cells beyond receive no gradient: 0).
    """
    if is_depthwise(weight, groups):
        return _depthwise_input_gradient(dout, weight, stride, dilation, groups, padded_size)
    output_size = dout.shape[2:]
    if winograd_pays(weight.shape, stride, dilation, groups, output_size):
        return winograd_input_gradient(dout, weight, padded_size,
                                       tile_size_for(dout.dtype, output_size))
    return _im2col_input_gradient(dout, weight, stride, dilation, groups, padded_size)


# --------------------------------------------------------------------------------------
# im2col on the channels-first layout, in row blocks
# --------------------------------------------------------------------------------------
# out[g] = W[g] @ cols[g]: entry (o, (i, j, n)) is the sum over (c, u, v) of
# weight[o, c, u, v] * x_padded[n, c, i*s + u*d, j*s + v*d], the loop's sum exactly; the
# gradients are dW = dout @ cols^T and dcols = W^T @ dout, folded back onto the cells.

def _im2col_forward(xp, weight, a, output_size, cache):
    c_out, c_per_group, kh, kw = weight.shape
    images_last = _images_last_pays(output_size)
    xc = _channels_first(xp, images_last)
    w = weight.reshape(a.groups, c_out // a.groups, c_per_group * kh * kw)
    out_c = _empty_channels_first((xp.shape[0], c_out) + output_size, xp.dtype, images_last)
    for rows, cols in _blocks_of_columns(xc, (kh, kw), a.stride, a.dilation, a.groups,
                                         output_size, images_last):
        block = out_c[_at(images_last, rows)]
        block[...] = np.matmul(w, cols).reshape(block.shape)
        if cache is not None and rows.stop - rows.start == output_size[0]:
            cache.update(key=cache_key(a), columns=cols, xc=xc)
    return _images_first(out_c, images_last)


def _im2col_weight_gradient(dout, a, weight, cache):
    """dL/dW = dout @ cols^T, block by block, or on the forward's cached columns.

    With a ``cache`` from the forward the columns are not built again (for LeNet's
    layers that is about half the backward's time).
    """
    c_out, c_per_group, kh, kw = weight.shape
    g, output_size = a.groups, dout.shape[2:]
    images_last = _images_last_pays(output_size)
    cached = _cached(cache, a)
    if cached is not None:
        xc, columns = cached["xc"], cached["columns"]
    else:
        xp = pad2d(a.x.astype(weight.dtype, copy=False), a.pads, a.padding_mode)
        xc, columns = _channels_first(xp, images_last), None
    dout_c = _channels_first(dout, images_last)
    dweight = np.zeros((g, c_out // g, c_per_group * kh * kw), weight.dtype)
    for rows, cols in _blocks_of_columns(xc, (kh, kw), a.stride, a.dilation, g, output_size,
                                         images_last, columns):
        dout_rows = dout_c[_at(images_last, rows)].reshape(g, c_out // g, -1)
        dweight += np.matmul(dout_rows, cols.transpose(0, 2, 1))
    return dweight.reshape(weight.shape)


def _im2col_input_gradient(dout, weight, stride, dilation, groups, padded_size):
    """dcols = W^T @ dout, block by block, each block folded back onto its cells."""
    c_out, c_per_group, kh, kw = weight.shape
    n, output_size = dout.shape[0], dout.shape[2:]
    images_last = _images_last_pays(output_size)
    dout_c = _channels_first(dout, images_last)
    w_t = weight.reshape(groups, c_out // groups, c_per_group * kh * kw).transpose(0, 2, 1)
    c_in = c_per_group * groups
    dxc = _empty_channels_first((n, c_in) + tuple(padded_size), dout.dtype, images_last)
    dxc[...] = 0
    row_bytes = c_in * kh * kw * output_size[1] * n * dout.itemsize
    for rows in _row_blocks(output_size, row_bytes):
        dout_rows = dout_c[_at(images_last, rows)].reshape(groups, c_out // groups, -1)
        _fold_columns(dxc, np.matmul(w_t, dout_rows), (kh, kw), stride, dilation, output_size,
                      rows, images_last)
    return _images_first(dxc, images_last)


# --------------------------------------------------------------------------------------
# The layout: channels first, images last when rows are short
# --------------------------------------------------------------------------------------
# The numbers are those of the (N, C, H, W) array; only their order differs.  The columns
# then come out as one (C * kH * kW, positions) matrix for all images, so one matrix
# product (per group) does the whole layer.  With the images last, one kernel tap copies
# runs of W_out * N contiguous numbers instead of rows of W_out (10 for LeNet's second
# layer), which pays when rows are short; for long rows the free view wins because the
# result needs no transpose back.

def _images_last_pays(output_size):
    return output_size[1] < SHORT_ROWS


def _channels_first(x, images_last):
    """(N, C, H, W) -> (C, H, W, N) contiguous (``images_last``), else the view (C, N, H, W)."""
    if images_last:
        return np.ascontiguousarray(x.transpose(1, 2, 3, 0))
    return x.transpose(1, 0, 2, 3)


def _images_first(x, images_last):
    """The inverse of ``_channels_first``: back to (N, C, H, W), contiguous."""
    if images_last:
        return np.ascontiguousarray(x.transpose(3, 0, 1, 2))
    return np.ascontiguousarray(x.transpose(1, 0, 2, 3))


def _empty_channels_first(shape, dtype, images_last):
    """An empty (N, C, H, W) array of ``shape`` seen as ``_channels_first`` sees it."""
    if images_last:
        n, c, h, w = shape
        return np.empty((c, h, w, n), dtype)
    return np.empty(shape, dtype).transpose(1, 0, 2, 3)


def _at(images_last, rows, cols=slice(None)):
    """Index of the cells ``[rows, cols]`` in a ``_channels_first`` array."""
    return (slice(None), rows, cols) if images_last else (slice(None), slice(None), rows, cols)


def _row_blocks(output_size, bytes_per_row):
    """Split the output rows into blocks whose im2col columns fit in ``CHUNK_BYTES``.

    Saves memory: the column matrix holds every input cell kH*kW times (9x the input
    for a 3x3 kernel); block by block, only one block's columns exist at a time.  The
    result is the same because each output row depends only on its own columns.
    """
    ho = output_size[0]
    step = max(1, min(ho, CHUNK_BYTES // max(bytes_per_row, 1)))
    return [slice(i, min(i + step, ho)) for i in range(0, ho, step)]


def _columns(xc, kernel_size, stride, dilation, groups, output_size, rows, images_last):
    """im2col of the output rows ``rows`` of ``xc = _channels_first(x_padded)``.

    Shape (G, C/G * kH*kW, positions), the positions in ``xc``'s order of (rows, W_out)
    and N; ``cols[g, (c, u, v), p]`` is ``x_padded[n, g*C/G + c, i*sH + u*dH, j*sW + v*dW]``
    for position ``p = (n, i, j)``: the entries of ``im2col`` in another order.  Each tap
    is one strided slice copy.
    """
    kh, kw = kernel_size
    for u, v, r, s in tap_slices(kernel_size, stride, dilation, output_size, rows):
        tap = xc[_at(images_last, r, s)]
        if u == v == 0:
            cols = np.empty((tap.shape[0], kh, kw) + tap.shape[1:], xc.dtype)
        cols[:, u, v] = tap
    return cols.reshape(groups, cols.shape[0] // groups * kh * kw, -1)


def _fold_columns(dxc, dcols, kernel_size, stride, dilation, output_size, rows, images_last):
    """Add columns back onto the cells they were read from: the adjoint of ``_columns``.

    One strided slice per tap, as in ``col2im``: within one tap no two positions share a
    cell, so ``+=`` on the slice is exact, and overlapping windows sum over the taps.
    (``np.add.at`` does the same per element and is several times slower.)
    """
    kh, kw = kernel_size
    for u, v, r, s in tap_slices(kernel_size, stride, dilation, output_size, rows):
        target = dxc[_at(images_last, r, s)]
        target += dcols.reshape((target.shape[0], kh, kw) + target.shape[1:])[:, u, v]


def _blocks_of_columns(xc, kernel_size, stride, dilation, groups, output_size, images_last,
                       cached=None):
    """Yield ``(rows, cols)`` block by block (see ``_row_blocks``), or the cached columns."""
    if cached is not None:
        yield slice(0, output_size[0]), cached
        return
    c, n = xc.shape[0], xc.shape[-1] if images_last else xc.shape[1]
    row_bytes = c * kernel_size[0] * kernel_size[1] * output_size[1] * n * xc.itemsize
    for rows in _row_blocks(output_size, row_bytes):
        yield rows, _columns(xc, kernel_size, stride, dilation, groups, output_size, rows,
                             images_last)


# --------------------------------------------------------------------------------------
# The column cache between forward and backward
# --------------------------------------------------------------------------------------
def cache_key(a):
    """What must match between the forward that filled a cache and the backward reading it."""
    return (a.x.shape, a.x.dtype, a.x.__array_interface__["data"][0], a.weight.shape,
            a.stride, a.pads, a.dilation, a.groups, a.padding_mode)


def _cached(cache, a):
    """The forward's columns from ``cache``, if it holds them for these arguments."""
    if cache is None:
        return None
    if not isinstance(cache, dict):
        raise TypeError(f"cache must be a dict (or None), got {type(cache).__name__}")
    if "key" not in cache:
        return None                # the forward kept nothing (large input or depthwise)
    if cache["key"] != cache_key(a):
        raise ValueError("cache was filled by conv2d with another x or other arguments than "
                         "this conv2d_backward call; pass the same x, weight, stride, padding, "
                         "dilation, groups and padding_mode to both")
    return cache


# --------------------------------------------------------------------------------------
# Depthwise convolution (groups = C_in): one kernel per channel
# --------------------------------------------------------------------------------------
# With one input channel per group, im2col's matrix product degenerates to kH*kW
# multiply-adds per output value, so building the columns (kH*kW copies of the input)
# costs more than the arithmetic.  The sum over taps is done directly instead, one image
# at a time so that the image and its output stay in the cache:
#     out[c, i, j] = sum over (u, v) of weight[c, u, v] * x_padded[c, i*s + u*d, j*s + v*d]
# is the sum over taps of one strided slice times one number per channel.

def _channel_of_each_output(xp_image, c_out):
    """A depthwise layer with C_out = m * C_in: output o reads input channel o // m."""
    m = c_out // xp_image.shape[0]
    return xp_image if m == 1 else np.repeat(xp_image, m, axis=0)


def _channel_blocks(c, plane_bytes, arrays):
    """Slices of at most ``DEPTHWISE_BLOCK_BYTES // (arrays * plane_bytes)`` channels.

    Saves memory traffic: the kH*kW taps each pass over a block of channels, and a block
    whose ``arrays`` planes (input, output, scratch) fit in the cache is read from the
    cache by every tap after the first, instead of from memory.
    """
    step = max(1, min(c, DEPTHWISE_BLOCK_BYTES // max(arrays * plane_bytes, 1)))
    return [slice(i, min(i + step, c)) for i in range(0, c, step)]


def _depthwise_forward(xp, weight, stride, dilation, output_size):
    """Depthwise conv2d (no bias) of the padded ``xp``: (N, C_out, H_out, W_out).

    Per image and block of channels (``_channel_blocks``), the taps are accumulated in
    place into the output: the first tap writes it, each further tap adds its product
    through one preallocated scratch block, so no array is zeroed or allocated per tap.
    """
    if tuple(stride) == (1, 1):
        return _depthwise_forward_flat(xp, weight, dilation, output_size)
    n, c_out = xp.shape[0], weight.shape[0]
    taps = weight[:, 0, :, :, None, None]                  # (C_out, kH, kW, 1, 1)
    out = np.empty((n, c_out) + tuple(output_size), dtype=xp.dtype)
    plane = (xp.shape[2] * xp.shape[3] + 2 * output_size[0] * output_size[1]) * xp.itemsize
    blocks = _channel_blocks(c_out, plane, 1)
    scratch = np.empty((blocks[0].stop,) + tuple(output_size), dtype=xp.dtype)
    for b in range(n):
        image = _channel_of_each_output(xp[b], c_out)
        for cs in blocks:
            acc, product = out[b, cs], scratch[:cs.stop - cs.start]
            for u, v, r, s in tap_slices(weight.shape[2:], stride, dilation, output_size):
                if u == v == 0:
                    np.multiply(image[cs, r, s], taps[cs, u, v], out=acc)
                else:
                    acc += np.multiply(image[cs, r, s], taps[cs, u, v], out=product)
    return out


def _depthwise_weight_gradient(dout, xp, weight, stride, dilation):
    """Per tap, ``dweight[c, u, v]`` is the dot product of ``dout[:, c]`` with the slice read.

    Per image and block of channels, so the block's slices come from the cache.
    """
    if tuple(stride) == (1, 1):
        return _depthwise_weight_gradient_flat(dout, xp, weight, dilation)
    c_out, _, kh, kw = weight.shape
    dweight = np.zeros((c_out, kh, kw), dtype=xp.dtype)
    plane = (xp.shape[2] * xp.shape[3] + dout.shape[2] * dout.shape[3]) * xp.itemsize
    for b in range(xp.shape[0]):
        image = _channel_of_each_output(xp[b], c_out)
        for cs in _channel_blocks(c_out, plane, 1):
            for u, v, r, s in tap_slices((kh, kw), stride, dilation, dout.shape[2:]):
                dweight[cs, u, v] += np.einsum("chw,chw->c", dout[b, cs], image[cs, r, s])
    return dweight[:, None]


def _depthwise_input_gradient(dout, weight, stride, dilation, groups, padded_size):
    """Per tap, the slice the tap read receives ``weight[c, u, v] * dout[:, c]``.

    ``groups`` is C_in; output o came from input channel o // m (C_out = m * C_in), so
    each input channel sums the gradients of its m outputs.  Per image and block of
    channels, the taps add into the block in place through one scratch block.
    """
    if tuple(stride) == (1, 1):
        return _depthwise_input_gradient_flat(dout, weight, dilation, groups, padded_size)
    n, c_out = dout.shape[:2]
    taps = weight[:, 0, :, :, None, None]
    dimage = np.empty((c_out,) + tuple(padded_size), dtype=dout.dtype)
    dxp = np.empty((n, groups) + tuple(padded_size), dtype=dout.dtype)
    plane = (padded_size[0] * padded_size[1] + 2 * dout.shape[2] * dout.shape[3]) * dout.itemsize
    blocks = _channel_blocks(c_out, plane, 1)
    scratch = np.empty((blocks[0].stop,) + tuple(dout.shape[2:]), dtype=dout.dtype)
    for b in range(n):
        for cs in blocks:
            block, product = dimage[cs], scratch[:cs.stop - cs.start]
            block[...] = 0
            for u, v, r, s in tap_slices(weight.shape[2:], stride, dilation, dout.shape[2:]):
                block[:, r, s] += np.multiply(taps[cs, u, v], dout[b, cs], out=product)
        if groups == c_out:
            dxp[b] = dimage
        else:
            dxp[b] = dimage.reshape(groups, c_out // groups, *padded_size).sum(axis=1)
    return dxp


# --------------------------------------------------------------------------------------
# Depthwise with stride 1: every tap is one contiguous slice of the flattened plane
# --------------------------------------------------------------------------------------
# Read a padded plane row by row, as one vector of H_p * W_p numbers.  The window of output
# (i, j) starts at i*W_p + j, and its tap (u, v) sits at i*W_p + j + shift with
# shift = u*dH*W_p + v*dW: the same shift for every output.  So with stride 1 a tap reads
# ONE contiguous slice of the vector, plane[shift : shift + span], for all outputs at once,
# and NumPy runs each tap's multiply and add as a single fast pass (the strided slices
# above run one short row at a time).  The slice also covers the kW - 1 positions at the
# end of each row where a window would wrap onto the next row: they are computed and
# dropped (forward), or given a zero gradient (backward).

def _flat_layout(padded_size, output_size, kernel_size, dilation):
    """``span`` (first to last output on the W_p-wide rows) and each tap's ``shift``."""
    (hp, wp), (ho, wo), (kh, kw), (dh, dw) = padded_size, output_size, kernel_size, dilation
    span = (ho - 1) * wp + wo
    shifts = [u * dh * wp + v * dw for u in range(kh) for v in range(kw)]
    assert shifts[-1] + span <= hp * wp, "the padded plane is too small for the output"
    return span, shifts


def _depthwise_forward_flat(xp, weight, dilation, output_size):
    """Stride-1 depthwise conv2d (no bias) of the padded ``xp``: (N, C_out, H_out, W_out)."""
    n, c_out, (hp, wp), (ho, wo) = xp.shape[0], weight.shape[0], xp.shape[2:], output_size
    span, shifts = _flat_layout((hp, wp), output_size, weight.shape[2:], dilation)
    taps = weight.reshape(c_out, -1, 1)                    # (C_out, kH*kW, 1)
    out = np.empty((n, c_out, ho, wo), dtype=xp.dtype)
    blocks = _channel_blocks(c_out, (hp * wp + 2 * ho * wp) * xp.itemsize, 1)
    rows = np.empty((blocks[0].stop, ho * wp), dtype=xp.dtype)    # outputs on W_p-wide rows
    scratch = np.empty((blocks[0].stop, span), dtype=xp.dtype)
    for b in range(n):
        planes = _channel_of_each_output(xp[b], c_out).reshape(c_out, hp * wp)
        for cs in blocks:
            k = cs.stop - cs.start
            acc, product = rows[:k, :span], scratch[:k]
            for t, shift in enumerate(shifts):
                tap = planes[cs, shift:shift + span]
                if t == 0:
                    np.multiply(tap, taps[cs, t], out=acc)
                else:
                    acc += np.multiply(tap, taps[cs, t], out=product)
            out[b, cs] = rows[:k].reshape(k, ho, wp)[:, :, :wo]   # drop the wrapped ends
    return out


def _spread_rows(dout_block, wp, out):
    """``dout`` (C, H_out, W_out) on W_p-wide rows, zeros in the dropped columns: (C, H_out*W_p)."""
    c, ho, wo = dout_block.shape
    grid = out[:c].reshape(c, ho, wp)
    grid[:, :, :wo] = dout_block
    grid[:, :, wo:] = 0
    return out[:c]


def _depthwise_weight_gradient_flat(dout, xp, weight, dilation):
    """Stride 1: ``dweight[c, u, v]`` is one dot product of two contiguous vectors per tap."""
    c_out, _, kh, kw = weight.shape
    (hp, wp), (ho, wo) = xp.shape[2:], dout.shape[2:]
    span, shifts = _flat_layout((hp, wp), (ho, wo), (kh, kw), dilation)
    dweight = np.zeros((c_out, kh * kw), dtype=xp.dtype)
    blocks = _channel_blocks(c_out, (hp * wp + ho * wp) * xp.itemsize, 1)
    spread = np.empty((blocks[0].stop, ho * wp), dtype=xp.dtype)
    for b in range(xp.shape[0]):
        planes = _channel_of_each_output(xp[b], c_out).reshape(c_out, hp * wp)
        for cs in blocks:
            grad = _spread_rows(dout[b, cs], wp, spread)[:, :span]
            for t, shift in enumerate(shifts):
                dweight[cs, t] += np.einsum("cl,cl->c", grad, planes[cs, shift:shift + span])
    return dweight.reshape(c_out, 1, kh, kw)


def _depthwise_input_gradient_flat(dout, weight, dilation, groups, padded_size):
    """Stride 1: each tap adds ``weight[c, u, v] * dout`` onto one contiguous slice."""
    n, c_out, (ho, wo), (hp, wp) = dout.shape[0], dout.shape[1], dout.shape[2:], padded_size
    span, shifts = _flat_layout((hp, wp), (ho, wo), weight.shape[2:], dilation)
    taps = weight.reshape(c_out, -1, 1)
    dplanes = np.empty((c_out, hp * wp), dtype=dout.dtype)
    dxp = np.empty((n, groups, hp, wp), dtype=dout.dtype)
    blocks = _channel_blocks(c_out, (hp * wp + 2 * ho * wp) * dout.itemsize, 1)
    spread = np.empty((blocks[0].stop, ho * wp), dtype=dout.dtype)
    scratch = np.empty((blocks[0].stop, span), dtype=dout.dtype)
    for b in range(n):
        for cs in blocks:
            k = cs.stop - cs.start
            grad, product = _spread_rows(dout[b, cs], wp, spread)[:, :span], scratch[:k]
            block = dplanes[cs]
            block[...] = 0
            for t, shift in enumerate(shifts):
                block[:, shift:shift + span] += np.multiply(grad, taps[cs, t], out=product)
        image = dplanes.reshape(c_out, hp, wp)
        if groups == c_out:
            dxp[b] = image
        else:
            dxp[b] = image.reshape(groups, c_out // groups, hp, wp).sum(axis=1)
    return dxp

