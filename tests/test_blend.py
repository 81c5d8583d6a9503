"""The blend of the network with a second imputer: weights and the "auto" choice."""

import numpy as np
import pytest
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.impute import IterativeImputer, KNNImputer

# The blend's private weight code, tested directly (BlendImputer is public).
from skgain._blend import (
    _AUTO_MAX_ENTRIES,
    _HUBER_K,
    _PRIOR_ENTRIES,
    _huber_entry_weights,
    _least_squares_weights,
    blend_weights,
    checked_output,
    resolve_blend_estimators,
    with_nan,
)

from ._estimators import CountingMeanFill


def _entries(n, errors, seed=0, n_features=2):
    """Held-out entries of ``n_features`` features, one column per imputer,
    each with independent errors of the given standard deviation."""
    rng = np.random.RandomState(seed)
    truth = rng.rand(n)
    imputations = np.column_stack([truth + error * rng.randn(n) for error in errors])
    return imputations, truth, np.arange(n) % n_features


def test_weight_is_the_least_squares_one_shrunk_by_the_prior():
    imputations, truth, features = _entries(100_000, (0.1, 0.2))
    weights = blend_weights(imputations, truth, features, 2)
    # Independent errors of variance a and b: the best weight is b / (a + b)
    # = 0.8; 100,000 entries leave the prior's pull negligible.
    np.testing.assert_allclose(weights[:, 0], 0.8, atol=0.01)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)


def test_two_imputers_get_the_clipped_closed_form_weight():
    imputations, truth, features = _entries(300, (0.1, 0.15), seed=3, n_features=1)
    network, other = imputations.T
    diff, target = network - other, truth - other
    ratio = np.clip(diff @ target / (diff @ diff), 0, 1)
    table = (300 * ratio + _PRIOR_ENTRIES * 0.5) / (300 + _PRIOR_ENTRIES)
    feature = (300 * ratio + _PRIOR_ENTRIES * table) / (300 + _PRIOR_ENTRIES)
    weight = _least_squares_weights(imputations, truth, features, 1)[0, 0]
    assert weight == pytest.approx(feature)


def test_a_few_large_errors_do_not_decide_the_weights():
    # The first imputer is better on 294 of 300 entries but misses 6 by a
    # lot: least squares then prefer the second; Huber's loss the first.
    imputations, truth, features = _entries(300, (0.05, 0.1), seed=1, n_features=1)
    imputations[:6, 0] = truth[:6] + 1.0
    least_squares = _least_squares_weights(imputations, truth, features, 1)[0, 0]
    huber = blend_weights(imputations, truth, features, 1)[0, 0]
    assert least_squares < 0.4 and huber > 0.6


def test_huber_weights_count_large_errors_by_their_inverse():
    errors = np.array([0.1] * 4 + [-0.1] * 5 + [1.0])
    scale = _HUBER_K * 1.4826 * 0.1  # the median absolute error is 0.1
    np.testing.assert_allclose(_huber_entry_weights(errors), [1.0] * 9 + [scale / 1.0])
    # More than half the errors 0: no scale to judge by, plain least squares.
    np.testing.assert_array_equal(_huber_entry_weights(np.array([0.0, 0.0, 0.5])), 1.0)


def test_three_imputers_are_weighted_by_their_inverse_variances():
    imputations, truth, features = _entries(200_000, (0.1, 0.2, 0.2))
    weights = blend_weights(imputations, truth, features, 2)
    # Independent errors: weights proportional to 1 / variance, 100 : 25 : 25.
    np.testing.assert_allclose(weights, [[2 / 3, 1 / 6, 1 / 6]] * 2, atol=0.01)


def test_a_useless_imputer_gets_no_weight_and_none_is_negative():
    # The third imputer repeats the first one's error, twice as large:
    # unconstrained least squares would take 2 * first - third, the truth,
    # with weights (2, 0, -1).
    imputations, truth, features = _entries(100_000, (0.1, 0.1, 0.0))
    imputations[:, 2] = truth + 2 * (imputations[:, 0] - truth)
    weights = blend_weights(imputations, truth, features, 2)
    assert np.all(weights >= 0)
    np.testing.assert_allclose(weights[:, 2], 0.0, atol=0.002)
    np.testing.assert_allclose(weights[:, :2], 0.5, atol=0.01)


