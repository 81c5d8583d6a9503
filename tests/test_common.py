"""scikit-learn conformance of every public estimator, and composition."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from skgain import GAINImputer, SoftImputeFISTA

from ._estimators import all_estimators, blend_imputer, learning_table_imputers, table_imputers


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


@pytest.mark.parametrize("imputer", table_imputers() + [blend_imputer()],
                         ids=lambda e: type(e).__name__)
def test_fit_transform_equals_fit_then_transform(imputer, iris_missing):
    X, _ = iris_missing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        once = clone(imputer).fit_transform(X)
        twice = clone(imputer).fit(X).transform(X)
    # SoftImputeFISTA's transform re-solves each row: equal to solver tolerance.
    np.testing.assert_allclose(once, twice, rtol=1e-3, atol=1e-3)
    assert not np.isnan(once).any()


@pytest.mark.parametrize("imputer", table_imputers() + [blend_imputer()],
                         ids=lambda e: type(e).__name__)
def test_pipeline_with_classifier(imputer, iris_missing):
    X, y = iris_missing
    pipe = Pipeline([("impute", imputer), ("clf", LogisticRegression(max_iter=500))])
    pipe.fit(X, y)
    # Iris is easy: a pipeline that imputes sensibly classifies most training rows.
    assert pipe.score(X, y) > 0.8


def test_grid_search_tunes_alpha_and_hint_rate(iris_missing):
    X, _ = iris_missing
    grid = GridSearchCV(
        GAINImputer(adversarial=True, max_epochs=5, batch_size=32, random_state=0),
        {"alpha": [1, 100], "hint_rate": [0.5, 0.9]},
        cv=2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X)
    scores = grid.cv_results_["mean_test_score"]
    assert set(grid.best_params_) == {"alpha", "hint_rate"} and len(scores) == 4
    # Every grid point trains a different model: the parameters act on the fit.
    assert len(np.unique(np.round(scores, 6))) == 4
    # score is minus an RMSE on [0, 1]-scaled values.
    assert np.all((scores < 0) & (scores > -1))


def test_grid_search_tunes_the_blend_in_a_pipeline(iris_missing):
    X, y = iris_missing
    pipe = Pipeline([("impute", blend_imputer()), ("clf", LogisticRegression(max_iter=500))])
    grid = GridSearchCV(pipe, {"impute__loss": ["huber", "squared_error"],
                               "impute__prior_entries": [0, 100]}, cv=2)
    grid.fit(X, y)
    assert len(grid.cv_results_["mean_test_score"]) == 4
    assert grid.best_estimator_.named_steps["impute"].weights_.shape == (4, 2)


def test_grid_search_soft_impute_prefers_the_right_shrinkage():
    rng = np.random.RandomState(0)
    X = rng.rand(60, 3) @ rng.rand(3, 12)
    X[rng.rand(*X.shape) < 0.2] = np.nan
    grid = GridSearchCV(SoftImputeFISTA(random_state=0), {"shrinkage": [0.01, 50.0]}, cv=2)
    grid.fit(X)
    # A huge nuclear-norm weight shrinks the completion to zero: it must lose.
    assert grid.best_params_ == {"shrinkage": 0.01}


def _split_table(loader, seed=0):
    """20% MCAR; 70% of the rows to fit on, 30% unseen; min-max ranges of the complete data."""
    X = loader().data.astype(float)
    rng = np.random.RandomState(seed)
    hidden = rng.rand(*X.shape) < 0.2
    X_missing = np.where(hidden, np.nan, X)
    rows = rng.permutation(len(X))
    train, test = rows[: int(0.7 * len(X))], rows[int(0.7 * len(X)):]
    span = np.ptp(X, axis=0)
    scale = np.where(span > 0, span, 1.0)

    def rmse(imputed, part):
        return np.sqrt(np.mean(((imputed - X[part]) / scale)[hidden[part]] ** 2))

    return X_missing[train], X_missing[test], train, test, rmse


@pytest.mark.slow
@pytest.mark.parametrize("loader", [load_breast_cancer, load_wine, load_diabetes],
                         ids=["breast_cancer", "wine", "diabetes"])
@pytest.mark.parametrize("imputer", learning_table_imputers(), ids=lambda e: type(e).__name__)
def test_unseen_rows_beat_the_mean_and_refit_rows_match_fit_transform(imputer, loader):
    X_train, X_test, train, test, rmse = _split_table(loader)
    fitted = clone(imputer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit_rmse = rmse(fitted.fit_transform(X_train), train)
    mean = SimpleImputer().fit(X_train)
    assert rmse(fitted.transform(X_test), test) < rmse(mean.transform(X_test), test)
    # Transforming the rows it was fitted on is about as good as fit_transform.
    assert rmse(fitted.transform(X_train), train) == pytest.approx(fit_rmse, rel=0.1)
