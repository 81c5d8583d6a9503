"""Mixed-type tables: GAINImputer on DataFrames against miceforest and scikit-learn (issue 30).

Five real tables with numeric and categorical columns that ship with installed
packages (``_mixed_data.py`` says where each comes from) lose 20% of their
entries (MCAR, each cell with its dtype's missing marker). Every imputer is used
as a user would use it on the DataFrame, twice per (table, seed):

- **unseen rows**: ``fit`` on 80% of the rows, ``transform`` the other 20%;
- **fit_transform**: ``fit_transform`` on all rows.

Measures on the hidden entries: RMSE of the numeric columns after min-max
scaling with the complete table's ranges, the error rate of the categorical
columns (the share of hidden categorical entries imputed wrong), and seconds
(fit + transform wall-clock, one thread). Every method returns the input's
columns in the input's dtypes (integers rounded, categories among those seen
in fit); the RMSE is taken on what it returns.

Methods (:func:`methods`): ``GAINImputer(random_state=seed)`` on the frame;
miceforest (LightGBM random forests, 5 MICE iterations, R mice's default
``maxit``; with its default mean matching and without it), which imputes new
rows with ``impute_new_data`` from the models fitted on the training rows; a
``ColumnTransformer`` of ``OrdinalEncoder`` + ``SimpleImputer(most_frequent)``
for the categorical columns and ``IterativeImputer(ExtraTrees(10))`` for the
numeric ones; ``KNNImputer`` on one-hot blocks and min-max scaled numbers (a
category is its block's argmax); and a MissForest-style imputer built here from
scikit-learn's random forests (:class:`MissForestImputer`).

    python -m benchmarks mixed_tables            # 5 tables, 3 seeds
    python -m benchmarks mixed_tables --quick    # 1 seed, tables cut to 150 rows
    python -m benchmarks.mixed_tables --methods knn,missforest --seeds 1

Full mode: 5 tables x 3 seeds x 6 methods x 2 fits, the tables whole (333 to
1461 rows): 20 to 40 minutes on one thread of a shared two-core machine
(1-minute load 2 to 8). A run can be split over processes and merged::

    python -m benchmarks.mixed_tables --tables penguins,cars --records b.json
    python -m benchmarks.mixed_tables --tables seattle --records a.json
    python -m benchmarks.mixed_tables --tables anes96,modechoice --records c.json
    python -m benchmarks.mixed_tables --merge b.json,a.json,c.json
"""

import os
import time

import numpy as np
import pandas as pd
import threadpoolctl
import torch
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from ._common import (
    cpu_model,
    markdown_table,
    mean_std,
    merged_records,
    records_parser,
    save_records,
    write_results,
)
from ._mixed_data import (
    MIXED_TABLES,
    hide_mcar,
    load_mixed,
    mixed_errors,
    numeric_ranges,
    split_columns,
)

NAME = "mixed_tables"
MISSING_RATE = 0.2
TEST_FRACTION = 0.2
QUICK_ROWS = 150
MICE_ITERATIONS = 5
# miceforest's categorical models: LightGBM's default leaf size (see MiceForestImputer).
CATEGORY_MIN_DATA_IN_LEAF = 20
GAIN = "GAINImputer"
MICE = "miceforest (mean matching)"
MICE_PLAIN = "miceforest (no mean matching)"
COLUMNS = "ColumnTransformer(most_frequent + IterativeImputer(ExtraTrees))"
KNN = "KNNImputer (one-hot)"
MISSFOREST = "MissForest (random forests)"
METHODS = (GAIN, MICE, MICE_PLAIN, COLUMNS, KNN, MISSFOREST)
PEERS = METHODS[1:]
# Short names for --methods.
SHORT = {"gain": GAIN, "miceforest": MICE, "miceforest_plain": MICE_PLAIN,
         "columns": COLUMNS, "knn": KNN, "missforest": MISSFOREST}


# --------------------------------------------------------------------------
# Encoding a DataFrame to numbers and back
# --------------------------------------------------------------------------