def test_few_entries_pull_the_weight_to_an_equal_split():
    imputations, truth, features = _entries(20, (0.01, 1.0), n_features=1)
    weights = blend_weights(imputations, truth, features, 1)
    # The data alone say 1 (the network is far better). 20 entries against
    # the prior's 100 give the table (20 * 1 + 100 * 0.5) / 120, and the
    # feature, shrunk towards the table's weight, (20 * 1 + 100 * table) / 120.
    table = (20 * 1.0 + _PRIOR_ENTRIES * 0.5) / (20 + _PRIOR_ENTRIES)
    feature = (20 * 1.0 + _PRIOR_ENTRIES * table) / (20 + _PRIOR_ENTRIES)
    assert weights[0, 0] == pytest.approx(feature, abs=0.005)
    assert weights[0, 0] < 0.7


def test_a_feature_without_held_out_entries_takes_the_tables_weight():
    imputations, truth, features = _entries(5000, (0.1, 0.3), n_features=2)
    weights = blend_weights(imputations, truth, features, 3)
    assert weights.shape == (3, 2)
    table = (5000 * 0.9 + _PRIOR_ENTRIES * 0.5) / (5000 + _PRIOR_ENTRIES)
    assert weights[2, 0] == pytest.approx(table, abs=0.02)
    assert np.all((weights >= 0) & (weights <= 1))


def test_imputers_that_agree_everywhere_keep_the_prior():
    imputations, truth, features = _entries(50, (0.1,), n_features=1)
    weights = blend_weights(np.repeat(imputations, 3, axis=1), truth, features, 1)
    np.testing.assert_allclose(weights, [[1 / 3] * 3])


