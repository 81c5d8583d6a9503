"""Blending a network's imputations with a second imputer's, feature by feature.

On tables of a few hundred rows a small network and a linear iterative
imputer make different errors, and their average beats both
(``benchmarks/results/blend_ablation.md`` and ``tabular_confirm3.md``). The
weight of each feature is chosen on entries held out of training, so where
the second imputer only adds noise its weight goes to 0.
"""

import numpy as np
from sklearn.base import clone
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer

# blend_estimator="auto" blends with IterativeImputer(BayesianRidge) on tables
# of at most this many entries (rows x features) and features: the network
# is weakest on small tables, and there IterativeImputer's memory (about 9
# times its input) and cost (n_features**3 per row: one least-squares fit per
# feature and round) stay small. Bigger tables get the network alone, within
# the network's memory bound (tests/test_memory.py).
_AUTO_MAX_ENTRIES = 100_000
_AUTO_MAX_FEATURES = 64
# Weights estimated from few held-out entries are noise, and an equal-weight
# average is hard to beat then (the "forecast combination puzzle": Smith and
# Wallis, 2009). Each estimated weight is shrunk as if this many more
# entries had voted for the prior: 0.5 for the table's weight, the table's
# weight for each feature's.
_PRIOR_ENTRIES = 100


def is_given_imputer(blend_estimator):
    """Whether ``blend_estimator`` is an imputer the user gave (not "auto" or None)."""
    return not isinstance(blend_estimator, (str, type(None)))


def resolve_blend_estimator(blend_estimator, shape, random_state):
    """The unfitted imputer to blend with, or None.

    ``"auto"``: IterativeImputer with its BayesianRidge default for tables
    of ``shape`` up to ``_AUTO_MAX_ENTRIES`` entries and
    ``_AUTO_MAX_FEATURES`` features, None beyond.
    """
    if blend_estimator is None:
        return None
    if not is_given_imputer(blend_estimator):
        n_samples, n_features = shape
        if n_samples * n_features > _AUTO_MAX_ENTRIES or n_features > _AUTO_MAX_FEATURES:
            return None
        return IterativeImputer(max_iter=10, keep_empty_features=True,
                                random_state=random_state)
    # safe=False: an object with fit and transform but no get_params is copied.
    estimator = clone(blend_estimator, safe=False)
    # A feature the second imputer drops would shift every column after it.
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


def blend_weights(network, other, truth, features, n_features):
    """Weight of the network per feature, in [0, 1].

    ``network``, ``other`` and ``truth`` are the held-out entries' values and
    ``features`` their column indices (below ``n_features``). The weight w
    minimises the squared error of ``w * network + (1 - w) * other``; the
    table's weight is shrunk towards 0.5, and each feature's towards the
    table's, by ``_PRIOR_ENTRIES`` pseudo-entries.
    """
    diff, target = network - other, truth - other
    overall = _shrunk(_clipped_ratio(diff @ target, diff @ diff), diff.size, 0.5)
    num = np.bincount(features, diff * target, minlength=n_features)
    den = np.bincount(features, diff * diff, minlength=n_features)
    count = np.bincount(features, minlength=n_features)
    per_feature = [_clipped_ratio(n, d, overall) for n, d in zip(num, den)]
    return _shrunk(np.asarray(per_feature), count, overall)


def _clipped_ratio(num, den, default=1.0):
    """``num / den`` in [0, 1]; ``default`` when the two imputers agree exactly."""
    return float(np.clip(num / den, 0.0, 1.0)) if den > 0 else default


def _shrunk(weight, n_entries, prior):
    return (n_entries * weight + _PRIOR_ENTRIES * prior) / (n_entries + _PRIOR_ENTRIES)