class FrameCodec:
    """Numbers <-> a DataFrame: categorical columns as codes of the levels seen in fit.

    ``encode`` gives a float matrix (numeric columns as they are, categorical
    ones as the index of their level, NaN where missing or unseen); ``decode``
    turns such a matrix back into a frame in the dtypes of ``like`` (integers
    rounded, codes rounded and clipped to a level).
    """

    def __init__(self, frame):
        self.columns = list(frame.columns)
        self.numeric, self.categorical = split_columns(frame)
        self.levels = {c: sorted(pd.unique(frame[c].dropna().astype(object)), key=str)
                       for c in self.categorical}

    def is_categorical(self):
        return np.array([c in self.levels for c in self.columns])

    def encode(self, frame):
        columns = []
        for c in self.columns:
            if c in self.levels:
                lookup = {level: k for k, level in enumerate(self.levels[c])}
                values = frame[c].astype(object).to_numpy()
                columns.append(np.array([np.nan if pd.isna(v) else lookup.get(v, np.nan)
                                         for v in values], dtype=float))
            else:
                columns.append(pd.to_numeric(frame[c]).astype("Float64").to_numpy(
                    dtype=float, na_value=np.nan))
        return np.column_stack(columns)

    def decode(self, matrix, like):
        out = {}
        for j, c in enumerate(self.columns):
            dtype = like[c].dtype
            if c in self.levels:
                codes = np.clip(np.rint(matrix[:, j]), 0, len(self.levels[c]) - 1).astype(int)
                values = np.asarray(self.levels[c], dtype=object)[codes]
                out[c] = pd.Series(values, index=like.index, dtype=object).astype(dtype)
            else:
                values = matrix[:, j]
                if pd.api.types.is_integer_dtype(dtype):
                    values = np.rint(values)
                out[c] = pd.Series(values, index=like.index).astype(dtype)
        return pd.DataFrame(out, index=like.index)


class _FrameImputer(TransformerMixin, BaseEstimator):
    """A peer on DataFrames: encode with :class:`FrameCodec`, impute numbers, decode."""

    def fit(self, X, y=None):
        self.codec_ = FrameCodec(X)
        self._fit(self.codec_.encode(X))
        return self

    def transform(self, X):
        return self.codec_.decode(self._impute(self.codec_.encode(X)), like=X)


# --------------------------------------------------------------------------
# The peers
# --------------------------------------------------------------------------

class KNNOneHotImputer(_FrameImputer):
    """``KNNImputer`` on one-hot categorical blocks and min-max scaled numbers.

    A missing category makes its whole block missing; the imputed category is
    the block's argmax. Numbers are scaled with the training rows' observed
    range.
    """

    def __init__(self, n_neighbors=5):
        self.n_neighbors = n_neighbors

    def _expand(self, M):
        blocks = []
        for j, c in enumerate(self.codec_.columns):
            if c in self.codec_.levels:
                k = len(self.codec_.levels[c])
                block = (M[:, [j]] == np.arange(k)).astype(float)
                block[np.isnan(M[:, j])] = np.nan
                blocks.append(block)
            else:
                blocks.append(((M[:, j] - self.low_[j]) / self.range_[j])[:, None])
        return np.hstack(blocks)

    def _fit(self, M):
        self.low_ = np.nanmin(M, axis=0)
        spread = np.nanmax(M, axis=0) - self.low_
        self.range_ = np.where(spread > 0, spread, 1.0)
        self.knn_ = KNNImputer(n_neighbors=self.n_neighbors).fit(self._expand(M))

    def _impute(self, M):
        wide = self.knn_.transform(self._expand(M))
        out, start = np.empty_like(M), 0
        for j, c in enumerate(self.codec_.columns):
            if c in self.codec_.levels:
                k = len(self.codec_.levels[c])
                out[:, j] = wide[:, start:start + k].argmax(axis=1)
                start += k
            else:
                out[:, j] = wide[:, start] * self.range_[j] + self.low_[j]
                start += 1
        observed = ~np.isnan(M)
        out[observed] = M[observed]
        return out


