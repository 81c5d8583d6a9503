"""Blending a network's imputations with other imputers', feature by feature.

On tables of a few hundred rows a small network, a linear iterative imputer
and a tree-based one make different errors, so a weighted average of them
can be better than each alone. The weights of each feature are chosen on
entries held out of training, with Huber's loss, so an imputer that only
adds noise gets weight 0 and a few large misses do not decide them. The
user guide's "Blending with other imputers" (:ref:`table_blend`) gives the
evidence, and what the network adds to the two imputers.
"""

import itertools

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer

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


def resolve_blend_estimators(blend_estimator, shape, random_state):
    """The unfitted imputers to blend with (an empty list for none).

    ``"auto"``: IterativeImputer with its BayesianRidge default and with
    ExtraTrees, for tables of ``shape`` up to ``_AUTO_MAX_ENTRIES`` entries
    and ``_AUTO_MAX_FEATURES`` features; none beyond. An imputer or a list
    of imputers: copies of them.
    """
    if blend_estimator is None:
        return []
    if not is_given_imputer(blend_estimator):
        if not auto_blends(shape):
            return []
        trees = ExtraTreesRegressor(n_estimators=_AUTO_TREES, max_features=_AUTO_TREE_FEATURES,
                                    random_state=random_state)
        return [IterativeImputer(max_iter=10, keep_empty_features=True,
                                 random_state=random_state),
                IterativeImputer(estimator=trees, max_iter=_AUTO_TREE_ROUNDS,
                                 keep_empty_features=True, random_state=random_state)]
    given = list(blend_estimator) if isinstance(blend_estimator, (list, tuple)) else [
        blend_estimator]
    if not given:
        raise ValueError("blend_estimator is an empty list; give at least one imputer, or "
                         "None to impute with the network alone.")
    for estimator in given:
        if isinstance(estimator, type):
            raise ValueError(
                f"blend_estimator must hold imputer instances, not classes: got the class "
                f"{estimator.__name__}; pass {estimator.__name__}() instead.")
        if not (hasattr(estimator, "fit") and hasattr(estimator, "transform")):
            raise ValueError(f"blend_estimator must hold imputers with fit and transform; "
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


def checked_output(estimator, X_nan):
    """``estimator.transform(X_nan)``, which must keep X's shape and fill every NaN."""
    out = np.asarray(estimator.transform(X_nan), dtype=np.float64)
    if out.shape != X_nan.shape:
        raise ValueError(
            f"blend_estimator must return an array of the input's shape {X_nan.shape}, got "
            f"{out.shape} (an imputer that drops empty features or adds an indicator cannot "
            "be blended)."
        )
    if not np.all(np.isfinite(out)):
        raise ValueError("blend_estimator left missing or non-finite values in its output.")
    return out


def blend_weights(imputations, truth, features, n_features, baseline=None):
    """Weight of each imputer per feature: shape (n_features, n_imputers).

    ``imputations`` (n_entries, n_imputers) holds the imputers' values of
    the held-out entries, ``truth`` their observed values and ``features``
    their column indices (below ``n_features``). A feature's weights are
    non-negative, sum to 1 and minimise the Huber loss of the weighted
    average's errors (see :func:`_huber_entry_weights`); the table's weights
    are shrunk towards equal weights, and each feature's towards the
    table's, by ``_PRIOR_ENTRIES`` pseudo-entries. Imputers after the first
    whose RMSE on the held-out entries is not below that of ``baseline``
    (the column means' values of the same entries, say) get weight 0: the
    shrinkage towards equal weights would otherwise hand a useless imputer
    a share.
    """
    imputations = np.asarray(imputations, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.float64)
    useful = np.ones(imputations.shape[1], dtype=bool)
    if baseline is not None:
        baseline_rmse = _rmse(np.asarray(baseline, dtype=np.float64), truth)
        useful[1:] = [_rmse(column, truth) < baseline_rmse for column in imputations.T[1:]]
    weights = np.zeros((n_features, imputations.shape[1]))
    weights[:, useful] = _robust_weights(imputations[:, useful], truth, features, n_features)
    return weights


def _rmse(imputed, truth):
    return float(np.sqrt(np.mean((imputed - truth) ** 2)))


def _robust_weights(imputations, truth, features, n_features):
    """:func:`blend_weights` without the baseline: Huber's loss by reweighting."""
    entry_weights = np.ones(len(truth))
    for _ in range(_HUBER_ITERATIONS):
        root = np.sqrt(entry_weights)
        weights = _least_squares_weights(imputations * root[:, None], truth * root,
                                         features, n_features)
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


def _least_squares_weights(imputations, truth, features, n_features):
    """:func:`blend_weights` with squared errors: each feature's simplex
    least-squares weights, shrunk as described there. With two imputers this
    is the least-squares weight ``w`` of ``w * first + (1 - w) * second``,
    clipped to [0, 1]."""
    n_entries, n_imputers = imputations.shape
    equal = np.full(n_imputers, 1.0 / n_imputers)
    gram, cross = _per_feature_sums(imputations, truth, features, n_features)
    # The table's sums are the features' sums added up.
    table = _shrunk(_simplex_least_squares(gram.sum(axis=0), cross.sum(axis=0), equal),
                    n_entries, equal)
    count = np.bincount(features, minlength=n_features)
    per_feature = np.array([_simplex_least_squares(g, c, table) for g, c in zip(gram, cross)])
    return _shrunk(per_feature, count[:, None], table)


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


def _shrunk(weights, n_entries, prior):
    return (n_entries * weights + _PRIOR_ENTRIES * prior) / (n_entries + _PRIOR_ENTRIES)
