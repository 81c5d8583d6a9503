"""Imputers combined column by column, with weights fitted on held-out entries.

Different imputers make different errors: on tables of a few hundred rows a
small network, a linear iterative imputer and a tree-based one do, so a
weighted average of them can be better than each alone. :class:`BlendImputer`
holds a seeded fraction of the observed entries out, fits its imputers on the
rest, and chooses each column's weights on the held-out entries, with Huber's
loss, so an imputer that only adds noise gets weight 0 and a few large misses
do not decide them. GAINImputer blends its network with such imputers through
the same class (its ``blend_estimator``); SpatialGAINImputer's mean blend
fits its one weight with the same :func:`blend_weights`. The user guide's
"Blending imputers" (:ref:`table_blend`) gives the evidence.
"""

import itertools
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, clone
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

from ._base import observed_means
from ._engine import hold_out
from ._partners import VariableBoostingImputer

# blend_estimator="auto" blends with IterativeImputer(BayesianRidge) and
# IterativeImputer(ExtraTrees) on tables of at most this many entries (rows x
# features) and features: the network is weakest on small tables, and there
# IterativeImputer's memory (about 9 times its input) and cost (n_features**3
# per row for the linear model; 10 trees per feature and round) stay small.
# Bigger tables get the network alone, within the network's memory bound
# (tests/test_memory.py).
_AUTO_MAX_ENTRIES = 100_000
_AUTO_MAX_FEATURES = 64
# The "auto" tree-based imputer: 10 trees as the benchmarks' ExtraTrees peer,
# but 3 imputation rounds instead of 10. Fitted twice (split, then every
# observed entry), the peer's forests cost 2.5 times the peer itself; 3 rounds
# cost a fraction of it at the same blended RMSE. Trying only the square root
# of the features at each split was cheaper still and as good on narrow
# tables, but lost 8% on digits (64 columns), where the trees' weight in the
# blend fell from 0.5 to 0.14 (benchmarks/results/table_speed/).
_AUTO_TREES = 10
_AUTO_TREE_FEATURES = 1.0
_AUTO_TREE_ROUNDS = 3
# Weights estimated from few held-out entries are noise, and an equal-weight
# average is hard to beat then (the "forecast combination puzzle": Smith and
# Wallis, 2009). Each estimated weight is shrunk as if this many more
# entries had voted for the prior: equal weights for the table's weights,
# the table's weights for each feature's.
_PRIOR_ENTRIES = 100
# Huber's loss for the weights: errors beyond this many robust standard
# deviations count linearly (1.345 gives 95% efficiency under normal errors),
# fitted by this many rounds of reweighted least squares.
_HUBER_K = 1.345
_HUBER_ITERATIONS = 10


def is_given_imputer(blend_estimator):
    """Whether ``blend_estimator`` is an imputer or imputers the user gave
    (not "auto" or None)."""
    return not isinstance(blend_estimator, (str, type(None)))


def auto_blends(shape):
    """Whether ``blend_estimator="auto"`` blends on a table of ``shape`` (rows, features)."""
    n_samples, n_features = shape
    return n_samples * n_features <= _AUTO_MAX_ENTRIES and n_features <= _AUTO_MAX_FEATURES


