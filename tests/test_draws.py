"""Multiple imputation: the draws' spread follows the held-out errors."""

import numpy as np
import pytest

from skgain import GAINImputer
from skgain._draws import MIN_COLUMN_ERRORS, draw, error_pools


def test_error_pools_by_column_with_a_shared_fallback():
    rng = np.random.RandomState(0)
    columns = np.r_[np.zeros(50, int), np.ones(5, int), np.full(30, 2)]
    truth = rng.rand(columns.size)
    imputed = truth - np.r_[np.full(50, 0.1), np.full(5, 0.3), np.zeros(30)]
    pools = error_pools(truth, imputed, columns, 3, np.array([True, True, False]), rng)
    np.testing.assert_allclose(pools[0], 0.1, rtol=1e-6)
    # Five errors are too few: the column draws from every numeric column's.
    assert pools[1].size == 55 > MIN_COLUMN_ERRORS
    assert pools[2] is None


def test_draw_adds_errors_only_where_missing_and_samples_categories():
    rng = np.random.RandomState(0)
    point = np.column_stack([np.full(1000, 0.5), np.tile([[0.2, 0.8]], (1000, 1))])
    missing = np.zeros((1000, 3), dtype=bool)
    missing[:500] = True
    pools = [np.array([-0.1, 0.1], dtype=np.float32), None, None]
    out = draw(point, missing, pools, [(1, 3)], rng)
    np.testing.assert_array_equal(out[500:], point[500:])
    assert set(np.round(out[:500, 0], 6)) == {0.4, 0.6}
    # One-hot draws with the block's probabilities.
    assert np.all(out[:500, 1:].sum(axis=1) == 1)
    assert abs(out[:500, 2].mean() - 0.8) < 0.06


def test_draws_stay_in_the_fitted_range():
    point = np.array([[0.05], [0.95]])
    pools = [np.array([-0.5, 0.5], dtype=np.float32)]
    out = draw(point, np.ones((2, 1), bool), pools, [], np.random.RandomState(0))
    assert np.all((out >= 0) & (out <= 1))


@pytest.mark.parametrize("seed", [0, 1])
def test_default_draws_cover_the_hidden_values(seed):
    # y = x + noise: the interval of y given x must be as wide as the noise.
    rng = np.random.RandomState(seed)
    n = 1500
    x = rng.rand(n)
    X = np.column_stack([x, x + 0.2 * rng.randn(n), rng.rand(n)])
    hidden = rng.rand(*X.shape) < 0.2
    X_missing = np.where(hidden, np.nan, X)
    imputer = GAINImputer(max_epochs=30, random_state=seed).fit(X_missing)
    draws = imputer.sample(X_missing, n_draws=40, random_state=seed)
    lower, upper = np.percentile(draws, [5, 95], axis=0)
    covered = (X >= lower) & (X <= upper)
    coverage = covered[hidden].mean()
    assert 0.8 <= coverage <= 0.97
    # Narrow where the column is predictable, wide where it is noise.
    width = (upper - lower)[hidden[:, 1], 1].mean()
    assert 0.4 < width / (2 * 1.645 * 0.2) < 1.6
    np.testing.assert_array_equal(draws[:, ~hidden], np.broadcast_to(X[~hidden], draws[:, ~hidden].shape))