class ColumnTransformerImputer(TransformerMixin, BaseEstimator):
    """A ``ColumnTransformer``: the mode for categories, IterativeImputer(ExtraTrees) for numbers.

    Categorical columns go through ``OrdinalEncoder`` (missing stays missing,
    unseen levels become missing) and ``SimpleImputer(strategy="most_frequent")``;
    numeric ones through ``IterativeImputer(ExtraTreesRegressor(n_estimators=10))``,
    which sees only the numeric columns. The codes are decoded to the levels.
    """

    def __init__(self, random_state=None):
        self.random_state = random_state

    @staticmethod
    def _plain(X, numeric, categorical):
        plain = {c: X[c].astype(object).where(X[c].notna(), np.nan) for c in categorical}
        plain.update({c: pd.to_numeric(X[c]).astype("Float64").to_numpy(
            dtype=float, na_value=np.nan) for c in numeric})
        return pd.DataFrame(plain, index=X.index)

    def fit(self, X, y=None):
        self.numeric_, self.categorical_ = split_columns(X)
        encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                                 encoded_missing_value=np.nan)
        forest = ExtraTreesRegressor(n_estimators=10, random_state=self.random_state)
        self.transformer_ = ColumnTransformer([
            ("categories", Pipeline([("codes", encoder),
                                     ("mode", SimpleImputer(strategy="most_frequent"))]),
             self.categorical_),
            ("numbers", IterativeImputer(forest, random_state=self.random_state),
             self.numeric_),
        ])
        self.transformer_.fit(self._plain(X, self.numeric_, self.categorical_))
        return self

    def transform(self, X):
        values = self.transformer_.transform(self._plain(X, self.numeric_, self.categorical_))
        levels = self.transformer_.named_transformers_["categories"]["codes"].categories_
        out = {}
        for j, c in enumerate(self.categorical_):
            codes = values[:, j].astype(int)
            out[c] = pd.Series(np.asarray(levels[j], dtype=object)[codes], index=X.index,
                               dtype=object).astype(X[c].dtype)
        for j, c in enumerate(self.numeric_, start=len(self.categorical_)):
            column = values[:, j]
            if pd.api.types.is_integer_dtype(X[c].dtype):
                column = np.rint(column)
            out[c] = pd.Series(column, index=X.index).astype(X[c].dtype)
        return pd.DataFrame(out, index=X.index)[list(X.columns)]


class MissForestImputer(_FrameImputer):
    """MissForest (Stekhoven and Buehlmann, 2012) from scikit-learn's random forests.

    Categorical columns are coded as integers; missing entries start at the
    column's mean (numbers) or mode (categories). Each round visits the
    columns with missing entries from the fewest to the most missing and
    refits a forest on the rows where the column is observed, with every other
    column as features: ``RandomForestRegressor`` for numbers,
    ``RandomForestClassifier`` for categories (``n_estimators`` trees, the
    square root of the features at each split, as R's missForest). It stops
    when the change between two rounds grows for every kind of column present
    (numbers: sum of squared changes over sum of squares, on the min-max scaled
    values; categories: the share of imputed entries that changed), or after
    ``max_iter`` rounds, and keeps the imputation before the change grew.
    ``transform`` on new rows starts from the training means and modes and
    applies the forests of the kept rounds in the same order.
    """

    def __init__(self, n_estimators=100, max_iter=10, random_state=None):
        self.n_estimators = n_estimators
        self.max_iter = max_iter
        self.random_state = random_state

    def _start(self, M):
        X = M.copy()
        missing = np.isnan(X)
        X[missing] = np.take(self.initial_, np.nonzero(missing)[1])
        return X

    def _forest(self, categorical, seed):
        kind = RandomForestClassifier if categorical else RandomForestRegressor
        return kind(n_estimators=self.n_estimators, max_features="sqrt", random_state=seed,
                    n_jobs=1)

    def _fit(self, M):
        self._fit_impute(M)

    def _fit_impute(self, M):
        categorical = self.codec_.is_categorical()
        missing = np.isnan(M)
        initial = np.nanmean(M, axis=0)
        for j in np.flatnonzero(categorical):
            observed = M[~missing[:, j], j].astype(int)
            initial[j] = np.bincount(observed).argmax() if observed.size else 0.0
        self.initial_ = np.nan_to_num(initial)
        low = np.nanmin(np.where(missing, np.nan, M), axis=0)
        spread = np.nanmax(np.where(missing, np.nan, M), axis=0) - low
        scale = np.where(np.nan_to_num(spread) > 0, np.nan_to_num(spread), 1.0)
        counts = missing.sum(axis=0)
        self.order_ = [int(j) for j in np.argsort(counts, kind="stable") if counts[j] > 0]
        rng = np.random.RandomState(self.random_state)
        X = self._start(M)
        kept, rounds, previous_change = X, [], None
        for _ in range(self.max_iter):
            before = X.copy()
            models = {}
            for j in self.order_:
                rows = missing[:, j]
                features = np.delete(X, j, axis=1)
                model = self._forest(categorical[j], rng.randint(2**31 - 1))
                model.fit(features[~rows], X[~rows, j])
                X[rows, j] = model.predict(features[rows])
                models[j] = model
            change = []
            numbers = missing & ~categorical
            if numbers.any():
                scaled = (X - before) / scale
                change.append(np.sum(scaled[numbers] ** 2)
                              / max(np.sum((X / scale)[numbers] ** 2), 1e-12))
            categories = missing & categorical
            if categories.any():
                change.append(np.mean(X[categories] != before[categories]))
            if previous_change is not None and all(
                    now > then for now, then in zip(change, previous_change)):
                break
            rounds.append(models)
            kept, previous_change = X.copy(), change
        self.rounds_ = rounds
        self.n_iter_ = len(rounds)
        return kept

    def fit_transform(self, X, y=None):
        self.codec_ = FrameCodec(X)
        return self.codec_.decode(self._fit_impute(self.codec_.encode(X)), like=X)

    def _impute(self, M):
        missing = np.isnan(M)
        X = self._start(M)
        for models in self.rounds_:
            for j in self.order_:
                rows = missing[:, j]
                if rows.any():
                    X[rows, j] = models[j].predict(np.delete(X[rows], j, axis=1))
        return X


