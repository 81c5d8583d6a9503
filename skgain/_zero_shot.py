"""ZeroShotSpatialImputer: complete one image from crops of itself.

The zero-shot experiment of the SpatialGAIN paper: there is no training set,
only one image with a damaged region A. Crops of the same image that do not
overlap A become the training set (crop geometry in ``_crops.py``), the crops
least like A are pruned, a :class:`SpatialGAINImputer` is trained on the
rest with artificial masks, and A is imputed. The paper's "NN" baseline on
the same crops is ``nearest_patch_fill`` (``_nearest_patch.py``).
"""

import contextlib
import numbers
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ._base import BaseImputer, draw_seed, rmse
from ._crops import (
    _grow,
    crop_distances,
    crop_positions,
    dihedral_views,
    gather_crops,
    hole_patterns,
    image_patch_size,
    prune_crops,
    region_windows,
    shifted_hole_checks,
    shifted_patterns,
    target_regions,
)
from ._image_input import scaling_groups
from ._nearest_patch import check_one_image
from ._spatial import SpatialGAINImputer
from .masks import check_region

# Smallest patch_size: on a 32x32 texture with 30% of a 10x10 block missing,
# crops of 1, 2, 3 and 4 pixels gave RMSEs of 0.285 (the image mean's 0.284),
# 0.121, 0.064 and 0.025, against 0.008 for 8 (2 epochs): below 4 a crop holds
# too little of its neighbourhood to learn from. The image's smaller side may
# still cap the size used below this (``patch_size_``).
_MIN_PATCH_SIZE = 4

# Pixels of the crops that the crop network's check against divergence
# scores after training (SpatialGAINImputer's ``_decision_pixels``): 16 crops
# of 64x64 in the 8 views, 1/32 of the images' default; the 2**21 pixels of the
# default took 44 of 367 s in a profiled fit on a loaded CPU.
_CHECK_PIXELS = 2**16

