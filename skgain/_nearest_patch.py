"""The nearest-patch baseline of zero-shot imputation, and one-image input checks."""

import numbers

import numpy as np

from ._crops import (
    crop_distances,
    crop_positions,
    gather_crops,
    image_patch_size,
    region_windows,
    target_regions,
)
from .masks import check_region

# Grey, grey + alpha, RGB and RGBA. A 3-D array with a longer last axis is
# more likely a stack (n, H, W) of images than one image with that many
# channels, so it is refused unless the caller states its channel count.
_MAX_AUTO_CHANNELS = 4


def check_one_image(shape, n_channels, caller):
    """Raise a ValueError unless ``shape`` can be one image (H, W) or (H, W, C).

    A 3-D shape is read as (H, W, C). With ``n_channels=None``, C may be at
    most ``_MAX_AUTO_CHANNELS``; an int ``n_channels`` must equal C. 2-D
    shapes always pass; shapes of more than 3 axes never do.
    """
    shape = tuple(shape)
    stack_hint = ("For a stack of images use SpatialGAINImputer, which learns from all of "
                  "them at once.")
    if len(shape) > 3:
        raise ValueError(
            f"{caller} completes one image of shape (H, W) or (H, W, C); got an array of "
            f"shape {shape}. {stack_hint}"
        )
    if len(shape) < 3:
        return
    n_found = shape[2]
    if n_channels is None and n_found > _MAX_AUTO_CHANNELS:
        raise ValueError(
            f"{caller} completes one image of shape (H, W) or (H, W, C) with at most "
            f"{_MAX_AUTO_CHANNELS} channels C; got shape {shape}, which looks like a stack of "
            f"{shape[0]} images of {shape[1]}x{shape[2]} pixels. {stack_hint} If it is one "
            f"image with {n_found} channels, pass n_channels={n_found}."
        )
    if n_channels is not None and n_found != n_channels:
        raise ValueError(
            f"n_channels={n_channels}, but the image of shape {shape} has {n_found} channels "
            "on its last axis."
        )