class MiceForestImputer(TransformerMixin, BaseEstimator):
    """miceforest's ``ImputationKernel`` (LightGBM random forests) on the frame.

    Categorical columns become pandas ``category`` (what miceforest models as
    classes), numbers ``float64``. ``fit`` runs ``iterations`` rounds of MICE
    on the given rows, one LightGBM thread; ``transform`` imputes new rows with
    ``impute_new_data`` from those models (mean matching candidates come from
    the training rows); ``fit_transform`` returns the kernel's own completion.
    Categorical columns are modelled with ``min_data_in_leaf=20`` (LightGBM's
    default; miceforest's is 1), as miceforest's own warning about rare classes
    advises: with 1, its mean matching took the log-odds of class
    probabilities of exactly 0 and failed ("data must be finite") on seattle's
    weather (seed 0, 23 snow days in 1461), and with 2 too.
    ``mean_matching=False`` sets ``mean_match_candidates=0``: predictions
    (regression) and the most probable class. ``transform`` asks for the last
    iteration's values by number: miceforest 6.0.5's ``impute_new_data``
    leaves the new data's iteration count at 0, and ``complete_data()`` with
    its default returned the random initial fill (penguins, seed 0: unseen
    error rate 0.65 against 0.275 asked by number). ``num_datasets`` > 1 gives
    several completions (:meth:`complete_all`), for multiple imputation.
    """

    def __init__(self, mean_matching=True, iterations=MICE_ITERATIONS, num_datasets=1,
                 random_state=None):
        self.mean_matching = mean_matching
        self.iterations = iterations
        self.num_datasets = num_datasets
        self.random_state = random_state

    def _mice_frame(self, X):
        frame = {}
        for c in X.columns:
            if c in self.levels_:
                values = X[c].astype(object).where(X[c].notna(), None)
                frame[c] = pd.Categorical(values, categories=self.levels_[c])
            else:
                frame[c] = pd.to_numeric(X[c]).astype("Float64").to_numpy(
                    dtype=float, na_value=np.nan)
        return pd.DataFrame(frame).reset_index(drop=True)

    def _decode(self, completed, like):
        out = {}
        for c in like.columns:
            if c in self.levels_:
                out[c] = pd.Series(completed[c].astype(object).to_numpy(), index=like.index,
                                   dtype=object).astype(like[c].dtype)
            else:
                values = completed[c].to_numpy(dtype=float)
                if pd.api.types.is_integer_dtype(like[c].dtype):
                    values = np.rint(values)
                out[c] = pd.Series(values, index=like.index).astype(like[c].dtype)
        return pd.DataFrame(out, index=like.index)

    def fit(self, X, y=None):
        import miceforest as mf

        _, categorical = split_columns(X)
        self.levels_ = {c: sorted(pd.unique(X[c].dropna().astype(object)), key=str)
                        for c in categorical}
        options = {} if self.mean_matching else {"mean_match_candidates": 0}
        self.kernel_ = mf.ImputationKernel(self._mice_frame(X), num_datasets=self.num_datasets,
                                           random_state=self.random_state, **options)
        # LightGBM's own min_data_in_leaf for the categorical columns
        # (miceforest sets 1): see the class docstring.
        leaves = {c: {"min_data_in_leaf": CATEGORY_MIN_DATA_IN_LEAF} for c in self.levels_
                  if X[c].isna().any()}
        self.kernel_.mice(self.iterations, variable_parameters=leaves, num_threads=1)
        return self

    def transform(self, X):
        new = self.kernel_.impute_new_data(self._mice_frame(X), datasets=[0],
                                           random_state=self.random_state)
        # The last iteration by number: miceforest 6.0.5's impute_new_data
        # leaves the new data's iteration count at 0, so complete_data's
        # default (iteration=-1, "the latest") returns the random initial fill.
        last = self.kernel_.iteration_count()
        return self._decode(new.complete_data(dataset=0, iteration=last), like=X)

    def fit_transform(self, X, y=None):
        return self.fit(X).complete_all(X)[0]

    def complete_all(self, X):
        """The kernel's ``num_datasets`` completions of the rows it was fitted on."""
        return [self._decode(self.kernel_.complete_data(dataset=k), like=X)
                for k in range(self.num_datasets)]