# The network trained with estimator=None, every setting pinned here so that a
# change of SpatialGAINImputer's defaults does not change this estimator's.
# Differences from those defaults: the biharmonic fill (the one "auto" gives an
# image), batches of 8 crops and 4 epochs (few crops of one image: more, smaller
# steps; zero_shot.rst compares 4 epochs with 2), and float32 passes (the
# zero-shot results, zero_shot.md, were measured so, and a small network on one
# image's windows gains little time from lower precision).
_DEFAULT_NETWORK = {
    "architecture": "unet", "channels": None, "initial_fill": "biharmonic",
    "adversarial": False, "alpha": 10, "hint_rate": 0.9, "learning_rate": 1e-3,
    "lr_schedule": "constant", "batch_size": 8, "max_epochs": 4, "validation_fraction": 0.1,
    "n_iter_no_change": 5, "inference_precision": "float32",
}


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
    2. **Crops.** Crops T of side ``patch_size``: those on a ``stride``
       grid, or ``n_crops`` drawn at random. By default (``train_crops="all"``)
       they may cover the regions too: the observed pixels in and around A
       are the ones most like A's missing pixels, and a missing pixel is
       never a training target. ``train_crops="outside"`` (the paper) takes
       only crops whose square misses all regions: with stride 1 an H x W
       image has at most (H - p + 1)(W - p + 1) crops, minus the
       (h + p - 1)(w + p - 1) positions that overlap an interior h x w
       region (``n_candidate_crops_`` holds the exact count). An image that
       gives no crop raises a ValueError.
    3. **Pruning.** d(A, T) is the mean pixel-wise Euclidean distance between
       the observed pixels of A and the same positions of T (the smallest
       over A's windows); crops with d <= mean(d) - ``beta`` * std(d) are
       kept. When fewer than ``min_crops`` are left, the ``min_crops``
       closest crops are used instead, with a warning (an image with fewer
       crops than ``min_crops`` trains on all of them, silently). Crops
       that cannot be ranked (all at one distance, or none defined) are all
       kept. The default
       ``beta=-inf`` keeps every crop (the paper prunes with 0): with the
       crops around A in the training set, pruning only takes data away.
    4. **Training.** A clone of ``estimator`` (a :class:`SpatialGAINImputer`)
       is trained on the kept crops, hiding pixels from its generator and
       learning to rebuild them: in A's own missing pattern
       (``train_mask="target"``, the pattern of a random window of A for
       every crop, passed as its ``drop_masks``) or at random
       (``train_mask="mcar"``, at rate ``drop_rate``). With ``augment``
       (the default) the crops are trained on in all 8 symmetries of the
       square (quarter turns and mirror images), A's patterns are rolled
       down by sixteenths of a window and taken in the same 8 symmetries
       (scattered pixels stay scattered, the tails of rows stay at an edge),
       and the network's imputations are averaged over the 8 symmetries.
    5. **Self-check.** A's observed pixels are hidden in A's own hole
       pattern, shifted down by a quarter, half and three quarters of a
       window (the network's ``validation_set``); the network's RMSE there
       drives early stopping, and if the trained network does no better
       there than its own initial interpolation, this estimator returns the
       interpolation instead (``used_network_``). Crops
       unlike A can teach a correction that hurts A; this guards against it
       without ever looking at A's missing values. With
       ``train_crops="all"`` these pixels are training targets too (under
       other hidden patterns), so the check is an optimistic guard: it
       catches a network that does worse than the interpolation even on
       pixels it was trained on.
    6. **Imputation.** Every window of every region is completed by the
       network (overlapping windows are averaged) and the whole image is
       returned with every observed pixel unchanged.

    The paper's configuration is ``estimator=SpatialGAINImputer(
    architecture="updown", initial_fill="noise", adversarial=True)`` with
    ``train_crops="outside"``, ``beta=0`` and ``augment=False``; the
    defaults (a residual U-Net correcting a biharmonic interpolation,
    trained on the reconstruction of hidden observed pixels of the whole
    image, A's surroundings included, in A's own hole pattern and in all
    symmetries) train on the pixels most like A's missing ones, in the
    pattern A is missing them in (the user guide's :ref:`zero_shot_settings`
    says what each adds). The network can only add
    to the interpolation where it has learnt a correction, and the
    self-check falls back to the interpolation where it has not.

    ``transform(image)`` applies the fitted network to the missing pixels
    of another image of the same width (and channels).

    Values are min-max scaled with one global minimum and range over the
    observed pixels (per-column scaling would distort an image). Fitted on a
    2-D array, rows are image rows and columns image columns; any matrix of
    at least one row and column works, the patch size shrinking to the
    smaller side of the matrix. As in the other imputers, a column (of a
    3-D image: a column's channel) whose observed values in ``fit`` are at
    least two and all equal is imputed with that value, and a column of a
    2-D ``X`` with none is dropped (``keep_empty_features``).

    Parameters
    ----------
    estimator : SpatialGAINImputer or None, default=None
        The network trained on the crops, cloned in ``fit`` (``estimator_``).
        None trains the default network, which differs from
        SpatialGAINImputer's defaults in ``initial_fill``, ``batch_size``,
        ``max_epochs`` and ``inference_precision`` (the few crops of one
        image train in more, smaller steps)::

            SpatialGAINImputer(architecture="unet", channels=None,
                               initial_fill="biharmonic", adversarial=False,
                               alpha=10, hint_rate=0.9, learning_rate=1e-3,
                               lr_schedule="constant", batch_size=8, max_epochs=4,
                               validation_fraction=0.1, n_iter_no_change=5,
                               inference_precision="float32")

        With ``augment`` one epoch is a pass over the kept crops' 8 views:
        about 1160 steps of 8 crops on a 320x320 image (the user guide's
        :ref:`zero_shot_settings` compares 4 epochs with 2). A given
        estimator keeps its own settings (SpatialGAINImputer's defaults
        where it sets none), and they are tuned the scikit-learn way, as
        ``estimator__<name>``: ``set_params(estimator__max_epochs=2)``, or
        ``{"estimator__max_epochs": [2, 4]}`` in a grid search. None has no
        such parameters (pass an estimator to tune the network). This
        estimator sets the following parameters of the clone itself,
        overriding the given estimator's: ``image_shape`` (the crops'
        shape), ``scaling`` ("channel"), ``patch_size`` (None: the crops
        are trained whole), ``test_time_augmentation`` (``augment``),
        ``mean_blend`` (False), ``drop_rate`` (``drop_rate_``),
        ``missing_values`` (NaN), ``add_indicator`` (False), ``device``
        (``device_``), ``n_jobs`` (``n_jobs``), ``random_state`` (drawn from
        ``random_state``) and ``verbose`` (``verbose``).
    patch_size : int >= 4, default=64
        Side p of the crops and of the target windows; capped by the
        image's smaller side (``patch_size_``), so a larger value is
        allowed. Below 4 pixels a crop holds too little of its
        neighbourhood to learn from.
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
        Step between the crops taken when ``n_crops`` is None; a smaller
        step gives more crops and a longer fit.
    n_crops : int or None, default=None
        Draw this many distinct crop positions at random (stride 1) instead
        of the ``stride`` grid.
    beta : float, default=-inf
        Pruning strictness: keep crops with d <= mean(d) - beta * std(d).
        Negative values keep more crops; ``-inf`` keeps them all; the paper
        uses 0. NaN is refused.
    min_crops : int, default=16
        Fewest crops to train on; pruning that keeps fewer falls back to the
        ``min_crops`` closest crops with a warning.
    train_mask : {"target", "mcar"}, default="target"
        Pixels hidden from the generator during training: A's own missing
        pattern, or MCAR pixels. When A has no missing pixel (fit on a
        complete image), MCAR is used.
    train_crops : {"all", "outside"}, default="all"
        Where the crops may lie: anywhere in the image, A included (its
        missing pixels are never a target), or only where they miss every
        target region (the paper's choice).
    augment : bool, default=True
        Train on the 8 symmetries of the crops and of A's shifted hole
        patterns, and average the imputations over the 8 symmetries of each
        window (the network's ``test_time_augmentation``).
    drop_rate : float in (0, 1) or "auto", default="auto"
        Fraction of pixels hidden from the generator with
        ``train_mask="mcar"`` (as :class:`SpatialGAINImputer`'s
        ``drop_rate``); ``"auto"`` uses the fraction of missing pixels in
        A's windows (0.2 when there is none). Resolved in ``drop_rate_``.
    missing_values : float, default=np.nan
        The placeholder of missing pixels.
    keep_empty_features : bool, default=False
        For a 2-D ``X``: keep the columns with no observed value in ``fit``,
        imputed from their neighbouring columns, instead of dropping them
        from the output as scikit-learn's imputers drop empty features. A
        3-D image (H, W, C) always keeps them (its shape cannot lose a
        column).
    device : str, default="auto"
        Torch device: ``"auto"`` (CUDA when available), ``"cpu"``, ...
    n_jobs : int or None, default=None
        CPU threads of torch, BLAS and OpenMP during ``fit``, ``transform`` and
        ``score`` (set as the network's ``n_jobs`` too): None is one thread,
        which is safe on a machine shared with other jobs (there, several
        threads spin waiting for each other and can slow a fit many times); -1
        uses every core. The caller's thread counts
        are restored afterwards. The same ``random_state`` gives the same
        output at the same ``n_jobs`` on the same hardware; another thread
        count changes the order of floating-point sums, and training can carry
        such last-digit differences into the imputations (user guide:
        :ref:`threads`).
    random_state : int, RandomState instance or None, default=None
        Seeds the crop draw, the network's initialisation and training. The
        same seed gives the same image.
    verbose : int, default=0
        Show the network's training progress bar when positive (the
        network's ``verbose``).

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
        Number of stride-1 crop positions allowed by ``train_crops``.
    crop_positions_ : ndarray of shape (n_crops, 2)
        ``(top, left)`` of the crops considered (before pruning).
    crop_distances_ : ndarray of shape (n_crops,)
        d(A, T) of each considered crop (NaN when A has no window).
    kept_crops_ : ndarray of bool, shape (n_crops,)
        Which crops survived pruning and were trained on.
    estimator_ : SpatialGAINImputer
        The clone of ``estimator`` trained on the kept crops.
    drop_rate_ : float
        The MCAR rate given to ``estimator_`` (``drop_rate`` resolved).
    used_network_ : bool
        Whether ``transform`` returns the trained network's imputations;
        False when the self-check found the network no better than its
        initial fill, which is then returned instead.
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
    >>> from skgain import SpatialGAINImputer, ZeroShotSpatialImputer
    >>> image = np.sin(np.arange(24)[:, None] / 3) + np.cos(np.arange(24) / 4)
    >>> image[18:22, 18:22] = np.nan
    >>> imputer = ZeroShotSpatialImputer(estimator=SpatialGAINImputer(max_epochs=2),
    ...                                  patch_size=8, stride=2, random_state=0)
    >>> completed = imputer.fit_transform(image)
    >>> completed.shape, bool(np.isnan(completed).any())
    ((24, 24), False)
    >>> imputer.regions_
    [(16, 16, 8, 8)]

    The network is a clone of ``estimator``, with its own settings and the
    ones this estimator sets (here the crops' shape, trained whole):

    >>> network = imputer.estimator_
    >>> network.max_epochs, network.image_shape, network.patch_size
    (2, (8, 8, 1), None)

    Its settings are tuned as ``estimator__<name>``, as in a grid search:

    >>> from sklearn.base import clone
    >>> shorter = clone(imputer).set_params(estimator__max_epochs=1).fit(image)
    >>> shorter.get_params()["estimator__max_epochs"], shorter.estimator_.n_iter_
    (1, 1)

    The paper's configuration:

    >>> paper_network = SpatialGAINImputer(architecture="updown", initial_fill="noise",
    ...                                    adversarial=True, max_epochs=2)
    >>> paper = ZeroShotSpatialImputer(estimator=paper_network, patch_size=8, stride=2,
    ...                                train_crops="outside", beta=0, augment=False,
    ...                                random_state=0).fit(image)
    >>> paper.estimator_.architecture, paper.estimator_ is paper_network
    ('updown', False)
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "transform", "initial_fill_transform"]), None],
        "missing_values": [numbers.Real],
        "keep_empty_features": ["boolean"],
        "device": [str],
        "random_state": ["random_state"],
        "patch_size": [Interval(numbers.Integral, _MIN_PATCH_SIZE, None, closed="left")],
        "region": ["array-like", None],
        "n_channels": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "stride": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_crops": [Interval(numbers.Integral, 1, None, closed="left"), None],
        # NaN is refused (it pruned every crop); -inf and inf are allowed.
        "beta": [Interval(numbers.Real, None, None, closed="both")],
        "min_crops": [Interval(numbers.Integral, 1, None, closed="left")],
        "train_mask": [StrOptions({"target", "mcar"})],
        "train_crops": [StrOptions({"all", "outside"})],
        "augment": ["boolean"],
        "drop_rate": [Interval(numbers.Real, 0, 1, closed="neither"), StrOptions({"auto"})],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        estimator=None,
        patch_size=64,
        region=None,
        n_channels=None,
        stride=16,
        n_crops=None,
        beta=-np.inf,
        min_crops=16,
        train_mask="target",
        train_crops="all",
        augment=True,
        drop_rate="auto",
        missing_values=np.nan,
        keep_empty_features=False,
        device="auto",
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.patch_size = patch_size
        self.region = region
        self.n_channels = n_channels
        self.stride = stride
        self.n_crops = n_crops
        self.beta = beta
        self.min_crops = min_crops
        self.train_mask = train_mask
        self.train_crops = train_crops
        self.augment = augment
        self.drop_rate = drop_rate
        self.missing_values = missing_values
        self.keep_empty_features = keep_empty_features
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # The base's indicator makes no sense for an image: none is appended.
    add_indicator = False

    def set_params(self, **params):
        """Set the parameters of this estimator and of its ``estimator``.

        The network's settings are ``estimator__<name>``; they need an
        ``estimator`` (the default network, ``estimator=None``, has none).

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : ZeroShotSpatialImputer
            This estimator.
        """
        nested = sorted(name for name in params if name.startswith("estimator__"))
        if nested and params.get("estimator", self.estimator) is None:
            raise ValueError(
                f"{nested[0]} sets a parameter of estimator, which is None (the default "
                "network, whose settings the estimator parameter's documentation lists); "
                "pass the network to tune as estimator, e.g. "
                "estimator=SpatialGAINImputer(batch_size=8), to set estimator__<name>."
            )
        return super().set_params(**params)

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
                check_one_image(array.shape, self.n_channels if in_fit else array.shape[2],
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

    def _scaling_groups(self, n_features):
        # One min-max for the whole image (per-column scaling would distort
        # it), repeated per column so the base's arithmetic applies unchanged.
        return scaling_groups("global", n_features)

    def _fit_indicator(self, X):
        self.indicator_ = None

    def _fit_scaler(self, X, missing):
        super()._fit_scaler(X, missing)
        self._column_values = _constant_columns(X, missing)
        # Only a 2-D X can drop its empty columns; an (H, W, C) image keeps them.
        self._empty_features = np.zeros(X.shape[1], dtype=bool)
        if self.n_channels_ is None:
            self._empty_features = ~np.any(~missing, axis=0)

    def _complete(self, X, missing, impute):
        completed = super()._complete(X, missing, impute)
        # As the other imputers do: a constant column is imputed with its value.
        constant = ~np.isnan(self._column_values)
        completed[:, constant] = np.where(missing[:, constant], self._column_values[constant],
                                          completed[:, constant])
        return completed

    def _finish(self, X_imputed, X):
        if self.n_channels_ is None:
            return X_imputed if self.keep_empty_features else X_imputed[:, ~self._empty_features]
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
        size = self.patch_size_ = image_patch_size(self.patch_size, image.shape)
        self.regions_ = self._regions_for(~pixel_observed, size)
        positions = self._candidate_crops(image.shape, rng)
        windows = [w for r in self.regions_ for w in region_windows(r, size)]
        self.crop_positions_ = positions
        self.crop_distances_, self.kept_crops_ = self._prune(image, pixel_observed, positions,
                                                             windows)
        holes = hole_patterns(pixel_observed, windows, size)
        self.drop_rate_ = self._resolve_drop_rate(holes)
        drop_masks = None
        if self.train_mask == "target" and len(holes):
            drop_masks = shifted_patterns(holes) if self.augment else holes
        check = shifted_hole_checks(image, observed, windows, size)
        estimator = self._crop_network(image.shape[2], rng)
        train = self._training_crops(image, observed, positions[self.kept_crops_])
        with self._public_errors(estimator), warnings.catch_warnings():
            # Columns of a crop that are missing in every crop are expected.
            warnings.simplefilter("ignore", RuntimeWarning)
            # The network is compared with the cell means of the crops, which
            # are no baseline for one image; the self-check below compares it
            # with its interpolation instead, and falls back to it.
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(train, drop_masks=drop_masks, validation_set=check)
        self.estimator_ = estimator
        with self._public_errors(estimator):
            self._self_check(check)
        return self._impute_scaled(X, mask)

    def _candidate_crops(self, shape, rng):
        """Crop positions that miss every target region; sets ``n_candidate_crops_``."""
        size, regions = self.patch_size_, self.regions_
        # "all": crops may cover A too; its observed pixels are the ones most
        # like its missing ones, and the missing ones are never a target.
        avoid = regions if self.train_crops == "outside" else []
        positions, self.n_candidate_crops_ = crop_positions(
            shape, size, avoid, stride=self.stride, n_crops=self.n_crops, random_state=rng)
        if len(positions) == 0:
            raise ValueError(
                f"the {shape[0]}x{shape[1]} image has no {size}x{size} crop that misses the "
                f"target regions {regions}: it is too small for patch_size={self.patch_size}, "
                "or the missing pixels cover too much of it."
            )
        return positions

    def _training_crops(self, image, observed, positions):
        """The crops as rows, NaN where missing (a lone crop twice: batch norm needs two)."""
        crops = gather_crops(image, positions, self.patch_size_)
        crops_observed = gather_crops(observed, positions, self.patch_size_)
        train = np.where(crops_observed, crops, np.nan)
        if self.augment:
            train = dihedral_views(train)
        train = train.reshape(len(train), -1)
        return np.repeat(train, 2, axis=0) if len(train) < 2 else train

    def _resolve_drop_rate(self, holes):
        """``drop_rate`` with "auto" resolved."""
        rate = self.drop_rate
        if rate == "auto":
            rate = float(holes.mean()) if len(holes) else 0.2
        # The denoising step needs some pixels to hide and some to see.
        return min(max(rate, 0.01), 0.99)

    def _crop_network(self, n_channels, rng):
        """A clone of ``estimator`` (or the default network), set up for the crops."""
        if self.estimator is None:
            estimator = SpatialGAINImputer(**_DEFAULT_NETWORK)
        else:
            estimator = clone(self.estimator)
        size = self.patch_size_
        # Fixed views and no mean blend: the held-out pixels scored after
        # training only check the network against divergence (the self-check
        # decides on the network), and 2**21 of them cost 12% of a fit.
        estimator._decision_pixels = _CHECK_PIXELS
        # The settings the docstring lists under ``estimator``, and only those.
        return estimator.set_params(
            image_shape=(size, size, n_channels), scaling="channel",
            # The crops are already patch-sized: train on them whole.
            patch_size=None, test_time_augmentation=self.augment, mean_blend=False,
            drop_rate=self.drop_rate_, missing_values=np.nan, add_indicator=False,
            device=self.device_, n_jobs=self.n_jobs, random_state=draw_seed(rng),
            verbose=self.verbose,
        )

    def _prune(self, image, pixel_observed, positions, windows):
        """d(A, T) of each crop (the smallest over A's windows) and the kept crops.

        Falls back to the ``min_crops`` closest crops (all of them when the
        image has fewer), with a warning, when pruning keeps fewer.
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
        n_keep = min(self.min_crops, len(positions))
        # An image with fewer crops than min_crops trains on all of them: a
        # warning there would fire on every small image, with nothing to do.
        if kept.sum() < n_keep:
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

    def _self_check(self, check):
        """Set ``used_network_`` and ``check_rmse_`` from A's held-out observed pixels.

        Crops unlike A can teach a correction that hurts A: the network is
        used only if it beats its own initial fill on A's observed pixels
        hidden in A's hole pattern (A's truth at its real holes is never used).
        """
        self.used_network_, self.check_rmse_ = True, None
        if check is None:
            return
        values, hidden = check
        X_check = np.where(hidden, np.nan, values)
        # On the network's [0, 1] scale, as its early stopping scored it.
        scale = self.estimator_.data_range_

        def error(completed):
            return rmse(((completed - values) / scale)[hidden], 0.0)

        network = error(self.estimator_.transform(X_check))
        interpolation = error(self.estimator_.initial_fill_transform(X_check))
        self.check_rmse_ = {"network": network, "interpolation": interpolation}
        self.used_network_ = network < interpolation

    @contextlib.contextmanager
    def _public_errors(self, estimator):
        """Re-word the network's errors under the name of the estimator the user called."""
        try:
            yield
        except (ValueError, RuntimeError, ArithmeticError) as exc:
            inner = type(estimator).__name__
            if exc.args and isinstance(exc.args[0], str) and inner in exc.args[0]:
                public = f"{type(self).__name__}'s crop network ({inner})"
                # Edited in place: the type and the traceback stay intact.
                exc.args = (exc.args[0].replace(inner, public, 1),) + exc.args[1:]
            raise

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
        # The self-check decided in fit: the network, or the fill it starts from.
        estimator = self.estimator_
        impute = estimator.transform if self.used_network_ else estimator.initial_fill_transform
        with self._public_errors(estimator), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            filled = impute(patches.reshape(len(windows), -1)).reshape(patches.shape)
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


def _constant_columns(X, missing):
    """The value of each column whose observed values are at least two and all
    equal, NaN elsewhere (one observed pixel of an image column says little)."""
    observed = np.where(missing, np.nan, X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # columns with nothing observed
        low, high = np.nanmin(observed, axis=0), np.nanmax(observed, axis=0)
    constant = (low == high) & (np.count_nonzero(~missing, axis=0) >= 2)
    return np.where(constant, low, np.nan)
