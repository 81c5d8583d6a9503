"""Ablation of GAINImputer's blend: which imputers, and how the weights are chosen.

On the small tables the blend was designed on, each row is fitted on 80% of
the rows (20% MCAR) and scored on the unseen 20% (RMSE after min-max scaling
with the complete data's ranges). One default fit per table and seed gives
the network, IterativeImputer(BayesianRidge) and IterativeImputer(ExtraTrees)
and the held-out validation entries; the variants reweigh them:

* each of the three alone;
* the network blended with one of them (BayesianRidge was the default
  before the three-way blend), or with their average as one imputer;
* the two imputers blended without the network: what the network adds;
* fixed equal weights (1/3 each);
* the default: three-way weights fitted on the held-out validation entries
  (those early stopping chose the epoch on) with Huber's loss, shrunk
  towards equal weights by 100 pseudo-entries, and the two imputers then
  refitted on every observed entry; the same without the shrinkage;
* the parts of the default one at a time: least-squares weights instead of
  Huber's; the imputers kept as the weights were fitted (without the
  held-out entries) instead of refitted; both, the default before them;
* every other held-out entry kept from early stopping and the weights
  fitted on those alone (split), shrunk: a second fit;
* SoftImputeFISTA (low-rank completion) as a third imputer beside the two
  (four-way), fitted and refitted as they are;
* the default's three, weighed on every observed entry instead of the
  held-out tenth: each entry imputed by a network and two imputers fitted
  without its fold (5 folds, so five more fits of each; the default's
  network and refitted imputers then impute with those weights).

Fitted weights use Huber's loss unless a row says least squares; the
imputers are the refitted ones unless a row says not refitted.

    python -m benchmarks blend_ablation [--quick]   # the design tables, 3 seeds
    python -m benchmarks.blend_ablation [--seeds 3] [--threads 1]
    python -m benchmarks.blend_ablation --threads 1 --datasets anes96,ccard,danish_data,\
digits,elnino,fair,fertility,goog,grunfeld,interest_inflation,scotland,statecrime,stocks \
        --name blend_ablation_confirm     # tables the blend was not designed on
"""

import argparse
import contextlib
import copy
import itertools
import os
import time
import warnings
from unittest import mock

import numpy as np
import threadpoolctl
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skgain import GAINImputer, SoftImputeFISTA

from ._common import default_data_home, markdown_table, scaled_rmse, write_results

NAME = "blend_ablation"
from ._table_data import hide, load_table
from .tabular import MISSING_RATE, blas_threads, mode_line, split_rows

DESIGNED_ON = ("breast_cancer", "diabetes", "iris", "macrodata", "modechoice", "star98", "wine")
DEFAULT = "default: three-way, Huber, shrunk, refitted"
FIT = " (fit rows)"
NO_NETWORK = "BayesianRidge + ExtraTrees (no network)"
LEAST_SQUARES = "least-squares weights"
NOT_REFITTED = "imputers not refitted"
PREVIOUS = "previous default: least squares, not refitted"
FOUR_WAY = "four-way: + SoftImputeFISTA"
K_FOLD = "weights from 5 folds of every observed entry"
N_FOLDS = 5
VARIANTS = ("network alone", "BayesianRidge alone", "ExtraTrees alone",
            "network + BayesianRidge (two-way default before)", "network + ExtraTrees",
            "network + average of the two", NO_NETWORK, "equal weights", DEFAULT,
            LEAST_SQUARES, NOT_REFITTED, PREVIOUS,
            "three-way, not shrunk", "three-way, split, shrunk", FOUR_WAY, K_FOLD)
# GAINImputer's weights (skgain/_blend.py) are re-expressed below, with the
# parts this ablation varies as arguments: each estimated weight is shrunk
# as if PRIOR_ENTRIES more entries had voted for the prior, and Huber's loss
# (errors beyond HUBER_K robust standard deviations count linearly) is fitted
# by HUBER_ITERATIONS rounds of reweighted least squares.
# tests/test_benchmarks.py checks the rows built on them against real fits.
PRIOR_ENTRIES = 100
HUBER_K = 1.345
HUBER_ITERATIONS = 10


