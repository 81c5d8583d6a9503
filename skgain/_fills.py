"""Interpolations of the missing cells of image batches, used as initial fills.

A convolutional generator that refines an interpolation learns only a residual,
the correction the interpolation needs, instead of the whole image from noise.
All three public functions take (n, C, H, W) or (H, W) tensors or NumPy arrays
and return the same kind and shape (``_check_fill_input``):
``normalized_convolution`` gives its estimate at every cell, the other two keep
the observed cells. The estimators call the unchecked ``_``-prefixed versions
on their own tensors.
"""

import math
import numbers

import numpy as np
import torch
from torch.nn import functional as F

# Below this normalised-convolution weight a cell counts as having no
# observed neighbour at the current scale, and a wider kernel is tried.
_MIN_WEIGHT = 1e-4
# Smallest sigma of the public normalized_convolution: far below it the
# kernel's squared width underflows (a NaN kernel), and from about 0.3 down
# the kernel is a single pixel anyway.
_MIN_SIGMA = 0.01

# Width (pixels) of the generator's initial fill kernel. On the Imagenette val
# images with 20% MCAR pixels a narrow kernel interpolates best (RMSE 0.052 at
# 0.5, 0.059 at 1.0, 0.068 at 1.5; measured on 60 images).
_FILL_SIGMA = 0.5


# On an accelerator, reading "have all solves converged?" back to the host
# waits for the device queue to drain: checked every 8 conjugate-gradient
# iterations there, every iteration on a CPU. The fill is the same either way
# (a converged solve takes zero steps).
def _convergence_check_interval(device):
    """How many conjugate-gradient iterations run between convergence checks."""
    return 1 if torch.device(device).type == "cpu" else 8


def _check_fill_input(values, mask, caller):
    """Validate the ``values`` and ``mask`` of a public fill.

    Returns ``(values, mask, restore)``: (n, C, H, W) floating tensors on
    ``values``'s device, with the missing entries of ``values`` set to 0 (a
    NaN there is ignored: the mask says it is missing), and ``restore``,
    which gives a filled tensor the kind (tensor or NumPy array) and shape
    of the input.
    """
    as_numpy = not isinstance(values, torch.Tensor)
    values_t = _as_tensor(values, "values", caller)
    mask_t = _as_tensor(mask, "mask", caller).to(values_t.device)
    shape = tuple(values_t.shape)
    if len(shape) not in (2, 4) or 0 in shape:
        raise ValueError(
            f"{caller}: values must have shape (n, C, H, W) or (H, W), no axis empty; got "
            f"shape {shape}."
        )
    if tuple(mask_t.shape) != shape:
        raise ValueError(
            f"{caller}: mask must have the shape of values, {shape}; got "
            f"{tuple(mask_t.shape)}."
        )
    if not values_t.is_floating_point():
        values_t = values_t.to(torch.float64 if as_numpy else torch.float32)
    mask_t = mask_t.to(values_t.dtype)
    if not bool(((mask_t == 0) | (mask_t == 1)).all()):
        raise ValueError(f"{caller}: mask must hold 1 (observed) and 0 (missing) only.")
    observed = mask_t > 0
    if not bool(torch.isfinite(values_t[observed]).all()):
        raise ValueError(
            f"{caller}: values must be finite where mask is 1; NaN or infinity is allowed "
            "only where mask is 0 (missing)."
        )
    values_t = torch.where(observed, values_t, torch.zeros_like(values_t))
    batch_shape = shape if len(shape) == 4 else (1, 1) + shape

    def restore(filled):
        filled = filled.reshape(shape)
        return filled.cpu().numpy() if as_numpy else filled

    return values_t.reshape(batch_shape), mask_t.reshape(batch_shape), restore