def resolve_blend_estimators(blend_estimator, shape, random_state, blocks=()):
    """The unfitted imputers to blend with (an empty list for none).

    ``"auto"``: IterativeImputer with its BayesianRidge default and with
    ExtraTrees, for tables of ``shape`` up to ``_AUTO_MAX_ENTRIES`` entries
    and ``_AUTO_MAX_FEATURES`` features, and where the columns hold
    ``blocks`` of one-hot columns (categorical variables), a
    :class:`VariableBoostingImputer` of them too; none beyond. An imputer or
    a list of imputers: copies of them.
    """
    if blend_estimator is None:
        return []
    if not is_given_imputer(blend_estimator):
        if not auto_blends(shape):
            return []
        trees = ExtraTreesRegressor(n_estimators=_AUTO_TREES, max_features=_AUTO_TREE_FEATURES,
                                    random_state=random_state)
        partners = [IterativeImputer(max_iter=10, keep_empty_features=True,
                                     random_state=random_state),
                    IterativeImputer(estimator=trees, max_iter=_AUTO_TREE_ROUNDS,
                                     keep_empty_features=True, random_state=random_state)]
        if len(blocks):
            partners.append(VariableBoostingImputer(blocks=blocks, random_state=random_state))
        return partners
    given = list(blend_estimator) if isinstance(blend_estimator, (list, tuple)) else [
        blend_estimator]
    if not given:
        raise ValueError("blend_estimator is an empty list; give at least one imputer, or "
                         "None to impute with the network alone.")
    return copied_imputers(given, "blend_estimator")


def copied_imputers(given, name):
    """Unfitted copies of the imputers ``given`` (the parameter ``name``), checked."""
    for estimator in given:
        if isinstance(estimator, type):
            raise ValueError(
                f"{name} must hold imputer instances, not classes: got the class "
                f"{estimator.__name__}; pass {estimator.__name__}() instead.")
        if not (hasattr(estimator, "fit") and hasattr(estimator, "transform")):
            raise ValueError(f"{name} must hold imputers with fit and transform; "
                             f"got {estimator!r}.")
    return [_copied(estimator) for estimator in given]


def _copied(blend_estimator):
    # safe=False: an object with fit and transform but no get_params is copied.
    estimator = clone(blend_estimator, safe=False)
    # A feature an imputer drops would shift every column after it.
    if hasattr(estimator, "get_params") and "keep_empty_features" in estimator.get_params():
        estimator.set_params(keep_empty_features=True)
    return estimator


def with_nan(X, mask):
    """Scaled rows as float64 with NaN where ``mask`` is 0 (what an imputer takes)."""
    return np.where(np.asarray(mask, dtype=bool), X, np.nan).astype(np.float64, copy=False)


def checked_output(estimator, X_nan, name="blend_estimator"):
    """``estimator.transform(X_nan)``, which must keep X's shape and fill every NaN
    (``name``: the parameter that gave the estimator, for the messages)."""
    out = np.asarray(estimator.transform(X_nan), dtype=np.float64)
    if out.shape != X_nan.shape:
        raise ValueError(
            f"{name} must return an array of the input's shape {X_nan.shape}, got "
            f"{out.shape} (an imputer that drops empty features or adds an indicator cannot "
            "be blended)."
        )
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} left missing or non-finite values in its output.")
    return out


def blend_weights(imputations, truth, features, n_features, baseline=None, *, loss="huber",
                  prior_entries=_PRIOR_ENTRIES):
    """Weight of each imputer per feature: shape (n_features, n_imputers).

    ``imputations`` (n_entries, n_imputers) holds the imputers' values of
    the held-out entries, ``truth`` their observed values and ``features``
    their column indices (below ``n_features``). A feature's weights are
    non-negative, sum to 1 and minimise the Huber loss (``loss="huber"``,
    see :func:`_huber_entry_weights`) or the squared error
    (``"squared_error"``) of the weighted average's errors; the table's
    weights are shrunk towards equal weights, and each feature's towards
    the table's, by ``prior_entries`` pseudo-entries (0: not shrunk).
    Imputers after the first whose RMSE on the held-out entries is not below
    that of ``baseline`` (the column means' values of the same entries, say)
    get weight 0: the shrinkage towards equal weights would otherwise hand a
    useless imputer a share.
    """
    imputations = np.asarray(imputations, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.float64)
    useful = np.ones(imputations.shape[1], dtype=bool)
    if baseline is not None:
        baseline_rmse = _rmse(np.asarray(baseline, dtype=np.float64), truth)
        useful[1:] = [_rmse(column, truth) < baseline_rmse for column in imputations.T[1:]]
    weights = np.zeros((n_features, imputations.shape[1]))
    if loss == "huber":
        fitted = _robust_weights(imputations[:, useful], truth, features, n_features,
                                 prior_entries)
    else:
        fitted = _least_squares_weights(imputations[:, useful], truth, features, n_features,
                                        prior_entries)
    weights[:, useful] = fitted
    return weights