# ---------------------------------------------------------------- the weights
def blend_weights(imputations, truth, features, n_features, prior_entries=PRIOR_ENTRIES,
                  huber=True):
    """Weight of each imputer per feature: shape (n_features, n_imputers).

    ``imputations`` (n_entries, n_imputers) holds the imputers' values of
    held-out entries, ``truth`` their observed values and ``features`` their
    column indices. A feature's weights are non-negative, sum to 1 and
    minimise Huber's loss (``huber``) or the squared error of the weighted
    average; the table's weights are shrunk towards equal weights, and each
    feature's towards the table's, by ``prior_entries`` pseudo-entries.
    """
    if not huber:
        return _least_squares_weights(imputations, truth, features, n_features, prior_entries)
    entry_weights = np.ones(len(truth))
    for _ in range(HUBER_ITERATIONS):
        root = np.sqrt(entry_weights)
        weights = _least_squares_weights(imputations * root[:, None], truth * root, features,
                                         n_features, prior_entries)
        errors = truth - np.einsum("ij,ij->i", imputations, weights[features])
        scale = HUBER_K * 1.4826 * np.median(np.abs(errors))
        entry_weights = (np.minimum(1.0, scale / np.maximum(np.abs(errors), 1e-300))
                         if scale > 0 else np.ones(len(errors)))
    return weights


def _least_squares_weights(imputations, truth, features, n_features, prior_entries):
    n_entries, n_imputers = imputations.shape
    equal = np.full(n_imputers, 1.0 / n_imputers)
    gram = np.empty((n_features, n_imputers, n_imputers))
    for i, j in itertools.product(range(n_imputers), repeat=2):
        gram[:, i, j] = np.bincount(features, imputations[:, i] * imputations[:, j],
                                    minlength=n_features)
    cross = np.stack([np.bincount(features, column * truth, minlength=n_features)
                      for column in imputations.T], axis=1)

    def shrunk(weights, count, prior):
        return (count * weights + prior_entries * prior) / (count + prior_entries)

    table = shrunk(_simplex_least_squares(gram.sum(axis=0), cross.sum(axis=0), equal),
                   n_entries, equal)
    count = np.bincount(features, minlength=n_features)
    per_feature = np.array([_simplex_least_squares(g, c, table) for g, c in zip(gram, cross)])
    return shrunk(per_feature, count[:, None], table)


def _simplex_least_squares(gram, cross, default):
    """The w >= 0 with sum 1 that minimises ``w @ gram @ w - 2 * cross @ w``:
    the best of each face's equality-constrained minimum (``default`` when
    the imputers agree on every entry)."""
    diagonal = np.diag(gram)
    if np.max(diagonal[:, None] + diagonal[None, :] - 2 * gram) <= 0:
        return default
    best, best_loss = None, np.inf
    for size in range(1, len(cross) + 1):
        for face in itertools.combinations(range(len(cross)), size):
            weights = _face_minimum(gram, cross, list(face))
            if weights is None or np.any(weights < 0):
                continue
            loss = weights @ gram @ weights - 2 * cross @ weights
            if loss < best_loss:
                best, best_loss = weights, loss
    return best


def _face_minimum(gram, cross, face):
    """Minimiser over the weights that are 0 off ``face`` and sum to 1 (None if none)."""
    weights = np.zeros(len(cross))
    if len(face) == 1:
        weights[face[0]] = 1.0
        return weights
    # Lagrange conditions: gram w + mu = cross on the face, sum(w) = 1.
    system = np.block([[gram[np.ix_(face, face)], np.ones((len(face), 1))],
                       [np.ones((1, len(face))), np.zeros((1, 1))]])
    solution = np.linalg.lstsq(system, np.append(cross[face], 1.0), rcond=None)[0]
    if not np.isclose(solution[:-1].sum(), 1.0):
        return None
    weights[face] = solution[:-1]
    return weights


def _with_nan(X, mask):
    """Scaled rows as float64 with NaN where ``mask`` is 0 (what an imputer takes)."""
    return np.where(np.asarray(mask, dtype=bool), X, np.nan).astype(np.float64, copy=False)


def _imputed(estimator, X_nan):
    return np.asarray(estimator.transform(X_nan), dtype=np.float64)


# ---------------------------------------------------------------- the fits
def _every_other(held_out, parity):
    """Held-out entries of even (0) or odd (1) rank in row-major order."""
    entries = np.flatnonzero(held_out)
    keep = np.zeros(held_out.shape, dtype=bool)
    keep.flat[entries[parity::2]] = True
    return keep