def test_auto_blends_small_tables_with_a_linear_and_a_tree_imputer():
    linear, trees = resolve_blend_estimators("auto", (400, 10), 0)
    assert isinstance(linear, IterativeImputer) and linear.estimator is None
    assert isinstance(trees.estimator, ExtraTreesRegressor)
    assert trees.estimator.random_state == 0 and trees.keep_empty_features
    assert resolve_blend_estimators("auto", (_AUTO_MAX_ENTRIES // 10 + 1, 10), 0) == []
    assert resolve_blend_estimators("auto", (100, 65), 0) == []
    assert resolve_blend_estimators(None, (100, 5), 0) == []


def test_a_given_imputer_is_cloned_and_keeps_empty_features():
    given = KNNImputer(n_neighbors=3)
    (resolved,) = resolve_blend_estimators(given, (10**6, 100), 0)
    assert resolved is not given and resolved.keep_empty_features
    assert given.keep_empty_features is False


def test_a_list_of_imputers_is_cloned_in_order():
    given = [KNNImputer(n_neighbors=3), IterativeImputer(max_iter=2)]
    resolved = resolve_blend_estimators(given, (100, 5), 0)
    assert [type(r) for r in resolved] == [KNNImputer, IterativeImputer]
    assert all(r is not g for r, g in zip(resolved, given))


def test_an_empty_list_or_a_non_imputer_is_an_error():
    with pytest.raises(ValueError, match="blend_estimator is an empty list"):
        resolve_blend_estimators([], (100, 5), 0)
    with pytest.raises(ValueError, match="blend_estimator must hold imputers"):
        resolve_blend_estimators([KNNImputer(), "mean"], (100, 5), 0)


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
    from skgain._blend import is_given_imputer  # private, the unit under test

    assert is_given_imputer(KNNImputer()) and is_given_imputer([KNNImputer()])
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
    (fitted,) = imputer.blend_.estimators_
    assert isinstance(fitted, _MeanFill) and not hasattr(given, "means")
    out = imputer.transform(X)
    assert not np.isnan(out).any()
    np.testing.assert_array_equal(out[~np.isnan(X)], X[~np.isnan(X)])


# ---------------------------------------------------------------- BlendImputer
def _table(n=200, d=5, rate=0.2, seed=0):
    """A table of rank 2 plus noise, with ``rate`` of its entries hidden."""
    rng = np.random.RandomState(seed)
    X = rng.rand(n, 2) @ rng.rand(2, d) + 0.02 * rng.randn(n, d)
    return X, np.where(rng.rand(n, d) < rate, np.nan, X)


def _held_out(observed, fraction, rng):
    """``fraction`` of the ``observed`` entries drawn as ``rng.choice`` draws
    them over the observed entries in row-major order (the documented split,
    checked in tests/test_memory.py): the training and held-out masks."""
    rows, cols = np.nonzero(observed)
    chosen = rng.choice(rows.size, int(round(fraction * rows.size)), replace=False)
    held = np.zeros(observed.shape, dtype=bool)
    held[rows[chosen], cols[chosen]] = True
    return observed & ~held, held


def test_blend_imputer_fits_the_shared_weights_on_its_held_out_entries():
    from sklearn.impute import SimpleImputer

    from skgain import BlendImputer

    _, X = _table()
    imputers = [KNNImputer(n_neighbors=5), SimpleImputer()]
    blend = BlendImputer(imputers, refit=False, random_state=3).fit(X)
    # The same split, imputers and weight code by hand.
    observed = ~np.isnan(X)
    train, held = _held_out(observed, 0.1, np.random.RandomState(3))
    X_train = np.where(train, X, np.nan)
    rows = np.flatnonzero(held.any(axis=1))
    columns = np.column_stack([imputer.fit(X_train).transform(X_train[rows])[held[rows]]
                               for imputer in imputers])
    features = np.nonzero(held[rows])[1]
    train_means = np.nanmean(X_train, axis=0)
    expected = blend_weights(columns, X[rows][held[rows]], features, 5,
                             baseline=train_means[features])
    np.testing.assert_array_equal(blend.weights_, expected)
    assert blend.weights_[:, 0].mean() > 0.8  # the neighbours beat the means on low rank
    out = blend.transform(X)
    missing = np.isnan(X)
    np.testing.assert_array_equal(out[~missing], X[~missing])
    outputs = [imputer.transform(X) for imputer in blend.estimators_]
    mixed = blend.weights_[:, 0] * outputs[0] + blend.weights_[:, 1] * outputs[1]
    np.testing.assert_allclose(out[missing], mixed[missing], rtol=1e-12)


@pytest.mark.parametrize("refit", [True, False])
def test_blend_imputer_refits_on_every_observed_entry(refit):
    from skgain import BlendImputer

    _, X = _table()
    CountingMeanFill.nan_counts = []
    blend = BlendImputer([CountingMeanFill(), KNNImputer()], refit=refit, random_state=0).fit(X)
    n_missing = int(np.isnan(X).sum())
    n_held_out = int(round(0.1 * (X.size - n_missing)))
    assert CountingMeanFill.nan_counts == [n_missing + n_held_out] + [n_missing] * refit


def test_blend_imputer_loss_and_prior_change_the_weights():
    from skgain import BlendImputer

    rng = np.random.RandomState(1)
    # Heavy-tailed noise: Huber's loss and the squared error part ways.
    X = rng.rand(150, 4) @ rng.rand(4, 6) + 0.1 * rng.standard_t(2, size=(150, 6))
    X[rng.rand(*X.shape) < 0.2] = np.nan
    weights = {}
    for loss, prior in (("huber", 0), ("squared_error", 0), ("huber", 100), ("huber", 1e9)):
        blend = BlendImputer([IterativeImputer(random_state=0), KNNImputer()], loss=loss,
                             prior_entries=prior, random_state=0).fit(X)
        weights[loss, prior] = blend.weights_[:, 0]
        np.testing.assert_allclose(blend.weights_.sum(axis=1), 1.0)
    assert not np.allclose(weights["huber", 0], weights["squared_error", 0])
    # Without the prior each column's weights are its held-out entries' alone;
    # a huge prior holds every column at equal weights.
    assert not np.allclose(weights["huber", 0], weights["huber", 100])
    np.testing.assert_allclose(weights["huber", 1e9], 0.5, atol=1e-5)


def test_blend_imputer_bounds_the_blend_within_the_margin():
    from skgain import BlendImputer

    X = np.array([[0.0, 0.0], [1.0, 2.0], [2.0, 4.0], [3.0, 6.0]] * 10)
    X[::4, 1] = np.nan
    linear = IterativeImputer(random_state=0)
    far = np.array([[9.0, np.nan]])  # the linear imputer says 18
    # Observed: 2, 4 and 6, a range of 4.
    for margin, expected in ((0.25, 6.0 + 0.25 * 4.0), (0.0, 6.0), (None, 18.0)):
        blend = BlendImputer([linear], margin=margin, random_state=0).fit(X)
        assert blend.transform(far)[0, 1] == pytest.approx(expected, rel=1e-6)


def test_blend_imputer_checks_its_imputers():
    from sklearn.impute import SimpleImputer

    from skgain import BlendImputer

    _, X = _table(n=40)
    with pytest.raises(ValueError, match="estimators is an empty list"):
        BlendImputer([]).fit(X)
    with pytest.raises(ValueError, match="estimators must hold imputer instances, not classes"):
        BlendImputer([SimpleImputer]).fit(X)
    with pytest.raises(ValueError, match="estimators must return an array of the input's"):
        BlendImputer([_DropsAColumn()]).fit(X)
    with pytest.raises(ValueError, match="loss"):
        BlendImputer([SimpleImputer()], loss="absolute").fit(X)
    given = SimpleImputer()
    blend = BlendImputer([given], random_state=0).fit(X)
    assert blend.estimators_[0] is not given and blend.estimators_[0].keep_empty_features
    assert not hasattr(given, "statistics_")


def test_too_few_observed_entries_give_equal_weights():
    from sklearn.impute import SimpleImputer

    from skgain import BlendImputer

    X = np.array([[1.0, np.nan], [np.nan, 2.0], [3.0, np.nan]])
    blend = BlendImputer([SimpleImputer(), KNNImputer(n_neighbors=1)]).fit(X)
    np.testing.assert_array_equal(blend.weights_, 0.5)
    assert not np.isnan(blend.transform(X)).any()


def test_gain_blends_through_a_blend_imputer():
    from skgain import BlendImputer, GAINImputer

    _, X = _table(n=120)
    imputer = GAINImputer(max_epochs=2, blend_estimator=KNNImputer(), random_state=0).fit(X)
    blend = imputer.blend_
    assert isinstance(blend, BlendImputer) and blend.weights_.shape == (5, 2)
    assert blend.margin == 0.25 and blend.refit
    scaled = (X - imputer.data_min_) / imputer.data_range_
    network = GAINImputer(max_epochs=2, blend_estimator=None, random_state=0).fit(X)
    # The network's imputations weighed with the blend's: the first column.
    expected = blend._blend(scaled, [(network.transform(X) - imputer.data_min_)
                                     / imputer.data_range_])
    expected = expected * imputer.data_range_ + imputer.data_min_
    missing = np.isnan(X)
    np.testing.assert_allclose(imputer.transform(X)[missing], expected[missing], rtol=1e-9)


def test_gain_takes_a_blend_imputer_for_its_settings():
    from skgain import BlendImputer, GAINImputer

    _, X = _table(n=120)
    CountingMeanFill.nan_counts = []
    given = BlendImputer([KNNImputer(), CountingMeanFill()], loss="squared_error", prior_entries=0,
                         refit=False, margin=None)
    imputer = GAINImputer(max_epochs=2, blend_estimator=given, random_state=0).fit(X)
    blend = imputer.blend_
    assert blend is not given and not hasattr(given, "weights_")
    assert (blend.loss, blend.prior_entries, blend.refit, blend.margin) == (
        "squared_error", 0, False, None)
    assert blend.weights_.shape == (5, 3) and len(CountingMeanFill.nan_counts) == 1  # not refitted
    # The weights are the shared code's with the given settings.
    default = GAINImputer(max_epochs=2, blend_estimator=[KNNImputer(), CountingMeanFill()],
                          random_state=0).fit(X)
    assert not np.allclose(blend.weights_, default.blend_.weights_)
    assert not np.isnan(imputer.transform(X)).any()