def _as_tensor(array, name, caller):
    """``array`` (a tensor or array-like of real numbers) as a tensor."""
    if isinstance(array, torch.Tensor):
        tensor = array
    else:
        try:
            tensor = torch.as_tensor(np.asarray(array))
        except (TypeError, ValueError, RuntimeError) as exc:
            raise TypeError(
                f"{caller}: {name} must be a torch tensor or a NumPy array of real numbers; "
                f"got {type(array).__name__}."
            ) from exc
    if tensor.is_complex():
        raise TypeError(f"{caller}: {name} must hold real numbers; got dtype {tensor.dtype}.")
    return tensor


def _check_number(value, name, caller, low, high=math.inf, integral=False):
    """``value`` if it is a real (or integral) number in the range, else an error."""
    kind = numbers.Integral if integral else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(
            f"{caller}: {name} must be {'an integer' if integral else 'a real number'}; got "
            f"{value!r}."
        )
    if not low <= value <= high:  # NaN fails both comparisons
        raise ValueError(f"{caller}: {name} must be in [{low}, {high}]; got {value!r}.")
    return value


def _gaussian_blur(images, sigma):
    """Separable Gaussian blur of (n, C, H, W) images with zero padding."""
    n, c, h, w = images.shape
    radius = max(1, int(math.ceil(3 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    kernel = torch.exp(-(t**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    x = images.reshape(n * c, 1, h, w)
    x = F.conv2d(x, kernel.view(1, 1, 1, -1), padding=(0, radius))
    x = F.conv2d(x, kernel.view(1, 1, -1, 1), padding=(radius, 0))
    return x.reshape(n, c, h, w)


def normalized_convolution(values, mask, sigma=1.0):
    """Fill every cell with a Gaussian-weighted mean of its observed neighbours.

    Normalised convolution (Knutsson and Westin, 1993):
    ``blur(mask * values) / blur(mask)``, channel by channel. Cells with no
    observed value within reach of the kernel are retried with the width
    doubled, up to the image's larger side; cells of an image channel with
    nothing observed get 0.5.

    Parameters
    ----------
    values : Tensor or ndarray of shape (n, C, H, W) or (H, W)
        Images (real numbers; integers and booleans are cast to float).
        Entries where ``mask`` is 0 are ignored, NaN included; where it is
        1 they must be finite.
    mask : Tensor or ndarray of the shape of ``values``
        1 (or True) for observed entries, 0 (or False) for missing ones;
        no other value.
    sigma : float in [0.01, 2 * max(H, W)], default=1.0
        Standard deviation, in pixels, of the first Gaussian kernel (below
        about 0.3 the kernel is a single pixel; beyond the image's sides it
        is nearly flat).

    Returns
    -------
    filled : Tensor or ndarray of the shape of ``values``
        The interpolation at every cell (observed cells included): a
        tensor for a tensor ``values``, else a NumPy array.

    Raises
    ------
    TypeError
        If an argument is not of an accepted type.
    ValueError
        If shapes differ, ``mask`` holds a value other than 0 and 1, an
        observed value is not finite, or ``sigma`` is out of range.
    """
    name = "normalized_convolution"
    values, mask, restore = _check_fill_input(values, mask, name)
    _check_number(sigma, "sigma", name, _MIN_SIGMA, 2 * max(values.shape[-2:]))
    return restore(_normalized_convolution(values, mask, float(sigma)))


def _normalized_convolution(values, mask, sigma):
    """:func:`normalized_convolution` of checked (n, C, H, W) tensors, ``sigma > 0``."""
    fill = torch.full_like(values, 0.5)
    todo = torch.ones_like(values, dtype=torch.bool)
    observed_values = values * mask
    size = max(values.shape[-2:])
    # Doublings until sigma exceeds the image's larger side: a bounded loop
    # (the last width reaches every cell of the image); one spare width
    # guards against log2's rounding, the break ends the loop as before.
    n_widths = max(1, math.floor(math.log2(size / sigma)) + 3)
    for _ in range(n_widths):
        weight = _gaussian_blur(mask, sigma)
        done = todo & (weight > _MIN_WEIGHT)
        estimate = _gaussian_blur(observed_values, sigma) / weight.clamp_min(_MIN_WEIGHT)
        fill = torch.where(done, estimate, fill)
        todo = todo & ~done
        if not bool(todo.any()) or sigma > size:
            break
        sigma *= 2
    return fill


def harmonic_fill(values, mask, n_iter=20):
    """Fill missing cells by Jacobi iterations of the discrete Laplace equation.

    Every missing cell becomes the mean of its 4 neighbours (replicated at
    the border), starting from a normalised convolution; observed cells stay.
    Smoother than normalised convolution on thin holes (the paper's MNAR
    rows), it is a better start for a generator that learns a residual.

    Parameters
    ----------
    values : Tensor or ndarray of shape (n, C, H, W) or (H, W)
        Images (real numbers; integers and booleans are cast to float).
        Entries where ``mask`` is 0 are ignored, NaN included; where it is
        1 they must be finite.
    mask : Tensor or ndarray of the shape of ``values``
        1 (or True) for observed entries, 0 (or False) for missing ones;
        no other value.
    n_iter : int >= 0, default=20
        Jacobi iterations.

    Returns
    -------
    filled : Tensor or ndarray of the shape of ``values``
        A tensor for a tensor ``values``, else a NumPy array.

    Raises
    ------
    TypeError
        If an argument is not of an accepted type.
    ValueError
        If shapes differ, ``mask`` holds a value other than 0 and 1, an
        observed value is not finite, or ``n_iter`` is negative.
    """
    values, mask, restore = _check_fill_input(values, mask, "harmonic_fill")
    _check_number(n_iter, "n_iter", "harmonic_fill", 0, integral=True)
    return restore(_harmonic_fill(values, mask, int(n_iter)))


def _harmonic_fill(values, mask, n_iter=20):
    """:func:`harmonic_fill` of checked (n, C, H, W) tensors."""
    n, c, height, width = values.shape
    kernel = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]],
                          dtype=values.dtype, device=values.device).view(1, 1, 3, 3) / 4
    x = mask * values + (1 - mask) * _normalized_convolution(values, mask, 1.0)
    for _ in range(n_iter):
        padded = F.pad(x.reshape(n * c, 1, height, width), (1, 1, 1, 1), mode="replicate")
        x = mask * values + (1 - mask) * F.conv2d(padded, kernel).reshape(n, c, height, width)
    return x


def _laplacian(x):
    """5-point Laplacian of (n, C, H, W) images, border replicated."""
    x = F.pad(x, (1, 1, 1, 1), mode="replicate")
    return (x[..., :-2, 1:-1] + x[..., 2:, 1:-1] + x[..., 1:-1, :-2] + x[..., 1:-1, 2:]
            - 4 * x[..., 1:-1, 1:-1])


def _laplacian_adjoint(y):
    """The adjoint of :func:`_laplacian`: scatter the stencil, fold the border back."""
    n, c, height, width = y.shape
    out = y.new_zeros(n, c, height + 2, width + 2)
    out[..., :-2, 1:-1] += y
    out[..., 2:, 1:-1] += y
    out[..., 1:-1, :-2] += y
    out[..., 1:-1, 2:] += y
    out[..., 1:-1, 1:-1] -= 4 * y
    # Replicate padding copied the edge into the frame; its adjoint adds the
    # frame back onto the edge (corners reach the edge through both folds).
    out[..., 1, :] += out[..., 0, :]
    out[..., -2, :] += out[..., -1, :]
    out[..., :, 1] += out[..., :, 0]
    out[..., :, -2] += out[..., :, -1]
    return out[..., 1:-1, 1:-1]


def biharmonic_fill(values, mask, max_iter=50, tol=1e-3, reach=2):
    """Fill missing cells with the smoothest surface through the observed ones.

    Minimises the squared discrete Laplacian ``sum(laplacian(x) ** 2)`` over
    the missing cells with the observed cells fixed: the biharmonic
    interpolation of :func:`skimage.restoration.inpaint_biharmonic` (the
    same minimisation; ``tests/test_fills.py`` compares the two), solved
    for the whole batch at once by conjugate gradients started from a
    normalised convolution. Each channel is filled on its own.

    Beyond the observed cells (a gap at the border, such as the last periods
    of a time series) the smoothest surface continues the local trend
    linearly, without bound; so cells with no observed cell within ``reach``
    pixels keep the normalised convolution, a local mean, instead.

    Parameters
    ----------
    values : Tensor or ndarray of shape (n, C, H, W) or (H, W)
        Images (real numbers; integers and booleans are cast to float).
        Entries where ``mask`` is 0 are ignored, NaN included; where it is
        1 they must be finite.
    mask : Tensor or ndarray of the shape of ``values``
        1 (or True) for observed entries, 0 (or False) for missing ones;
        no other value.
    max_iter : int >= 0, default=50
        Maximum conjugate-gradient iterations (small scattered holes
        converge in a few; wide ones need more).
    tol : float >= 0, default=1e-3
        Stop the solve of an image channel when its residual norm has
        fallen below ``tol`` times its initial value (each solve on its own:
        the fill of an image does not depend on the others in the batch).
    reach : int >= 0 or None, default=2
        Cells farther than this (in pixels, along rows, columns or
        diagonals) from every observed cell take the normalised convolution;
        None fills every cell biharmonically.

    Returns
    -------
    filled : Tensor or ndarray of the shape of ``values``
        A tensor for a tensor ``values``, else a NumPy array.

    Raises
    ------
    TypeError
        If an argument is not of an accepted type.
    ValueError
        If shapes differ, ``mask`` holds a value other than 0 and 1, an
        observed value is not finite, or a number is out of range.

    References
    ----------
    .. [1] S. B. Damelin and N. S. Hoang, "On Surface Completion and Image
       Inpainting by Biharmonic Functions: Numerical Aspects", International
       Journal of Mathematics and Mathematical Sciences, 2018.
    """
    name = "biharmonic_fill"
    values, mask, restore = _check_fill_input(values, mask, name)
    _check_number(max_iter, "max_iter", name, 0, integral=True)
    _check_number(tol, "tol", name, 0)
    if reach is not None:
        _check_number(reach, "reach", name, 0, integral=True)
    return restore(_biharmonic_fill(values, mask, int(max_iter), float(tol),
                                    None if reach is None else int(reach)))


def _biharmonic_fill(values, mask, max_iter=50, tol=1e-3, reach=2):
    """:func:`biharmonic_fill` of checked (n, C, H, W) tensors."""
    free = 1 - mask
    local_mean = _normalized_convolution(values, mask, _FILL_SIGMA)
    x = mask * values + free * local_mean

    def normal_operator(p):  # L^T L restricted to the missing cells
        return free * _laplacian_adjoint(_laplacian(p))

    dims = (-2, -1)  # one conjugate-gradient solve per image and channel
    residual = -normal_operator(x)
    direction = residual.clone()
    norm2 = (residual * residual).sum(dim=dims, keepdim=True)
    stop = (tol**2) * norm2
    check_every = _convergence_check_interval(values.device)
    for iteration in range(max_iter):
        # A converged solve stops moving while the others go on, so that an
        # image's fill does not depend on the images batched with it.
        active = norm2 > stop
        if iteration % check_every == 0 and not bool(active.any()):
            break
        product = normal_operator(direction)
        curvature = (direction * product).sum(dim=dims, keepdim=True)
        step = torch.where(active & (curvature > 0), norm2 / curvature.clamp_min(1e-30), 0.0)
        x = x + step * direction
        residual = residual - step * product
        new_norm2 = (residual * residual).sum(dim=dims, keepdim=True)
        direction = residual + (new_norm2 / norm2.clamp_min(1e-30)) * direction
        norm2 = new_norm2
    if reach is not None:
        n, c, height, width = mask.shape
        near = F.max_pool2d(mask.reshape(n * c, 1, height, width), 2 * reach + 1, stride=1,
                            padding=reach).reshape(mask.shape)
        x = torch.where(near > 0, x, local_mean)
    return x
