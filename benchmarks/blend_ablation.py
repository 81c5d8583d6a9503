"""Ablation of the blend: which imputers, and how the weights are chosen.

On the small tables the blend was designed on, each row is fitted on 80% of
the rows (20% MCAR) and scored on the unseen 20% and on the hidden entries of
the rows it was fitted on (RMSE after min-max scaling with the complete
data's ranges). Every row is a fit through the public API alone:

* the default, ``GAINImputer()``: its network blended with
  IterativeImputer(BayesianRidge) and IterativeImputer(ExtraTrees)
  (``blend_estimator="auto"``);
* the network alone (``blend_estimator=None``, which also trains it for
  300 epochs instead of the blend's 150: what a user gets);
* each imputer alone, and the two blended without the network by a
  :class:`~skgain.BlendImputer` on its own held-out tenth;
* the network blended with one of them (``blend_estimator=`` the imputer;
  BayesianRidge was the default before the three-way blend), and with
  both and SoftImputeFISTA (four-way);
* the three-way blend with one setting of its
  ``blend_estimator=BlendImputer([...])`` changed at a time: least-squares
  weights (``loss="squared_error"``), the imputers not refitted
  (``refit=False``), both (the default before them), not shrunk
  (``prior_entries=0``) and equal weights (``prior_entries=1e9``), beside
  the same blend with every setting at its default.

The rows that give the imputers explicitly build them as ``"auto"`` does
(10 rounds of BayesianRidge; 10 trees with every feature at each split, 3
rounds), seeded with the benchmark's seed: ``"auto"`` seeds them from
``random_state`` its own way, so "three-way, explicit imputers" differs from
the default by the trees' seeds alone. Every network is trained with the
same ``random_state``.

Rows of earlier runs that needed GAINImputer's private methods are gone (the
run of f557faf in git history has them): the network and the two imputers
blended with equal weights as one imputer; early stopping on half the
held-out entries and the weights on the other half; weights fitted on 5-fold
imputations of every observed entry.

    python -m benchmarks blend_ablation [--quick]   # the design tables, 3 seeds
    python -m benchmarks.blend_ablation [--seeds 3] [--threads 1]
"""

import argparse
import os
import time
import warnings

import numpy as np
import threadpoolctl
import torch
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer

from skgain import BlendImputer, GAINImputer, SoftImputeFISTA

from ._common import default_data_home, markdown_table, scaled_rmse, write_results
from ._table_data import hide, load_table
from .tabular import MISSING_RATE, blas_threads, mode_line, split_rows

NAME = "blend_ablation"
DESIGNED_ON = ("breast_cancer", "diabetes", "iris", "macrodata", "modechoice", "star98", "wine")
DEFAULT = "default: GAINImputer()"
NETWORK = "network alone"
FIT = " (fit rows)"
EXPLICIT = "three-way, explicit imputers"
PREVIOUS = "least squares, not refitted (default before)"


def bayesian_ridge(seed):
    """IterativeImputer(BayesianRidge), as ``blend_estimator="auto"`` builds it."""
    return IterativeImputer(max_iter=10, keep_empty_features=True, random_state=seed)


def extra_trees(seed):
    """IterativeImputer(ExtraTrees), as ``blend_estimator="auto"`` builds it."""
    trees = ExtraTreesRegressor(n_estimators=10, max_features=1.0, random_state=seed)
    return IterativeImputer(estimator=trees, max_iter=3, keep_empty_features=True,
                            random_state=seed)


def three_way(seed, **settings):
    """The network's blend with the two imputers as a BlendImputer with ``settings``."""
    return BlendImputer([bayesian_ridge(seed), extra_trees(seed)], **settings)


# name -> the imputer of that row for a seed.
VARIANTS = {
    DEFAULT: lambda seed: GAINImputer(random_state=seed),
    NETWORK: lambda seed: GAINImputer(blend_estimator=None, random_state=seed),
    "BayesianRidge alone": bayesian_ridge,
    "ExtraTrees alone": extra_trees,
    "BayesianRidge + ExtraTrees (no network)": lambda seed: BlendImputer(
        [bayesian_ridge(seed), extra_trees(seed)], random_state=seed),
    "network + BayesianRidge (two-way default before)": lambda seed: GAINImputer(
        blend_estimator=bayesian_ridge(seed), random_state=seed),
    "network + ExtraTrees": lambda seed: GAINImputer(
        blend_estimator=extra_trees(seed), random_state=seed),
    "four-way: + SoftImputeFISTA": lambda seed: GAINImputer(
        blend_estimator=[bayesian_ridge(seed), extra_trees(seed),
                         SoftImputeFISTA(random_state=seed)], random_state=seed),
    EXPLICIT: lambda seed: GAINImputer(blend_estimator=three_way(seed), random_state=seed),
    "least-squares weights": lambda seed: GAINImputer(
        blend_estimator=three_way(seed, loss="squared_error"), random_state=seed),
    "imputers not refitted": lambda seed: GAINImputer(
        blend_estimator=three_way(seed, refit=False), random_state=seed),
    PREVIOUS: lambda seed: GAINImputer(
        blend_estimator=three_way(seed, loss="squared_error", refit=False), random_state=seed),
    "not shrunk (prior_entries=0)": lambda seed: GAINImputer(
        blend_estimator=three_way(seed, prior_entries=0), random_state=seed),
    "equal weights (prior_entries=1e9)": lambda seed: GAINImputer(
        blend_estimator=three_way(seed, prior_entries=1e9), random_state=seed),
}


