"""Crop geometry of zero-shot imputation: target regions, crops, distances, pruning.

Pure numpy, shared by :class:`~skgain.ZeroShotSpatialImputer` and
:func:`~skgain.nearest_patch_fill`. Images are (H, W, C) arrays; positions
are ``(top, left)`` corners of square ``patch_size`` crops; regions are
``(top, left, height, width)`` boxes.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import ndimage
from sklearn.utils import check_random_state


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
    """Boolean mask of the crops kept: d <= mean(d) - beta * std(d) (finite d only).

    Crops all at the same distance (one crop, say) are all kept: none is
    less like A than the others, and ``beta * 0`` is NaN for an infinite
    ``beta`` (the default -inf), which pruned every crop with a RuntimeWarning.
    Where no distance is defined (A has no observed pixel) every crop is
    kept: there is nothing to prune by.
    """
    finite = np.isfinite(distances)
    if not finite.any():
        return np.ones(len(distances), dtype=bool)
    d = distances[finite]
    if np.ptp(d) == 0:  # exact, where std() of equal values may round above 0
        return finite
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


def image_patch_size(patch_size, shape):
    """The patch size used on an image: ``patch_size``, capped by the image's sides."""
    return int(min(patch_size, shape[0], shape[1]))


def hole_patterns(pixel_observed, windows, size):
    """The missing pixels of each window of a region that has any: (k, p, p) bool."""
    holes = np.array([~pixel_observed[t:t + size, lf:lf + size] for t, lf in windows])
    return holes[holes.any(axis=(1, 2))] if len(holes) else holes


def shifted_hole_checks(image, observed, windows, size):
    """A's windows with observed pixels hidden in A's own hole pattern, shifted.

    Rolling a window's holes down by a quarter, a half and three quarters of
    its height gives hole patterns like A's on pixels whose values are
    known: a validation set that looks like the task without using A's
    missing values.

    Parameters
    ----------
    image : ndarray of shape (H, W, C)
        Values (missing entries arbitrary).
    observed : ndarray of bool, shape (H, W, C)
        True where an entry is observed.
    windows : list of tuple of 2 int
        Top-left corners of A's windows.
    size : int
        Side of the windows.

    Returns
    -------
    check : tuple (values, hidden) or None
        ``values`` of shape (n, size*size*C), NaN where not observed, and
        ``hidden`` (bool, same shape): the observed entries to hide and
        score. None when A has no hole to imitate.
    """
    pixel_observed = observed.all(axis=-1)
    rows, hidden_rows = [], []
    for t, lf in windows:
        holes = ~pixel_observed[t:t + size, lf:lf + size]
        seen = observed[t:t + size, lf:lf + size]
        values = np.where(seen, image[t:t + size, lf:lf + size], np.nan)
        for shift in sorted({size // 4, size // 2, (3 * size) // 4} - {0}):
            pseudo = np.roll(holes, shift, axis=0) & ~holes
            if pseudo.any():
                rows.append(values.reshape(-1))
                hidden_rows.append((pseudo[..., None] & seen).reshape(-1))
    if not rows:
        return None
    return np.array(rows), np.array(hidden_rows)


def dihedral_views(arrays):
    """The 8 symmetries of the square (quarter turns, each also mirrored) of (n, p, p, ...) arrays.

    Returns an (8 n, p, p, ...) array, symmetry-major: the identity views
    come first. Training on every view teaches a network that a scene turned
    or mirrored is still a scene, which multiplies the few crops of one image.
    """
    views = []
    for turns in range(4):
        turned = np.rot90(arrays, turns, axes=(1, 2))
        views += [turned, turned[:, :, ::-1]]
    return np.ascontiguousarray(np.concatenate(views))


def shifted_patterns(holes, n_shifts=16):
    """A's hole patterns rolled down by ``n_shifts`` steps, in all 8 symmetries.

    ``holes`` (k, p, p) are the missing pixels of A's windows. Rolling along
    the rows keeps the shape of a pattern (scattered pixels stay scattered,
    the tails of rows stay at the edge) while moving its pixels, and the
    symmetries match the views of :func:`dihedral_views`: the network learns
    to fill holes of A's kind anywhere, not A's one pattern.

    Returns
    -------
    patterns : ndarray of bool, shape (8 * k * n, p, p)
        With n = min(n_shifts, p) distinct shifts.
    """
    size = holes.shape[1]
    shifts = np.unique(np.linspace(0, size, min(n_shifts, size), endpoint=False).astype(int))
    rolled = np.concatenate([np.roll(holes, int(s), axis=1) for s in shifts])
    return dihedral_views(rolled)