def _rmse(imputed, truth):
    return float(np.sqrt(np.mean((imputed - truth) ** 2)))


def _robust_weights(imputations, truth, features, n_features, prior_entries=_PRIOR_ENTRIES):
    """:func:`blend_weights` without the baseline: Huber's loss by reweighting."""
    entry_weights = np.ones(len(truth))
    for _ in range(_HUBER_ITERATIONS):
        root = np.sqrt(entry_weights)
        weights = _least_squares_weights(imputations * root[:, None], truth * root,
                                         features, n_features, prior_entries)
        errors = truth - np.einsum("ij,ij->i", imputations, weights[features])
        entry_weights = _huber_entry_weights(errors)
    return weights


def _huber_entry_weights(errors):
    """Iteratively reweighted least squares weights of Huber's loss.

    Entries whose error exceeds ``_HUBER_K`` robust standard deviations
    (1.4826 times the median absolute error) count in proportion to the
    inverse of their error: their loss grows linearly, not quadratically.
    The squared error of a few hundred held-out entries can be dominated by
    a handful of them, so least-squares weights follow whichever imputer
    happened to miss those few; Huber's loss weighs the bulk (see the user
    guide's :ref:`table_blend`). All weights are 1 when more than half the
    errors are 0.
    """
    scale = _HUBER_K * 1.4826 * np.median(np.abs(errors))
    if scale <= 0:
        return np.ones(len(errors))
    return np.minimum(1.0, scale / np.maximum(np.abs(errors), 1e-300))


def _least_squares_weights(imputations, truth, features, n_features,
                           prior_entries=_PRIOR_ENTRIES):
    """:func:`blend_weights` with squared errors: each feature's simplex
    least-squares weights, shrunk as described there. With two imputers this
    is the least-squares weight ``w`` of ``w * first + (1 - w) * second``,
    clipped to [0, 1]."""
    n_entries, n_imputers = imputations.shape
    equal = np.full(n_imputers, 1.0 / n_imputers)
    gram, cross = _per_feature_sums(imputations, truth, features, n_features)
    # The table's sums are the features' sums added up.
    table = _shrunk(_simplex_least_squares(gram.sum(axis=0), cross.sum(axis=0), equal),
                    n_entries, equal, prior_entries)
    count = np.bincount(features, minlength=n_features)
    per_feature = np.array([_simplex_least_squares(g, c, table) for g, c in zip(gram, cross)])
    return _shrunk(per_feature, count[:, None], table, prior_entries)


def _per_feature_sums(imputations, truth, features, n_features):
    """Each feature's Gram matrix of the imputations and their products with ``truth``."""
    n_imputers = imputations.shape[1]
    gram = np.empty((n_features, n_imputers, n_imputers))
    for i, j in itertools.product(range(n_imputers), repeat=2):
        gram[:, i, j] = np.bincount(features, imputations[:, i] * imputations[:, j],
                                    minlength=n_features)
    cross = np.stack([np.bincount(features, column * truth, minlength=n_features)
                      for column in imputations.T], axis=1)
    return gram, cross


def _simplex_least_squares(gram, cross, default):
    """The w >= 0 with sum 1 that minimises ``w @ gram @ w - 2 * cross @ w``.

    The minimum lies in the relative interior of one face of the simplex:
    each face's equality-constrained minimum is tried (a handful of imputers
    give at most 2**n - 1 faces). ``default`` when the imputers agree on
    every entry, where any weights would do.
    """
    diagonal = np.diag(gram)
    if np.max(diagonal[:, None] + diagonal[None, :] - 2 * gram) <= 0:
        return default
    best, best_loss = None, np.inf
    n_imputers = len(cross)
    for size in range(1, n_imputers + 1):
        for face in itertools.combinations(range(n_imputers), size):
            weights = _face_minimum(gram, cross, face)
            if weights is None or np.any(weights < 0):
                continue
            loss = weights @ gram @ weights - 2 * cross @ weights
            if loss < best_loss:
                best, best_loss = weights, loss
    return best