def _as_image(image, missing_values, name="image", n_channels=None):
    """Validate one image: float (H, W, C) values, pixel-missing mask, and its ndim."""
    try:
        values = np.array(image, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array: {exc}") from exc
    check_one_image(values.shape, n_channels, "nearest_patch_fill")
    if values.ndim not in (2, 3) or values.size == 0:
        raise ValueError(
            f"{name} must be one non-empty image of shape (H, W) or (H, W, C), "
            f"got shape {values.shape}."
        )
    ndim = values.ndim
    if ndim == 2:
        values = values[..., None]
    if np.isnan(missing_values):
        missing = np.isnan(values)
    else:
        missing = values == missing_values
    if np.isinf(values).any() or (~missing & np.isnan(values)).any():
        raise ValueError(f"{name} holds infinite values or NaN that are not missing_values.")
    if missing.all():
        raise ValueError(f"every pixel of {name} is missing; there is nothing to learn from.")
    values[missing] = 0.0
    return values, missing, ndim


def nearest_patch_fill(image, region=None, *, patch_size=64, stride=1, missing_values=np.nan,
                       n_channels=None):
    """Fill the missing pixels from the closest fully observed crop (the "NN" baseline).

    The target regions are found as by :class:`ZeroShotSpatialImputer`; every
    ``patch_size`` window A of a region is compared with every
    ``patch_size`` crop T of the image that overlaps no region and has no
    missing pixel, under the pruning distance d(A, T) (the mean pixel-wise
    Euclidean distance over the observed pixels of A), and the missing
    pixels of A are copied from the crop with the smallest distance. This is
    the nearest-neighbour baseline of the SpatialGAIN paper's Table 2.

    Parameters
    ----------
    image : array-like of real numbers, shape (H, W) or (H, W, C)
        The image; ``missing_values`` marks missing pixels. Other pixels
        must be finite.
    region : tuple of 4 int or None, default=None
        ``(top, left, height, width)`` of the target region; None finds the
        regions from the missing pixels. Missing pixels outside ``region``
        are filled too.
    patch_size : int >= 1, default=64
        Side of the windows and crops, capped by the image's sides.
    stride : int >= 1, default=1
        Step between candidate crops (1 searches every position).
    missing_values : float, default=np.nan
        The placeholder of missing values.
    n_channels : int or None, default=None
        Channels C of a 3-D image (H, W, C). None accepts at most 4 (a
        longer last axis is refused as a likely stack of images); give the
        count to fill an image with more channels.

    Returns
    -------
    image_filled : ndarray of float64, same shape as ``image``
        ``image`` with every missing pixel filled; observed pixels unchanged.

    Raises
    ------
    ValueError
        If ``image`` is not one image (see ``n_channels``), every pixel is
        missing, no fully observed crop lies outside the target regions, or
        an argument is out of its range.
    TypeError
        If ``missing_values`` is not a number.

    See Also
    --------
    ZeroShotSpatialImputer : Learns the fill from the same crops.

    References
    ----------
    .. [1] SpatialGAIN paper, Experiment 2 (zero-shot imputation), Table 2,
       column "NN".

    Examples
    --------
    >>> import numpy as np
    >>> from skgain import nearest_patch_fill
    >>> image = np.tile([0.0, 1.0], (8, 4))   # vertical stripes
    >>> image[6, 6] = np.nan
    >>> nearest_patch_fill(image, patch_size=2)[6, 6]
    np.float64(0.0)
    """
    _check_arguments(patch_size, stride, missing_values, n_channels)
    values, missing, ndim = _as_image(image, missing_values, n_channels=n_channels)
    pixel_missing = missing.any(axis=-1)
    size = image_patch_size(patch_size, values.shape)
    if region is not None:
        region = check_region(region, values.shape)
    regions = target_regions(pixel_missing, size, region)
    filled = values.copy()
    if regions:
        sources = _complete_crops(values.shape, pixel_missing, regions, size, stride)
        _copy_nearest(values, pixel_missing, missing, regions, sources, size, filled)
    filled[~missing] = values[~missing]
    return filled[..., 0] if ndim == 2 else filled


def _is_positive_int(value):
    # bool is an Integral, but True as a size is a mistake.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1


def _check_arguments(patch_size, stride, missing_values, n_channels):
    """ValueErrors (TypeError for a non-number placeholder) naming the bad argument."""
    if not _is_positive_int(patch_size):
        raise ValueError(f"patch_size must be a positive integer, got {patch_size!r}.")
    if not _is_positive_int(stride):
        raise ValueError(f"stride must be a positive integer, got {stride!r}.")
    if n_channels is not None and not _is_positive_int(n_channels):
        raise ValueError(f"n_channels must be None or a positive integer, got {n_channels!r}.")
    if isinstance(missing_values, bool) or not isinstance(missing_values, numbers.Real):
        raise TypeError(f"missing_values must be a real number (np.nan by default), got "
                        f"{missing_values!r}.")


def _complete_crops(shape, pixel_missing, regions, size, stride):
    """Positions of the crops that miss every region and have no missing pixel."""
    positions, _ = crop_positions(shape, size, regions, stride=stride)
    complete = ~gather_crops(pixel_missing[..., None], positions, size).any(axis=(1, 2, 3))
    if not complete.any():
        raise ValueError(
            f"no fully observed {size}x{size} crop of the {shape[:2]} image lies outside the "
            "target regions; use a smaller patch_size or stride."
        )
    return positions[complete]


def _copy_nearest(values, pixel_missing, missing, regions, sources, size, filled):
    """Fill each window of the regions in ``filled`` from its nearest source crop."""
    todo = missing.copy()
    for region in regions:
        for t, lf in region_windows(region, size):
            window = (slice(t, t + size), slice(lf, lf + size))
            d = crop_distances(values, ~pixel_missing, values[window], ~pixel_missing[window],
                               sources, size)
            best = sources[np.argmin(np.where(np.isfinite(d), d, np.inf))]
            source = values[best[0]:best[0] + size, best[1]:best[1] + size]
            hole = todo[window]
            filled[window][hole] = source[hole]
            todo[window] = False
