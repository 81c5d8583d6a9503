"""The per-variable gradient-boosting partner of GAINImputer's blend (skgain/_partners.py)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer

from skgain import GAINImputer
from skgain._partners import VariableBoostingImputer


def _binary_table(n=400, seed=0):
    """Two numbers and a binary category (one-hot columns 2-3) set by the first number."""
    rng = np.random.RandomState(seed)
    x = rng.rand(n)
    label = (x > 0.5).astype(int)
    X = np.column_stack([x, rng.rand(n), label == 0, label == 1]).astype(float)
    hidden = rng.rand(n) < 0.2
    X_missing = X.copy()
    X_missing[hidden, 2:4] = np.nan
    return X, X_missing, hidden, label


def test_a_category_is_predicted_from_the_other_columns_not_its_siblings():
    X, X_missing, hidden, label = _binary_table()
    out = VariableBoostingImputer(blocks=[(2, 4)], random_state=0).fit_transform(X_missing)
    error = np.mean(out[hidden, 2:4].argmax(axis=1) != label[hidden])
    assert error < 0.05
    # The one-hot columns' models in IterativeImputer learn the sibling, which
    # is missing with them: the category is a guess.
    leaky = IterativeImputer(random_state=0).fit_transform(X_missing)
    assert np.mean(leaky[hidden, 2:4].argmax(axis=1) != label[hidden]) > 0.3


def test_observed_entries_kept_and_blocks_are_probabilities():
    X, X_missing, hidden, _ = _binary_table()
    rng = np.random.RandomState(1)
    X_missing[rng.rand(len(X)) < 0.2, 0] = np.nan
    imputer = VariableBoostingImputer(blocks=[(2, 4)], random_state=0).fit(X_missing)
    out = imputer.transform(X_missing)
    observed = ~np.isnan(X_missing)
    np.testing.assert_array_equal(out[observed], X_missing[observed])
    assert not np.isnan(out).any()
    np.testing.assert_allclose(out[hidden, 2:4].sum(axis=1), 1.0)
    assert np.all(out[hidden, 2:4] >= 0)
    assert [list(v) for v in imputer.variables_] == [[2, 3], [0], [1]]
    # Seeded: the same output again.
    again = VariableBoostingImputer(blocks=[(2, 4)], random_state=0).fit(X_missing)
    np.testing.assert_array_equal(again.transform(X_missing), out)


def test_variables_without_enough_rows_or_levels_keep_their_means():
    X, X_missing, hidden, _ = _binary_table(n=60)
    X_missing[:, 3] = np.where(np.isnan(X_missing[:, 3]), np.nan, 0.0)  # one level seen
    X_missing[:, 2] = np.where(np.isnan(X_missing[:, 2]), np.nan, 1.0)
    X_missing[5:, 1] = np.nan  # 5 observed values
    imputer = VariableBoostingImputer(blocks=[(2, 4)], random_state=0).fit(X_missing)
    assert imputer.models_[0] is None and imputer.models_[2] is None
    out = imputer.transform(X_missing)
    np.testing.assert_allclose(out[hidden, 2:4], [[1.0, 0.0]] * hidden.sum())
    np.testing.assert_allclose(out[5:, 1], np.nanmean(X_missing[:, 1]))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_gain_blends_it_only_on_tables_with_categories():
    rng = np.random.RandomState(0)
    n = 120
    frame = pd.DataFrame({"x": rng.rand(n), "y": rng.rand(n),
                          "kind": pd.Categorical(np.where(rng.rand(n) > 0.5, "a", "b"))})
    frame.loc[rng.rand(n) < 0.2, "x"] = np.nan
    frame.loc[rng.rand(n) < 0.2, "kind"] = np.nan
    options = dict(max_epochs=3, hidden_dim=8, n_blocks=1, random_state=0)
    mixed = GAINImputer(**options).fit(frame)
    kinds = [type(e).__name__ for e in mixed.blend_.estimators_]
    assert kinds == ["IterativeImputer", "IterativeImputer", "VariableBoostingImputer"]
    assert mixed.blend_.weights_.shape == (4, 4)  # x, y and the block's two columns
    numeric = GAINImputer(**options).fit(frame[["x", "y"]])
    assert len(numeric.blend_.estimators_) == 2


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_table_of_one_categorical_column_is_imputed():
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"kind": pd.Categorical(np.where(rng.rand(80) > 0.5, "a", "b"))})
    hidden = rng.rand(80) < 0.2
    frame.loc[hidden, "kind"] = np.nan
    imputer = GAINImputer(max_epochs=3, hidden_dim=8, n_blocks=1, random_state=0)
    out = imputer.fit_transform(frame)
    assert out["kind"].notna().all() and set(out["kind"]) <= {"a", "b"}
    assert imputer.blend_.estimators_[-1].models_ == [None]


@pytest.mark.parametrize("blocks", [[], [(0, 2)]])
def test_unfitted_transform_raises(blocks):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        VariableBoostingImputer(blocks=blocks).transform(np.zeros((2, 3)))
