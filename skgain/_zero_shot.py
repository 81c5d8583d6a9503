"""ZeroShotSpatialImputer: complete one image from crops of itself.

The zero-shot experiment of the SpatialGAIN paper: there is no training set,
only one image with a damaged region A. Crops of the same image that do not
overlap A become the training set, the crops least like A are pruned, a
SpatialGAIN network is trained on the rest with artificial masks, and A is
imputed. ``nearest_patch_fill`` is the paper's "NN" baseline on the same
crops.
"""

import contextlib
import numbers
import warnings

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view
from scipy import ndimage
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseImputer, draw_seed, torch_generator
from ._fills import harmonic_fill
from ._spatial import SpatialGAINImputer
from .masks import check_region

# ---------------------------------------------------------------------------
# Target regions, crops and pruning (pure numpy; shared with nearest_patch_fill)


def _overlaps(top, left, size, region):
    """True where the size x size crops at (top, left) overlap ``region``."""
    r_top, r_left, r_height, r_width = region
    return (
        (top < r_top + r_height) & (r_top < top + size)
        & (left < r_left + r_width) & (r_left < left + size)
    )


def find_regions(missing, patch_size):
    """Target regions: one box per cluster of missing pixels, grown to ``patch_size``.

    Missing pixels closer than ``patch_size`` to each other form one cluster
    (they could not be told apart by a crop anyway); each cluster's bounding
    box is grown, centred, to at least ``patch_size`` x ``patch_size`` and
    clipped to the image; boxes that then overlap are merged.

    Parameters
    ----------
    missing : ndarray of bool, shape (H, W)
        True where a pixel is missing.
    patch_size : int
        Side of the crops (at most min(H, W)).

    Returns
    -------
    regions : list of tuple of 4 int
        ``(top, left, height, width)`` of each region, sorted.
    """
    height_img, width_img = missing.shape
    if not missing.any():
        return []
    # Dilating by the patch size joins clusters a crop could not fit between.
    near = ndimage.maximum_filter(missing.astype(np.uint8), size=patch_size) > 0
    labels, n_labels = ndimage.label(near, structure=np.ones((3, 3)))
    boxes = []
    for found in ndimage.find_objects(np.where(missing, labels, 0), max_label=n_labels):
        if found is None:
            continue
        boxes.append([found[0].start, found[1].start, found[0].stop, found[1].stop])
    # Growing can make boxes overlap: merge them until all are disjoint.
    return _merge_boxes([_grow(box, patch_size, (height_img, width_img)) for box in boxes])


