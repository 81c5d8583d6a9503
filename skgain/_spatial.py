"""SpatialGAINImputer: GAIN with convolutional networks, for images and tables."""

import contextlib
import math
import numbers
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._adversarial import BaseAdversarialImputer, _for_inference, resolve_precision
from ._blend import blend_weights
from ._engine import ImageLayout
from ._base import (
    batch_slices,
    missing_mask,
    observed_means,
    rmse,
    torch_generator,
)
from ._fills import (
    _FILL_SIGMA,
    _biharmonic_fill,
    _harmonic_fill,
    _normalized_convolution,
)
from ._image_input import (
    as_rows,
    check_sample_shape,
    resolve_image_shape,
    scaling_groups,
)
from ._networks import SpatialStandardCNN, SpatialUNet, SpatialUpDownCNN, xavier_init
from ._test_time import adapted_copy, augmentation_views, from_view, to_view

# Inner channels used when ``channels=None``: the paper's for its two nets, and
# a light three-level U-Net that still trains on a CPU on 160x160 images.
_DEFAULT_CHANNELS = {"standard": (64, 32, 16), "updown": (64, 32, 16), "unet": (16, 32, 64)}

# Bounds of ``channels``: a 1024-channel 3x3 convolution already holds 9.4
# million weights (the defaults use at most 64), and a deeper stack of the
# paper's networks than 16 layers was never measured to help.
_MAX_CHANNELS = 1024
_MAX_LAYERS = 16

# The choices of ``initial_fill``, shared with ZeroShotSpatialImputer.
INITIAL_FILLS = {"auto", "biharmonic", "harmonic", "normconv", "mean", "noise"}

# Pixels scored to decide on test-time augmentation (11 passes each): about
# 80 images of 160x160, every image of a small set.
_DECISION_PIXELS = 2**21
# Pixels of the images whose held-out entries early stopping scores after
# every epoch: about 160 images of 160x160 (some 300,000 held-out pixels).
# Scoring all 963 tench images took a third of an epoch's time on a CPU.
_VALIDATION_PIXELS = 2**22
# test_time_augmentation="auto" keeps the most views whose extra passes of the
# network lowered the held-out RMSE of one pass by at least this fraction
# each (the mirror image's one extra pass 1%, the 8 symmetries' 7 extra
# passes 7%): benchmarks/results/image_views/image_views.md.
_TTA_MIN_GAIN_PER_PASS = 0.01
# A held-out imputation "at a bound" lies within this of 0 or 1 (the fitted
# range, scaled) while its truth does not; more than _SATURATED_SHARE of them
# is a saturated generator, as in GAINImputer. Unlike GAINImputer, truths at
# the bounds are not counted: images are full of them (black pixels).
_BOUND = 1e-3
_SATURATED_SHARE = 0.5


