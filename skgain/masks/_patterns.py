"""Missingness patterns for images: MCAR pixels, the paper's MNAR rows, block regions.

Every helper works on the spatial grid of an image: ``image_shape`` is a
tuple ``(H, W)`` or ``(H, W, C)`` of positive integers (an int alone is
refused: it could mean a square or a 1-D signal), and the masks returned are
boolean ``(H, W)`` arrays, True where a pixel is hidden (across all its
channels). A region is a tuple ``(top, left, height, width)`` of integer
pixel coordinates inside the image. Rates are real numbers in [0, 1], never
booleans. Bad arguments raise a ValueError (or a TypeError for a wrong type)
that names the argument.
"""

import numbers

import numpy as np
from sklearn.utils import check_random_state

_CORNERS = ("bottom-right", "bottom-left", "top-right", "top-left", "center")


def _is_int(value):
    # bool is an Integral, but True as a size or a count is a mistake.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _spatial_shape(image_shape):
    try:
        shape = tuple(image_shape)
    except TypeError:
        shape = ()  # an int or None: reported below
    if len(shape) not in (2, 3) or any(not _is_int(s) or s < 1 for s in shape):
        raise ValueError(
            "image_shape must be a tuple (H, W) or (H, W, C) of positive integers (an int "
            f"alone is not a shape: pass (n, n) for a square), got {image_shape!r}."
        )
    return int(shape[0]), int(shape[1])


def check_region(region, image_shape):
    """Validate ``region=(top, left, height, width)`` against an image's shape.

    Parameters
    ----------
    region : tuple of 4 int
        ``(top, left, height, width)`` in pixels: integers, height and
        width positive, the whole block inside the image.
    image_shape : tuple of 2 or 3 int
        ``(H, W)`` or ``(H, W, C)``, positive.

    Returns
    -------
    region : tuple of 4 int
        The region as plain Python integers.

    Examples
    --------
    >>> from skgain.masks import check_region
    >>> check_region((2, 3, 4, 5), (10, 10))
    (2, 3, 4, 5)
    """
    height_img, width_img = _spatial_shape(image_shape)
    top, left, height, width = _int_tuple(
        region, 4, f"region must be a tuple of 4 integers (top, left, height, width), "
                   f"got {region!r}.")
    if height < 1 or width < 1:
        raise ValueError(f"region height and width must be positive, got {region!r}.")
    if top < 0 or left < 0 or top + height > height_img or left + width > width_img:
        raise ValueError(
            f"region {region!r} does not fit inside an image of shape "
            f"{(height_img, width_img)}."
        )
    return top, left, height, width


def block_region(image_shape, size=64, *, corner="bottom-right"):
    """A ``size`` x ``size`` block at a corner (or the centre) of an image.

    The paper's Experiment 2 uses the bottom-right 64x64 block of a 320x320
    photo as the target region.

    Parameters
    ----------
    image_shape : tuple of 2 or 3 int
        ``(H, W)`` or ``(H, W, C)``, positive.
    size : int or tuple of 2 int, default=64
        Height and width of the block (one int for a square), positive and
        at most the image's.
    corner : {"bottom-right", "bottom-left", "top-right", "top-left", "center"}, \
            default="bottom-right"
        Where the block sits.

    Returns
    -------
    region : tuple of 4 int
        ``(top, left, height, width)``.

    Examples
    --------
    >>> from skgain.masks import block_region
    >>> block_region((320, 320))
    (256, 256, 64, 64)
    >>> block_region((10, 12), (2, 4), corner="center")
    (4, 4, 2, 4)
    """
    height_img, width_img = _spatial_shape(image_shape)
    size = _check_size(size)
    height, width = check_region((0, 0, *size), (height_img, width_img))[2:]
    if not isinstance(corner, str) or corner not in _CORNERS:
        raise ValueError(f"corner must be one of {_CORNERS}, got {corner!r}.")
    top = {"top": 0, "bottom": height_img - height}.get(
        corner.split("-")[0], (height_img - height) // 2
    )
    left = {"left": 0, "right": width_img - width}.get(
        corner.split("-")[-1], (width_img - width) // 2
    )
    return top, left, height, width