def methods(seed, only=None):
    """The compared imputers for one seed (fresh, unfitted); ``only``: a subset of names."""
    builders = {
        GAIN: lambda: _gain(seed),
        MICE: lambda: MiceForestImputer(mean_matching=True, random_state=seed),
        MICE_PLAIN: lambda: MiceForestImputer(mean_matching=False, random_state=seed),
        COLUMNS: lambda: ColumnTransformerImputer(random_state=seed),
        KNN: lambda: KNNOneHotImputer(),
        MISSFOREST: lambda: MissForestImputer(random_state=seed),
    }
    return {name: build() for name, build in builders.items() if only is None or name in only}


def _gain(seed):
    from skgain import GAINImputer

    return GAINImputer(random_state=seed)


# --------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------

def split_rows(n_samples, seed):
    """Seeded (train, unseen) row positions, as in ``benchmarks.tabular``."""
    order = np.random.RandomState(10_000 + seed).permutation(n_samples)
    n_test = int(round(TEST_FRACTION * n_samples))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def table(name, quick):
    """The complete table; in quick mode its first QUICK_ROWS rows of a seeded shuffle."""
    frame = load_mixed(name)
    if quick and len(frame) > QUICK_ROWS:
        rows = np.sort(np.random.RandomState(0).permutation(len(frame))[:QUICK_ROWS])
        frame = frame.iloc[rows].reset_index(drop=True)
    return frame


def _kept(given, returned):
    """Whether ``returned`` has ``given``'s columns and dtypes and its observed cells."""
    if list(returned.columns) != list(given.columns):
        return False, False
    dtypes = bool((returned.dtypes == given.dtypes).all())
    observed = given.notna().to_numpy()
    same = all(
        np.array_equal(given[c].astype(object).to_numpy()[observed[:, j]],
                       returned[c].astype(object).to_numpy()[observed[:, j]])
        for j, c in enumerate(given.columns))
    return dtypes, same


