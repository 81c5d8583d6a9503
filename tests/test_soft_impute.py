"""SoftImputeFISTA: recovery, the shrinkage path, new rows, the proximal step, errors."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.impute import SimpleImputer
from sklearn.utils._param_validation import InvalidParameterError

from skgain import SoftImputeFISTA
from skgain._soft_impute import singular_value_threshold, split_observed

REAL_TABLES = {"breast_cancer": load_breast_cancer, "wine": load_wine, "diabetes": load_diabetes}


def _low_rank(n=80, d=40, rank=3, rate=0.5, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, rank) @ rng.randn(rank, d)
    hidden = rng.rand(n, d) < rate
    X_missing = X.copy()
    X_missing[hidden] = np.nan
    return X, X_missing, hidden


def _relative_error(Z, X):
    return np.linalg.norm(Z - X) / np.linalg.norm(X)


def _real_table(name, seed=0, rate=0.2):
    """A bundled table with ``rate`` MCAR entries hidden, and its complete ranges."""
    X = REAL_TABLES[name]().data.astype(float)
    rng = np.random.RandomState(seed)
    hidden = rng.rand(*X.shape) < rate
    return X, np.where(hidden, np.nan, X), hidden, rng


def _scaled_rmse(X, Z, hidden):
    # The protocol of issue 9: min-max scaled with the complete data's ranges.
    span = X.max(axis=0) - X.min(axis=0)
    return float(np.sqrt(np.mean(((Z - X) / span)[hidden] ** 2)))


def test_defaults_recover_an_exact_low_rank_matrix():
    X, X_missing, _ = _low_rank(n=200, d=100, rank=5)
    est = SoftImputeFISTA(random_state=0)
    Z = est.fit_transform(X_missing)
    assert _relative_error(Z, X) < 1e-3
    # Noiseless data: the held-out error falls along the whole path.
    assert np.argmin(est.validation_rmse_path_) == len(est.shrinkage_path_) - 1


def test_explicit_shrinkage_recovers_low_rank_matrix():
    X, X_missing, _ = _low_rank()
    est = SoftImputeFISTA(shrinkage=0.001, tol=1e-8, max_iter=2000, random_state=0)
    Z = est.fit_transform(X_missing)
    assert _relative_error(Z, X) < 1e-3
    # Scaling and centring add one offset to rank 3: beyond 4 components the
    # nuclear norm's bias leaves only dust.
    assert est.rank_ >= 4
    assert np.all(est.singular_values_[4:] < 1e-4 * est.singular_values_[0])
    assert est.components_.shape == (est.rank_, 40)
    assert est.singular_values_.shape == (est.rank_,)
    assert est.shrinkage_path_ is None and est.validation_rmse_path_ is None


def test_path_attributes_record_the_choice():
    X, X_missing, hidden, _ = _real_table("wine")
    est = SoftImputeFISTA(random_state=0).fit(X_missing)
    path, errors = est.shrinkage_path_, est.validation_rmse_path_
    assert path.shape == errors.shape and 1 <= len(path) <= est.n_shrinkages
    # A geometric grid from the top singular value down to 1e-4 of it.
    np.testing.assert_allclose(path[1:] / path[:-1], 1e-4 ** (1 / (est.n_shrinkages - 1)))
    # shrinkage_ is a point of the path, rescaled from the training entries
    # to all observed entries.
    n_observed = (~hidden).sum()
    n_train = n_observed - round(0.1 * n_observed)
    chosen = np.flatnonzero(np.isclose(path * n_observed / n_train, est.shrinkage_, rtol=1e-12))
    assert chosen.size == 1
    chosen = int(chosen[0])
    # Within 0.1% of the lowest held-out error, and the path stopped 3 points
    # after it (wine is noisy: smaller shrinkage stops helping).
    assert errors[chosen] <= errors.min() / (1 - 1e-3)
    assert len(path) == chosen + 4 < est.n_shrinkages


def test_largest_shrinkage_on_the_path_gives_the_mean():
    _, X_missing, _, _ = _real_table("diabetes")
    est = SoftImputeFISTA(n_shrinkages=1, random_state=0).fit(X_missing)
    assert est.rank_ == 0
    np.testing.assert_allclose(
        est.transform(X_missing), SimpleImputer().fit(X_missing).transform(X_missing)
    )


def test_transform_of_fitted_rows_matches_fit_transform():
    X, X_missing, hidden, _ = _real_table("breast_cancer")
    est = SoftImputeFISTA(random_state=0)
    completed = est.fit_transform(X_missing)
    projected = est.transform(X_missing)
    assert _scaled_rmse(X, projected, hidden) < 1.1 * _scaled_rmse(X, completed, hidden)
    # The ridge problem of transform is solved by the fitted rows themselves.
    span = X.max(axis=0) - X.min(axis=0)
    assert np.abs((projected - completed) / span).max() < 1e-2


@pytest.mark.parametrize("name", sorted(REAL_TABLES))
def test_unseen_rows_beat_mean_imputation(name):
    X, X_missing, hidden, rng = _real_table(name)
    order = rng.permutation(len(X))
    train, test = order[: int(0.7 * len(X))], order[int(0.7 * len(X)):]
    soft = SoftImputeFISTA(random_state=0).fit(X_missing[train]).transform(X_missing[test])
    mean = SimpleImputer().fit(X_missing[train]).transform(X_missing[test])
    assert _scaled_rmse(X[test], soft, hidden[test]) < _scaled_rmse(X[test], mean, hidden[test])


def test_transform_completes_new_rows_from_the_fitted_subspace():
    X, X_missing, hidden = _low_rank(n=160, rate=0.3)
    est = SoftImputeFISTA(random_state=0).fit(X_missing[:120])
    Z_new = est.transform(X_missing[120:])
    assert _relative_error(Z_new, X[120:]) < 1e-2
    observed = ~hidden[120:]
    np.testing.assert_array_equal(Z_new[observed], X_missing[120:][observed])


def test_same_seed_same_output_other_seed_other_held_out_entries():
    _, X_missing, _, _ = _real_table("wine")
    first = SoftImputeFISTA(random_state=0)
    second = SoftImputeFISTA(random_state=0)
    np.testing.assert_array_equal(first.fit_transform(X_missing), second.fit_transform(X_missing))
    np.testing.assert_array_equal(first.validation_rmse_path_, second.validation_rmse_path_)
    other = SoftImputeFISTA(random_state=1).fit(X_missing)
    assert not np.array_equal(other.validation_rmse_path_[:2], first.validation_rmse_path_[:2])


def test_split_observed_holds_out_a_fraction_of_observed_entries():
    mask = torch.as_tensor(np.random.RandomState(0).rand(30, 10) < 0.7, dtype=torch.float64)
    train, held = split_observed(mask, 0.1, torch.Generator().manual_seed(0))
    assert held.sum().item() == round(0.1 * mask.sum().item())
    assert torch.equal(train + held, mask) and train.min().item() >= 0
    # Never everything, even for a huge fraction.
    train, held = split_observed(mask[:1, :2] * 0 + 1, 0.99, torch.Generator().manual_seed(0))
    assert train.sum().item() == 1 and held.sum().item() == 1


def test_verbose_prints_the_path_and_the_fit(capsys):
    _, X_missing, _, _ = _real_table("wine")
    SoftImputeFISTA(random_state=0).fit(X_missing)
    assert capsys.readouterr().out == ""
    est = SoftImputeFISTA(verbose=1, random_state=0).fit(X_missing)
    lines = capsys.readouterr().out.splitlines()
    assert sum("] path " in line for line in lines) == len(est.shrinkage_path_)
    assert lines[-1].startswith("[SoftImputeFISTA] fit: shrinkage=")
    SoftImputeFISTA(shrinkage=0.1, max_iter=7, tol=0, verbose=2).fit(X_missing)
    assert capsys.readouterr().out.count("iteration ") == 6


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
    singular_value_threshold(torch.randn(30, 20, generator=torch.Generator().manual_seed(0)),
                             0.1, 3, torch.Generator().manual_seed(1))
    assert torch.equal(torch.get_rng_state(), rng_state)


def test_huge_shrinkage_gives_rank_zero_and_the_column_means():
    _, X_missing, _ = _low_rank(n=30, d=10)
    est = SoftImputeFISTA(shrinkage=1e6).fit(X_missing)
    assert est.rank_ == 0
    np.testing.assert_allclose(
        est.transform(X_missing), SimpleImputer().fit(X_missing).transform(X_missing)
    )


@pytest.mark.parametrize(
    "param, value",
    [
        ("shrinkage", -1.0), ("shrinkage", np.inf), ("shrinkage", "auto"),
        ("n_shrinkages", 0), ("n_shrinkages", 2.5),
        ("validation_fraction", 0.0), ("validation_fraction", 1.0), ("validation_fraction", np.nan),
        ("max_iter", 0), ("tol", -1), ("tol", np.nan), ("max_rank", 0), ("accelerated", "yes"),
        ("batch_size", 0), ("verbose", -1), ("verbose", "loud"),
    ],
)
def test_bad_parameters_raise_a_value_error_naming_them(param, value):
    _, X_missing, _ = _low_rank(n=10, d=5)
    with pytest.raises(ValueError, match=f"'{param}' parameter") as info:
        SoftImputeFISTA(**{param: value}).fit(X_missing)
    assert isinstance(info.value, InvalidParameterError)


def test_golden_output():
    from ._golden import assert_matches_golden, golden_table

    X = golden_table()
    imputer = SoftImputeFISTA(random_state=0)
    assert_matches_golden("soft_impute", imputer.fit_transform(X))
    assert_matches_golden("soft_impute_transform", imputer.transform(golden_table(seed=1)))
