"""Ablation of GAINImputer's blend with IterativeImputer: how the weights are chosen.

On the small tables the blend was designed on, each row is fitted on 80% of
the rows (20% MCAR) and scored on the unseen 20% (RMSE after min-max scaling
with the complete data's ranges), for:

* the network alone (``blend_estimator=None``) and IterativeImputer alone;
* a fixed equal-weight average of the two;
* the default: weights fitted on held-out entries early stopping does not
  see, shrunk towards 0.5 by 100 pseudo-entries;
* the same without the shrinkage;
* weights fitted on the entries early stopping chose the epoch on (no split);
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
from .tabular import MISSING_RATE, mode_line, split_rows

DESIGNED_ON = ("breast_cancer", "diabetes", "iris", "macrodata", "modechoice", "star98", "wine")
VARIANTS = ("network alone", "IterativeImputer alone", "equal weights",
            "default (split, shrunk)", "split, not shrunk", "no split, shrunk",
            "oracle weight (upper bound)")


@contextlib.contextmanager
def _no_split():
    """Early stopping and the weights on the same held-out entries."""
    def split(self, held_out):
        if self._blend_unfitted is None:
            return held_out, None
        return held_out, held_out.astype(bool)

    with mock.patch.object(GAINImputer, "_split_held_out", split):
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
    no_split = _fit(X_train, seed, _no_split())
    outputs = {
        "network alone": _fit(X_train, seed, blend_estimator=None).transform(X_test),
        "IterativeImputer alone": _with_weight(default, X_test, 0.0),
        "equal weights": _with_weight(default, X_test, 0.5),
        "default (split, shrunk)": default.transform(X_test),
        "split, not shrunk": unshrunk.transform(X_test),
        "no split, shrunk": no_split.transform(X_test),
    }
    record = {k: scaled_rmse(truth, v, hidden, *scale) for k, v in outputs.items()}
    record["oracle weight (upper bound)"] = _oracle(default, X_test, truth, hidden, scale)
    record["mean weight (default)"] = float(default.blend_weights_.mean())
    record["mean weight (no split)"] = float(no_split.blend_weights_.mean())
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
                          torch_threads=torch.get_num_threads(),
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
                       f"{np.mean([r['mean weight (no split)'] for r in sel]):.2f}"])
    rows.append(["**mean over tables**"] + [
        f"{np.mean([np.mean([r[v] for r in records if r['dataset'] == n]) for n in names]):.4f}"
        for v in VARIANTS] + [""])
    lines = [
        "# GAINImputer's blend: how the weights are chosen",
        "",
        f"Mode: {mode_line(records, False)}. Unseen-row RMSE (20% MCAR, min-max scaled with "
        "the complete data's ranges), mean over seeds. These are the tables the blend was "
        "designed on; `tabular_confirm3.md` checks it on tables it was not. Last column: the "
        "network's mean weight, default / no split. Produced by `benchmarks/blend_ablation.py`.",
        "",
        markdown_table(["table"] + list(VARIANTS) + ["network weight"], rows),
    ]
    markdown = "\n".join(lines)
    write_results("blend_ablation", {"records": records}, markdown, out_dir)
    print(markdown)


if __name__ == "__main__":
    main()