def measure_one(estimator, complete, missing, hidden, rows, ranges):
    """Unseen rows (fit on train, transform test) and fit_transform on all rows."""
    train, test = rows
    record = {}
    fitted = clone(estimator)
    start = time.perf_counter()
    fitted.fit(missing.iloc[train])
    unseen = fitted.transform(missing.iloc[test])
    record["seconds_unseen"] = time.perf_counter() - start
    scores = mixed_errors(complete.iloc[test].reset_index(drop=True),
                          unseen.reset_index(drop=True), hidden[test], ranges)
    record.update(rmse_unseen=scores["rmse"], error_unseen=scores["error_rate"])
    record["dtypes_kept_unseen"], record["observed_kept_unseen"] = _kept(
        missing.iloc[test], unseen)
    start = time.perf_counter()
    completed = clone(estimator).fit_transform(missing)
    record["seconds_fit"] = time.perf_counter() - start
    scores = mixed_errors(complete, completed, hidden, ranges)
    record.update(rmse_fit=scores["rmse"], error_fit=scores["error_rate"],
                  n_numeric_hidden=scores["n_numeric"],
                  n_categorical_hidden=scores["n_categorical"])
    record["dtypes_kept_fit"], record["observed_kept_fit"] = _kept(missing, completed)
    record["seconds"] = record["seconds_unseen"] + record["seconds_fit"]
    return record


def warm_up(complete, only=None, build=methods):
    """Fit each method of ``build(0, only)`` once on 40 rows, untimed: imports and
    torch's lazy start-up are paid once per process, not by the first table's
    first fit. Only loading matters here, so a method that cannot fit 40 rows is
    passed over."""
    small = complete.iloc[:40].reset_index(drop=True)
    missing, _ = hide_mcar(small, MISSING_RATE, 0)
    for estimator in build(0, only).values():
        try:
            clone(estimator).fit_transform(missing)
        except Exception:  # noqa: BLE001 - a warm-up, never a result
            pass


def measure(tables, seeds, quick, only=None, records_path=None, records=None,
            build=methods):
    """One record per (table, seed, method of ``build(seed, only)``, by default
    :func:`methods`); saved after each when ``records_path``."""
    records = [] if records is None else records
    for k, name in enumerate(tables):
        complete = table(name, quick)
        if k == 0:
            warm_up(complete, only, build)
        numeric, categorical = split_columns(complete)
        ranges = numeric_ranges(complete, numeric)
        for seed in seeds:
            missing, hidden = hide_mcar(complete, MISSING_RATE, seed)
            rows = split_rows(len(complete), seed)
            for method, estimator in build(seed, only).items():
                try:
                    record = measure_one(estimator, complete, missing, hidden, rows, ranges)
                except Exception as exc:  # noqa: BLE001 - reported in the table, run goes on
                    record = {"error": f"{type(exc).__name__}: {exc}"}
                record.update(table=name, seed=seed, method=method,
                              shape=list(complete.shape), numeric=numeric,
                              categorical=categorical, cpu=cpu_model(),
                              torch_threads=torch.get_num_threads(),
                              load_average_1min=os.getloadavg()[0])
                records.append(record)
                if records_path is not None:
                    save_records(records_path, records)
                if "error" in record:
                    print(f"{name:10s} seed={seed} {method:70s} FAILED {record['error']}",
                          flush=True)
                    continue
                print(f"{name:10s} seed={seed} {method:70s} unseen {record['rmse_unseen']:.4f}"
                      f" / {record['error_unseen']:.3f}  fit {record['rmse_fit']:.4f} / "
                      f"{record['error_fit']:.3f}  {record['seconds']:6.1f}s", flush=True)
    return records


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------

FIELDS = ("rmse_unseen", "error_unseen", "rmse_fit", "error_fit", "seconds_unseen",
          "seconds_fit", "seconds")
MEASURES = (("unseen", "rmse_unseen", "error_unseen"), ("fit_transform", "rmse_fit", "error_fit"))


