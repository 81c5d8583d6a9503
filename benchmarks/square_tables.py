"""SpatialGAINImputer on tables laid out as squares (the user guide's table).

scikit-learn's breast_cancer, wine and diabetes: fit on 70% of the rows,
20% MCAR, RMSE on the hidden entries of the other 30% after min-max scaling
with the complete data's ranges, mean over 3 splits (seeds 0-2), one torch
thread. Rows: mean imputation; SpatialGAINImputer as it was before the table
defaults (biharmonic fill, no blend with the column means); the defaults;
the defaults with ``lr_schedule="one-cycle"`` and with ``"plateau"``.

    python -m benchmarks square_tables [--quick]
"""

import argparse
import os

import numpy as np
import torch
from sklearn.impute import SimpleImputer

from skgain import SpatialGAINImputer

from ._common import markdown_table, mcar_hide, scaled_rmse, write_results
from ._table_data import load_table

NAME = "square_tables"
TABLES = ("breast_cancer", "wine", "diabetes")
SEEDS = (0, 1, 2)
METHODS = {
    "mean": lambda seed: SimpleImputer(),
    "before (biharmonic, no w)": lambda seed: SpatialGAINImputer(
        initial_fill="biharmonic", mean_blend=False, lr_schedule="constant",
        random_state=seed),
    "default": lambda seed: SpatialGAINImputer(random_state=seed),
    "lr_schedule='one-cycle'": lambda seed: SpatialGAINImputer(
        lr_schedule="one-cycle", random_state=seed),
    "lr_schedule='plateau'": lambda seed: SpatialGAINImputer(
        lr_schedule="plateau", random_state=seed),
}


def measure(X, seed):
    X_missing, hidden = mcar_hide(X, 0.2, seed)
    order = np.random.RandomState(seed).permutation(len(X))
    n_fit = int(0.7 * len(X))
    fit_rows, test_rows = order[:n_fit], order[n_fit:]
    data_min, data_range = X.min(axis=0), np.ptp(X, axis=0)
    scores = {}
    for method, make in METHODS.items():
        imputer = make(seed).fit(X_missing[fit_rows])
        out = imputer.transform(X_missing[test_rows])
        scores[method] = scaled_rmse(X[test_rows], out, hidden[test_rows], data_min,
                                     data_range)
    return scores


def run(quick=False, data_home=None, out_dir=None):
    """Measure every method on the tables (``quick``: wine, seed 0) and write
    ``square_tables.json`` / ``.md`` into its results folder."""
    tables, seeds = (("wine",), (0,)) if quick else (TABLES, SEEDS)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        data = {name: load_table(name, data_home) for name in tables}
        records = [{"table": name, "seed": seed, **measure(X, seed)}
                   for name, X in data.items() for seed in seeds]
    finally:
        torch.set_num_threads(threads)
    rows = [[name] + [f"{np.mean([r[m] for r in records if r['table'] == name]):.3f}"
                      for m in METHODS] for name in tables]
    wins = sum(r["default"] < r["mean"] for r in records)
    markdown = "\n".join([
        "# SpatialGAINImputer on tables laid out as squares",
        "",
        "Fit on 70% of the rows, 20% MCAR, RMSE on the hidden entries of the other 30% after "
        f"min-max scaling with the complete data's ranges, mean of seeds {list(seeds)}; torch "
        f"threads 1, 1-minute load average {os.getloadavg()[0]:.1f} at the end on "
        f"{os.cpu_count()} cores. Produced by `benchmarks/square_tables.py`.",
        "",
        markdown_table(["table"] + list(METHODS), rows),
        "",
        f"The default beat mean imputation on {wins} of {len(records)} splits.",
    ])
    write_results(NAME, {"records": records}, markdown, out_dir)
    print(markdown)
    return {"records": records}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    run(quick=args.quick, data_home=args.data_home, out_dir=args.out)


if __name__ == "__main__":
    main()