class SpatialGAINImputer(BaseAdversarialImputer):
    """Impute missing pixels with SpatialGAIN, a convolutional GAIN.

    The generator and the discriminator of GAIN (see :class:`GAINImputer`)
    are convolutional networks of the same structure, so an imputation draws
    on the neighbouring pixels. A pixel is missing across all its channels.
    The discriminator outputs a probability of being observed for every pixel
    and channel, helped by a spatial hint that reveals a fraction
    ``hint_rate`` of the pixels of the mask (the rest shown as 0.5); the
    fraction may decay during training (``hint_decay``).

    Input is either a 2-D array of shape (n_samples, H*W*C), read with
    ``image_shape`` (channels last), or an N-D array of shape (n, H, W) or
    (n, H, W, C), returned in the same shape. Without ``image_shape`` a 2-D
    array is laid out as a square; a width that is not a perfect square (a
    table, e.g. 57 columns) is zero-padded to the next square (8x8). Padded
    cells are never trained on, scored or returned. Neighbouring cells of
    such a table are unrelated columns, so convolutions have no spatial
    structure to draw on there: for tables the default blends the network's
    imputation with the column means, with a weight fitted on held-out
    observed entries (``mean_blend``), so that it is not worse than mean
    imputation on them.

    Beyond the paper the default generator is a U-Net with skip connections
    whose input is an interpolation of the observed pixels (biharmonic)
    which it refines, and training also asks it to rebuild a fraction
    ``drop_rate`` of observed pixels hidden from its input (denoising), on
    random crops (``patch_size``); ``transform`` may average over the mirror
    image or the 8 symmetries of each image (``test_time_augmentation``),
    where that paid for its passes on held-out pixels in ``fit``, and runs
    the network in bfloat16 where the hardware has it
    (``inference_precision``). By default
    (``adversarial=False``) there is no discriminator: the generator is
    trained on that reconstruction alone, the convolutional denoising
    autoencoder the paper names as future work, which has no discriminator
    to train (see the user guide's :ref:`images_networks`);
    ``adversarial=True`` restores the GAN.

    The paper's configuration is ``architecture="standard"`` (or
    ``"updown"``), ``channels=None`` (64, 32, 16), ``initial_fill="noise"``,
    ``drop_rate=0``, ``adversarial=True``, ``patch_size=None``, ``alpha=10``,
    ``hint_rate=0.9``, ``lr_schedule="constant"``, ``batch_size=64`` and
    ``max_epochs=15``.

    Data are min-max scaled with the observed values seen in ``fit`` (per
    image channel for images, per feature for tables; see ``scaling``); imputations
    are returned in the original units and observed entries unchanged.

    Parameters
    ----------
    image_shape : tuple of int or None, default=None
        ``(H, W)`` or ``(H, W, C)`` of each row of a 2-D ``X``, whose
        ``H * W * C`` columns it must hold exactly. Rows are read channels
        last, as ``row.reshape(H, W, C)``: pixel ``(i, j)``, channel ``c``
        is column ``(i * W + j) * C + c``. So ``(4, 4, 4)`` reads 64
        columns as 4 x 4 pixels of 4 channels (columns 0 to 3 are the
        channels of the top-left pixel), not as 4 images or 4 planes of
        4 x 4; for planes stored one after the other, reorder the columns
        first. None infers it: the shape of N-D input, else the smallest
        square holding n_features (padding the rest); leave it None for a
        table, whose columns have no layout (see ``mean_blend``).
    architecture : {"unet", "standard", "updown"}, default="unet"
        Structure of both networks. ``"standard"``: [Conv-LeakyReLU-BN] x3,
        Conv, Sigmoid. ``"updown"``: [Conv-LeakyReLU-BN],
        [Conv-LeakyReLU-MaxPool-BN], [Conv-LeakyReLU-BN], [ConvTranspose-BN],
        Conv, Sigmoid (both from the paper). ``"unet"``: a U-Net whose
        generator adds its output to its input (residual learning).
    channels : tuple of int or None, default=None
        Inner channels of the networks: per layer for ``"standard"`` (at
        most 16 layers) and ``"updown"`` (three), per resolution level for
        ``"unet"`` (at most ``ceil(log2(max(H, W))) + 1`` levels, or 3 on
        smaller images: each level halves the image). Each count is in [1,
        1024], and for the U-Net at most 8 or a multiple of 8 (its group
        norms have 8 groups), with at least 16 at a deepest level of one
        pixel (the training crops or images pooled that far). None uses
        (64, 32, 16) for the paper's networks and (16, 32, 64) for the U-Net.
    initial_fill : {"auto", "biharmonic", "harmonic", "normconv", "mean", "noise"}, \
            default="auto"
        What the generator sees at missing pixels: the biharmonic
        interpolation of the observed pixels (the smoothest surface through
        them, as :func:`skimage.restoration.inpaint_biharmonic`, solved on
        the device by conjugate gradients; more than 2 pixels away from
        every observed pixel, where it would extrapolate a trend, the
        normalised convolution is used), a normalised convolution
        (Gaussian-weighted mean of the observed neighbours; cheaper, a worse
        start), a harmonic interpolation (20 Jacobi iterations of the
        Laplace equation from the normalised convolution; the zero-shot
        default), the mean of the observed values of each cell in ``fit``
        (``"mean"``) or, as in the paper, noise drawn from U(0,
        ``noise_scale``). ``"auto"`` uses ``"biharmonic"`` for images and
        ``"normconv"`` for a table laid out as a square, where a smooth
        surface through unrelated columns means nothing (see the user
        guide's :ref:`images_fit_choices`). Resolved in ``fit``
        (``initial_fill_``). Only ``"noise"`` gives :meth:`sample` draws that
        differ (with ``adversarial=True``); with an interpolation they are
        identical, and ``sample`` warns.
    drop_rate : float in [0, 1), default=0.2
        Fraction of the observed pixels hidden from the generator at each
        training step; the reconstruction loss is then taken on those pixels
        only. 0 takes it on all observed pixels, as in the paper.
    adversarial : bool, default=False
        Train against a discriminator, as in the paper. False (the default)
        trains the generator on the reconstruction loss alone, the denoising
        autoencoder (needs ``drop_rate > 0``), whose epochs skip the
        discriminator's passes and updates. See the user guide's
        :ref:`images_networks`.
    alpha : float, default=10
        Weight of the reconstruction loss against the adversarial loss.
    hint_rate : float, default=0.9
        Fraction of pixels whose mask entry is revealed to the discriminator.
    hint_decay : float in (0, 1], default=1.0
        The hint rate of epoch ``e`` (from 0) is
        ``hint_rate * hint_decay ** e``; 1 keeps it constant.
    hint_mechanism : {"paper", "code"}, default="paper"
        ``"paper"``: unrevealed entries are shown as 0.5; ``"code"``: as 0.
    noise_scale : float, default=0.01
        Scale of the noise of ``initial_fill="noise"``.
    scaling : {"auto", "feature", "channel"}, default="auto"
        Min-max scaling per feature (pixel position), as GAIN does for
        tables, or per image channel, which keeps images smooth (per-pixel
        ranges from a few images distort them) and lets a pixel with no
        observed value in ``fit`` be imputed from its neighbours. ``"auto"``
        uses ``"channel"`` for images (N-D input or ``image_shape`` given)
        and ``"feature"`` for a 2-D table laid out as a square.
    test_time_augmentation : bool, "flip" or "auto", default="auto"
        Average the generator's outputs over views of each image in
        ``transform``: ``"flip"`` the image and its left-right mirror (2
        passes of the network), True the 8 flips and quarter turns of a
        square image (8 passes) or the 4 flips that keep the shape of a
        rectangular one, False one pass. The initial fill is computed once
        for all views. The networks are trained on images as they are, so
        the average helps images with no preferred orientation a little and
        hurts upright ones (digits, say), whose turned views look like no
        training image. ``"auto"`` decides in ``fit`` on the held-out observed
        pixels (``validation_fraction``; a seeded subset of at most about 2
        million pixels): it keeps the most views whose extra passes lowered
        their RMSE by at least 1% each against one pass (the mirror 1%, the
        8 symmetries 7%), one pass if neither did; off for a table laid out
        as a square (no spatial symmetry) and without a validation split. The
        decision and the held-out RMSEs are stored in
        ``test_time_augmentation_`` and ``held_out_rmse_`` (the user guide's
        :ref:`images_fit_choices` compares the choices). With
        ``test_time_steps`` any gain keeps more views: the passes then add
        little to the time of the training steps.
    test_time_steps : int, default=0
        Test-time training: before completing each image, ``transform`` (and
        ``fit_transform``, ``score``, ``sample``) trains a copy of the
        generator for this many Adam steps on that image's own observed pixels
        (the training objective: a fraction ``drop_rate`` of them hidden and
        rebuilt, on the whole image, through the views ``transform`` averages
        over in turn), completes the image with the copy and discards it; the
        fitted model never changes. The copy adapts to the textures and edges
        of that image, at the cost of this many training steps per image (the
        user guide's :ref:`images_test_time` weighs the two). 0 (the default)
        completes every image with the fitted generator. Needs
        ``drop_rate > 0``; read when imputing, so it may be set after
        ``fit``. ``sample`` trains a copy per image and draw.
    test_time_learning_rate : float, default=3e-3
        Adam's step size in test-time training (``test_time_steps``): the
        copy of the generator has few steps to adapt to each image (see the
        user guide's :ref:`images_test_time`).
    inference_precision : {"auto", "float32", "bfloat16"}, default="auto"
        Precision of the network's passes when imputing (``transform``,
        ``fit_transform``, ``score``, ``sample`` and the choices ``fit``
        makes after training; training itself runs in float32). The initial
        fill, the averaging of views and the observed values stay in
        float32: bfloat16 rounds only the network's imputations, by about
        1e-3 of the value range. ``"auto"`` resolves to bfloat16 for images
        on a CPU that computes it natively (AVX512-BF16 or AMX), where it
        speeds up the passes, and to float32 elsewhere: on a GPU the passes
        are a small part of the transform time, and tables laid out as
        squares are tiny (see the user guide's :ref:`images_fit_choices`).
        It resolves for the hardware the fitted model runs on, where an
        unpickled model runs too (``inference_precision_``).
    mean_blend : bool or "auto", default="auto"
        Return ``w * network + (1 - w) * mean`` at missing entries, where
        ``mean`` is the mean of the observed values of each cell in ``fit``
        and ``w`` in [0, 1] (``network_weight_``) minimises the squared error
        on the held-out observed entries: never worse than the network
        alone or than mean imputation on them. This is
        :class:`BlendImputer`'s weight with the cell means as the second
        imputer, ``loss="squared_error"``, ``prior_entries=0`` and one
        weight for every cell. ``"auto"`` blends tables laid
        out as squares, whose convolutions have no spatial structure to
        draw on, and blends images only where the network's held-out RMSE
        (on a seeded subset of the images) is worse than the means' (too
        short a fit, a noise fill). Without a validation split ``w`` is 1.
    patch_size : int >= 2 or None, default=32
        Train on random ``patch_size`` x ``patch_size`` crops instead of whole
        images (a size at least the images' height and width trains on
        whole images; a side shorter than it is not cropped): each batch of
        images gives ``(H // patch_size) * (W // patch_size)`` steps on
        crops (one random position per step), so an epoch costs about as
        much as on whole images but makes many more optimiser steps. None
        (the paper) trains on whole images.
        ``transform`` always works on whole images.
    learning_rate : float, default=1e-3
        Adam step size (betas 0.9, 0.999) of both networks; with
        ``lr_schedule="one-cycle"`` the peak of the generator's schedule.
        After training ``fit`` compares the held-out imputations with each
        cell's mean, as GAINImputer does: imputations that are not finite,
        far outside the fitted range (RMSE above 1 on the [0, 1] scale) or
        saturated at its ends raise a ValueError (a learning rate far too
        large); imputations merely worse than the means raise a
        ConvergenceWarning unless ``mean_blend`` blends them with the means.
    lr_schedule : {"constant", "one-cycle", "plateau"}, default="constant"
        ``"constant"``: ``learning_rate`` throughout, as in the paper.
        ``"one-cycle"``: the generator's learning rate rises for the first
        10% of the batches of ``max_epochs`` epochs and anneals to nearly
        zero (Smith and Topin, 2019), as in GAINImputer. It helps short
        training more than the default 15 epochs (see the user guide's
        :ref:`images_networks`). ``"plateau"``: ``learning_rate`` halved
        whenever the validation RMSE has not improved by ``tol`` for two
        epochs in a row; needs ``validation_fraction > 0``.
        ``partial_fit`` always uses a constant rate (it has no planned
        number of steps and no validation).
    batch_size : int, default=16
        Images per training step (at least 2, for batch normalisation) and
        per step of ``transform``: memory is bounded by the batch size. The
        paper uses 64; 16 makes more, smaller steps per epoch.
    max_epochs : int, default=15
        Maximum number of passes over the shuffled images.
    validation_fraction : float, default=0.1
        Fraction of the observed entries held out of training for early
        stopping; 0 trains for ``max_epochs`` epochs. After each epoch the
        held-out entries of at most 2**22 pixels' worth of evenly spaced
        images (about 160 of 160x160) are scored, which bounds the cost of
        the pass on big image sets.
    n_iter_no_change : int, default=5
        Stop when the validation RMSE has not improved by ``tol`` for this
        many epochs; the generator of the best epoch is kept.
    tol : float, default=1e-4
        Minimum improvement of the validation RMSE (on the [0, 1] scale).
    missing_values : float, default=np.nan
        The placeholder of missing values.
    add_indicator : bool, default=False
        Append a :class:`~sklearn.impute.MissingIndicator` (2-D input only).
    keep_empty_features : bool, default=False
        With ``scaling="feature"``, keep features with no observed value in
        ``fit`` (set to 0) instead of dropping them. N-D input cannot drop
        pixels: it needs this or ``scaling="channel"`` when a pixel is empty.
    device : str, default="auto"
        Torch device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``...
    n_jobs : int or None, default=None
        CPU threads of torch, BLAS and OpenMP during ``fit``, ``transform``,
        ``score``, ``partial_fit`` and ``sample``: None is one thread, which is
        safe on a machine shared with other jobs (there, several threads spin
        waiting for each other and can slow a fit many times); -1 uses every
        core. The caller's thread counts are restored afterwards. The same
        ``random_state`` gives the same output at the same ``n_jobs`` on the
        same hardware; another thread count changes the order of floating-point
        sums, and training can carry such last-digit differences into the
        imputations (user guide: :ref:`threads`).
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, noise, dropped pixels, hints and the
        validation split. The same seed gives the same imputations.
    verbose : int, default=0
        Show a progress bar with the losses when positive.

    Attributes
    ----------
    n_features_in_ : int
        Number of features (H*W*C without padding) seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when X has string column names.
    image_shape_ : tuple of int
        ``(H, W, C)`` of the images the networks see, padding included.
    n_padded_ : int
        Number of zero-padded cells per image (0 unless a table was squared).
    channels_ : tuple of int
        Inner channels of the networks.
    scaling_ : {"feature", "channel"}
        The scaling used, ``scaling`` with ``"auto"`` resolved.
    data_min_ : ndarray of shape (n_features_in_,)
        Minimum of the observed values used for scaling, per feature.
    data_range_ : ndarray of shape (n_features_in_,)
        Range of the observed values used for scaling (1 for constants).
    device_ : str
        The torch device used.
    batch_size_, learning_rate_ : int, float
        ``batch_size`` and ``learning_rate`` as used (the same values here;
        GAINImputer resolves ``"auto"`` ones).
    generator_ : torch.nn.Module
        The trained generator, in eval mode, on ``device_``.
    discriminator_ : torch.nn.Module or None
        The trained discriminator (None with ``adversarial=False``).
    n_iter_ : int
        Number of epochs run.
    best_epoch_ : int
        Epoch whose generator weights were kept.
    history_ : dict of lists
        Per epoch: ``d_loss``, ``adv_loss`` (both 0 without a
        discriminator), ``mse`` (reconstruction loss), ``val_rmse`` and
        ``hint_rate``.
    initial_fill_ : str
        The initial fill used, ``initial_fill`` with ``"auto"`` resolved.
    test_time_augmentation_ : bool or "flip"
        The views ``transform`` averages over (``test_time_augmentation``
        resolved in ``fit``): False (one pass), ``"flip"`` or True.
    inference_precision_ : str
        ``inference_precision`` as fitted, "auto" resolved for the hardware
        the model runs on: "float32" or "bfloat16". May be set after ``fit``.
    network_weight_ : float
        Weight ``w`` of the network's imputation against the column means
        (``mean_blend``); 1 when not blended.
    held_out_rmse_ : dict of str to float
        RMSE, on the [0, 1] scale, on the held-out observed entries of the
        settings compared in ``fit``: ``"network"`` (the generator alone),
        ``"flipped"`` and ``"augmented"`` (averaged with the mirror image and
        over the symmetries; images with ``test_time_augmentation="auto"``),
        ``"mean"`` and ``"blended"``
        (with ``mean_blend``). Empty without a validation split.
    indicator_ : MissingIndicator or None
        The fitted indicator when ``add_indicator=True``.

    See Also
    --------
    GAINImputer : GAIN with perceptrons, for tables.

    Notes
    -----
    ``fit`` takes two options of the training, by keyword:

    ``drop_masks`` : array-like of shape (k, H, W) or None, default=None
        Pixel patterns to hide from the generator during training, 1 (or
        True) for a hidden pixel: each training image hides the observed
        pixels of one of the ``k`` patterns, drawn at random, instead of
        a fraction ``drop_rate`` of random pixels (e.g. the shape of the
        holes to fill). Needs training on whole images
        (``patch_size=None`` or at least H and W).
    ``validation_set`` : tuple (X_val, hidden) or None, default=None
        Images that early stopping scores after every epoch instead of
        the held-out entries: ``X_val`` (shaped as ``X``, in its units,
        missing entries marked by ``missing_values``) with its observed
        entries where ``hidden`` is True hidden from the generator and
        compared with its imputations. ``validation_fraction`` still
        holds entries of ``X`` out of training (0 turns early stopping
        off).

    References
    ----------
    .. [1] J. Yoon, J. Jordon and M. van der Schaar, "GAIN: Missing Data
       Imputation using Generative Adversarial Nets", ICML 2018.
    .. [2] SpatialGAIN: a convolutional extension of GAIN for images, with
       the "standard" and "updown" networks and the spatial hint.
    .. [3] O. Ronneberger, P. Fischer and T. Brox, "U-Net: Convolutional
       Networks for Biomedical Image Segmentation", MICCAI 2015.
    .. [4] H. Knutsson and C.-F. Westin, "Normalized and differential
       convolution", CVPR 1993.
    .. [5] S. B. Damelin and N. S. Hoang, "On Surface Completion and Image
       Inpainting by Biharmonic Functions: Numerical Aspects", International
       Journal of Mathematics and Mathematical Sciences, 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from skgain import SpatialGAINImputer
    >>> rng = np.random.RandomState(0)
    >>> yy, xx = np.mgrid[:6, :6]
    >>> images = np.sin(xx / 2 + rng.rand(8, 1, 1) * 6) + yy / 6  # smooth, each its own
    >>> images[rng.rand(8, 6, 6) < 0.2] = np.nan
    >>> imputer = SpatialGAINImputer(max_epochs=2, random_state=0)
    >>> completed = imputer.fit_transform(images)
    >>> completed.shape
    (8, 6, 6)
    >>> bool(np.isnan(completed).any())
    False
    >>> imputer.image_shape_
    (6, 6, 1)

    The paper's configuration:

    >>> paper = SpatialGAINImputer(
    ...     architecture="standard", initial_fill="noise", drop_rate=0,
    ...     adversarial=True, patch_size=None, batch_size=64, max_epochs=2,
    ...     random_state=0)
    >>> paper.fit_transform(images).shape
    (8, 6, 6)
    """

    _parameter_constraints = {
        **BaseAdversarialImputer._parameter_constraints,
        "image_shape": ["array-like", None],
        "architecture": [StrOptions({"unet", "standard", "updown"})],
        "channels": ["array-like", None],
        "initial_fill": [StrOptions(INITIAL_FILLS)],
        "hint_decay": [Interval(numbers.Real, 0, 1, closed="right")],
        "scaling": [StrOptions({"auto", "feature", "channel"})],
        "test_time_augmentation": [StrOptions({"auto", "flip"}), "boolean"],
        "inference_precision": [StrOptions({"auto", "float32", "bfloat16"})],
        "test_time_steps": [Interval(numbers.Integral, 0, None, closed="left")],
        "test_time_learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "mean_blend": [StrOptions({"auto"}), "boolean"],
        "patch_size": [Interval(numbers.Integral, 2, None, closed="left"), None],
        # Batch normalisation needs two samples per training batch.
        "batch_size": [Interval(numbers.Integral, 2, None, closed="left")],
    }

    def __init__(
        self,
        *,
        image_shape=None,
        architecture="unet",
        channels=None,
        initial_fill="auto",
        drop_rate=0.2,
        adversarial=False,
        alpha=10,
        hint_rate=0.9,
        hint_decay=1.0,
        hint_mechanism="paper",
        noise_scale=0.01,
        scaling="auto",
        test_time_augmentation="auto",
        test_time_steps=0,
        test_time_learning_rate=3e-3,
        inference_precision="auto",
        mean_blend="auto",
        patch_size=32,
        learning_rate=1e-3,
        lr_schedule="constant",
        batch_size=16,
        max_epochs=15,
        validation_fraction=0.1,
        n_iter_no_change=5,
        tol=1e-4,
        missing_values=np.nan,
        add_indicator=False,
        keep_empty_features=False,
        device="auto",
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.image_shape = image_shape
        self.architecture = architecture
        self.channels = channels
        self.initial_fill = initial_fill
        self.drop_rate = drop_rate
        self.adversarial = adversarial
        self.alpha = alpha
        self.hint_rate = hint_rate
        self.hint_decay = hint_decay
        self.hint_mechanism = hint_mechanism
        self.noise_scale = noise_scale
        self.scaling = scaling
        self.test_time_augmentation = test_time_augmentation
        self.test_time_steps = test_time_steps
        self.test_time_learning_rate = test_time_learning_rate
        self.inference_precision = inference_precision
        self.mean_blend = mean_blend
        self.patch_size = patch_size
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.missing_values = missing_values
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ---------------------------------------------------------- the fill
    def initial_fill_transform(self, X):
        """Complete ``X`` with the generator's input alone, without the network.

        The fill the network starts from and refines (``initial_fill_``):
        a baseline to compare the trained network with.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n, H, W) or (n, H, W, C)
            Images of the shape seen in ``fit``, or their rows.

        Returns
        -------
        X_filled : ndarray
            ``X`` with missing entries filled, formatted as by :meth:`transform`.
        """
        rows, sample_shape = self._input_rows(X)
        missing = missing_mask(rows, self.missing_values)
        filled = self._finish(self._complete(rows, missing, self._fill_scaled), rows)
        return self._from_rows(filled, sample_shape)

    # Pixels of the held-out subset that the choices after training score
    # (``_decision_rows``); ZeroShotSpatialImputer lowers it on its crop network.
    _decision_pixels = _DECISION_PIXELS
    _max_validation_cells = _VALIDATION_PIXELS

    # noise_scale also shapes the "noise" fill without a discriminator.
    _adversarial_only = ("alpha", "hint_rate", "hint_mechanism", "hint_decay")

    def _identical_draws_reason(self):
        if self.initial_fill_ != "noise":
            same = ("every draw is the same" if not self.test_time_steps else
                    "the draws differ only by test-time training's random hiding, not as "
                    "plausible alternatives")
            return (f"with initial_fill={self.initial_fill_!r} the generator's input holds no "
                    f"noise, so {same}; fit with initial_fill='noise' and "
                    "adversarial=True for multiple imputation.")
        return super()._identical_draws_reason()

    # ----------------------------------------------- settings, once in fit
    def _to_rows(self, X, in_fit):
        # Images (n, H, W) or (n, H, W, C) are read as rows of H*W*C values;
        # after fit, images must have the fitted shape.
        rows, sample_shape = as_rows(X)
        if not in_fit and sample_shape is not None:
            check_sample_shape(sample_shape, self.image_shape_, type(self).__name__)
        rows = self._validate_input(rows, in_fit)
        if in_fit:
            self._resolve_settings(rows.shape, sample_shape)
        return rows, sample_shape

    def _resolve_settings(self, shape, sample_shape):
        """Resolve, once, every setting that depends on the shape of the data
        (``sample_shape``: of N-D input, else None)."""
        n_samples, n_features = shape
        self._check_n_samples(n_samples)
        self._check_indicator(sample_shape)
        self.image_shape_ = resolve_image_shape(self.image_shape, n_features, sample_shape)
        self.n_padded_ = int(np.prod(self.image_shape_)) - n_features
        self.channels_ = self._resolve_channels()
        # A table laid out as a square (no image_shape, 2-D input) is not an image.
        is_image = self.image_shape is not None or sample_shape is not None
        self.scaling_ = self.scaling
        if self.scaling == "auto":
            self.scaling_ = "channel" if is_image else "feature"
        self._check_test_time()
        self.initial_fill_ = self.initial_fill
        if self.initial_fill == "auto":
            # Neighbouring cells of a squared table are unrelated columns: the
            # smooth surface of the biharmonic fill means nothing there, and the
            # cheap local mean measured better (docs/user_guide/images.rst).
            self.initial_fill_ = "biharmonic" if is_image else "normconv"
        self._is_image = is_image

    def _check_n_samples(self, n_samples):
        if n_samples < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 samples to train its batch-normalised "
                f"networks; got 1 sample."
            )

    def _check_indicator(self, sample_shape):
        if sample_shape is not None and self.add_indicator:
            raise ValueError(
                "add_indicator=True appends columns, which N-D images cannot hold; pass X as "
                "2-D rows of shape (n_samples, H*W*C) with image_shape instead."
            )

    def _resolve_channels(self):
        if self.channels is None:
            return _DEFAULT_CHANNELS[self.architecture]
        channels = tuple(np.asarray(self.channels).ravel().tolist())
        if not channels or not all(isinstance(c, numbers.Integral) and 1 <= c <= _MAX_CHANNELS
                                   for c in channels):
            raise ValueError(
                f"channels must be integers in [1, {_MAX_CHANNELS}]; got {self.channels!r}."
            )
        if self.architecture == "unet" and any(c > 8 and c % 8 for c in channels):
            # Each level's group norm splits its channels into 8 groups.
            raise ValueError(
                "channels of architecture='unet' must each be at most 8 or a multiple of 8 "
                f"(its group norm has 8 groups); got channels={self.channels!r}."
            )
        if self.architecture == "updown" and len(channels) != 3:
            raise ValueError(
                f"architecture='updown' needs three channels; got channels={self.channels!r}."
            )
        most = self._max_layers()
        if len(channels) > most:
            what = ("levels, each halving the image, for" if self.architecture == "unet"
                    else "layers for")
            raise ValueError(
                f"channels has {len(channels)} entries; architecture={self.architecture!r} "
                f"allows at most {most} {what} images of {self.image_shape_[0]}x"
                f"{self.image_shape_[1]} pixels; got channels={self.channels!r}."
            )
        self._check_deepest_level(channels)
        return tuple(int(c) for c in channels)

    def _check_deepest_level(self, channels):
        """A U-Net level of one pixel with at most 8 channels gives its group
        norm one value per group: the level's output is constant, and torch
        refuses a single image there."""
        if self.architecture != "unet" or channels[-1] > 8:
            return
        height, width = self.image_shape_[:2]
        if self.patch_size is not None:  # training sees crops of at most this side
            height, width = min(self.patch_size, height), min(self.patch_size, width)
        stride = 2 ** (len(channels) - 1)
        if -(-height // stride) * -(-width // stride) == 1:
            raise ValueError(
                f"channels={self.channels!r} pools the {height}x{width} pixels the network "
                f"trains on down to one pixel at its deepest level, where {channels[-1]} "
                "channels leave its group norm a single value per group; use fewer levels "
                "or at least 16 channels at the deepest one."
            )

    def _max_layers(self):
        """Most entries of ``channels``: U-Net levels until the image is one
        pixel (each level pads the image to a multiple of its stride, so more
        grow it without bound), at least the default's three."""
        if self.architecture != "unet":
            return _MAX_LAYERS
        side = max(self.image_shape_[:2])
        return max(len(_DEFAULT_CHANNELS["unet"]), math.ceil(math.log2(side)) + 1)

    # ------------------------------------------------------ scaling, layout
    def _scaling_groups(self, n_features):
        if self.scaling_ == "feature":
            return super()._scaling_groups(n_features)
        return scaling_groups(self.scaling_, n_features, self.image_shape_[2])

    def _make_layout(self):
        # Padded cells weigh 0 in the losses; patch_size crops the batches.
        return ImageLayout(self.image_shape_, self.n_features_in_, self.patch_size)

    # ----------------------------------------------------------- networks
    def _build_networks(self, generator, statistics):
        n_channels = self.image_shape_[2]
        if self.architecture == "unet":
            G = xavier_init(SpatialUNet(n_channels, self.channels_, residual=True), generator)
            # A zero head makes the untrained generator return its input (the
            # initial fill): training starts from the interpolation.
            torch.nn.init.zeros_(G.head.weight)
            D = SpatialUNet(n_channels, self.channels_, residual=False)
        else:
            net = SpatialStandardCNN if self.architecture == "standard" else SpatialUpDownCNN
            G = xavier_init(net(n_channels, self.channels_), generator)
            D = net(n_channels, self.channels_)
        if not self.adversarial:
            return G, None
        return G, xavier_init(D, generator)

    # ---------------------------------------------------------- training
    def _resolve_fit_settings(self, X, mask, n_samples):
        if self._fit_sample_shape is not None and self._empty_features.any() and not (
            self.keep_empty_features
        ):
            raise ValueError(
                f"{int(self._empty_features.sum())} pixels of the images have no observed value "
                "and N-D output cannot drop them: use scaling='channel' to impute them from "
                "their neighbours, or keep_empty_features=True to set them to 0."
            )
        self._column_means = observed_means(X, mask)
        # Read by _fitted_output (transform); training and its early-stopping
        # pass score the network alone (_network_output). fit decides both on
        # held-out entries after training; partial_fit, which holds none out,
        # keeps them ("auto": no).
        augment = self.test_time_augmentation
        self.test_time_augmentation_ = False if augment == "auto" else augment
        self.inference_precision_ = self.inference_precision  # "auto" resolved when read
        self.network_weight_ = 1.0
        self.held_out_rmse_ = {}

    @property
    def inference_precision_(self):
        """``inference_precision`` as fitted, "auto" resolved for the hardware
        the model runs on now (``device_``): "float32" or "bfloat16".

        Resolved where it is read, so a model loaded on other hardware (or
        moved off a GPU) follows it: "auto" fitted where bfloat16 is native
        would otherwise run emulated bfloat16 passes, slower than float32.
        """
        check_is_fitted(self, "history_")
        precision = self._inference_precision
        if precision != "auto":
            return precision
        # Measured on images only (tench, 160x160: the transform 1.9x faster
        # on an AMX CPU, image_views.md); squared tables are tiny: float32.
        # On a GPU the passes are cheap beside the fill, and bfloat16 bought
        # no transform time on an H100 (benchmarks/results/gpu/gpu.md).
        if not self._is_image or torch.device(self.device_).type != "cpu":
            return "float32"
        return resolve_precision("auto", self.device_)

    @inference_precision_.setter
    def inference_precision_(self, precision):
        # fit stores the parameter; a caller may override the choice.
        self._inference_precision = precision

    def _fit_scaled(self, X, mask, rng, *, drop_masks=None, validation_set=None):
        """Train with the options of ``fit`` (the class's Notes describe them).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Scaled rows, missing entries 0.
        mask : ndarray of shape (n_samples, n_features)
            1 where an entry of ``X`` is observed.
        rng : numpy.random.RandomState
            The fit's random stream.
        drop_masks : array-like of shape (k, H, W) or None, default=None
            Pixel patterns to hide from the generator (the objective's).
        validation_set : tuple (X_val, hidden) or None, default=None
            Images that early stopping scores.
        """
        objective = self._make_objective(drop_masks=self._checked_drop_masks(drop_masks))
        validation = self._scaled_validation_set(validation_set)
        score = None if validation is None else (lambda: self._validation_set_rmse(*validation))
        super()._fit_scaled(X, mask, rng, objective=objective, validation_score=score)

    def _after_training(self, X, result, rng):
        """Choose test-time augmentation and the mean blend on the held-out
        entries of ``result``, then check the choice against the means."""
        held_out = result.held_out
        self.held_out_rmse_ = {}
        augment, evidence = self._choose_augmentation(X, held_out, rng)
        self.network_weight_, network_evidence, blended = self._choose_network_weight(
            X, held_out, rng, augment)
        self.test_time_augmentation_ = augment
        if held_out is not None:
            evidence = network_evidence or evidence or self._held_out_evidence(
                *self._decision_rows(X, held_out, rng), augment)
            self._check_against_means(*evidence, blended=blended)

    def _checked_drop_masks(self, drop_masks):
        """``drop_masks`` as a (k, 1, H, W) float tensor (1 = hide), or None."""
        if drop_masks is None:
            return None
        patterns = np.asarray(drop_masks, dtype=np.float32)
        height, width, _ = self.image_shape_
        if patterns.ndim != 3 or patterns.shape[1:] != (height, width) or not len(patterns):
            raise ValueError(
                f"drop_masks must have shape (k, {height}, {width}), k >= 1 patterns of the "
                f"images' pixels; got shape {patterns.shape}."
            )
        if self.patch_size is not None and self.patch_size < max(height, width):
            raise ValueError(
                f"drop_masks are whole-image patterns, but patch_size={self.patch_size} trains "
                f"on crops of the {height}x{width} images; use patch_size=None."
            )
        return torch.as_tensor(patterns)[:, None]

    def _scaled_validation_set(self, validation_set):
        """``(values, input mask, hidden)`` of ``validation_set`` on the [0, 1] scale."""
        if validation_set is None:
            return None
        X_val, hidden = validation_set
        rows, _ = self._to_rows(X_val, in_fit=False)
        hidden = np.asarray(hidden, dtype=bool).reshape(rows.shape)
        missing = missing_mask(rows, self.missing_values)
        hidden = hidden & ~missing
        if not hidden.any():
            raise ValueError("validation_set hides no observed entry of X_val: nothing to score.")
        seen = (~missing & ~hidden).astype(np.float32)
        return self._scale(rows, missing), seen, hidden

    def _validation_set_rmse(self, values, seen, hidden):
        """The network's RMSE on the ``hidden`` entries of a ``validation_set``."""
        imputed = self._generate(values * seen, seen, self._transform_seed)
        return rmse(imputed[hidden], values[hidden])

    def _held_out_imputation(self, X, held_out, augment):
        """The network's imputations of the held-out entries, with the
        test-time views ``augment`` and without the mean blend."""
        train_mask, val_mask = held_out

        def output(G, values, mask, generator):
            return self._fitted_output(G, values, mask, generator, augment=augment, weight=1.0)

        return self._imputed_at(X, train_mask, val_mask, self._transform_seed, output=output)

    def _decision_rows(self, X, held_out, rng):
        """``(X, held_out)`` of a seeded subset of the rows: about
        ``_decision_pixels`` pixels bound the cost of the choices made on them."""
        n_images = max(1, self._decision_pixels // int(np.prod(self.image_shape_[:2])))
        rows = np.sort(rng.permutation(X.shape[0])[:n_images])
        if rows.size < X.shape[0]:  # all rows: no copies
            X, held_out = X[rows], (held_out[0][rows], held_out[1][rows])
        return X, held_out

    def _held_out_evidence(self, X, held_out, augment):
        """``(imputed, truth, means)`` at the held-out entries of ``X``: the
        network's imputations with the views ``augment``, and the means of
        the training entries."""
        train_mask, val_mask = held_out
        means = observed_means(X, train_mask)[np.nonzero(val_mask)[1]]
        return (self._held_out_imputation(X, held_out, augment), X[val_mask.astype(bool)],
                means)

    def _choose_augmentation(self, X, held_out, rng):
        """Resolve ``test_time_augmentation``: for "auto", the views that pay for themselves.

        Returns the choice and, where it was scored, the held-out evidence
        (see :meth:`_held_out_evidence`) of the views chosen, else None.
        """
        if self.test_time_augmentation != "auto":
            return self.test_time_augmentation, None
        if not self._is_image or held_out is None:
            return False, None
        # A seeded subset of the images bounds the cost (11 passes per image).
        X, held_out = self._decision_rows(X, held_out, rng)
        square = self.image_shape_[0] == self.image_shape_[1]
        # Beside test-time training's steps the passes cost little (tench val,
        # 40 steps: 0.65 against 0.71 images per second with the 8
        # symmetries, image_test_time.md), so there any gain pays for them.
        price = 0.0 if self.test_time_steps else _TTA_MIN_GAIN_PER_PASS
        chosen, evidence = False, {}
        for augment, key in ((False, "network"), ("flip", "flipped"), (True, "augmented")):
            evidence[augment] = self._held_out_evidence(X, held_out, augment)
            self.held_out_rmse_[key] = rmse(*evidence[augment][:2])
            extra = len(augmentation_views(augment, square)) - 1
            gain = 1.0 - self.held_out_rmse_[key] / self.held_out_rmse_["network"]
            if extra and gain > 0 and gain >= price * extra:
                chosen = augment  # more views last: the most views that pay win
        return chosen, evidence[chosen]

    def _choose_network_weight(self, X, held_out, rng, augment):
        """Resolve ``mean_blend``: the weight of the network against the column means.

        Returns the weight, the held-out evidence (see
        :meth:`_held_out_evidence`) of the network alone where it was
        computed (else None), and whether the weight was fitted.
        """
        if not self.mean_blend or held_out is None:
            return 1.0, None, False
        network = None
        if self.mean_blend == "auto" and self._is_image:
            # Images keep the network alone unless it loses to the means on a
            # seeded subset of the held-out entries (too short a fit, a noise
            # fill): then blending is the better answer, not a warning alone.
            X, held_out = self._decision_rows(X, held_out, rng)
            evidence = self._held_out_evidence(X, held_out, augment)
            network, truth, means = evidence
            if rmse(network, truth) <= rmse(means, truth):
                return 1.0, evidence, False
        truth = X[held_out[1].astype(bool)]
        cols = np.nonzero(held_out[1])[1]
        if network is None:
            network = self._held_out_imputation(X, held_out, augment)
        mean = self._column_means[cols]
        # The blend's weight code (BlendImputer's) with the means as the second
        # imputer: one least-squares weight pooled over every cell (an image's
        # cells are too many to weigh one by one), not shrunk.
        weight = float(blend_weights(np.column_stack([network, mean]), truth,
                                     np.zeros(len(truth), dtype=np.intp), 1,
                                     loss="squared_error", prior_entries=0)[0, 0])
        self.held_out_rmse_.setdefault("network", rmse(network, truth))
        self.held_out_rmse_["mean"] = rmse(mean, truth)
        self.held_out_rmse_["blended"] = rmse(mean + weight * (network - mean), truth)
        train_means = observed_means(X, held_out[0])[cols]
        return weight, (network, truth, train_means), True

    def _check_against_means(self, imputed, truth, means, blended):
        """Compare the network's held-out imputations with the cell means.

        A learning rate far too large sends the generator far outside the
        fitted range, or saturates it at one of its ends, with no NaN in the
        losses: an error, not an answer. A generator merely worse than the
        means (too short a training, a noise fill) warns, unless its
        imputations are already blended with the means (``mean_blend``).
        """
        network_rmse, mean_rmse = rmse(imputed, truth), rmse(means, truth)
        if not np.all(np.isfinite(imputed)) or network_rmse > max(1.0, mean_rmse):
            # Every value inside the [0, 1] range is within 1 of the truth.
            raise ValueError(
                f"{type(self).__name__} training diverged: its held-out imputations are "
                f"{'not finite' if not np.all(np.isfinite(imputed)) else 'far outside'} the "
                f"fitted range (RMSE {network_rmse:.4g} on the [0, 1] scale, the cell means' "
                f"{mean_rmse:.4g}); lower learning_rate (now {self.learning_rate_})."
            )
        if network_rmse <= mean_rmse:
            return
        at_bounds = np.mean(((imputed < _BOUND) & (truth >= _BOUND))
                            | ((imputed > 1 - _BOUND) & (truth <= 1 - _BOUND)))
        if at_bounds > _SATURATED_SHARE:
            raise ValueError(
                f"{type(self).__name__} training saturated: {at_bounds:.0%} of its held-out "
                f"imputations sit at the fitted minimum or maximum and their RMSE "
                f"({network_rmse:.4g}) is worse than the cell means' ({mean_rmse:.4g}); lower "
                f"learning_rate (now {self.learning_rate_})."
            )
        if not blended:
            fill = ("" if self.initial_fill_ not in ("noise", "mean") else
                    f"start from an interpolation (initial_fill={self.initial_fill_!r} now), ")
            warnings.warn(
                f"{type(self).__name__}'s held-out RMSE ({network_rmse:.4g}) is worse than "
                f"imputing each cell's mean ({mean_rmse:.4g}); train longer (max_epochs), "
                f"lower learning_rate, {fill}or set mean_blend=True to blend the imputations "
                "with the means.",
                ConvergenceWarning,
            )

    # ------------------------------------------------------ GAIN hooks
    def _generator_input(self, values, mask, generator):
        fill = self.initial_fill_
        if fill == "noise":
            return super()._generator_input(values, mask, generator)
        if fill == "biharmonic":
            return _biharmonic_fill(values, mask)
        if fill == "harmonic":
            return _harmonic_fill(values, mask)
        if fill == "mean":
            means = self._layout.to_tensor(self._column_means[None]).to(values.device)
            return mask * values + (1 - mask) * means
        return mask * values + (1 - mask) * _normalized_convolution(values, mask, _FILL_SIGMA)

    @torch.no_grad()
    def _fill_scaled(self, X, mask):
        """The generator's input for scaled rows ``X``: the initial fill alone."""
        generator = torch_generator(self._transform_seed, self.device_)
        out = np.empty_like(X, dtype=np.float64)
        for batch in batch_slices(X.shape[0], self.batch_size_):
            x = self._layout.to_tensor(X[batch]).to(self.device_)
            m = self._layout.to_tensor(mask[batch]).to(self.device_)
            out[batch] = self._layout.to_rows(self._generator_input(x, m, generator))
        return out

    def _fitted_output(self, G, values, mask, generator, augment=None, weight=None):
        # What fit decided: the views averaged (test-time augmentation), the
        # precision of the network's passes, and the weight of the network
        # against the column means; with test_time_steps, each image by a
        # copy of G trained on it. The choices in fit pass candidates (augment,
        # weight), scored without test-time training.
        if augment is None and weight is None:
            self._check_test_time()  # its parameters may be set after fit
            if self.test_time_steps:
                return self._adapted_output(G, values, mask, generator)
        augment = self.test_time_augmentation_ if augment is None else augment
        weight = self.network_weight_ if weight is None else weight
        filled = self._generator_input(values, mask, generator)  # in float32
        views = augmentation_views(augment, values.shape[-2] == values.shape[-1])
        with self._inference_autocast():
            out = view_average(G, filled, mask, views)
        if weight == 1:
            return out
        means = self._layout.to_tensor(self._column_means[None]).to(out.device)
        return means + weight * (out - means)

    def _inference_autocast(self):
        """Autocast context of the network's passes in :meth:`_fitted_output`."""
        if self.inference_precision_ == "float32":
            return contextlib.nullcontext()
        return torch.autocast(torch.device(self.device_).type, dtype=torch.bfloat16)

    def _check_test_time(self):
        """Errors for test-time training settings that cannot train (also at
        ``transform``: its parameters may be set after ``fit``)."""
        steps = self.test_time_steps
        if not isinstance(steps, numbers.Integral) or steps < 0:
            raise ValueError(f"test_time_steps must be a non-negative integer; got {steps!r}.")
        if steps and self.drop_rate == 0:
            raise ValueError(
                f"test_time_steps={steps} needs drop_rate > 0: test-time training rebuilds "
                "observed pixels hidden from the generator, and drop_rate=0 hides none."
            )

    def _adapted_output(self, G, values, mask, generator):
        """:meth:`_fitted_output` of each image by a copy of ``G`` trained on
        that image's observed pixels (``test_time_steps``)."""
        views = augmentation_views(self.test_time_augmentation_,
                                   values.shape[-2] == values.shape[-1])

        objective_of_fit = self._make_objective()

        def objective(net, x, m):
            return objective_of_fit.reconstruction_loss(net, self._generator_input, self._layout,
                                                        x, m, 1.0, generator)[0]

        outputs = []
        for image in range(values.shape[0]):
            x, m = values[image:image + 1], mask[image:image + 1]
            net = adapted_copy(G, x, m, objective, self.test_time_steps,
                               self.test_time_learning_rate, views)
            outputs.append(self._fitted_output(_for_inference(net, self.device_), x, m,
                                               generator, augment=self.test_time_augmentation_,
                                               weight=self.network_weight_))
        return torch.cat(outputs)



def view_average(G, filled, mask, views):
    """The mean of ``G``'s outputs over ``views`` of the images, in float32.

    ``views`` are ``(quarter_turns, flip)`` pairs (see
    :func:`~skgain._test_time.augmentation_views`): each view is imputed,
    turned back and averaged. ``filled`` is the initial fill, computed once:
    the interpolations commute with the symmetries.
    """
    if len(views) == 1 and views[0] == (0, False):
        return G(filled, mask).float()
    total = torch.zeros_like(filled, dtype=torch.float32)
    for turns, flip in views:
        out = G(to_view(filled, turns, flip), to_view(mask, turns, flip))
        total += from_view(out, turns, flip)
    return total / len(views)
