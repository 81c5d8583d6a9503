"""GAINImputer: Generative Adversarial Imputation Nets for tables."""

import contextlib
import numbers
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import MissingIndicator
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import validate_data

from ._adversarial import BaseAdversarialImputer, resolve_precision
from ._base import missing_mask, observed_means, rmse, with_cpu_threads
from ._blend import BlendImputer, auto_blends, is_given_imputer, resolve_blend_estimators, with_nan
from ._draws import draw, error_pools
from ._engine import CategoricalHeads, RowLayout, validation_rows
from ._networks import GAINMLP, ResidualMLP, xavier_init
from ._table_codec import fit_codec, has_categorical_columns

# Width of the residual generator when hidden_dim is None: about one unit
# per _ROWS_PER_UNIT training rows, a power of two between these bounds
# (spam and letter, where 256 was chosen, get 256; a few hundred rows, 64).
_RESMLP_WIDTH = (64, 256)
_ROWS_PER_UNIT = 8
# n_frequencies="auto": periodic features per value, up to this many features
# (the first layer grows with n_features * n_frequencies).
_AUTO_FREQUENCIES = 8
_MAX_PERIODIC_FEATURES = 1024
# Largest sizes a user may ask for; the first layer is also checked against
# _MAX_FIRST_LAYER weights (n_features * (2 + 2 * n_frequencies) * hidden_dim).
_MAX_HIDDEN_DIM = 8192
_MAX_BLOCKS = 64
_MAX_FREQUENCIES = 256
_MAX_FIRST_LAYER = 2**28
# max_epochs="auto": epochs for this many rows seen in training (the same
# compute for tables of 3,334 to 9,999 rows), within this range of epochs.
# The one-cycle rate anneals over max_epochs: at up to 1000 epochs, early
# stopping (patience a quarter of them) ended most small tables' runs before
# the rate came down. 300 epochs were more accurate in less time on the
# tables they were chosen on (benchmarks/results/tabular/tabular_designed_on.md) and
# about as accurate in a third less time on others (tabular_confirm4-6.md).
_AUTO_ROW_PASSES = 1_000_000
_AUTO_EPOCH_RANGE = (100, 300)
# ... and at most this many where the network is blended with other imputers,
# which make up for a shorter training: 300 epochs took 2.0x ExtraTrees'
# seconds against 1.5x at the same blended RMSE (the ablation row of
# benchmarks/results/table_speed/ as committed in b445f2c).
_BLENDED_MAX_EPOCHS = 150
# From this many training rows on, where the epochs above stop at their
# floor of 100, the "auto" settings train a shallower generator on larger
# batches for more epochs: it costs about half as much per row and on letter
# was more accurate in fewer seconds than 4 blocks at 256 rows for 100 epochs
# (benchmarks/results/gain_ablation/gain_ablation_large.md).
_LARGE_TABLE_ROWS = 10_000
_SMALL_TABLE = {"n_blocks": 4, "batch_size": 256, "max_epochs": None}
_LARGE_TABLE = {"n_blocks": 2, "batch_size": 1024, "max_epochs": 175}
# learning_rate="auto": this rate for batches of up to _BASE_BATCH rows,
# growing with the square root of larger batches.
_BASE_LEARNING_RATE = 3e-3
_BASE_BATCH = 256
# Rows imputed per epoch to measure the validation RMSE.
_MAX_VALIDATION_ROWS = 4096
# Training has saturated when more than this share of the held-out
# imputations lies within _BOUND of the [0, 1] range's ends.
_SATURATED_SHARE = 0.5
_BOUND = 1e-3


