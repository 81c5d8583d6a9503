"""The blend of the network with a second imputer: weights and the "auto" choice."""

import numpy as np
import pytest
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer

from skgain._blend import (
    _AUTO_MAX_ENTRIES,
    _PRIOR_ENTRIES,
    blend_weights,
    checked_output,
    resolve_blend_estimator,
    with_nan,
)


def _entries(n, network_error, other_error, seed=0, n_features=2):
    """Held-out entries of ``n_features`` features, with independent errors."""
    rng = np.random.RandomState(seed)
    truth = rng.rand(n)
    network = truth + network_error * rng.randn(n)
    other = truth + other_error * rng.randn(n)
    return network, other, truth, np.arange(n) % n_features


def test_weight_is_the_least_squares_one_shrunk_by_the_prior():
    network, other, truth, features = _entries(100_000, 0.1, 0.2)
    weights = blend_weights(network, other, truth, features, 2)
    # Independent errors of variance a and b: the best weight is b / (a + b)
    # = 0.8; 100,000 entries leave the prior's pull negligible.
    np.testing.assert_allclose(weights, 0.8, atol=0.01)


def test_few_entries_pull_the_weight_to_an_equal_split():
    network, other, truth, features = _entries(20, 0.01, 1.0, n_features=1)
    weights = blend_weights(network, other, truth, features, 1)
    # The data alone say 1 (the network is far better). 20 entries against
    # the prior's 100 give the table (20 * 1 + 100 * 0.5) / 120, and the
    # feature, shrunk towards the table's weight, (20 * 1 + 100 * table) / 120.
    table = (20 * 1.0 + _PRIOR_ENTRIES * 0.5) / (20 + _PRIOR_ENTRIES)
    feature = (20 * 1.0 + _PRIOR_ENTRIES * table) / (20 + _PRIOR_ENTRIES)
    assert weights[0] == pytest.approx(feature, abs=0.005)
    assert weights[0] < 0.7


def test_a_feature_without_held_out_entries_takes_the_tables_weight():
    network, other, truth, features = _entries(5000, 0.1, 0.3, n_features=2)
    weights = blend_weights(network, other, truth, features, 3)
    assert weights.shape == (3,)
    table = (5000 * 0.9 + _PRIOR_ENTRIES * 0.5) / (5000 + _PRIOR_ENTRIES)
    assert weights[2] == pytest.approx(table, abs=0.02)
    assert np.all((weights >= 0) & (weights <= 1))


def test_auto_blends_small_tables_only():
    assert isinstance(resolve_blend_estimator("auto", (400, 10), 0), IterativeImputer)
    assert resolve_blend_estimator("auto", (_AUTO_MAX_ENTRIES // 10 + 1, 10), 0) is None
    assert resolve_blend_estimator("auto", (100, 65), 0) is None
    assert resolve_blend_estimator(None, (100, 5), 0) is None


def test_a_given_imputer_is_cloned_and_keeps_empty_features():
    given = KNNImputer(n_neighbors=3)
    resolved = resolve_blend_estimator(given, (10**6, 100), 0)
    assert resolved is not given and resolved.keep_empty_features
    assert given.keep_empty_features is False


def test_with_nan_marks_the_masked_entries():
    X = np.array([[0.5, 0.0], [0.25, 1.0]], dtype=np.float32)
    out = with_nan(X, np.array([[1, 0], [1, 1]], dtype=np.float32))
    assert out.dtype == np.float64 and np.isnan(out[0, 1])
    assert out[1, 1] == 1.0


class _DropsAColumn:
    def fit(self, X):
        return self

    def transform(self, X):
        return X[:, 1:]


def test_an_output_of_another_shape_or_with_nan_is_an_error():
    X = np.array([[0.5, np.nan], [0.25, 1.0]])
    with pytest.raises(ValueError, match="blend_estimator must return.*shape"):
        checked_output(_DropsAColumn(), X)
    with pytest.raises(ValueError, match="blend_estimator left missing"):
        checked_output(_Identity(), X)


class _Identity(_DropsAColumn):
    def transform(self, X):
        return X


def test_only_an_imputer_object_counts_as_given():
    from skgain._blend import is_given_imputer

    assert is_given_imputer(KNNImputer())
    assert not is_given_imputer("auto") and not is_given_imputer(None)


class _MeanFill:
    """An imputer without scikit-learn's get_params: fit and transform only."""

    def fit(self, X):
        self.means = np.nanmean(X, axis=0)
        return self

    def transform(self, X):
        return np.where(np.isnan(X), self.means, X)


def test_an_imputer_without_get_params_is_copied_and_blended():
    from skgain import GAINImputer

    rng = np.random.RandomState(0)
    X = rng.rand(80, 4) @ rng.rand(4, 5)
    X[rng.rand(*X.shape) < 0.2] = np.nan
    given = _MeanFill()
    imputer = GAINImputer(max_epochs=2, blend_estimator=given, random_state=0).fit(X)
    assert isinstance(imputer.blend_estimator_, _MeanFill) and not hasattr(given, "means")
    out = imputer.transform(X)
    assert not np.isnan(out).any()
    np.testing.assert_array_equal(out[~np.isnan(X)], X[~np.isnan(X)])