@contextlib.contextmanager
def _split():
    """Early stopping on the even held-out entries, the weights on the odd ones.

    On these small tables every validation row is scored (fewer than 4096),
    so both methods see the held-out entries in the same order.
    """
    validation_rmse, fit_blend = GAINImputer._validation_rmse, GAINImputer._fit_blend

    def stop_on_even(self, X, train_mask, val_mask):
        return validation_rmse(self, X, train_mask, _every_other(val_mask, 0))

    def weigh_on_odd(self, X, train_mask, rows, held_out, imputed):
        odd = _every_other(held_out, 1)
        return fit_blend(self, X, train_mask, rows, odd, imputed[odd[held_out]])

    with mock.patch.object(GAINImputer, "_validation_rmse", stop_on_even), \
            mock.patch.object(GAINImputer, "_fit_blend", weigh_on_odd):
        yield


def _fit(X_train, seed, context=contextlib.nullcontext(), **params):
    with context, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return GAINImputer(random_state=seed, **params).fit(X_train)


def _fit_recording(X_train, seed):
    """The default fit, the entries its blend was weighed on, the imputers
    as they were weighed (before the refit) and the blend's seconds."""
    recorded = {}
    fit_blend, refit_blend = GAINImputer._fit_blend, GAINImputer._refit_blend

    def record(self, X, train_mask, rows, held_out, imputed):
        start = time.perf_counter()
        fit_blend(self, X, train_mask, rows, held_out, imputed)
        recorded.update(seconds=time.perf_counter() - start, X=X[rows],
                        mask=train_mask[rows], held_out=held_out, imputed=imputed,
                        weighed=copy.deepcopy(self.blend_estimators_), X_all=X,
                        mask_all=train_mask, rows=rows)

    def timed_refit(self, X, observed):
        recorded["observed"] = observed
        start = time.perf_counter()
        refit_blend(self, X, observed)
        recorded["seconds"] += time.perf_counter() - start

    with mock.patch.object(GAINImputer, "_fit_blend", record), \
            mock.patch.object(GAINImputer, "_refit_blend", timed_refit):
        return _fit(X_train, seed), recorded


def _held_out_columns(recorded):
    """The three imputers' values of the held-out entries, their truth and features."""
    X_nan = _with_nan(recorded["X"], recorded["mask"])
    held_out = recorded["held_out"]
    others = [_imputed(e, X_nan)[held_out] for e in recorded["weighed"]]
    columns = np.column_stack([recorded["imputed"]] + others)
    return columns, recorded["X"][held_out], np.nonzero(held_out)[1]


def _variant_weights(columns, truth, features, n_features):
    """(n_features, 3) weights of network, BayesianRidge and ExtraTrees per variant."""
    def on(chosen):
        weights = np.zeros((n_features, 3))
        weights[:, chosen] = blend_weights(columns[:, chosen], truth, features, n_features)
        return weights

    def alone(k):
        return np.tile(np.eye(3)[k], (n_features, 1))

    pair = blend_weights(np.column_stack([columns[:, 0], columns[:, 1:].mean(axis=1)]),
                         truth, features, n_features)
    # A vanishing prior, not 0: a feature without held-out entries then
    # takes the table's weights instead of 0 / 0.
    unshrunk = blend_weights(columns, truth, features, n_features, prior_entries=1e-9)
    return {
        LEAST_SQUARES: blend_weights(columns, truth, features, n_features, huber=False),
        "network alone": alone(0), "BayesianRidge alone": alone(1),
        "ExtraTrees alone": alone(2),
        "network + BayesianRidge (two-way default before)": on([0, 1]),
        "network + ExtraTrees": on([0, 2]), NO_NETWORK: on([1, 2]),
        "network + average of the two": np.column_stack([pair[:, 0], pair[:, 1:] / 2,
                                                         pair[:, 1:] / 2]),
        "equal weights": np.full((n_features, 3), 1 / 3), "three-way, not shrunk": unshrunk,
    }


def _with_weights(imputer, X_test, weights, estimators=None):
    """``imputer``'s output on ``X_test`` with its blend weights set to
    ``weights`` (and its blend's imputers to ``estimators``, when given)."""
    fitted = imputer.blend_weights_, imputer.blend_estimators_
    imputer.blend_weights_ = weights
    if estimators is not None:
        imputer.blend_estimators_ = estimators
    try:
        return imputer.transform(X_test)
    finally:
        imputer.blend_weights_, imputer.blend_estimators_ = fitted