def summarise(records):
    """Mean and std per (table, method) over the seeds every method of the table finished.

    Failed fits (records with an ``error``) are left out here and listed by
    :func:`failure_lines`.
    """
    records = [r for r in records if "error" not in r]
    summary = {}
    for name in dict.fromkeys(r["table"] for r in records):
        rows = [r for r in records if r["table"] == name]
        present = list(dict.fromkeys(r["method"] for r in rows))
        seeds = [s for s in dict.fromkeys(r["seed"] for r in rows)
                 if {r["method"] for r in rows if r["seed"] == s} == set(present)]
        for method in present:
            chosen = [r for r in rows if r["method"] == method and r["seed"] in seeds]
            entry = {"n_seeds": len(chosen), "shape": chosen[0]["shape"],
                     "numeric": chosen[0]["numeric"], "categorical": chosen[0]["categorical"],
                     "dtypes_kept": all(r["dtypes_kept_unseen"] and r["dtypes_kept_fit"]
                                        for r in chosen),
                     "observed_kept": all(r["observed_kept_unseen"] and r["observed_kept_fit"]
                                          for r in chosen)}
            for field in FIELDS:
                entry[field], entry[field + "_std"] = mean_std([r[field] for r in chosen])
            summary.setdefault(name, {})[method] = entry
    return summary


def ahead(gain, peer):
    """Per setting (unseen, fit_transform): GAIN strictly lower on both RMSE and error rate."""
    return {setting: gain[rmse] < peer[rmse] and gain[error] < peer[error]
            for setting, rmse, error in MEASURES}


def verdicts(summary):
    """Per table: GAIN ahead of every peer on both measures? Its seconds over miceforest's."""
    result = {}
    for name, s in summary.items():
        peers = {m: s[m] for m in PEERS if m in s}
        if GAIN not in s or not peers:
            continue
        against = {m: ahead(s[GAIN], peer) for m, peer in peers.items()}
        entry = {setting: all(a[setting] for a in against.values())
                 for setting, _, _ in MEASURES}
        entry["both"] = entry["unseen"] and entry["fit_transform"]
        entry["behind"] = {m: [setting for setting, won in a.items() if not won]
                           for m, a in against.items() if not all(a.values())}
        if MICE in s:
            entry["x_miceforest"] = s[GAIN]["seconds"] / s[MICE]["seconds"]
        result[name] = entry
    return result


def _cell(entry, field):
    return f"{entry[field]:.4f} ± {entry[field + '_std']:.4f}"


def render(summary):
    lines = []
    for name, s in summary.items():
        first = next(iter(s.values()))
        lines += [f"### {name} ({first['shape'][0]} x {first['shape'][1]}: "
                  f"{len(first['numeric'])} numeric, {len(first['categorical'])} categorical "
                  f"({', '.join(first['categorical'])})), seeds: {first['n_seeds']}", ""]
        rows = []
        for method, e in s.items():
            rows.append([method, _cell(e, "rmse_unseen"), _cell(e, "error_unseen"),
                         _cell(e, "rmse_fit"), _cell(e, "error_fit"),
                         f"{e['seconds_unseen']:.1f}", f"{e['seconds_fit']:.1f}",
                         f"{e['seconds'] / s[MICE]['seconds']:.2f}" if MICE in s else "-",
                         "yes" if e["dtypes_kept"] and e["observed_kept"] else "NO"])
        lines += [markdown_table(
            ["method", "unseen RMSE", "unseen error rate", "fit_transform RMSE",
             "fit_transform error rate", "s (fit + transform)", "s (fit_transform)",
             "x miceforest", "dtypes and observed kept"], rows), ""]
    return lines


def summary_lines(summary):
    verdict = verdicts(summary)
    if not verdict:
        return ["GAINImputer was not part of this run: no verdict."]
    n = len(verdict)
    lines = [f"**GAINImputer ahead of every peer on both measures on "
             f"{sum(v['both'] for v in verdict.values())} of {n} tables** (unseen rows and "
             f"fit_transform both; unseen rows alone: "
             f"{sum(v['unseen'] for v in verdict.values())} of {n}; fit_transform alone: "
             f"{sum(v['fit_transform'] for v in verdict.values())} of {n}; ahead: a strictly "
             "lower mean RMSE and error rate than each peer). Target: at least 4 of 5, in no "
             "more than miceforest's seconds.", ""]
    for name, v in verdict.items():
        behind = "; ".join(f"{m}: {', '.join(settings)}" for m, settings in v["behind"].items())
        speed = f"{v['x_miceforest']:.2f}x miceforest's seconds" if "x_miceforest" in v else ""
        verdict_text = ("AHEAD of every peer on both measures" if v["both"]
                        else f"not ahead of {behind}")
        lines.append(f"- {name}: {verdict_text}{'; ' + speed if speed else ''}.")
    ratios = [v["x_miceforest"] for v in verdict.values() if "x_miceforest" in v]
    if ratios:
        total_gain = sum(summary[t][GAIN]["seconds"] for t in verdict)
        total_mice = sum(summary[t][MICE]["seconds"] for t in verdict if MICE in summary[t])
        lines.append(f"- Seconds (fit + transform and fit_transform together) over "
                     f"{MICE}'s: {min(ratios):.2f}x to {max(ratios):.2f}x per table, "
                     f"{total_gain / total_mice:.2f}x over all tables; within miceforest's "
                     f"seconds on {sum(r <= 1 for r in ratios)} of {len(ratios)} tables.")
    return lines