def _weights(imputer):
    """The mean weights of a fitted imputer's blend over the features (None: no blend)."""
    blend = imputer if isinstance(imputer, BlendImputer) else getattr(imputer, "blend_", None)
    return None if blend is None else blend.weights_.mean(axis=0).tolist()


def measure_one(X, seed, scale, variants=tuple(VARIANTS)):
    """RMSE of every variant on the unseen rows and (key suffix FIT) on the
    hidden entries of the training rows; seconds of fit + transform of both."""
    X_missing, hidden = hide(X, "mcar", MISSING_RATE, seed)
    train, test = split_rows(len(X), seed)
    record = {}
    for name in variants:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            imputer = VARIANTS[name](seed).fit(X_missing[train])
            outputs = {"": imputer.transform(X_missing[test]),
                       FIT: imputer.transform(X_missing[train])}
        record[f"seconds: {name}"] = time.perf_counter() - start
        record[f"weights: {name}"] = _weights(imputer)
        for suffix, rows in (("", test), (FIT, train)):
            record[name + suffix] = scaled_rmse(X[rows], outputs[suffix], hidden[rows], *scale)
    return record


def run(quick=False, data_home=None, out_dir=None, datasets=DESIGNED_ON, seeds=3,
        name=NAME, note=""):
    """Measure every variant on ``datasets`` and write ``<name>.json`` / ``.md``
    into ``benchmarks/results/blend_ablation/`` (or ``out_dir``), with
    ``note`` (why a run was cut short, say) in the markdown. ``quick``:
    iris, one seed."""
    if quick:
        datasets, seeds = ("iris",), 1
    records = measure(datasets, seeds, data_home)
    report(records, out_dir, name, note)
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
            print(name, seed, {k: round(record[k], 4) for k in VARIANTS}, flush=True)
    return records


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--datasets", default=",".join(DESIGNED_ON))
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument("--name", default=NAME)
    parser.add_argument("--note", default="", help="a sentence for the report")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
        # numpy's BLAS too: scikit-learn's imputers spin two BLAS threads
        # otherwise, and on a core another process uses that was 20-50x
        # slower (IterativeImputer(BayesianRidge) on digits: 95 s against 4 s).
        threadpoolctl.threadpool_limits(limits=args.threads)
    run(data_home=args.data_home, out_dir=args.out, datasets=args.datasets.split(","),
        seeds=args.seeds, name=args.name, note=args.note)


def _table_rows(records, names, suffix):
    """One row per table (mean over seeds of each variant), then the mean over tables."""
    def mean(name, variant):
        return np.mean([r[variant + suffix] for r in records if r["dataset"] == name])

    rows = []
    for name in names:
        sel = [r for r in records if r["dataset"] == name]
        rows.append([name] + [f"{mean(name, v):.4f}" for v in VARIANTS]
                    + [" / ".join(f"{w:.2f}" for w in np.mean(
                        [r[f"weights: {DEFAULT}"] for r in sel], axis=0))]
                    + [f"{np.mean([r[f'seconds: {v}'] for r in sel]):.1f}"
                       for v in (DEFAULT, NETWORK)])
    rows.append(["**mean over tables**"]
                + [f"{np.mean([mean(n, v) for n in names]):.4f}" for v in VARIANTS]
                + ["", "", ""])
    ahead = sum(mean(n, DEFAULT) < mean(n, PREVIOUS) for n in names)
    ratio = np.mean([mean(n, DEFAULT) / mean(n, PREVIOUS) for n in names])
    verdict = (f"Default against the default before (least squares, not refitted): lower "
               f"RMSE on {ahead} of {len(names)} tables, {ratio:.3f}x its RMSE on average "
               "over tables.")
    return rows, verdict


def report(records, out_dir=None, name=NAME, note=""):
    names = list(dict.fromkeys(r["dataset"] for r in records))
    header = (["table"] + list(VARIANTS)
              + ["default weights", "default s", "network alone s"])
    lines = [
        "# The blend: which imputers, and how the weights are chosen",
        "",
        f"Mode: {mode_line(records, False)}. RMSE on the hidden entries (20% MCAR, min-max "
        "scaled with the complete data's ranges), mean over seeds, of the unseen rows "
        "(transform) and of the training rows (fit). Every column is its own fit through "
        "skgain's public API (GAINImputer's `blend_estimator`, BlendImputer's parameters); "
        "the networks of one table and seed are trained alike (same `random_state`). "
        "Columns after the default and the network: each imputer alone, the two blended "
        "without the network, the network with one of them or with a third "
        "(SoftImputeFISTA), then the three-way blend with its imputers given explicitly "
        "(the same as `\"auto\"` builds, seeded by the benchmark) and one BlendImputer "
        "setting changed at a time. Last columns: the default's mean weights (network / "
        "BayesianRidge / ExtraTrees) and the seconds of fit and two transforms of the "
        "default and of the network alone. Produced by `benchmarks/blend_ablation.py`."
        + (" " + note if note else ""),
    ]
    for title, suffix in (("Unseen rows (transform)", ""), ("Training rows (fit)", FIT)):
        rows, verdict = _table_rows(records, names, suffix)
        lines += ["", f"## {title}", "", markdown_table(header, rows), "", verdict]
    markdown = "\n".join(lines)
    write_results(name, {"records": records}, markdown, out_dir, experiment=NAME)
    print(markdown)


if __name__ == "__main__":
    main()
