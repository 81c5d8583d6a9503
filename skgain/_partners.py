"""A blend partner for tables with categorical columns: one gradient-boosting
model per variable, each predicting it from the others.

GAINImputer encodes a categorical column as a block of one-hot columns.
scikit-learn's IterativeImputer, its other blend partners, models each of those
columns on all the others, its siblings in the block included: on the rows
where the category is observed the siblings give it away (a binary category's
two columns are complements), so the models learn the siblings and nothing
else, and where the category is missing, its siblings are too and the models
guess. :class:`VariableBoostingImputer` models a block as one variable, from
the columns outside it, with a classifier; numbers with a regressor.
Histogram gradient boosting takes missing features as they are, so one pass
does, with no imputation rounds.
"""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.utils.validation import check_is_fitted, check_random_state

# Fewer boosting rounds and leaves than scikit-learn's 100 and 31, to keep the
# partner cheap: it is fitted twice per GAINImputer.fit (held-out split, then
# every observed entry), once per variable. Set, not tuned: the benchmarks
# measured only this setting (benchmarks/results/mixed_ablation/).
_BOOSTING_ROUNDS = 50
_MAX_LEAF_NODES = 15
# Below this many observed rows, or in a table of one variable, a variable
# keeps its observed mean (a category: its share of each level).
_MIN_ROWS = 10


class VariableBoostingImputer(TransformerMixin, BaseEstimator):
    """Impute each variable from the other columns by histogram gradient boosting.

    Parameters
    ----------
    blocks : sequence of (int, int), default=()
        ``(start, stop)`` of each block of one-hot columns (one categorical
        variable each); every other column is a numeric variable.
    random_state : int, RandomState instance or None, default=None
        Seeds the models.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    variables_ : list of ndarray
        The columns of each variable (a block, or one numeric column).
    models_ : list
        Per variable, its fitted model, or None where it keeps ``fill_``.
    fill_ : ndarray of shape (n_features_in_,)
        Observed column means (0 for a column without observed values).
    """

    def __init__(self, blocks=(), random_state=None):
        self.blocks = blocks
        self.random_state = random_state

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        self.n_features_in_ = X.shape[1]
        self.variables_ = _variables(self.blocks, X.shape[1])
        observed = ~np.isnan(X)
        with np.errstate(invalid="ignore"):
            means = np.nansum(X, axis=0) / np.maximum(observed.sum(axis=0), 1)
        self.fill_ = np.where(observed.any(axis=0), means, 0.0)
        rng = check_random_state(self.random_state)
        self.models_ = [self._fit_variable(X, columns, rng.randint(2**31 - 1))
                        for columns in self.variables_]
        return self

    def _fit_variable(self, X, columns, seed):
        rows = ~np.isnan(X[:, columns[0]])
        if rows.sum() < _MIN_ROWS or len(columns) == X.shape[1]:
            return None  # too few rows, or no other column to predict from
        features = np.delete(X[rows], columns, axis=1)
        options = dict(max_iter=_BOOSTING_ROUNDS, max_leaf_nodes=_MAX_LEAF_NODES,
                       early_stopping=False, random_state=seed)
        if len(columns) > 1:
            labels = X[rows][:, columns].argmax(axis=1)
            if np.unique(labels).size < 2:
                return None
            return HistGradientBoostingClassifier(**options).fit(features, labels)
        target = X[rows, columns[0]]
        if np.ptp(target) == 0:
            return None
        return HistGradientBoostingRegressor(**options).fit(features, target)

    def transform(self, X):
        check_is_fitted(self, "models_")
        X = np.asarray(X, dtype=np.float64)
        out = np.where(np.isnan(X), self.fill_, X)
        for columns, model in zip(self.variables_, self.models_):
            rows = np.isnan(X[:, columns[0]])
            if model is None or not rows.any():
                continue
            features = np.delete(X[rows], columns, axis=1)
            if len(columns) > 1:
                block = np.zeros((rows.sum(), len(columns)))
                block[:, model.classes_] = model.predict_proba(features)
                out[np.ix_(rows, columns)] = block
            else:
                out[rows, columns[0]] = model.predict(features)
        return out


def _variables(blocks, n_columns):
    """The columns of each variable: each block, then every column outside them."""
    variables = [np.arange(start, stop) for start, stop in blocks]
    inside = np.zeros(n_columns, dtype=bool)
    for columns in variables:
        inside[columns] = True
    return variables + [np.array([j]) for j in np.flatnonzero(~inside)]
