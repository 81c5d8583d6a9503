"""SoftImputeFISTA: recovery, acceleration, the proximal step, new rows."""

import numpy as np
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError

from skgain import SoftImputeFISTA
from skgain._base import torch_generator
from skgain._soft_impute import singular_value_threshold


def _low_rank(n=80, d=40, rank=3, rate=0.5, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, rank) @ rng.randn(rank, d)
    hidden = rng.rand(n, d) < rate
    X_missing = X.copy()
    X_missing[hidden] = np.nan
    return X, X_missing, hidden


def _relative_error(Z, X):
    return np.linalg.norm(Z - X) / np.linalg.norm(X)


def test_recovers_low_rank_matrix_with_half_hidden():
    X, X_missing, _ = _low_rank()
    est = SoftImputeFISTA(shrinkage=0.001, tol=1e-8, max_iter=2000, random_state=0)
    Z = est.fit_transform(X_missing)
    assert _relative_error(Z, X) < 1e-3
    # Min-max scaling adds a rank-one offset to the rank-3 matrix.
    assert est.rank_ == 4
    assert est.components_.shape == (4, 40) and est.singular_values_.shape == (4,)


def test_fista_reaches_the_objective_in_fewer_iterations_than_soft_impute():
    _, X_missing, _ = _low_rank()
    fista = SoftImputeFISTA(shrinkage=0.001, tol=1e-8, max_iter=2000, random_state=0).fit(X_missing)
    plain = SoftImputeFISTA(
        shrinkage=0.001, tol=0, max_iter=fista.n_iter_, accelerated=False, random_state=0
    ).fit(X_missing)
    # After as many iterations as FISTA needed, plain proximal gradient is still far off.
    gap_plain = plain.objective_[-1] - fista.objective_[-1]
    assert gap_plain > 1e-3 * fista.objective_[-1]


@pytest.mark.parametrize("accelerated", [True, False])
def test_objective_never_increases(accelerated):
    _, X_missing, _ = _low_rank(rate=0.3)
    est = SoftImputeFISTA(shrinkage=0.05, accelerated=accelerated, max_iter=200, tol=0)
    est.fit(X_missing)
    assert len(est.objective_) == est.n_iter_ == 200
    assert np.all(np.diff(est.objective_) <= 1e-9 * abs(est.objective_[0]))


def test_default_shrinkage_is_a_fraction_of_the_top_singular_value():
    _, X_missing, hidden = _low_rank()
    est = SoftImputeFISTA(shrinkage_fraction=0.1, max_iter=5).fit(X_missing)
    scaled = (X_missing - est.data_min_) / est.data_range_
    scaled[hidden] = 0.0
    sigma_max = np.linalg.svd(scaled, compute_uv=False)[0]
    assert est.shrinkage_ == pytest.approx(0.1 * sigma_max, rel=1e-6)


def test_singular_value_threshold_matches_numpy():
    rng = np.random.RandomState(0)
    A = rng.randn(20, 12)
    U, s, Vh = np.linalg.svd(A, full_matrices=False)
    expected = (U * np.maximum(s - 1.5, 0)) @ Vh
    Z, _, s_out, _ = singular_value_threshold(torch.as_tensor(A), 1.5)
    np.testing.assert_allclose(Z.numpy(), expected, atol=1e-10)
    np.testing.assert_allclose(s_out.numpy(), np.maximum(s - 1.5, 0)[s > 1.5])


def test_randomized_svd_with_max_rank():
    X, X_missing, _ = _low_rank()
    est = SoftImputeFISTA(shrinkage=0.001, max_rank=8, tol=1e-8, max_iter=2000, random_state=0)
    Z = est.fit_transform(X_missing)
    assert est.rank_ <= 8
    assert _relative_error(Z, X) < 1e-3
    again = SoftImputeFISTA(shrinkage=0.001, max_rank=8, tol=1e-8, max_iter=2000, random_state=0)
    np.testing.assert_array_equal(again.fit_transform(X_missing), Z)
    # The randomised SVD draws from the local generator only.
    rng_state = torch.get_rng_state()
    singular_value_threshold(torch.randn(30, 20, generator=torch_generator(0)), 0.1, 3,
                             torch_generator(1))
    assert torch.equal(torch.get_rng_state(), rng_state)


def test_transform_completes_new_rows_from_the_fitted_subspace():
    X, X_missing, hidden = _low_rank(n=160, rate=0.3)
    est = SoftImputeFISTA(shrinkage=0.001, tol=1e-8, max_iter=2000, random_state=0)
    est.fit(X_missing[:120])
    Z_new = est.transform(X_missing[120:])
    assert _relative_error(Z_new, X[120:]) < 1e-2
    observed = ~hidden[120:]
    np.testing.assert_array_equal(Z_new[observed], X_missing[120:][observed])


def test_huge_shrinkage_gives_rank_zero_and_still_completes():
    _, X_missing, _ = _low_rank(n=30, d=10)
    est = SoftImputeFISTA(shrinkage=1e6).fit(X_missing)
    assert est.rank_ == 0
    out = est.transform(X_missing)
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize(
    "param, value", [("shrinkage", -1.0), ("max_iter", 0), ("max_rank", 0), ("tol", -1)]
)
def test_out_of_range_parameters(param, value):
    _, X_missing, _ = _low_rank(n=10, d=5)
    with pytest.raises(InvalidParameterError, match=param):
        SoftImputeFISTA(**{param: value}).fit(X_missing)
