"""Ablation of GAINImputer's blend with IterativeImputer: how the weights are chosen.

On the small tables the blend was designed on, each row is fitted on 80% of
the rows (20% MCAR) and scored on the unseen 20% (RMSE after min-max scaling
with the complete data's ranges), for:

* the network alone (``blend_estimator=None``) and IterativeImputer alone;
* a fixed equal-weight average of the two;
* the default: weights fitted on the held-out validation entries (those
  early stopping chose the epoch on), shrunk towards 0.5 by 100
  pseudo-entries;
* the same without the shrinkage;
* every other held-out entry kept from early stopping and the weights fitted
  on those alone (split), shrunk;
* the best single weight on the unseen entries themselves (an oracle: an
  upper bound, not a method).

    python -m benchmarks.blend_ablation [--seeds 3] [--threads 1]
"""

import argparse
import os
import contextlib
import warnings
from unittest import mock

import numpy as np
import threadpoolctl
import torch
from sklearn.exceptions import ConvergenceWarning

from skgain import GAINImputer
from skgain import _blend

from ._common import default_data_home, markdown_table, mean_std, scaled_rmse, write_results
from ._table_data import hide, load_table
from .tabular import MISSING_RATE, blas_threads, mode_line, split_rows

DESIGNED_ON = ("breast_cancer", "diabetes", "iris", "macrodata", "modechoice", "star98", "wine")
VARIANTS = ("network alone", "IterativeImputer alone", "equal weights",
            "default (no split, shrunk)", "no split, not shrunk", "split, shrunk",
            "oracle weight (upper bound)")


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


def _with_weight(imputer, X_test, weight):
    """``imputer``'s output on ``X_test`` with every feature's weight set to ``weight``."""
    fitted = imputer.blend_weights_
    imputer.blend_weights_ = np.full_like(fitted, weight)
    try:
        return imputer.transform(X_test)
    finally:
        imputer.blend_weights_ = fitted


def _oracle(imputer, X_test, truth, hidden, scale):
    grid = np.linspace(0, 1, 21)
    errors = [scaled_rmse(truth, _with_weight(imputer, X_test, w), hidden, *scale) for w in grid]
    return min(errors)


def measure_one(X, seed, scale):
    X_missing, hidden = hide(X, "mcar", MISSING_RATE, seed)
    train, test = split_rows(len(X), seed)
    X_train, X_test, truth, hidden = X_missing[train], X_missing[test], X[test], hidden[test]
    default = _fit(X_train, seed)
    unshrunk = _fit(X_train, seed, mock.patch.object(_blend, "_PRIOR_ENTRIES", 0))
    split = _fit(X_train, seed, _split())
    outputs = {
        "network alone": _fit(X_train, seed, blend_estimator=None).transform(X_test),
        "IterativeImputer alone": _with_weight(default, X_test, 0.0),
        "equal weights": _with_weight(default, X_test, 0.5),
        "default (no split, shrunk)": default.transform(X_test),
        "no split, not shrunk": unshrunk.transform(X_test),
        "split, shrunk": split.transform(X_test),
    }
    record = {k: scaled_rmse(truth, v, hidden, *scale) for k, v in outputs.items()}
    record["oracle weight (upper bound)"] = _oracle(default, X_test, truth, hidden, scale)
    record["mean weight (default)"] = float(default.blend_weights_.mean())
    record["mean weight (split)"] = float(split.blend_weights_.mean())
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--datasets", default=",".join(DESIGNED_ON))
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
        # numpy's BLAS too: scikit-learn's imputers spin two BLAS threads
        # otherwise, and on a core another process uses that was 20-50x
        # slower (IterativeImputer(BayesianRidge) on digits: 95 s against 4 s).
        threadpoolctl.threadpool_limits(limits=args.threads)
    records = []
    for name in args.datasets.split(","):
        X = load_table(name, default_data_home())
        scale = (X.min(axis=0), np.where(np.ptp(X, axis=0) > 0, np.ptp(X, axis=0), 1.0))
        for seed in range(args.seeds):
            record = measure_one(X, seed, scale)
            record.update(dataset=name, seed=seed, shape=list(X.shape), pattern="mcar",
                          torch_threads=torch.get_num_threads(), blas_threads=blas_threads(),
                          load_average_1min=os.getloadavg()[0])
            records.append(record)
            print(name, seed, {k: round(v, 4) for k, v in record.items()
                               if isinstance(v, float)}, flush=True)
    report(records, args.out)


def report(records, out_dir=None):
    rows, names = [], list(dict.fromkeys(r["dataset"] for r in records))
    for name in names:
        sel = [r for r in records if r["dataset"] == name]
        rows.append([name] + [f"{mean_std([r[v] for r in sel])[0]:.4f}" for v in VARIANTS]
                    + [f"{np.mean([r['mean weight (default)'] for r in sel]):.2f} / "
                       f"{np.mean([r['mean weight (split)'] for r in sel]):.2f}"])
    rows.append(["**mean over tables**"] + [
        f"{np.mean([np.mean([r[v] for r in records if r['dataset'] == n]) for n in names]):.4f}"
        for v in VARIANTS] + [""])
    lines = [
        "# GAINImputer's blend: how the weights are chosen",
        "",
        f"Mode: {mode_line(records, False)}. Unseen-row RMSE (20% MCAR, min-max scaled with "
        "the complete data's ranges), mean over seeds. These are the tables the blend was "
        "designed on; `tabular_confirm3.md` checks it on tables it was not. Last column: the "
        "network's mean weight, default / split. Produced by `benchmarks/blend_ablation.py`.",
        "",
        markdown_table(["table"] + list(VARIANTS) + ["network weight"], rows),
    ]
    markdown = "\n".join(lines)
    write_results("blend_ablation", {"records": records}, markdown, out_dir)
    print(markdown)


if __name__ == "__main__":
    main()