def measure_one(X, seed, scale):
    """RMSE of every variant on the unseen rows and (key suffix FIT) on the
    hidden entries of the training rows, after one default fit and one split fit."""
    X_missing, hidden = hide(X, "mcar", MISSING_RATE, seed)
    train, test = split_rows(len(X), seed)
    start = time.perf_counter()
    default, recorded = _fit_recording(X_missing[train], seed)
    default.transform(X_missing[test])
    seconds = time.perf_counter() - start
    columns = _held_out_columns(recorded)
    weights = _variant_weights(*columns, X.shape[1])
    four_way = _four_way(recorded, default, columns)
    fold_weights = _fold_weights(X_missing[train], seed, default)
    split = _fit(X_missing[train], seed, _split())
    record = {"seconds (default)": seconds, "seconds (blend fit)": recorded["seconds"],
              "mean weights (default)": default.blend_weights_.mean(axis=0).tolist()}
    for rows, suffix in ((test, ""), (train, FIT)):
        outputs = _variant_outputs(default, recorded["weighed"], weights, X_missing[rows])
        outputs["three-way, split, shrunk"] = split.transform(X_missing[rows])
        outputs[FOUR_WAY] = _with_weights(default, X_missing[rows], *four_way)
        outputs[K_FOLD] = _with_weights(default, X_missing[rows], fold_weights)
        record.update({k + suffix: scaled_rmse(X[rows], v, hidden[rows], *scale)
                       for k, v in outputs.items()})
    return record


def _four_way(recorded, default, columns):
    """Weights and imputers of the blend with SoftImputeFISTA as a third imputer."""
    imputations, truth, features = columns
    # As GAINImputer fits its blend: on every training row, imputing the
    # rows that hold held-out entries, then refitted on every observed entry.
    soft = SoftImputeFISTA(random_state=_blend_seed(default))
    X_nan = _with_nan(recorded["X_all"], recorded["mask_all"])
    column = _imputed(soft.fit(X_nan), X_nan[recorded["rows"]])
    weights = blend_weights(
        np.column_stack([imputations, column[recorded["held_out"]]]), truth, features,
        recorded["X"].shape[1])
    refitted = clone(soft).fit(_with_nan(recorded["X_all"], recorded["observed"]))
    return weights, list(default.blend_estimators_) + [refitted]


def _blend_seed(default):
    """The seed ``default`` gave the imputers of its "auto" blend."""
    return default.blend_estimators_[0].random_state


def _fold_weights(X_train, seed, default):
    """The default's three weighed on out-of-fold imputations of every observed entry.

    Each fold's entries are hidden, a network (no blend) and the two
    imputers are fitted on the rest and impute them; values are scaled as
    the default scales them.
    """
    observed = np.argwhere(~np.isnan(X_train))
    fold = np.random.default_rng(seed).integers(0, N_FOLDS, len(observed))
    columns = np.empty((len(observed), 3))
    for k in range(N_FOLDS):
        rows, cols = observed[fold == k].T
        X_k = X_train.copy()
        X_k[rows, cols] = np.nan
        network = _fit(X_k, seed, blend_estimator=None)
        # Unfitted copies of the default's: the "auto" imputers, same seed.
        imputers = [clone(imputer) for imputer in default.blend_estimators_]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            outputs = [network.transform(X_k)] + [imputer.fit(X_k).transform(X_k)
                                                  for imputer in imputers]
        columns[fold == k] = np.column_stack([out[rows, cols] for out in outputs])
    span = np.where(default.data_range_ > 0, default.data_range_, 1.0)
    features = observed[:, 1]
    scaled = (columns - default.data_min_[features, None]) / span[features, None]
    truth = (X_train[observed[:, 0], features] - default.data_min_[features]) / span[features]
    return blend_weights(scaled, truth, features, X_train.shape[1])


def _variant_outputs(default, weighed, weights, X_rows):
    """Every reweighing of the default fit on ``X_rows``."""
    outputs = {DEFAULT: default.transform(X_rows)}
    outputs.update({k: _with_weights(default, X_rows, w) for k, w in weights.items()})
    outputs[NOT_REFITTED] = _with_weights(default, X_rows, default.blend_weights_, weighed)
    outputs[PREVIOUS] = _with_weights(default, X_rows, weights[LEAST_SQUARES], weighed)
    return outputs


def run(quick=False, data_home=None, out_dir=None, datasets=DESIGNED_ON, seeds=3,
        name=NAME):
    """Measure every variant on ``datasets`` and write ``<name>.json`` / ``.md``
    into ``benchmarks/results/blend_ablation/`` (or ``out_dir``). ``quick``:
    iris, one seed."""
    if quick:
        datasets, seeds = ("iris",), 1
    records = measure(datasets, seeds, data_home)
    report(records, out_dir, name)
    return {"records": records}