def _face_minimum(gram, cross, face):
    """Minimiser over the weights that are 0 off ``face`` and sum to 1 (None if none)."""
    weights = np.zeros(len(cross))
    if len(face) == 1:
        weights[face[0]] = 1.0
        return weights
    index = list(face)
    # Lagrange conditions: gram w + mu = cross on the face, sum(w) = 1.
    system = np.block([[gram[np.ix_(index, index)], np.ones((len(index), 1))],
                       [np.ones((1, len(index))), np.zeros((1, 1))]])
    solution = np.linalg.lstsq(system, np.append(cross[index], 1.0), rcond=None)[0]
    if not np.isclose(solution[:-1].sum(), 1.0):
        return None
    weights[index] = solution[:-1]
    return weights


def _shrunk(weights, n_entries, prior, prior_entries):
    """``weights`` estimated from ``n_entries`` entries, shrunk towards ``prior`` as if
    ``prior_entries`` more had voted for it (``prior`` where there are neither)."""
    total = np.broadcast_to(n_entries + prior_entries, np.shape(weights))
    shrunk = np.array(np.broadcast_to(prior, np.shape(weights)), dtype=np.float64)
    np.divide(n_entries * weights + prior_entries * prior, total, out=shrunk, where=total > 0)
    return shrunk