class GAINImputer(BaseAdversarialImputer):
    """Impute missing values with GAIN (Yoon, Jordon and van der Schaar, 2018).

    A generator network fills the missing entries of each row given its
    observed entries and its mask; a discriminator network tries to tell,
    entry by entry, which values were observed and which were imputed, helped
    by a hint that reveals part of the mask. The generator minimises the
    adversarial loss on the missing entries plus ``alpha`` times the mean
    squared error on observed entries.

    The defaults differ from the original GAIN (the user guide's
    :ref:`table_training` and :ref:`parameters <table_parameters>` say why):
    the generator is a deeper residual perceptron with layer normalisation
    (``architecture="resmlp"``), trained with a one-cycle learning rate in
    larger batches, as a masked autoencoder: a fraction ``drop_rate`` of the
    observed entries is hidden from it at every step and the reconstruction
    loss is taken on them. Without a discriminator (``adversarial=False``, the
    default) ``alpha``, ``hint_rate`` and ``hint_mechanism`` have no effect
    (setting them warns). The original GAIN is::

        GAINImputer(adversarial=True, architecture="mlp", drop_rate=0,
                    hint_mechanism="code", alpha=100, learning_rate=1e-3,
                    lr_schedule="constant", batch_size=128, training_precision="float32",
                    blend_estimator=None)

    Data are min-max scaled per feature with the observed values seen in
    ``fit``; imputations are returned in the original units and observed
    entries are returned unchanged. A table larger than memory trains chunk
    by chunk with :meth:`partial_fit` (see the user guide's "Big tables").

    Parameters
    ----------
    adversarial : bool, default=False
        Train against a discriminator with the hint mechanism (GAIN). False
        trains the generator alone as a masked autoencoder (needs
        ``drop_rate > 0``), without a second network to train at every step;
        the user guide's :ref:`table_training` compares the two.
    alpha : float, default=10
        Weight of the reconstruction loss against the adversarial loss. The
        SpatialGAIN paper uses 10; the GAIN authors' code uses 100.
    hint_rate : float, default=0.9
        Probability that an entry of the mask is revealed to the discriminator.
    hint_mechanism : {"paper", "code"}, default="paper"
        ``"paper"``: H = B*M + 0.5*(1-B), hidden entries are shown as 0.5, as
        in the GAIN paper. ``"code"``: H = B*M, as in the authors' public code.
    noise_scale : float, default=0.01
        Missing entries enter the generator as noise drawn from
        U(0, noise_scale) (on the [0, 1] scale), as in the authors' code.
        ``transform`` draws it in batches from a stream seeded by
        ``random_state``, so the same call gives the same output, but a
        row's imputation depends slightly on its place among the rows
        transformed with it, whose noise comes from the same stream.
        ``noise_scale=0`` makes every row's imputation independent of
        the others (its accuracy has not been benchmarked).
    drop_rate : float, default=0.3
        Fraction of the observed entries hidden from the generator at each
        training step; the reconstruction loss is computed on them. This
        denoising objective teaches the generator to predict entries it
        cannot see, which GAIN's loss on visible entries does not (the
        generator can copy them). 0 gives the original GAIN objective.
        See the user guide's :ref:`parameters <table_parameters>`.
    architecture : {"resmlp", "mlp"}, default="resmlp"
        The generator. ``"resmlp"``: a residual perceptron,
        ``n_blocks`` pre-norm residual blocks of width ``hidden_dim``, output
        clipped to the fitted range. ``"mlp"``: GAIN's three-layer perceptron
        with a sigmoid output. The discriminator is always the three-layer
        perceptron of width ``hidden_dim``.
    hidden_dim : int or None, default=None
        Width of the hidden layers. None: for ``"resmlp"``, a width that
        grows with the training rows, about one unit per 8 rows as a power of
        two: 64 below about 700 rows, 128 up to about 1,500 and 256 beyond
        (a wider net overfits small tables), and 256 with ``partial_fit``,
        which does not know the table's size; for ``"mlp"``, n_features (the
        original GAIN). Resolved in ``hidden_dim_``.
    n_blocks : int or "auto", default="auto"
        Residual blocks of the ``"resmlp"`` generator. ``"auto"``: 4, or 2
        from 10,000 training rows on, where a shallower generator on larger
        batches costs less per row and can be trained for more epochs (see
        the user guide's :ref:`parameters <table_parameters>`); 4 with
        :meth:`partial_fit`. Resolved in ``n_blocks_``.
    n_frequencies : int or "auto", default="auto"
        Periodic features (``sin`` and ``cos`` of learned frequencies times
        the value) the ``"resmlp"`` generator gets for each observed value,
        besides the value itself (Gorishniy et al., 2022): they let the first
        layer respond to narrow ranges of a value, which a linear function of
        it cannot. 0 turns them off. ``"auto"``: 8, or 0 above 1024 features,
        where the first layer (``n_features * (2 + 2 * n_frequencies) *
        hidden_dim`` weights) would dominate the cost. Resolved in
        ``n_frequencies_``.
    learning_rate : float or "auto", default="auto"
        Adam step size (betas 0.9, 0.999) of both networks; with
        ``lr_schedule="one-cycle"`` the peak of the generator's schedule.
        ``"auto"``: 3e-3 for batches of up to 256 rows, growing with the
        square root of larger batches (6e-3 for 1024 rows). Resolved in
        ``learning_rate_``.
    lr_schedule : {"one-cycle", "constant", "plateau"}, default="one-cycle"
        ``"one-cycle"``: the generator's learning rate rises for the first
        10% of the steps of ``max_epochs`` epochs and anneals to nearly zero
        (Smith and Topin, 2019). ``"constant"``: the original GAIN.
        ``"plateau"``: ``learning_rate`` halved whenever the validation RMSE
        has not improved by ``tol`` for two epochs in a row (both
        networks); needs ``validation_fraction > 0``.
    batch_size : int or "auto", default="auto"
        Rows per training step, and per step of ``transform``: memory use is
        bounded by the batch size, not by n_samples. ``"auto"``: 256, or
        1024 from 10,000 training rows on (fewer, larger steps cost less
        per row); 256 with :meth:`partial_fit`. Resolved in ``batch_size_``.
    max_epochs : int or "auto", default="auto"
        Number of passes over the shuffled rows (early stopping may end
        training sooner). ``"auto"``: as many epochs as it takes to show the
        generator 1 million rows, between 100 and 300 epochs (218 for 4,601
        rows), and at most 150 where the network is blended with other
        imputers (``blend_estimator``), which make up for a shorter training;
        175 from 10,000 training rows on, for the cheaper generator
        ``"auto"`` picks there. Resolved in ``max_epochs_``.
    validation_fraction : float, default=0.1
        Fraction of the observed entries, at most 5000 of them, held out of
        training to measure a validation RMSE after every epoch, for early
        stopping and the check against mean imputation. The cap keeps big
        tables' entries for training, where a few thousand entries already
        measure the RMSE well enough to stop on.
        0 disables early stopping and trains for ``max_epochs`` epochs.
    n_iter_no_change : int or "auto", default="auto"
        Stop when the validation RMSE has not improved by ``tol`` for this
        many epochs; the generator weights of the best epoch are kept.
        ``"auto"``: a quarter of ``max_epochs_``, so that the high learning
        rates in the middle of the one-cycle schedule do not stop training
        before it anneals.
    tol : float, default=1e-4
        Minimum improvement of the validation RMSE (on the [0, 1] scale).
    training_precision : {"auto", "float32", "bfloat16"}, default="auto"
        Arithmetic of the training steps. ``"bfloat16"`` trains under
        :func:`torch.autocast` (weights and optimizer stay float32) and is
        faster where the hardware has bfloat16 units; imputation
        always runs in float32. ``"auto"``: bfloat16 on a CUDA device that
        supports it and on CPUs with AVX512-BF16 or AMX, float32 elsewhere.
        Resolved in ``training_precision_``. SpatialGAINImputer's
        ``inference_precision`` sets the other phase's arithmetic.
    categorical_features : array-like of int, bool or str, default=None
        Indices, boolean mask or (for a DataFrame) names of categorical
        features, beside a DataFrame's ``category``, ``object``, ``string``
        and boolean columns, which are categorical anyway. Each is imputed
        through a softmax over the categories seen in ``fit``, trained with
        cross-entropy; a DataFrame comes back with its dtypes (user guide:
        :ref:`table_categorical`).
    blend_estimator : "auto", imputer, list of imputers, BlendImputer or None, default="auto"
        Imputers (instances with ``fit`` and ``transform`` that fill NaN and
        keep the shape) fitted on the same scaled entries as the network and
        blended with it by a :class:`BlendImputer` (``blend_``) whose first
        imputer is the network.
        Each feature's imputation is a weighted average of the network's and
        theirs, with the non-negative weights summing to 1 that minimise
        Huber's loss on that feature's held-out validation entries, shrunk
        towards the table's weights, and the table's towards equal weights,
        as if 100 more entries had voted for them. An imputer whose held-out
        RMSE is not below the column means' gets weight 0. Once the weights
        are chosen, the imputers are refitted on every observed entry, the
        held-out ones included. The blend may leave a column's fitted range
        by a quarter of it, so that a linear imputer can extrapolate a
        hidden extreme. ``"auto"``: :class:`~sklearn.impute.IterativeImputer`
        with BayesianRidge (10 rounds) and with ExtraTrees (10 trees, 3
        rounds) on tables of at most 100,000 entries and 64 features, and on
        tables with categorical columns also a model per variable by
        histogram gradient boosting, a classifier for each categorical
        column (the user guide's :ref:`table_categorical`); the network alone
        beyond, and without held-out entries (``validation_fraction=0``) or
        with :meth:`partial_fit`. None: the network alone. Imputers given
        with ``validation_fraction=0`` or with :meth:`partial_fit` are a
        ``ValueError``. A :class:`BlendImputer`: its imputers, blended with
        the network under its settings (``loss``, ``prior_entries``,
        ``margin``, ``refit``; the network's held-out entries replace its
        own split). See the user guide's :ref:`table_blend`.
    missing_values : float, default=np.nan
        The placeholder of missing values; all its occurrences are imputed.
    add_indicator : bool, default=False
        Append a :class:`~sklearn.impute.MissingIndicator` to the output.
    keep_empty_features : bool, default=False
        Keep features with no observed value in ``fit`` (set to 0) instead of
        dropping them, as scikit-learn's imputers do.
    device : str, default="auto"
        Torch device to train and impute on: ``"auto"`` (CUDA when available,
        else the CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...
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
        Seeds weight initialisation, shuffling, noise, hints and the
        validation split. The same seed gives the same imputations.
    verbose : int, default=0
        Show a progress bar with the losses when positive.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when X has string column names.
    data_min_ : ndarray of shape (n_columns,)
        Per-column minimum of the observed values seen in ``fit``; the
        columns are the features, with each categorical feature's one-hot
        columns in its place.
    data_range_ : ndarray of shape (n_columns,)
        Per-column range of the observed values (1 for constant columns).
    categories_ : list of ndarray or None
        The categories seen in ``fit`` of each categorical feature, sorted
        (None for numeric features); None for an all-numeric table.
    device_ : str
        The torch device used.
    hidden_dim_ : int
        Width of the hidden layers used.
    n_blocks_ : int
        Residual blocks of the generator (unused with ``architecture="mlp"``).
    batch_size_ : int
        Rows per training and imputation step.
    learning_rate_ : float
        Adam step size used.
    n_frequencies_ : int
        Periodic features per value used (0 for ``architecture="mlp"``).
    max_epochs_ : int
        Number of epochs the schedule was planned for (after ``partial_fit``,
        which plans none, the epochs run).
    training_precision_ : str
        Arithmetic of the training steps.
    generator_ : torch.nn.Module
        The trained generator, in eval mode, on ``device_``.
    discriminator_ : torch.nn.Module or None
        The trained discriminator (None with ``adversarial=False``).
    n_iter_ : int
        Number of epochs run.
    best_epoch_ : int
        Epoch whose generator weights were kept.
    history_ : dict of lists
        Per epoch: ``d_loss`` (discriminator BCE), ``adv_loss`` (generator
        adversarial loss), ``mse`` (reconstruction MSE on observed entries),
        ``val_rmse`` (NaN without validation) and ``hint_rate``. The losses of
        the discriminator are 0 with ``adversarial=False``.
    indicator_ : MissingIndicator or None
        The fitted indicator when ``add_indicator=True``.
    blend_ : BlendImputer or None
        The fitted blend (None when the network imputes alone): its
        ``estimators_`` are the imputers blended with the network (on the
        [0, 1] scale, refitted on every observed entry of ``fit``), and its
        ``weights_`` of shape (n_features_in_, 1 + len(estimators_)) each
        feature's weights, column 0 the network's; rows sum to 1.

    See Also
    --------
    SpatialGAINImputer : GAIN with convolutional networks, for images.
    SoftImputeFISTA : Nuclear-norm matrix completion.

    References
    ----------
    .. [1] J. Yoon, J. Jordon and M. van der Schaar, "GAIN: Missing Data
       Imputation using Generative Adversarial Nets", ICML 2018.
    .. [2] T. Du, L. Melis and T. Wang, "ReMasker: Imputing Tabular Data with
       Masked Autoencoding", ICLR 2024.
    .. [3] Y. Gorishniy, I. Rubachev and A. Babenko, "On Embeddings for
       Numerical Features in Tabular Deep Learning", NeurIPS 2022.
    .. [4] L. N. Smith and N. Topin, "Super-Convergence: Very Fast Training of
       Neural Networks Using Large Learning Rates", 2019.
    .. [5] J. Smith and K. F. Wallis, "A Simple Explanation of the Forecast
       Combination Puzzle", Oxford Bulletin of Economics and Statistics, 2009.

    Examples
    --------
    >>> import numpy as np
    >>> from skgain import GAINImputer
    >>> X = np.array([[1.0, 2.0, np.nan], [3.0, np.nan, 6.0],
    ...               [5.0, 6.0, 9.0], [np.nan, 8.0, 12.0]])
    >>> imputer = GAINImputer(max_epochs=5, hidden_dim=16, n_blocks=1, random_state=0)
    >>> X_imputed = imputer.fit_transform(X)
    >>> X_imputed.shape
    (4, 3)
    >>> bool(np.isnan(X_imputed).any())
    False
    >>> X_imputed[0, :2]
    array([1., 2.])
    >>> imputer.blend_.weights_.shape  # per feature: network, BayesianRidge, ExtraTrees
    (3, 3)
    """

    _parameter_constraints = {
        **BaseAdversarialImputer._parameter_constraints,
        "architecture": [StrOptions({"resmlp", "mlp"})],
        # Upper bounds on the sizes: beyond them one layer or the depth alone
        # exhausts memory or time on any table (the bound is in the message).
        "hidden_dim": [Interval(numbers.Integral, 1, _MAX_HIDDEN_DIM, closed="both"), None],
        "n_blocks": [Interval(numbers.Integral, 1, _MAX_BLOCKS, closed="both"),
                     StrOptions({"auto"})],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither"),
                          StrOptions({"auto"})],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_frequencies": [Interval(numbers.Integral, 0, _MAX_FREQUENCIES, closed="both"),
                          StrOptions({"auto"})],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_iter_no_change": [
            Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})
        ],
        "training_precision": [StrOptions({"auto", "float32", "bfloat16"})],
        "categorical_features": ["array-like", None],
        "blend_estimator": [StrOptions({"auto"}), HasMethods(["fit", "transform"]), list, tuple,
                            None],
    }

    def __init__(
        self,
        *,
        adversarial=False,
        alpha=10,
        hint_rate=0.9,
        hint_mechanism="paper",
        noise_scale=0.01,
        drop_rate=0.3,
        architecture="resmlp",
        hidden_dim=None,
        n_blocks="auto",
        n_frequencies="auto",
        learning_rate="auto",
        lr_schedule="one-cycle",
        batch_size="auto",
        max_epochs="auto",
        validation_fraction=0.1,
        n_iter_no_change="auto",
        tol=1e-4,
        training_precision="auto",
        categorical_features=None,
        blend_estimator="auto",
        missing_values=np.nan,
        add_indicator=False,
        keep_empty_features=False,
        device="auto",
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.adversarial = adversarial
        self.alpha = alpha
        self.hint_rate = hint_rate
        self.hint_mechanism = hint_mechanism
        self.noise_scale = noise_scale
        self.drop_rate = drop_rate
        self.architecture = architecture
        self.hidden_dim = hidden_dim
        self.n_blocks = n_blocks
        self.n_frequencies = n_frequencies
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.training_precision = training_precision
        self.categorical_features = categorical_features
        self.blend_estimator = blend_estimator
        self.missing_values = missing_values
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------ networks
    def _resolve_network(self, n_samples):
        """Resolve ``hidden_dim``, ``n_blocks`` and ``n_frequencies`` into fitted attributes."""
        n_features = self._n_columns
        self.n_blocks_ = self.n_blocks
        if self.n_blocks == "auto":
            self.n_blocks_ = _table_settings(n_samples)["n_blocks"]
        if self.architecture == "mlp":
            self.hidden_dim_, self.n_frequencies_ = self.hidden_dim or n_features, 0
            return
        self.hidden_dim_ = self.hidden_dim or _width_for_rows(n_samples)
        self.n_frequencies_ = self.n_frequencies
        if self.n_frequencies == "auto":
            wide = n_features > _MAX_PERIODIC_FEATURES
            self.n_frequencies_ = 0 if wide else _AUTO_FREQUENCIES
        first_layer = n_features * (2 + 2 * self.n_frequencies_) * self.hidden_dim_
        if first_layer > _MAX_FIRST_LAYER:
            raise ValueError(
                f"n_frequencies={self.n_frequencies_} and hidden_dim={self.hidden_dim_} on "
                f"{n_features} features give a first layer of {first_layer:,} weights, more "
                f"than the {_MAX_FIRST_LAYER:,} allowed; lower n_frequencies or hidden_dim.")

    def _network_statistics(self, X, mask):
        # The generator starts from the column means (see _build_networks);
        # a category block's logits from the log of its frequencies, so that
        # its softmax starts at them.
        means = observed_means(X, mask)
        for start, stop in getattr(self._heads, "blocks", ()):
            means[start:stop] = np.log(np.clip(means[start:stop], 1e-3, None))
        return means

    def _build_networks(self, generator, statistics):
        n_features = self._n_columns
        if self.architecture == "resmlp":
            G = ResidualMLP(n_features, self.hidden_dim_, self.n_blocks_, self.n_frequencies_)
            G = xavier_init(G, generator)
            if G.periodic is not None:
                G.periodic.reset_parameters(generator)
            # Start from mean imputation: with a zero output layer whose bias
            # is the column means, a short training is a small correction of
            # the means rather than a random map.
            with torch.no_grad():
                G.head[-1].weight.zero_()
                G.head[-1].bias.copy_(torch.as_tensor(statistics))
        else:
            G = xavier_init(GAINMLP(n_features, self.hidden_dim_), generator)
        if not self.adversarial:
            return G, None
        return G, xavier_init(GAINMLP(n_features, self.hidden_dim_), generator)

    def _network_output(self, G, values, mask, generator):
        out = super()._network_output(G, values, mask, generator)
        if self._heads is not None:
            out = self._heads.values(out)
        # The residual net's output is unbounded: keep imputations in the
        # range seen in fit, as the original net's sigmoid does.
        return out.clamp(0.0, 1.0) if self.architecture == "resmlp" else out

    # ------------------------------------------------------------ schedule
    def _resolve_batches(self, n_samples):
        self.batch_size_ = self.batch_size
        if self.batch_size == "auto":
            self.batch_size_ = _table_settings(n_samples)["batch_size"]
        self.learning_rate_ = self.learning_rate
        if self.learning_rate == "auto":
            # The rows a step really uses: a batch_size above the table's rows
            # trains on the whole table, and the rate must not grow with it.
            rows = self.batch_size_ if n_samples is None else min(self.batch_size_, n_samples)
            growth = max(1.0, rows / _BASE_BATCH) ** 0.5
            self.learning_rate_ = _BASE_LEARNING_RATE * growth

    def _resolve_schedule(self, n_samples):
        epochs = self.max_epochs
        if epochs == "auto":
            epochs = _table_settings(n_samples)["max_epochs"] or _row_budget_epochs(n_samples)
            if self._blends(n_samples):
                epochs = min(epochs, _BLENDED_MAX_EPOCHS)
        patience = self.n_iter_no_change
        if patience == "auto":
            patience = max(1, epochs // 4)
        return epochs, patience

    def _blends(self, n_samples):
        """Whether fit blends the network with other imputers on ``n_samples`` rows
        (None: unknown, with ``partial_fit``, which never blends). Before ``fit``
        the number of features is unknown, and ``"auto"`` counts as not blending."""
        if n_samples is None or self.blend_estimator is None or self.validation_fraction == 0:
            return False
        if is_given_imputer(self.blend_estimator):
            return True
        n_features = getattr(self, "_n_columns", None)
        return n_features is not None and auto_blends((n_samples, n_features))

    def _training_precision(self):
        if self.training_precision_ == "float32":
            return contextlib.nullcontext()
        return torch.autocast(torch.device(self.device_).type, dtype=torch.bfloat16)

    # ------------------------------------------------------------- columns
    def _validate_input(self, X, in_fit):
        """Numeric tables as every imputer takes them; a table with categorical
        columns through its :class:`~._table_codec.TableCodec` (one-hot blocks)."""
        if in_fit:
            self._codec = fit_codec(X, self.categorical_features, self.missing_values)
        codec = getattr(self, "_codec", None)
        if codec is None:
            X = super()._validate_input(X, in_fit)
        else:
            validate_data(self, X, reset=in_fit, skip_check_array=True)
            X = codec.encode(X)
        if in_fit:
            self._n_columns = X.shape[1]
        return X

    def _make_layout(self):
        # The one-hot columns of a category are hidden and hinted together.
        return RowLayout(None if self._codec is None else self._codec.column_of)

    def _make_objective(self, **options):
        return super()._make_objective(heads=self._heads, **options)

    def _scaling_groups(self, n_features):
        groups, labels = super()._scaling_groups(n_features)
        if self._codec is None:
            return groups, labels
        return groups, [f"feature {self._codec.names[j]!r}" for j in self._codec.column_of]

    def _fit_indicator(self, X):
        if self._codec is None or not self.add_indicator:
            return super()._fit_indicator(X)
        self.indicator_ = MissingIndicator(error_on_new=False).fit(
            self._missing_pattern(missing_mask(X, self.missing_values)[:, self._codec.starts]))

    @staticmethod
    def _missing_pattern(missing):
        return np.where(missing, np.nan, 0.0)

    def _finish(self, X_imputed, X):
        # With categorical columns the rows stay encoded here; _decoded
        # turns them into the input's columns.
        return super()._finish(X_imputed, X) if self._codec is None else X_imputed

    def _decoded(self, completed, X):
        """Completed encoded rows as ``X``'s columns and dtypes, with the
        empty-feature rule and the indicator."""
        out = self._codec.decode(completed, X)
        empty = self._empty_features
        frame = isinstance(out, pd.DataFrame)
        if self.keep_empty_features:
            for j in np.flatnonzero(empty):
                # Numbers set to 0, as the base does; categories stay missing.
                if self._codec.categories[j] is None:
                    if frame:
                        zeros = pd.Series(0.0, index=out.index).astype(out.dtypes.iloc[j])
                        out.isetitem(j, zeros)
                    else:
                        out[:, j] = 0.0
        else:
            out = out.iloc[:, ~empty] if frame else out[:, ~empty]
        if not self.add_indicator:
            return out
        flags = self.indicator_.transform(self._missing_pattern(self._codec.missing(X)))
        if not frame:
            return np.hstack([out, flags.astype(out.dtype)])
        names = self.indicator_.get_feature_names_out(np.asarray(self._codec.names, dtype=object))
        return pd.concat([out, pd.DataFrame(flags, columns=names, index=out.index)], axis=1)

    # ------------------------------------------------------------- fitting
    def _check_settings(self):
        super()._check_settings()
        if self.architecture == "mlp" and self._changed_from_default(["n_blocks"]):
            warnings.warn("n_blocks has no effect with architecture='mlp'.", UserWarning)
        if is_given_imputer(self.blend_estimator) and self.validation_fraction == 0:
            raise ValueError(
                "blend_estimator needs held-out entries to choose its weights; set "
                "validation_fraction > 0 or blend_estimator=None."
            )

    def _resolve_fit_settings(self, X, mask, n_samples):
        # n_samples: the rows fit trains on; partial_fit sees one chunk of a
        # table of unknown size, and gets the widest default.
        if n_samples is None and is_given_imputer(self.blend_estimator):
            raise ValueError(
                "partial_fit cannot fit blend_estimator, which needs the whole table; use fit, "
                "or blend_estimator='auto' or None (no blending with partial_fit)."
            )
        self.blend_ = None
        self._error_pools = None
        self.training_precision_ = resolve_precision(self.training_precision, self.device_)
        self._resolve_network(n_samples)

    # Beyond this many held-out entries the validation RMSE is no steadier,
    # and every entry held out is one the generator does not learn from
    # (10% held out cost 4% RMSE on letter).
    _max_validation_entries = 5000

    _max_validation_rows = _MAX_VALIDATION_ROWS

    def _validation_rmse(self, X, train_mask, val_mask):
        rows = validation_rows(val_mask, self._max_validation_rows)
        # In the training precision: early stopping only compares epochs with
        # one another, and on CPUs with bfloat16 units float32 matrix products
        # are about 4x slower (docs/user_guide/table.rst, "Speed").
        with self._training_precision():
            return super()._validation_rmse(X[rows], train_mask[rows], val_mask[rows])

    def _after_training(self, X, result, rng):
        """Check the generator against the column means, then fit the blend."""
        if result.held_out is None:
            return
        train_mask, val_mask = result.held_out
        rows = validation_rows(val_mask, self._max_validation_rows)
        held_out = val_mask[rows].astype(bool)
        imputed = self._generate(X[rows], train_mask[rows], self._transform_seed)
        self._check_against_means(X[rows], train_mask[rows], held_out, imputed[held_out])
        self._fit_blend(X, train_mask, rows, held_out, imputed[held_out])
        self._fit_error_pools(X[rows], train_mask[rows], held_out, rng)
        self._refit_blend(X, train_mask.astype(bool) | val_mask)

    def _fit_error_pools(self, X, train_mask, held_out, rng):
        """The held-out errors of what ``transform`` returns (the blend
        before its refit on every entry), by column, for :meth:`sample`."""
        fitted = self._row_imputer(self._transform_seed)(X, train_mask)
        self._error_pools = error_pools(X[held_out], fitted[held_out], np.nonzero(held_out)[1],
                                        self._n_columns, self._numeric_columns(), rng)

    def _check_against_means(self, X, train_mask, held_out, imputed):
        """A learning rate far too large saturates the generator at a column's
        minimum or maximum without any NaN: that is an error, not an answer.
        A generator merely worse than the means (too short a training) warns.
        """
        means = observed_means(X, train_mask)
        mean_rmse = rmse(np.broadcast_to(means, X.shape)[held_out], X[held_out])
        network_rmse = rmse(imputed, X[held_out])
        if network_rmse <= mean_rmse:
            return
        at_bounds = np.mean((imputed < _BOUND) | (imputed > 1 - _BOUND))
        if at_bounds > _SATURATED_SHARE:
            raise ValueError(
                f"GAINImputer training saturated: {at_bounds:.0%} of its held-out imputations "
                f"sit at a column's minimum or maximum and their RMSE ({network_rmse:.4g}) is "
                f"worse than the column means' ({mean_rmse:.4g}); lower learning_rate (now "
                f"{self.learning_rate_})."
            )
        warnings.warn(
            f"GAINImputer's validation RMSE ({network_rmse:.4g}) is worse than imputing the column "
            f"means ({mean_rmse:.4g}); train longer (max_epochs) or lower learning_rate.",
            ConvergenceWarning,
        )

    def _fit_blend(self, X, train_mask, rows, held_out, imputed):
        """Fit the blend (``blend_``, a :class:`BlendImputer` of the other
        imputers) on the training entries of all rows, and each feature's
        weights on the entries ``held_out`` of ``rows``, which the network
        imputed as ``imputed``: the network is the blend's first imputer."""
        if isinstance(self.blend_estimator, BlendImputer):
            blend = clone(self.blend_estimator)  # its imputers under its settings
        else:
            estimators = resolve_blend_estimators(self.blend_estimator, X.shape,
                                                  self._transform_seed,
                                                  getattr(self._heads, "blocks", ()))
            if not estimators:
                return
            blend = BlendImputer(estimators, validation_fraction=self.validation_fraction)
        blend._estimators_name = "blend_estimator"
        with self._quiet_blend():
            # The scaled columns' fitted range is [0, 1].
            self.blend_ = blend._fit_held_out(X, train_mask, rows, held_out, [imputed],
                                              data_min=0.0, data_max=1.0)

    def _refit_blend(self, X, observed):
        """Refit the blend's imputers on every observed entry, the held-out ones too."""
        if self.blend_ is not None and self.blend_.refit:
            with self._quiet_blend():
                self.blend_._refit(X, observed)

    @contextlib.contextmanager
    def _quiet_blend(self):
        with warnings.catch_warnings():
            if not is_given_imputer(self.blend_estimator):
                # IterativeImputer warns when its 10 rounds did not settle to
                # its tolerance; its imputations are weighed on held-out
                # entries anyway, so the warning would only alarm the user.
                warnings.simplefilter("ignore", ConvergenceWarning)
            yield

    def _row_imputer(self, seed):
        impute_network = super()._row_imputer(seed)
        if getattr(self, "blend_", None) is None:
            return impute_network

        def impute(X, mask):
            return self.blend_._blend(with_nan(X, mask), [impute_network(X, mask)])

        return impute

    def _fit_scaler(self, X, missing):
        super()._fit_scaler(X, missing)
        codec = self._codec
        self.categories_ = None if codec is None else codec.categories
        self._heads = None
        if codec is not None and codec.blocks:
            self._heads = CategoricalHeads(codec.blocks, codec.n_columns)
        if codec is not None:
            # One flag per input column, as the output and its names need.
            self._empty_features = codec.per_column(self._empty_features)

    # ------------------------------------------------------- public methods
    @with_cpu_threads
    def fit_transform(self, X, y=None):
        """Fit on ``X`` and return it completed.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data with missing entries marked by ``missing_values``.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        X_imputed : ndarray or DataFrame of shape (n_samples, n_features_out)
            ``X`` completed, formatted as by :meth:`transform`.
        """
        X_in = X
        X, missing, _ = self._fit(X)
        completed = self._impute_rows(X, missing, self._row_imputer(self._transform_seed))
        return completed if self._codec is None else self._decoded(completed, X_in)

    @with_cpu_threads
    def transform(self, X):
        """Impute all missing entries of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data to complete, with the features seen in ``fit``.

        Returns
        -------
        X_imputed : ndarray or DataFrame of shape (n_samples, n_features_out)
            ``X`` with missing entries imputed; observed entries are returned
            unchanged. With categorical columns (``categorical_features``, or
            a DataFrame's category, object, string or boolean columns) a
            DataFrame comes back as a DataFrame with the same columns and
            dtypes, each imputed category one seen in ``fit`` and integer
            columns rounded; an array stays a float array. Features with no
            observed value in ``fit`` are dropped unless
            ``keep_empty_features=True`` (numbers set to 0, categories left
            missing), and the missing indicator is appended when
            ``add_indicator=True``.
        """
        X_in = X
        X = self._check_transform_input(X)
        missing = missing_mask(X, self.missing_values)
        completed = self._impute_rows(X, missing, self._row_imputer(self._transform_seed))
        return completed if self._codec is None else self._decoded(completed, X_in)

    def partial_fit(self, X, y=None, *, data_min=None, data_max=None):
        # Categories seen in later chunks would change the network's width.
        if self.categorical_features is not None or has_categorical_columns(X):
            raise ValueError(
                "partial_fit takes numeric tables only; a table with categorical columns "
                "(categorical_features, or a DataFrame's category, object, string or boolean "
                "columns) needs fit.")
        return super().partial_fit(X, y, data_min=data_min, data_max=data_max)

    partial_fit.__doc__ = BaseAdversarialImputer.partial_fit.__doc__

    @with_cpu_threads
    def sample(self, X, n_draws=5, random_state=None):
        """Multiple imputation: ``n_draws`` independent completions of ``X``.

        Each number is drawn as its imputation plus an error drawn from the
        errors the fitted imputer made on that column's held-out entries in
        ``fit``; each category from its softmax probabilities (the user
        guide's :ref:`table_sample`). Without held-out entries
        (``validation_fraction=0``, or :meth:`partial_fit`) numbers are drawn
        by feeding the generator fresh noise, which only an adversarial
        generator turns into different values; that case warns.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data to complete.
        n_draws : int, default=5
            Number of completions to draw.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws.

        Returns
        -------
        draws : ndarray of shape (n_draws, n_samples, n_features_out) or list
            The completions, each as :meth:`transform` would format it; a
            list of ``n_draws`` DataFrames where ``transform`` returns one
            for a table with categorical columns.
        """
        return super().sample(X, n_draws, random_state)

    def _identical_draws_reason(self):
        # Draws from the held-out errors differ whatever the training.
        return None if self._error_pools is not None else super()._identical_draws_reason()

    def _draws_output(self, draws, sample_shape, X_in):
        if self._codec is None:
            return super()._draws_output(draws, sample_shape, X_in)
        return [self._decoded(completed, X_in) for completed in draws]

    def _draw_imputer(self, seed):
        """The ``impute(scaled, mask)`` of one draw of :meth:`sample`: the
        imputation plus held-out errors and categories drawn from their
        probabilities."""
        noisy = self._error_pools is None  # fresh generator noise, as the base's draws
        point = self._row_imputer(seed if noisy else self._transform_seed)
        rng = np.random.RandomState(seed)
        blocks = getattr(self._heads, "blocks", ())

        def impute(X, mask):
            return draw(point(X, mask), mask == 0, self._error_pools, blocks, rng)

        return impute

    @with_cpu_threads
    def score(self, X, y=None):
        """Minus the error on a seeded fraction of hidden observed entries.

        As :meth:`BaseImputer.score <skgain.SpatialGAINImputer.score>`: 20% of
        the observed entries are hidden and imputed with :meth:`transform`;
        the score is minus the root mean square of their errors, numbers in
        the [0, 1] units of the fitted ranges and categories counting 1 when
        imputed wrong and 0 when right.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data with missing entries marked by ``missing_values``.
        y : None
            Ignored.

        Returns
        -------
        score : float
            Minus the root mean square error on the hidden entries.
        """
        if getattr(self, "_codec", None) is None:
            return super().score(X, y)
        X = self._check_transform_input(X)
        codec = self._codec
        missing = missing_mask(X, self.missing_values)
        # Whole columns: a category is hidden as its block.
        hidden = self._hidden_for_score(~missing[:, codec.starts] & ~self._empty_features)
        hidden = hidden[:, codec.column_of]
        completed = self._complete(X, missing | hidden, self._row_imputer(self._transform_seed))
        errors = ((completed - X) / self.data_range_)[hidden & self._numeric_columns()]
        for start, stop in codec.blocks:
            rows = hidden[:, start]
            wrong = (completed[rows, start:stop].argmax(axis=1)
                     != X[rows, start:stop].argmax(axis=1))
            errors = np.concatenate([errors, wrong.astype(float)])
        return -float(np.sqrt(np.mean(errors**2)))

    def _numeric_columns(self):
        """Which columns of the scaled rows are numbers (not one-hot)."""
        numeric = np.ones(self._n_columns, dtype=bool)
        for start, stop in getattr(self._heads, "blocks", ()):
            numeric[start:stop] = False
        return numeric


def _table_settings(n_samples):
    """The ``"auto"`` n_blocks, batch_size and max_epochs (None: by rows) for
    ``n_samples`` training rows (None: unknown, with ``partial_fit``)."""
    large = n_samples is not None and n_samples >= _LARGE_TABLE_ROWS
    return _LARGE_TABLE if large else _SMALL_TABLE


def _row_budget_epochs(n_samples, epoch_range=_AUTO_EPOCH_RANGE):
    """Epochs that show the generator _AUTO_ROW_PASSES rows, within ``epoch_range``."""
    return int(np.clip(-(-_AUTO_ROW_PASSES // n_samples), *epoch_range))


def _width_for_rows(n_samples):
    """The default ``"resmlp"`` width for ``n_samples`` training rows (None: unknown)."""
    low, high = _RESMLP_WIDTH
    if n_samples is None:
        return high
    width = 2 ** int(round(np.log2(max(n_samples, 1) / _ROWS_PER_UNIT)))
    return int(np.clip(width, low, high))