def measure(datasets, seeds, data_home=None):
    records = []
    for name in datasets:
        X = load_table(name, data_home or default_data_home())
        scale = (X.min(axis=0), np.where(np.ptp(X, axis=0) > 0, np.ptp(X, axis=0), 1.0))
        for seed in range(seeds):
            record = measure_one(X, seed, scale)
            record.update(dataset=name, seed=seed, shape=list(X.shape), pattern="mcar",
                          torch_threads=torch.get_num_threads(), blas_threads=blas_threads(),
                          load_average_1min=os.getloadavg()[0])
            records.append(record)
            print(name, seed, {k: round(v, 4) for k, v in record.items()
                               if isinstance(v, float)}, flush=True)
    return records


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--datasets", default=",".join(DESIGNED_ON))
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument("--name", default=NAME)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
        # numpy's BLAS too: scikit-learn's imputers spin two BLAS threads
        # otherwise, and on a core another process uses that was 20-50x
        # slower (IterativeImputer(BayesianRidge) on digits: 95 s against 4 s).
        threadpoolctl.threadpool_limits(limits=args.threads)
    run(data_home=args.data_home, out_dir=args.out, datasets=args.datasets.split(","),
        seeds=args.seeds, name=args.name)


def _table_rows(records, names, suffix):
    """One row per table (mean over seeds of each variant), then the mean over tables."""
    def mean(name, variant):
        return np.mean([r[variant + suffix] for r in records if r["dataset"] == name])

    rows = []
    for name in names:
        sel = [r for r in records if r["dataset"] == name]
        rows.append([name] + [f"{mean(name, v):.4f}" for v in VARIANTS]
                    + [" / ".join(f"{w:.2f}" for w in np.mean(
                        [r["mean weights (default)"] for r in sel], axis=0))]
                    + [f"{np.mean([r[k] for r in sel]):.1f}"
                       for k in ("seconds (default)", "seconds (blend fit)")])
    rows.append(["**mean over tables**"]
                + [f"{np.mean([mean(n, v) for n in names]):.4f}" for v in VARIANTS]
                + ["", "", ""])
    ahead = sum(mean(n, DEFAULT) < mean(n, PREVIOUS) for n in names)
    ratio = np.mean([mean(n, DEFAULT) / mean(n, PREVIOUS) for n in names])
    verdict = (f"Default against the previous default: lower RMSE on {ahead} of {len(names)} "
               f"tables, {ratio:.3f}x its RMSE on average over tables.")
    return rows, verdict


def report(records, out_dir=None, name="blend_ablation"):
    names = list(dict.fromkeys(r["dataset"] for r in records))
    designed = set(names) <= set(DESIGNED_ON)
    header = ["table"] + list(VARIANTS) + ["default weights", "default s", "blend fit s"]
    lines = [
        "# GAINImputer's blend: which imputers, and how the weights are chosen",
        "",
        f"Mode: {mode_line(records, False)}. RMSE on the hidden entries (20% MCAR, min-max "
        "scaled with the complete data's ranges), mean over seeds, of the unseen rows "
        "(transform) and of the training rows (fit). "
        + ("These are the tables the blend was designed on; `blend_ablation_confirm.md` "
           "checks it on tables it was not. " if designed else
           "The blend was not designed on these tables (`blend_ablation.md` holds those). ")
        + "All variants but the split reweigh one default fit (same network, same imputers; "
        "the four-way adds SoftImputeFISTA to them, and the 5-fold weights come from five "
        "more fits of each). "
        "Last columns: the default's mean weights (network / BayesianRidge / ExtraTrees), the "
        "default's seconds (fit + transform of the unseen rows) and, of those, the seconds of "
        "fitting and refitting the two imputers and fitting the weights. Produced by "
        "`benchmarks/blend_ablation.py`.",
    ]
    for title, suffix in (("Unseen rows (transform)", ""), ("Training rows (fit)", FIT)):
        rows, verdict = _table_rows(records, names, suffix)
        lines += ["", f"## {title}", "", markdown_table(header, rows), "", verdict]
    markdown = "\n".join(lines)
    write_results(name, {"records": records}, markdown, out_dir, experiment=NAME)
    print(markdown)


if __name__ == "__main__":
    main()