def _grow(box, size, shape):
    """Grow ``[top, left, bottom, right]`` to at least size x size, centred, inside ``shape``."""
    out = list(box)
    for axis in (0, 1):
        start, stop, limit = box[axis], box[axis + 2], shape[axis]
        extent = stop - start
        if extent < size:
            start = max(0, min(start - (size - extent) // 2, limit - size))
            stop = start + size
        out[axis], out[axis + 2] = start, stop
    return out


def region_windows(region, patch_size):
    """Top-left corners of patch_size windows tiling ``region`` (the last ones flush)."""
    top, left, height, width = region

    def starts(origin, extent):
        positions = list(range(origin, origin + extent - patch_size + 1, patch_size))
        if positions[-1] + patch_size < origin + extent:
            positions.append(origin + extent - patch_size)
        return positions

    return [(t, lf) for t in starts(top, height) for lf in starts(left, width)]


def crop_positions(image_shape, patch_size, regions, *, stride=1, n_crops=None,
                   random_state=None):
    """Top-left corners of the patch_size crops that overlap none of ``regions``.

    With ``n_crops=None`` every position on a ``stride`` grid is taken (the
    last row and column of positions flush with the image's edges); with an
    int, ``n_crops`` distinct positions are drawn uniformly among all valid
    stride-1 positions (all of them when fewer exist).

    Returns
    -------
    positions : ndarray of int, shape (n, 2)
        ``(top, left)`` rows.
    n_candidates : int
        Number of valid stride-1 positions, the upper bound on the number of
        distinct crops.
    """
    height_img, width_img = image_shape[:2]
    tops = np.arange(height_img - patch_size + 1)
    lefts = np.arange(width_img - patch_size + 1)
    grid_top, grid_left = np.meshgrid(tops, lefts, indexing="ij")
    valid = np.ones(grid_top.shape, dtype=bool)
    for region in regions:
        valid &= ~_overlaps(grid_top, grid_left, patch_size, region)
    n_candidates = int(valid.sum())
    if n_crops is None:
        on_grid = np.zeros_like(valid)
        keep_t = np.unique(np.r_[tops[::stride], tops[-1]])
        keep_l = np.unique(np.r_[lefts[::stride], lefts[-1]])
        on_grid[np.ix_(keep_t, keep_l)] = True
        positions = np.argwhere(valid & on_grid)
    else:
        everywhere = np.argwhere(valid)
        rng = check_random_state(random_state)
        chosen = rng.choice(len(everywhere), size=min(n_crops, len(everywhere)), replace=False)
        positions = everywhere[np.sort(chosen)]
    return positions.reshape(-1, 2), n_candidates


def gather_crops(image, positions, patch_size):
    """Copies of the crops of an (H, W, C) array at ``positions``: (n, p, p, C)."""
    windows = sliding_window_view(image, (patch_size, patch_size), axis=(0, 1))
    # sliding_window_view puts the window axes last: (H', W', C, p, p).
    return np.ascontiguousarray(
        windows[positions[:, 0], positions[:, 1]].transpose(0, 2, 3, 1)
    )


def crop_distances(image, observed, target, target_observed, positions, patch_size,
                   chunk=512):
    """d(A, T): mean pixel-wise Euclidean distance between A and each crop T.

    The mean runs over the pixels observed both in the target window A and
    in the crop (a crop with no such pixel gets +inf).

    Parameters
    ----------
    image : ndarray of shape (H, W, C)
        Values (missing entries arbitrary).
    observed : ndarray of bool, shape (H, W)
        True where a pixel is observed.
    target : ndarray of shape (p, p, C)
        The target window's values.
    target_observed : ndarray of bool, shape (p, p)
    positions : ndarray of int, shape (n, 2)
        Top-left corners of the crops.
    patch_size : int

    Returns
    -------
    distances : ndarray of shape (n,)
    """
    distances = np.empty(len(positions))
    for start in range(0, len(positions), chunk):
        block = positions[start:start + chunk]
        crops = gather_crops(image, block, patch_size)
        both = gather_crops(observed[..., None], block, patch_size)[..., 0] & target_observed
        pixel = np.sqrt(((crops - target) ** 2).sum(axis=-1))
        counts = both.sum(axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            distances[start:start + len(block)] = np.where(
                counts > 0, (pixel * both).sum(axis=(1, 2)) / counts, np.inf
            )
    return distances


def prune_crops(distances, beta):
    """Boolean mask of the crops kept: d <= mean(d) - beta * std(d) (finite d only)."""
    finite = np.isfinite(distances)
    if not finite.any():
        return finite
    d = distances[finite]
    return finite & (distances <= d.mean() - beta * d.std())


def _merge_boxes(boxes):
    """Merge overlapping ``[top, left, bottom, right]`` boxes until all are disjoint."""
    boxes = [list(b) for b in boxes]
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    boxes[i] = [min(a[0], b[0]), min(a[1], b[1]),
                                max(a[2], b[2]), max(a[3], b[3])]
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return sorted((t, lf, b - t, r - lf) for t, lf, b, r in boxes)


def target_regions(missing, patch_size, region=None):
    """The regions to fill: ``region`` (if given) plus the clusters outside it.

    Missing pixels outside an explicit ``region`` still need filling; they
    get regions of their own, merged with ``region`` where they overlap.
    """
    if region is None:
        return find_regions(missing, patch_size)
    top, left, height, width = region
    outside = missing.copy()
    outside[top:top + height, left:left + width] = False
    boxes = [[t, lf, t + h, lf + w] for t, lf, h, w in find_regions(outside, patch_size)]
    return _merge_boxes(boxes + [[top, left, top + height, left + width]])


def _image_patch_size(patch_size, shape):
    """The patch size used on an image: ``patch_size``, capped by the image's sides."""
    return int(min(patch_size, shape[0], shape[1]))


# Grey, grey + alpha, RGB and RGBA. A 3-D array with a longer last axis is
# more likely a stack (n, H, W) of images than one image with that many
# channels, so it is refused unless the caller states its channel count.
_MAX_AUTO_CHANNELS = 4


def _check_one_image(shape, n_channels, caller):
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
    _check_one_image(values.shape, n_channels, "nearest_patch_fill")
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
    image : array-like of shape (H, W) or (H, W, C)
        The image; ``missing_values`` marks missing pixels.
    region : tuple of 4 int or None, default=None
        ``(top, left, height, width)`` of the target region; None finds the
        regions from the missing pixels. Missing pixels outside ``region``
        are filled too.
    patch_size : int, default=64
        Side of the windows and crops, capped by the image's sides.
    stride : int, default=1
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
        missing, or no fully observed crop lies outside the target regions.

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
    if not isinstance(patch_size, numbers.Integral) or patch_size < 1:
        raise ValueError(f"patch_size must be a positive integer, got {patch_size!r}.")
    if not isinstance(stride, numbers.Integral) or stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride!r}.")
    values, missing, ndim = _as_image(image, missing_values, n_channels=n_channels)
    pixel_missing = missing.any(axis=-1)
    size = _image_patch_size(patch_size, values.shape)
    if region is not None:
        region = check_region(region, values.shape)
    regions = target_regions(pixel_missing, size, region)
    filled = values.copy()
    if regions:
        positions, _ = crop_positions(values.shape, size, regions, stride=stride)
        complete = ~gather_crops(pixel_missing[..., None], positions, size).any(axis=(1, 2, 3))
        positions = positions[complete]
        if len(positions) == 0:
            raise ValueError(
                f"no fully observed {size}x{size} crop of the {values.shape[:2]} image lies "
                "outside the target regions; use a smaller patch_size or stride."
            )
        todo = missing.copy()
        for top, left, height, width in regions:
            for t, lf in region_windows((top, left, height, width), size):
                window = (slice(t, t + size), slice(lf, lf + size))
                d = crop_distances(values, ~pixel_missing, values[window],
                                   ~pixel_missing[window], positions, size)
                best = positions[np.argmin(np.where(np.isfinite(d), d, np.inf))]
                source = values[best[0]:best[0] + size, best[1]:best[1] + size]
                hole = todo[window]
                filled[window][hole] = source[hole]
                todo[window] = False
    filled[~missing] = values[~missing]
    return filled[..., 0] if ndim == 2 else filled


# ---------------------------------------------------------------------------
# The estimator


class _CropSpatialGAIN(SpatialGAINImputer):
    """SpatialGAINImputer whose training hides pixels in the target's pattern.

    With ``_drop_patterns`` (a (k, p, p) float tensor, 1 = hide) each training
    crop hides the pixels of one of the k target windows' masks, drawn at
    random, instead of ``drop_rate`` MCAR pixels; the reconstruction loss is
    taken on those pixels, as in the parent's denoising step.
    """

    _drop_patterns = None
    # True: the generator's input is harmonic_fill, not the parent's normconv.
    _harmonic = False

    # (rows, input mask, check mask) of A's windows with observed pixels
    # hidden in A's own pattern, shifted: validation on the target itself.
    _target_check = None
    # True: skip the network and return its initial fill (see _fit_scaled).
    _bypass = False

    def _check_rmse(self):
        """RMSE on the hidden observed pixels of ``_target_check`` ([0, 1] scale)."""
        rows, mask_in, check = self._target_check
        truth = self._scale(rows, np.zeros(rows.shape, dtype=bool))
        imputed = self._generate(np.where(mask_in > 0, truth, 0.0), mask_in,
                                 self._transform_seed)
        return float(np.sqrt(np.mean((imputed - truth)[check] ** 2)))

    def _validation_rmse(self, X, train_mask, val_mask):
        if self._target_check is None:
            return super()._validation_rmse(X, train_mask, val_mask)
        return self._check_rmse()

    @torch.no_grad()
    def _generate(self, X, mask, seed, final=True):
        if not self._bypass:
            return super()._generate(X, mask, seed, final)
        generator = torch_generator(seed, self.device_)
        x = self._to_layout(X).to(self.device_)
        m = self._to_layout(mask).to(self.device_)
        return self._from_layout(self._generator_input(x, m, generator))

    def _generator_input(self, values, mask, generator):
        if self._harmonic:
            return harmonic_fill(values, mask)
        return super()._generator_input(values, mask, generator)

    def _hide_from_generator(self, mask, generator):
        if self._drop_patterns is None:
            return super()._hide_from_generator(mask, generator)
        # Each crop hides the pixels of one of A's windows, drawn at random.
        patterns = self._drop_patterns.to(mask.device)
        pick = torch.randint(len(patterns), (mask.shape[0],), generator=generator,
                             device=generator.device)
        return mask * (1.0 - patterns[pick.to(mask.device)][:, None].expand_as(mask))


class ZeroShotSpatialImputer(BaseImputer):
    """Complete one image from crops of itself (zero-shot SpatialGAIN).

    There is no training set: ``X`` is a single image with missing pixels
    (NaN), and the training data are ``patch_size`` x ``patch_size`` crops of
    the same image. The method of the SpatialGAIN paper's Experiment 2:

    1. **Target region A.** By default the bounding box of the missing
       pixels, grown (centred, inside the image) to at least ``patch_size``
       on each side; missing pixels closer than ``patch_size`` form one
       cluster, and clusters farther apart get a region each.
       ``region=(top, left, height, width)`` sets A explicitly (missing
       pixels outside it still get regions of their own). A region larger
       than ``patch_size`` is tiled by ``patch_size`` windows.
    2. **Crops.** Every crop T of side ``patch_size`` whose square misses all
       regions: those on a ``stride`` grid, or ``n_crops`` drawn at random.
       With stride 1 an H x W image has at most (H - p + 1)(W - p + 1) crops,
       minus the (h + p - 1)(w + p - 1) positions that overlap an interior
       h x w region: an upper bound on the number of distinct crops
       (``n_candidate_crops_`` holds the exact count). An image that gives no
       crop raises a ValueError.
    3. **Pruning.** d(A, T) is the mean pixel-wise Euclidean distance between
       the observed pixels of A and the same positions of T (the smallest
       over A's windows); crops with d <= mean(d) - ``beta`` * std(d) are
       kept. When fewer than ``min_crops`` are left, the ``min_crops``
       closest crops are used instead, with a warning.
    4. **Training.** A :class:`SpatialGAINImputer` is trained on the kept
       crops, hiding pixels from its generator and learning to rebuild them:
       in A's own missing pattern (``train_mask="target"``, the pattern of a
       random window of A for every crop) or at random
       (``train_mask="mcar"``, at rate ``mask_rate``).
    5. **Self-check.** A's observed pixels are hidden in A's own hole
       pattern, shifted down by a quarter, half and three quarters of a
       window; the network's RMSE there drives early stopping, and if the
       trained network does no better there than its own initial
       interpolation, the interpolation is used (``used_network_``). Crops
       unlike A can teach a correction that hurts A; this guards against it
       without ever looking at A's missing values.
    6. **Imputation.** Every window of every region is completed by the
       network (overlapping windows are averaged) and the whole image is
       returned with every observed pixel unchanged.

    The paper's configuration is ``architecture="updown"``,
    ``initial_fill="noise"`` and ``adversarial=True``; the defaults (a
    residual U-Net refining a harmonic interpolation, trained on the
    reconstruction of the hidden pixels) are what worked best here.

    ``transform(image)`` applies the fitted network to the missing pixels
    of another image of the same width (and channels).

    Values are min-max scaled with one global minimum and range over the
    observed pixels (per-column scaling would distort an image). Fitted on a
    2-D array, rows are image rows and columns image columns; any matrix of
    at least one row and column works, the patch size shrinking to the
    smaller side of the matrix.

    Parameters
    ----------
    patch_size : int, default=64
        Side p of the crops and of the target windows; capped by the
        image's smaller side (``patch_size_``).
    region : tuple of 4 int or None, default=None
        ``(top, left, height, width)`` of the target region A; None finds the
        regions from the missing pixels.
    n_channels : int or None, default=None
        Channels C of a 3-D image (H, W, C). None accepts at most 4 (grey,
        RGB, RGBA): a 3-D array with a longer last axis is refused with a
        ValueError, since an (n, H, W) stack of images would otherwise be
        read, silently, as one H x W image with W channels. Give the count
        to fit an image with more channels (a hyperspectral one, say).
        Ignored for a 2-D image.
    stride : int, default=16
        Step between the crops taken when ``n_crops`` is None (16 keeps a
        320x320 fit within about two minutes on two CPU cores).
    n_crops : int or None, default=None
        Draw this many distinct crop positions at random (stride 1) instead
        of the ``stride`` grid.
    beta : float, default=0.0
        Pruning strictness: keep crops with d <= mean(d) - beta * std(d).
        Negative values keep more crops; ``-inf`` keeps them all.
    min_crops : int, default=16
        Fewest crops to train on; pruning that keeps fewer falls back to the
        ``min_crops`` closest crops with a warning.
    train_mask : {"target", "mcar"}, default="target"
        Pixels hidden from the generator during training: A's own missing
        pattern, or MCAR pixels. When A has no missing pixel (fit on a
        complete image), MCAR is used.
    mask_rate : float in (0, 1) or None, default=None
        MCAR rate of ``train_mask="mcar"``; None uses the fraction of
        missing pixels in A's windows (0.2 when there is none).
    architecture : {"unet", "updown", "standard"}, default="unet"
        Network of the SpatialGAIN (see :class:`SpatialGAINImputer`): the
        residual U-Net refines its initial fill. ``"updown"`` is the paper's
        choice for this experiment.
    channels : tuple of int or None, default=None
        Inner channels of the networks (None: the SpatialGAIN defaults).
    initial_fill : {"harmonic", "normconv", "noise"}, default="harmonic"
        What the generator sees at hidden pixels: a harmonic interpolation
        (20 Jacobi iterations of the Laplace equation, started from a
        normalised convolution), the normalised convolution alone, or the
        paper's noise.
    adversarial : bool, default=False
        Train against a discriminator (the paper's SpatialGAIN); False trains
        the same generator on the reconstruction loss alone (a denoising
        autoencoder). False is the default: in our trials on the tench image
        it was about 1.5 times faster per epoch and no less accurate.
    alpha : float, default=10
        Weight of the reconstruction loss against the adversarial loss.
    hint_rate : float, default=0.9
        Fraction of the mask revealed to the discriminator.
    learning_rate : float, default=1e-3
        Adam step size.
    batch_size : int, default=8
        Crops per training step (at least 2); small batches give more steps
        from the few crops of one image.
    max_epochs : int, default=5
        Maximum number of passes over the kept crops.
    validation_fraction : float, default=0.1
        Fraction of the crops' observed pixels held out for early stopping.
    n_iter_no_change : int, default=5
        Early-stopping patience, in epochs.
    missing_values : float, default=np.nan
        The placeholder of missing pixels.
    device : str, default="auto"
        Torch device: ``"auto"`` (CUDA when available), ``"cpu"``, ...
    random_state : int, RandomState instance or None, default=None
        Seeds the crop draw, the network's initialisation and training. The
        same seed gives the same image.
    verbose : int, default=0
        Show the training progress bar when positive.

    Attributes
    ----------
    n_features_in_ : int
        Columns of the fitted image: W for (H, W), W*C for (H, W, C).
    n_channels_ : int or None
        C of an (H, W, C) image; None for a 2-D image.
    data_min_ : ndarray of shape (n_features_in_,)
        The global minimum of the observed pixels (repeated per column).
    data_range_ : ndarray of shape (n_features_in_,)
        The global range of the observed pixels (1 when constant).
    patch_size_ : int
        The patch size used.
    regions_ : list of tuple of 4 int
        ``(top, left, height, width)`` of the target regions of the fitted
        image.
    n_candidate_crops_ : int
        Number of stride-1 crop positions that overlap no region.
    crop_positions_ : ndarray of shape (n_crops, 2)
        ``(top, left)`` of the crops considered (before pruning).
    crop_distances_ : ndarray of shape (n_crops,)
        d(A, T) of each considered crop (NaN when A has no window).
    kept_crops_ : ndarray of bool, shape (n_crops,)
        Which crops survived pruning and were trained on.
    spatial_imputer_ : SpatialGAINImputer
        The network trained on the kept crops.
    used_network_ : bool
        False when the self-check kept the initial interpolation instead of
        the trained network.
    check_rmse_ : dict or None
        RMSE of the ``"network"`` and of the ``"interpolation"`` on A's
        held-out observed pixels ([0, 1] scale); None when A has no missing
        pixel.
    device_ : str
        The torch device used.

    See Also
    --------
    SpatialGAINImputer : SpatialGAIN trained on a set of images.
    nearest_patch_fill : The nearest-crop baseline on the same crops.
    skgain.masks : MCAR, MNAR and block-region helpers.

    References
    ----------
    .. [1] SpatialGAIN: a convolutional extension of GAIN for images,
       Experiment 2 (zero-shot imputation of a region of one image from its
       own crops, with pruning by d(A, T)).
    .. [2] J. Yoon, J. Jordon and M. van der Schaar, "GAIN: Missing Data
       Imputation using Generative Adversarial Nets", ICML 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from skgain import ZeroShotSpatialImputer
    >>> rng = np.random.RandomState(0)
    >>> image = np.sin(np.arange(24)[:, None] / 3) + np.cos(np.arange(24) / 4)
    >>> image[18:22, 18:22] = np.nan
    >>> imputer = ZeroShotSpatialImputer(patch_size=8, stride=2, max_epochs=2, random_state=0)
    >>> completed = imputer.fit_transform(image)
    >>> completed.shape, bool(np.isnan(completed).any())
    ((24, 24), False)
    >>> imputer.regions_
    [(16, 16, 8, 8)]
    """

    _parameter_constraints = {
        "missing_values": [numbers.Real],
        "device": [str],
        "random_state": ["random_state"],
        "patch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "region": ["array-like", None],
        "n_channels": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "stride": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_crops": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "beta": [numbers.Real],
        "min_crops": [Interval(numbers.Integral, 1, None, closed="left")],
        "train_mask": [StrOptions({"target", "mcar"})],
        "mask_rate": [Interval(numbers.Real, 0, 1, closed="neither"), None],
        "architecture": [StrOptions({"updown", "unet", "standard"})],
        "channels": ["array-like", None],
        "initial_fill": [StrOptions({"harmonic", "normconv", "noise"})],
        "adversarial": ["boolean"],
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "hint_rate": [Interval(numbers.Real, 0, 1, closed="both")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "batch_size": [Interval(numbers.Integral, 2, None, closed="left")],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        patch_size=64,
        region=None,
        n_channels=None,
        stride=16,
        n_crops=None,
        beta=0.0,
        min_crops=16,
        train_mask="target",
        mask_rate=None,
        architecture="unet",
        channels=None,
        initial_fill="harmonic",
        adversarial=False,
        alpha=10,
        hint_rate=0.9,
        learning_rate=1e-3,
        batch_size=8,
        max_epochs=5,
        validation_fraction=0.1,
        n_iter_no_change=5,
        missing_values=np.nan,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.patch_size = patch_size
        self.region = region
        self.n_channels = n_channels
        self.stride = stride
        self.n_crops = n_crops
        self.beta = beta
        self.min_crops = min_crops
        self.train_mask = train_mask
        self.mask_rate = mask_rate
        self.architecture = architecture
        self.channels = channels
        self.initial_fill = initial_fill
        self.adversarial = adversarial
        self.alpha = alpha
        self.hint_rate = hint_rate
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.missing_values = missing_values
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # The base's table options make no sense for an image: no column is ever
    # dropped and no indicator appended.
    add_indicator = False
    keep_empty_features = False

    # ------------------------------------------------------------ validation
    def _validate_input(self, X, in_fit):
        n_channels, X_2d = None, X
        if not (hasattr(X, "iloc") or hasattr(X, "tocsr")):
            # np.asarray, not np.ndim: array-likes may refuse __array_function__.
            try:
                array = np.asarray(X)
            except (TypeError, ValueError):
                array = None  # validate_data reports it
            if array is not None and array.ndim >= 3:
                # After fit the fitted channel count decides (checked below).
                _check_one_image(array.shape, self.n_channels if in_fit else array.shape[2],
                                 type(self).__name__)
                X = array
                n_channels = X.shape[2]
                X_2d = X.reshape(X.shape[0], -1)
        if in_fit:
            self.n_channels_ = n_channels
        elif n_channels != self.n_channels_:
            fitted = "(H, W)" if self.n_channels_ is None else f"(H, W, {self.n_channels_})"
            raise ValueError(
                f"X has shape {np.shape(X)}, but {type(self).__name__} was fitted on an image "
                f"of shape {fitted}; it completes one image at a time (for a stack of images "
                "use SpatialGAINImputer)."
            )
        return super()._validate_input(X_2d, in_fit)

    def _image_shape(self, X):
        """(H, W, C) of the validated 2-D array ``X``."""
        n_channels = self.n_channels_ or 1
        return X.shape[0], X.shape[1] // n_channels, n_channels

    def _fit_scaler(self, X, missing):
        # One global min-max for the whole image, repeated per column so the
        # base's per-feature arithmetic (and score) applies unchanged.
        observed = X[~missing]
        low, high = observed.min(), observed.max()
        data_range = self._check_finite_range(np.array([low]), np.array([high]), ["the image"])
        n_features = X.shape[1]
        # X's dtype, as in the base class: float32 in gives float32 out.
        self.data_min_ = np.full(n_features, low, dtype=X.dtype)
        self.data_range_ = np.full(n_features, data_range[0] if high > low else 1.0,
                                   dtype=X.dtype)
        self._empty_features = np.zeros(n_features, dtype=bool)
        # A constant image is imputed with its one value.
        self._constant_features = np.full(n_features, high == low)

    def _fit_indicator(self, X):
        self.indicator_ = None

    def _finish(self, X_imputed, X):
        if self.n_channels_ is None:
            return X_imputed
        return X_imputed.reshape(self._image_shape(X))

    def get_feature_names_out(self, input_features=None):
        """Output feature names: the image's columns, as given in ``fit``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; None uses ``feature_names_in_`` when defined,
            else ``["x0", "x1", ...]``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per column of the fitted image.
        """
        return super().get_feature_names_out(input_features)

    # ---------------------------------------------------------------- fitting
    def _regions_for(self, pixel_missing, size):
        region = self.region
        if region is not None:
            region = check_region(tuple(np.asarray(region).ravel().tolist()), pixel_missing.shape)
            if region[2] < size or region[3] < size:
                # A region smaller than a window is grown like a detected one.
                t, lf, h, w = region
                grown = _grow([t, lf, t + h, lf + w], size, pixel_missing.shape)
                region = (grown[0], grown[1], grown[2] - grown[0], grown[3] - grown[1])
        return target_regions(pixel_missing, size, region)

    def _fit_scaled(self, X, mask, rng):
        image = X.reshape(self._image_shape(X))
        observed = mask.reshape(image.shape) > 0
        pixel_observed = observed.all(axis=-1)
        size = _image_patch_size(self.patch_size, image.shape)
        self.patch_size_ = size
        regions = self._regions_for(~pixel_observed, size)
        self.regions_ = regions
        positions, self.n_candidate_crops_ = crop_positions(
            image.shape, size, regions, stride=self.stride, n_crops=self.n_crops,
            random_state=rng,
        )
        if len(positions) == 0:
            raise ValueError(
                f"the {image.shape[0]}x{image.shape[1]} image has no {size}x{size} crop that "
                f"misses the target regions {regions}: it is too small for patch_size="
                f"{self.patch_size}, or the missing pixels cover too much of it."
            )
        windows = [w for r in regions for w in region_windows(r, size)]
        self.crop_positions_ = positions
        self.crop_distances_, kept = self._prune(image, pixel_observed, positions, windows)
        self.kept_crops_ = kept

        crops = gather_crops(image, positions[kept], size)
        crops_observed = gather_crops(observed, positions[kept], size)
        train = np.where(crops_observed, crops, np.nan).reshape(len(crops), -1)
        if len(train) < 2:
            # Batch normalisation needs two samples: a lone crop trains as two copies.
            train = np.repeat(train, 2, axis=0)
        holes = np.array([~pixel_observed[t:t + size, lf:lf + size] for t, lf in windows])
        holes = holes[holes.any(axis=(1, 2))] if len(holes) else holes
        use_patterns = self.train_mask == "target" and len(holes) > 0
        rate = self.mask_rate
        if rate is None:
            rate = float(holes.mean()) if len(holes) else 0.2
        # The denoising step needs some pixels to hide and some to see.
        rate = min(max(rate, 0.01), 0.99)
        inner = self._network(image.shape[2], rate, rng)
        inner._harmonic = self.initial_fill == "harmonic"
        if use_patterns:
            inner._drop_patterns = torch.as_tensor(holes, dtype=torch.float32)
        inner._target_check = self._target_check(image, observed, pixel_observed, windows)
        with self._public_errors(), warnings.catch_warnings():
            # Columns of a crop that are missing in every crop are expected.
            warnings.simplefilter("ignore", RuntimeWarning)
            inner.fit(train)
        with self._public_errors():
            self._self_check(inner)
        # Only needed for training; keep the pickle small.
        inner._drop_patterns = None
        inner._target_check = None
        self.spatial_imputer_ = inner
        return self._impute_scaled(X, mask)

    def _network(self, n_channels, rate, rng):
        """The crop network, configured from this estimator's parameters."""
        size = self.patch_size_
        return _CropSpatialGAIN(
            image_shape=(size, size, n_channels),
            architecture=self.architecture,
            channels=self.channels,
            initial_fill="noise" if self.initial_fill == "noise" else "normconv",
            drop_rate=rate,
            adversarial=self.adversarial,
            alpha=self.alpha,
            hint_rate=self.hint_rate,
            scaling="channel",
            test_time_augmentation=False,
            # The crops are already patch-sized: train on them whole.
            patch_size=None,
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            validation_fraction=self.validation_fraction,
            n_iter_no_change=self.n_iter_no_change,
            device=self.device_,
            random_state=draw_seed(rng),
            verbose=self.verbose,
        )

    def _prune(self, image, pixel_observed, positions, windows):
        """d(A, T) of each crop (the smallest over A's windows) and the kept crops.

        Falls back to the ``min_crops`` closest crops, with a warning, when
        pruning keeps fewer.
        """
        size = self.patch_size_
        distances = np.full(len(positions), np.nan)
        if windows:
            distances = np.min([
                crop_distances(image, pixel_observed, image[t:t + size, lf:lf + size],
                               pixel_observed[t:t + size, lf:lf + size], positions, size)
                for t, lf in windows
            ], axis=0)
            kept = prune_crops(distances, self.beta)
        else:
            kept = np.ones(len(positions), dtype=bool)
        if kept.sum() < self.min_crops:
            n_keep = min(self.min_crops, len(positions))
            warnings.warn(
                f"pruning with beta={self.beta} kept {int(kept.sum())} of {len(positions)} crops, "
                f"fewer than min_crops={self.min_crops}; training on the {n_keep} closest crops "
                "instead.",
                UserWarning,
            )
            order = np.argsort(np.where(np.isfinite(distances), distances, np.inf), kind="stable")
            kept = np.zeros(len(positions), dtype=bool)
            kept[order[:n_keep]] = True
        return distances, kept

    def _self_check(self, inner):
        """Set ``used_network_`` and ``check_rmse_`` from A's held-out observed pixels."""
        self.used_network_ = True
        self.check_rmse_ = None
        if inner._target_check is None:
            return
        # Crops unlike A can teach a correction that hurts A: keep the
        # network only if it beats its own interpolation on A's held-out
        # observed pixels (A's truth at its real holes is never used).
        network = inner._check_rmse()
        inner._bypass = True
        interpolation = inner._check_rmse()
        inner._bypass = network >= interpolation
        self.used_network_ = not inner._bypass
        self.check_rmse_ = {"network": network, "interpolation": interpolation}

    @contextlib.contextmanager
    def _public_errors(self):
        """Re-word errors raised by the inner network under this estimator's name.

        The inner network's messages name its class, which is private; users
        should read the estimator they called.
        """
        try:
            yield
        except (ValueError, RuntimeError, ArithmeticError) as exc:
            private = _CropSpatialGAIN.__name__
            if exc.args and isinstance(exc.args[0], str) and private in exc.args[0]:
                public = f"{type(self).__name__}'s crop network"
                # Edited in place: the type and the traceback stay intact.
                exc.args = (exc.args[0].replace(private, public),) + exc.args[1:]
            raise

    def _target_check(self, image, observed, pixel_observed, windows):
        """A's windows with observed pixels hidden in A's own hole pattern, shifted.

        Rolling a window's holes down by a quarter, a half and three quarters
        of its height gives hole patterns like A's on pixels whose values are
        known: returns the rows, input masks and check masks of that
        validation set, or None when A has no hole to imitate.
        """
        size = self.patch_size_
        rows, masks, checks = [], [], []
        for t, lf in windows:
            holes = ~pixel_observed[t:t + size, lf:lf + size]
            values = image[t:t + size, lf:lf + size]
            seen = observed[t:t + size, lf:lf + size]
            for shift in sorted({size // 4, size // 2, (3 * size) // 4} - {0}):
                pseudo = np.roll(holes, shift, axis=0) & ~holes
                if not pseudo.any():
                    continue
                hidden = pseudo[..., None] & seen
                rows.append(values.reshape(-1))
                masks.append((seen & ~hidden).reshape(-1))
                checks.append(hidden.reshape(-1))
        if not rows:
            return None
        return (np.array(rows), np.array(masks, dtype=np.float32), np.array(checks))

    # --------------------------------------------------------------- imputing
    def _impute_scaled(self, X, mask):
        image = X.reshape(self._image_shape(X))
        observed = mask.reshape(image.shape) > 0
        pixel_missing = ~observed.all(axis=-1)
        size = self.patch_size_
        if not pixel_missing.any():
            return X
        if min(image.shape[:2]) < size:
            raise ValueError(
                f"the image of shape {image.shape[:2]} is smaller than the fitted patch size "
                f"{size}."
            )
        windows = [w for r in self._regions_for(pixel_missing, size)
                   for w in region_windows(r, size)]
        patches = np.array([
            np.where(observed[t:t + size, lf:lf + size], image[t:t + size, lf:lf + size],
                     np.nan)
            for t, lf in windows
        ])
        with self._public_errors(), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            filled = self.spatial_imputer_.transform(patches.reshape(len(windows), -1))
        filled = filled.reshape(patches.shape)
        # Overlapping windows are averaged where they both fill a pixel.
        total = np.zeros(image.shape)
        count = np.zeros(image.shape)
        for (t, lf), patch in zip(windows, filled):
            total[t:t + size, lf:lf + size] += patch
            count[t:t + size, lf:lf + size] += 1
        completed = np.where(observed, image, total / np.maximum(count, 1))
        return completed.reshape(X.shape)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
