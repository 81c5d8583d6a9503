"""scikit-learn conformance of every public estimator, and composition."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from skgain import GAINImputer, SoftImputeFISTA

from ._estimators import all_estimators, table_imputers


@parametrize_with_checks(all_estimators())
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.fixture
def iris_missing():
    X, y = load_iris(return_X_y=True)
    rng = np.random.RandomState(0)
    X = X.copy()
    X[rng.rand(*X.shape) < 0.15] = np.nan
    return X, y


@pytest.mark.parametrize("imputer", table_imputers(), ids=lambda e: type(e).__name__)
def test_clone_keeps_parameters(imputer):
    cloned = clone(imputer)
    assert cloned is not imputer
    assert cloned.get_params() == imputer.get_params()


@pytest.mark.parametrize("imputer", table_imputers(), ids=lambda e: type(e).__name__)
def test_pipeline_with_classifier(imputer, iris_missing):
    X, y = iris_missing
    pipe = Pipeline([("impute", imputer), ("clf", LogisticRegression(max_iter=500))])
    pipe.fit(X, y)
    # Iris is easy: a pipeline that imputes sensibly classifies most training rows.
    assert pipe.score(X, y) > 0.8


def test_grid_search_tunes_alpha_and_hint_rate(iris_missing):
    X, _ = iris_missing
    grid = GridSearchCV(
        GAINImputer(max_epochs=2, batch_size=32, random_state=0),
        {"alpha": [1, 100], "hint_rate": [0.5, 0.9]},
        cv=2,
    )
    grid.fit(X)
    assert set(grid.best_params_) == {"alpha", "hint_rate"}
    assert len(grid.cv_results_["mean_test_score"]) == 4
    # score is minus an RMSE on [0, 1]-scaled values.
    assert np.all(grid.cv_results_["mean_test_score"] < 0)
    assert np.all(grid.cv_results_["mean_test_score"] > -1)


def test_grid_search_soft_impute_prefers_the_right_shrinkage():
    rng = np.random.RandomState(0)
    X = rng.rand(60, 3) @ rng.rand(3, 12)
    X[rng.rand(*X.shape) < 0.2] = np.nan
    grid = GridSearchCV(SoftImputeFISTA(random_state=0), {"shrinkage": [0.01, 50.0]}, cv=2)
    grid.fit(X)
    # A huge nuclear-norm weight shrinks the completion to zero: it must lose.
    assert grid.best_params_ == {"shrinkage": 0.01}