def failure_lines(records):
    """One line per failed fit: table, seed, method and the error."""
    return [f"- FAILED: {r['table']} seed {r['seed']}, {r['method']}: {r['error']}"
            for r in records if "error" in r]


def mode_line(records, quick):
    seeds = sorted({r["seed"] for r in records})
    loads = [r["load_average_1min"] for r in records]
    cpus = sorted({r["cpu"] for r in records})
    threads = sorted({r["torch_threads"] for r in records})
    return (f"{'quick (tables cut to ' + str(QUICK_ROWS) + ' rows)' if quick else 'full'}; "
            f"seeds {seeds}; torch threads {threads}, one BLAS and one LightGBM thread; "
            f"1-minute load average {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} "
            f"cores ({'; '.join(cpus)})")


def report(records, quick, name=NAME, out_dir=None):
    summary = summarise(records)
    lines = [
        "# Mixed-type tables: numeric RMSE and categorical error rate",
        "",
        f"Mode: {mode_line(records, quick)}. 20% of the entries hidden completely at random. "
        "unseen: `fit` on 80% of the rows, `transform` of the other 20%; fit_transform: "
        "`fit_transform` on all rows. RMSE over the hidden numeric entries after min-max "
        "scaling with the complete table's ranges; error rate: share of the hidden categorical "
        "entries imputed wrong (lower is better for both); mean ± std over seeds. Seconds: "
        "wall-clock of each setting; x miceforest: both settings' seconds over "
        f"{MICE}'s. Produced by `benchmarks/mixed_tables.py`; tables from "
        "`benchmarks/_mixed_data.py`.",
        "",
        *summary_lines(summary),
        *failure_lines(records),
        "",
        *render(summary),
    ]
    return publish(name, NAME, lines, mode_line(records, quick), summary, records, out_dir,
                   verdicts=verdicts(summary))


def publish(name, experiment, lines, mode, summary, records, out_dir, **payload):
    """Write the report ``lines`` and the data (``mode``, ``summary``,
    ``payload``, ``records``) as ``<name>.md`` / ``.json`` into the
    experiment's folder, print the report and return the summary and records."""
    markdown = "\n".join(lines)
    write_results(name, {"mode": mode, "summary": summary, **payload, "records": records},
                  markdown, out_dir, experiment=experiment)
    print(markdown)
    return {"summary": summary, "records": records}


def run(quick=False, data_home=None, out_dir=None, seeds=None, tables=MIXED_TABLES,
        only=None, name=NAME, records_path=None):
    """Run the comparison and write ``<name>.json`` and ``<name>.md`` (``data_home`` unused)."""
    torch.set_num_threads(1)
    seeds = list(seeds if seeds is not None else (range(1) if quick else range(3)))
    with threadpoolctl.threadpool_limits(1):
        records = measure(tables, seeds, quick, only, records_path)
    return report(records, quick, name, out_dir)


def main(argv=None):
    parser = records_parser(__doc__, SHORT, name=NAME, tables=MIXED_TABLES)
    args = parser.parse_args(argv)
    if args.merge:
        report(merged_records(args.merge), args.quick, args.name, args.out)
        return
    only = None if args.methods is None else {SHORT[m] for m in args.methods.split(",")}
    seeds = range(args.seeds) if args.seeds else None
    run(args.quick, None, args.out, seeds, args.tables.split(","), only, args.name,
        args.records)


if __name__ == "__main__":
    main()