def _check_size(size):
    """``size`` of :func:`block_region` as ``(height, width)``."""
    if _is_int(size):
        return size, size
    return _int_tuple(size, 2, f"size must be an integer or a tuple of 2 integers "
                               f"(height, width); got {size!r}.")


def _int_tuple(value, length, message):
    """``value`` as a tuple of ``length`` ints; a ValueError with ``message`` otherwise."""
    try:
        values = tuple(value)
    except TypeError:
        values = ()
    if len(values) != length or not all(_is_int(v) for v in values):
        raise ValueError(message)
    return tuple(int(v) for v in values)


def _check_rate(value, name):
    """``value`` if it is a real number in [0, 1] (not a bool), else a ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a real number in [0, 1] (not a bool); got {value!r}.")
    return float(value)


def _checked_random_state(random_state):
    try:
        return check_random_state(random_state)
    except ValueError as exc:
        raise ValueError(
            f"random_state must be None, an int or a numpy RandomState; got {random_state!r}."
        ) from exc


def region_mask(image_shape, region):
    """Boolean ``(H, W)`` mask, True inside ``region``.

    Parameters
    ----------
    image_shape : tuple of 2 or 3 int
        ``(H, W)`` or ``(H, W, C)``, positive.
    region : tuple of 4 int
        ``(top, left, height, width)``.

    Returns
    -------
    mask : ndarray of bool, shape (H, W)

    Examples
    --------
    >>> from skgain.masks import region_mask
    >>> region_mask((3, 4), (1, 1, 2, 2)).astype(int)
    array([[0, 0, 0, 0],
           [0, 1, 1, 0],
           [0, 1, 1, 0]])
    """
    shape = _spatial_shape(image_shape)
    top, left, height, width = check_region(region, shape)
    mask = np.zeros(shape, dtype=bool)
    mask[top:top + height, left:left + width] = True
    return mask


def _full_region(image_shape, region):
    shape = _spatial_shape(image_shape)
    if region is None:
        return shape, (0, 0, *shape)
    return shape, check_region(region, shape)


def mcar_mask(image_shape, rate, *, region=None, random_state=None):
    """Missing completely at random: hide a fraction ``rate`` of the pixels.

    Exactly ``round(rate * n)`` of the ``n`` pixels of ``region`` (the whole
    image when None) are hidden, chosen uniformly without replacement.

    Parameters
    ----------
    image_shape : tuple of 2 or 3 int
        ``(H, W)`` or ``(H, W, C)``, positive.
    rate : float in [0, 1]
        Fraction of the region's pixels to hide (a bool is refused).
    region : tuple of 4 int or None, default=None
        ``(top, left, height, width)``; None is the whole image.
    random_state : int, RandomState instance or None, default=None
        Seeds the choice of pixels.

    Returns
    -------
    mask : ndarray of bool, shape (H, W)
        True where a pixel is hidden.

    Examples
    --------
    >>> from skgain.masks import mcar_mask
    >>> mask = mcar_mask((10, 10), 0.2, region=(5, 5, 5, 5), random_state=0)
    >>> int(mask.sum()), int(mask[:5].sum())
    (5, 0)
    """
    shape, (top, left, height, width) = _full_region(image_shape, region)
    rate = _check_rate(rate, "rate")
    rng = _checked_random_state(random_state)
    n_pixels = height * width
    chosen = rng.choice(n_pixels, size=int(round(rate * n_pixels)), replace=False)
    inside = np.zeros(n_pixels, dtype=bool)
    inside[chosen] = True
    mask = np.zeros(shape, dtype=bool)
    mask[top:top + height, left:left + width] = inside.reshape(height, width)
    return mask


def mnar_mask(image_shape, *, region=None, row_fraction=0.2, n_pixels=10, random_state=None):
    """The SpatialGAIN paper's MNAR pattern: some rows lose their last pixels.

    ``round(row_fraction * height)`` rows of ``region`` (at least one when
    ``row_fraction > 0``), chosen uniformly without replacement, lose their
    last ``n_pixels`` pixels, i.e. the right-most ``n_pixels`` columns of the
    region. Whether a pixel is missing depends on where it is, not at random.

    Parameters
    ----------
    image_shape : tuple of 2 or 3 int
        ``(H, W)`` or ``(H, W, C)``, positive.
    region : tuple of 4 int or None, default=None
        ``(top, left, height, width)``; None is the whole image.
    row_fraction : float in [0, 1], default=0.2
        Fraction of the region's rows that lose pixels (a bool is refused).
    n_pixels : int, default=10
        Pixels lost at the end of each chosen row (at most the region's width).
    random_state : int, RandomState instance or None, default=None
        Seeds the choice of rows.

    Returns
    -------
    mask : ndarray of bool, shape (H, W)
        True where a pixel is hidden.

    Examples
    --------
    >>> from skgain.masks import mnar_mask
    >>> mask = mnar_mask((10, 8), row_fraction=0.2, n_pixels=3, random_state=0)
    >>> int(mask.sum()), int(mask.any(axis=1).sum()), bool(mask[:, :5].any())
    (6, 2, False)
    """
    shape, (top, left, height, width) = _full_region(image_shape, region)
    row_fraction = _check_rate(row_fraction, "row_fraction")
    if not _is_int(n_pixels) or not 0 <= n_pixels <= width:
        raise ValueError(
            f"n_pixels must be an integer in [0, {width}] (the region's width), got {n_pixels!r}."
        )
    rng = _checked_random_state(random_state)
    n_rows = int(round(row_fraction * height))
    if row_fraction > 0:
        n_rows = max(n_rows, 1)
    rows = rng.choice(height, size=n_rows, replace=False)
    mask = np.zeros(shape, dtype=bool)
    if n_pixels:
        mask[top + rows, left + width - n_pixels:left + width] = True
    return mask


def apply_mask(image, mask):
    """A float copy of ``image`` with the pixels of ``mask`` set to NaN.

    Parameters
    ----------
    image : array-like of real numbers, shape (H, W) or (H, W, C)
        The complete image (a NumPy array, a CPU tensor, nested lists...);
        NaN already in it stays NaN.
    mask : array-like of shape (H, W)
        True (or 1) where a pixel is hidden (all its channels are hidden),
        False (or 0) elsewhere; no other value.

    Returns
    -------
    image_missing : ndarray of float64, same shape as ``image``

    Raises
    ------
    TypeError
        If ``image`` or ``mask`` is not an array of real numbers.
    ValueError
        If their shapes do not match or ``mask`` holds a value other than
        0 and 1.

    Examples
    --------
    >>> import numpy as np
    >>> from skgain.masks import apply_mask
    >>> apply_mask(np.ones((2, 2)), np.array([[True, False], [False, False]]))
    array([[nan,  1.],
           [ 1.,  1.]])
    """
    image = _real_array(image, "image").astype(np.float64, copy=True)
    mask = _real_array(mask, "mask")
    if image.ndim not in (2, 3) or mask.shape != image.shape[:2]:
        raise ValueError(
            f"mask of shape {mask.shape} does not match the image's spatial shape "
            f"{image.shape[:2]} (image must be (H, W) or (H, W, C); got shape {image.shape})."
        )
    if mask.dtype != bool and not np.isin(mask, (0, 1)).all():
        raise ValueError("mask must hold True/1 (hidden) and False/0 (kept) only.")
    image[mask.astype(bool)] = np.nan
    return image


def _real_array(array, name):
    """``array`` as a NumPy array of booleans, integers or floats, else a TypeError."""
    if array is None:
        raise TypeError(f"{name} must be an array-like of real numbers; got None.")
    try:
        array = np.asarray(array)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"{name} must be an array-like of real numbers; got "
                        f"{type(array).__name__}.") from exc
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be an array-like of real numbers; got dtype {array.dtype}.")
    return array