class BlendImputer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Imputers combined column by column, with weights fitted on held-out entries.

    ``fit`` holds a seeded fraction ``validation_fraction`` of the observed
    entries out, fits a copy of each imputer of ``estimators`` on the rest,
    and chooses each column's weights on the held-out entries: non-negative,
    summing to 1, minimising Huber's loss (or the squared error) of the
    weighted average's errors there. With few held-out entries fitted weights
    are noise and an equal-weight average is hard to beat (the "forecast
    combination puzzle"), so the table's weights are shrunk towards equal
    weights, and each column's towards the table's, as if ``prior_entries``
    more entries had voted for them. An imputer after the first whose
    held-out RMSE is not below that of the column means gets weight 0. Then
    (``refit=True``) the imputers are refitted on every observed entry, the
    held-out ones included. ``transform`` returns, at each missing entry, the
    weighted average of the imputers' values, at most ``margin`` times a
    column's fitted range beyond that range; observed entries are returned
    unchanged. GAINImputer blends its network with other imputers through
    this class (``blend_estimator``). See the user guide's
    :ref:`table_blend`.

    Parameters
    ----------
    estimators : list of imputers
        Imputers to blend: instances with ``fit`` and ``transform`` that fill
        every NaN and keep the input's shape. Each is copied
        (:func:`~sklearn.base.clone`) before fitting, with
        ``keep_empty_features=True`` where it has that parameter (a dropped
        column would shift every column after it). The first is the primary
        imputer: it keeps its fitted weight even where it is no better than
        the column means.
    validation_fraction : float, default=0.1
        Fraction of the observed entries held out to fit the weights, in
        (0, 1). A table with too few observed entries to hold one out gets
        equal weights.
    loss : {"huber", "squared_error"}, default="huber"
        Loss of the weighted average's held-out errors that the weights
        minimise. ``"huber"``: errors beyond 1.345 robust standard
        deviations count linearly, so a few large misses do not decide the
        weights.
    prior_entries : float, default=100
        Pseudo-entries of the shrinkage: the table's weights are shrunk
        towards equal weights, and each column's towards the table's, as if
        this many more held-out entries had voted for them. 0 does not
        shrink.
    margin : float or None, default=0.25
        The blend may leave a column's fitted range (the observed values'
        minimum to maximum in ``fit``) by this share of it on either side,
        so that a linear imputer can extrapolate a hidden extreme without
        running wild. None: unbounded.
    refit : bool, default=True
        Refit the imputers on every observed entry once the weights are
        chosen, the held-out ones included (on small tables they cannot spare
        a tenth of the entries). False keeps the imputers the weights were
        fitted with.
    random_state : int, RandomState instance or None, default=None
        Seeds the choice of the held-out entries.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted copies of ``estimators`` (refitted on every observed
        entry with ``refit=True``).
    weights_ : ndarray of shape (n_features_in_, len(estimators))
        Each column's weights, one column per imputer; rows sum to 1.
    data_min_ : ndarray of shape (n_features_in_,)
        Per-column minimum of the observed values seen in ``fit`` (NaN for a
        column with none, which is not bounded).
    data_max_ : ndarray of shape (n_features_in_,)
        Per-column maximum of the observed values seen in ``fit``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when X has string column names.

    See Also
    --------
    GAINImputer : blends its network with imputers through this class.
    sklearn.ensemble.StackingRegressor : stacking of predictors with
        cross-validated predictions and a final estimator.

    References
    ----------
    .. [1] J. Smith and K. F. Wallis, "A Simple Explanation of the Forecast
       Combination Puzzle", Oxford Bulletin of Economics and Statistics, 2009.
    .. [2] P. J. Huber, "Robust Estimation of a Location Parameter", Annals
       of Mathematical Statistics, 1964.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.impute import KNNImputer, SimpleImputer
    >>> from skgain import BlendImputer
    >>> rng = np.random.RandomState(0)
    >>> X = rng.rand(100, 3) @ rng.rand(3, 4)
    >>> X[rng.rand(*X.shape) < 0.2] = np.nan
    >>> blend = BlendImputer([KNNImputer(n_neighbors=5), SimpleImputer()], random_state=0)
    >>> X_imputed = blend.fit_transform(X)
    >>> bool(np.isnan(X_imputed).any())
    False
    >>> blend.weights_.shape  # per column: KNNImputer, SimpleImputer
    (4, 2)
    >>> np.allclose(blend.weights_.sum(axis=1), 1)
    True
    """

    _parameter_constraints = {
        "estimators": [list, tuple],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "loss": [StrOptions({"huber", "squared_error"})],
        "prior_entries": [Interval(numbers.Real, 0, None, closed="left")],
        "margin": [Interval(numbers.Real, 0, None, closed="left"), None],
        "refit": ["boolean"],
        "random_state": ["random_state"],
    }
    # The parameter named in the messages about the imputers' output.
    _estimators_name = "estimators"
    # margin=0.25: a linear imputer rightly extrapolates a hidden extreme of a
    # trending table (fertility rates by year), which clipping at the range
    # lost, and the margin still stops a wild extrapolation
    # (benchmarks/results/gain_ablation/gain_ablation_blend_bounds.md).

    def __init__(self, estimators, *, validation_fraction=0.1, loss="huber", prior_entries=100,
                 margin=0.25, refit=True, random_state=None):
        self.estimators = estimators
        self.validation_fraction = validation_fraction
        self.loss = loss
        self.prior_entries = prior_entries
        self.margin = margin
        self.refit = refit
        self.random_state = random_state

    def fit(self, X, y=None):
        """Fit the imputers and each column's weights on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing entries marked by NaN.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : BlendImputer
            The fitted blend.
        """
        self._validate_params()
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan")
        observed = ~np.isnan(X)
        values = np.where(observed, X, 0.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a column with no observed value
            data_min, data_max = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
        rng = check_random_state(self.random_state)
        train, held_out = hold_out(observed.copy(), self.validation_fraction, rng)
        rows = (np.arange(0) if held_out is None else
                np.flatnonzero(held_out.any(axis=1)))
        self._fit_held_out(values, train, rows,
                           None if held_out is None else held_out[rows],
                           data_min=data_min, data_max=data_max)
        if self.refit and held_out is not None:
            self._refit(values, observed)
        return self

    def transform(self, X):
        """Impute the missing entries of ``X`` with the blend.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to complete, with the features seen in ``fit``.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features)
            ``X`` with each missing entry the weighted average of the
            imputers' values; observed entries are returned unchanged.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan",
                          reset=False)
        missing = np.isnan(X)
        return np.where(missing, self._blend(X), X)

    # ------------------------------------------------- package-internal
    # GAINImputer fits its blend through these three (its network's
    # imputations are given, not fitted here), so that the weights, the
    # refit and the weighted average exist once.
    def _fit_held_out(self, X, train, rows, held_out, given=(), *, data_min, data_max):
        """Fit copies of the imputers on the entries ``train`` of ``X`` and
        each column's weights on the entries ``held_out`` of ``X[rows]``.

        ``X`` holds the observed values (any finite value elsewhere);
        ``train`` is a mask of its shape, ``held_out`` one of
        ``X[rows]``'s shape (None: no held-out entries, equal weights).
        ``given`` are the held-out entries' imputations, in the order of
        ``np.nonzero(held_out)``, by imputers fitted elsewhere (GAINImputer's
        network): they come first in ``weights_``, the first of them the
        primary imputer. ``data_min`` and ``data_max`` are the columns'
        fitted ranges, which ``margin`` is a share of.
        """
        name = self._estimators_name
        if not len(self.estimators):
            raise ValueError(f"{name} is an empty list; give at least one imputer.")
        estimators = copied_imputers(self.estimators, name)
        X_train = with_nan(X, train)
        for estimator in estimators:
            estimator.fit(X_train)
        n_features = X.shape[1]
        n_imputers = len(given) + len(estimators)
        self.data_min_ = np.broadcast_to(np.asarray(data_min, dtype=np.float64), n_features)
        self.data_max_ = np.broadcast_to(np.asarray(data_max, dtype=np.float64), n_features)
        self.estimators_ = estimators
        if held_out is None:
            self.weights_ = np.full((n_features, n_imputers), 1.0 / n_imputers)
            return self
        others = [checked_output(estimator, X_train[rows], name)[held_out]
                  for estimator in estimators]
        features = np.nonzero(held_out)[1]
        # An imputer after the first no better than the column means on the
        # held-out entries gets no weight.
        means = observed_means(X, train)[features]
        self.weights_ = blend_weights(np.column_stack(list(given) + others),
                                      X[rows][held_out], features, n_features,
                                      baseline=means, loss=self.loss,
                                      prior_entries=self.prior_entries)
        return self

    def _refit(self, X, observed):
        """Refit the imputers on the entries ``observed`` of ``X``, the held-out ones too."""
        estimators = [clone(estimator, safe=False) for estimator in self.estimators_]
        X_nan = with_nan(X, observed)
        for estimator in estimators:
            estimator.fit(X_nan)
        self.estimators_ = estimators
        return self

    def _blend(self, X_nan, given=()):
        """The weighted average of ``given`` (imputations of every entry of
        ``X_nan``, weighed by the first columns of ``weights_``) and the
        imputers' outputs, within ``margin`` of the fitted ranges."""
        name = self._estimators_name
        outputs = itertools.chain(given, (checked_output(estimator, X_nan, name)
                                          for estimator in self.estimators_))
        columns = iter(self.weights_.T)
        blended = next(columns) * next(outputs)
        for weights, output in zip(columns, outputs):
            blended += weights * output
        if self.margin is None:
            return blended
        span = self.data_max_ - self.data_min_
        low = np.where(np.isnan(span), -np.inf, self.data_min_ - self.margin * span)
        high = np.where(np.isnan(span), np.inf, self.data_max_ + self.margin * span)
        return np.clip(blended, low, high)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

