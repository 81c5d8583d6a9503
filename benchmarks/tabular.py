"""Tabular comparison: 20% MCAR on spam and letter, the GAIN paper's protocol.

RMSE over the hidden entries after min-max scaling truth and imputation with
the complete data's column ranges, mean and std over seeds, and fit+transform
seconds, for scikit-learn's imputers and skgain's.

    python -m benchmarks.tabular            # full: 5 seeds, every method
    python -m benchmarks.tabular --quick    # 1 seed, 500-row subsets, original GAIN 2000 steps

On two cores the tables can run side by side and be merged:

    python -m benchmarks.tabular --dataset spam --records spam.json &
    python -m benchmarks.tabular --dataset letter --records letter.json
    python -m benchmarks.tabular --records spam.json,letter.json
"""

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer

from skgain import GAINImputer, SoftImputeFISTA

from ._common import (
    Timer,
    default_data_home,
    markdown_table,
    mcar_hide,
    mean_std,
    save_records,
    scaled_rmse,
    write_results,
)

MISSING_RATE = 0.2

# The GAIN paper's Table 2 (RMSE, 20% MCAR).
PAPER_GAIN = {"spam": 0.0513, "letter": 0.1198}

# The authors' code trains for 10000 steps of 128 rows; quick mode (a smoke
# run, under a minute on 2 cores) takes 2000 on 500-row subsets.
ORIGINAL_STEPS = {"full": 10000, "quick": 2000}
QUICK_ROWS = 500


def load_table(name, data_home=None):
    """The complete spam or letter matrix from the data home."""
    from skgain.datasets import fetch_letter, fetch_spambase

    fetch = {"spam": fetch_spambase, "letter": fetch_letter}[name]
    return fetch(data_home=data_home).data


def methods(seed, n_samples, original_steps=ORIGINAL_STEPS["full"]):
    """The compared imputers, freshly built for one seed."""
    # The authors' code: steps of 128 rows, alpha=100, H = B*M, no early stopping.
    original_epochs = max(1, round(original_steps * 128 / n_samples))
    return {
        "SimpleImputer(mean)": SimpleImputer(strategy="mean"),
        "KNNImputer": KNNImputer(),
        "IterativeImputer(BayesianRidge)": IterativeImputer(max_iter=10, random_state=seed),
        "IterativeImputer(ExtraTrees)": IterativeImputer(
            estimator=ExtraTreesRegressor(n_estimators=10, random_state=seed),
            max_iter=10,
            random_state=seed,
        ),
        "GAINImputer": GAINImputer(random_state=seed),
        "GAINImputer(original GAIN settings)": GAINImputer(
            drop_rate=0, hint_mechanism="code", alpha=100, validation_fraction=0,
            max_epochs=original_epochs, random_state=seed,
        ),
        "SoftImputeFISTA": SoftImputeFISTA(random_state=seed),
    }


def run(quick=False, data_home=None, out_dir=None, seeds=None, datasets=("spam", "letter")):
    """Run the comparison and write ``tabular.json`` and ``tabular.md``."""
    records = measure(quick, data_home, seeds, datasets)
    return report(records, quick, out_dir)


def measure(quick=False, data_home=None, seeds=None, datasets=("spam", "letter"),
            records_path=None):
    """Fit every method on every dataset and seed; one record per fit.

    With ``records_path`` the records are saved after every fit, so a long run
    stopped early keeps what it measured.
    """
    data_home = data_home or default_data_home()
    seeds = list(seeds if seeds is not None else (range(1) if quick else range(5)))
    subset = QUICK_ROWS if quick else None
    original_steps = ORIGINAL_STEPS["quick" if quick else "full"]
    records = []
    for name in datasets:
        X = load_table(name, data_home)
        if subset is not None:
            X = X[np.random.RandomState(0).permutation(len(X))[:subset]]
        data_min, data_range = X.min(axis=0), X.max(axis=0) - X.min(axis=0)
        for seed in seeds:
            X_missing, hidden = mcar_hide(X, MISSING_RATE, seed)
            for method, imputer in methods(seed, len(X), original_steps).items():
                with Timer() as timer:
                    X_imputed = imputer.fit_transform(X_missing)
                rmse = scaled_rmse(X, X_imputed, hidden, data_min, data_range)
                extra = {}
                if isinstance(imputer, GAINImputer):
                    extra = {"epochs": imputer.n_iter_, "best_epoch": imputer.best_epoch_}
                elif isinstance(imputer, SoftImputeFISTA):
                    extra = {"iterations": imputer.n_iter_, "rank": imputer.rank_}
                records.append({"dataset": name, "seed": seed, "method": method,
                                "rmse": rmse, "seconds": timer.seconds,
                                "torch_threads": torch.get_num_threads(),
                                "load_average_1min": os.getloadavg()[0], **extra})
                if records_path is not None:
                    save_records(records_path, records)
                print(f"{name:6s} seed={seed} {method:32s} rmse={rmse:.4f} "
                      f"{timer.seconds:7.1f}s {extra}", flush=True)
    return records


def report(records, quick, out_dir=None):
    """Summarise ``records`` and write ``tabular.json`` and ``tabular.md``."""
    datasets = list(dict.fromkeys(r["dataset"] for r in records))
    summary = summarise(records, datasets)
    counts = ", ".join(f"{name} {summary[name][next(iter(summary[name]))]['n_seeds']}"
                       for name in datasets)
    mode = (f"quick ({QUICK_ROWS}-row subsets, original GAIN {ORIGINAL_STEPS['quick']} steps"
            if quick else "full (all rows") + f"; seeds: {counts})"
    threads = sorted(set(r.get("torch_threads", 0) for r in records))
    loads = [r.get("load_average_1min", np.nan) for r in records]
    mode += (f"; torch threads {threads}; 1-minute load average during the fits "
             f"{np.nanmin(loads):.1f}-{np.nanmax(loads):.1f} on {os.cpu_count()} cores")
    markdown = render(summary, datasets, mode)
    write_results("tabular", {"mode": mode, "missing_rate": MISSING_RATE,
                              "summary": summary, "records": records}, markdown, out_dir)
    print(markdown)
    return {"summary": summary, "records": records}


def summarise(records, datasets):
    summary = {}
    for name in datasets:
        rows = [r for r in records if r["dataset"] == name]
        all_methods = set(r["method"] for r in rows)
        # Only seeds on which every method finished, so each row sees the same masks.
        complete = {seed for seed in {r["seed"] for r in rows}
                    if {r["method"] for r in rows if r["seed"] == seed} == all_methods}
        rows = [r for r in rows if r["seed"] in complete]
        for method in dict.fromkeys(r["method"] for r in rows):
            sel = [r for r in rows if r["method"] == method]
            rmse_mean, rmse_std = mean_std([r["rmse"] for r in sel])
            sec_mean, _ = mean_std([r["seconds"] for r in sel])
            summary.setdefault(name, {})[method] = {
                "rmse_mean": rmse_mean, "rmse_std": rmse_std, "seconds_mean": sec_mean,
                "n_seeds": len(sel),
            }
    return summary


def render(summary, datasets, mode):
    header = ["method"]
    for name in datasets:
        header += [f"{name} RMSE", f"{name} s"]
    methods_seen = list(dict.fromkeys(m for name in datasets for m in summary[name]))
    rows = [["GAIN paper (Yoon et al. 2018, Table 2)"]
            + sum([[f"{PAPER_GAIN[n]:.4f}", "-"] for n in datasets], [])]
    for method in methods_seen:
        row = [method]
        for name in datasets:
            s = summary[name][method]
            row += [f"{s['rmse_mean']:.4f} ± {s['rmse_std']:.4f}", f"{s['seconds_mean']:.1f}"]
        rows.append(row)
    lines = [
        "# Tabular imputation: 20% MCAR, RMSE on hidden entries (min-max scaled with the "
        "complete data's ranges)",
        "",
        f"Mode: {mode}. Seconds are fit+transform wall-clock, mean over seeds.",
        "",
        markdown_table(header, rows),
        "",
    ]
    lines += verdicts(summary, datasets)
    return "\n".join(lines)


def verdicts(summary, datasets):
    """Plain sentences on where GAINImputer stands against the targets."""
    lines = []
    for name in datasets:
        s = summary[name]
        gain = s["GAINImputer"]["rmse_mean"]
        best = min(s, key=lambda m: s[m]["rmse_mean"])
        bayes = s["IterativeImputer(BayesianRidge)"]["rmse_mean"]
        lines.append(
            f"- {name}: GAINImputer {gain:.4f} vs the GAIN paper {PAPER_GAIN[name]:.4f} "
            f"({'at or below' if gain <= PAPER_GAIN[name] else 'ABOVE'} the paper), vs "
            f"IterativeImputer(BayesianRidge) {bayes:.4f} "
            f"({'ahead' if gain < bayes else 'BEHIND'}); best method here: {best} "
            f"({s[best]['rmse_mean']:.4f})."
        )
    return lines


def time_gain_fit(data_home=None, out_dir=None, threads=(None, 1)):
    """Time one default GAINImputer fit on spam (seed 0) and write ``tabular_fit_time``.

    Wall-clock seconds depend on what else the machine runs, so the CPU
    seconds of the process and the load average are written beside them.
    ``threads`` None keeps torch's default thread count.
    """
    X = load_table("spam", data_home or default_data_home())
    X_missing, _ = mcar_hide(X, MISSING_RATE, 0)
    default_threads = torch.get_num_threads()
    rows, records = [], []
    for n_threads in threads:
        torch.set_num_threads(n_threads or default_threads)
        load_before = os.getloadavg()[0]
        cpu_start = time.process_time()
        with Timer() as timer:
            imputer = GAINImputer(random_state=0).fit(X_missing)
        cpu = time.process_time() - cpu_start
        record = {"torch_threads": torch.get_num_threads(), "wall_seconds": timer.seconds,
                  "cpu_seconds": cpu, "epochs": imputer.n_iter_,
                  "load_average_before": load_before, "load_average_after": os.getloadavg()[0]}
        records.append(record)
        rows.append([record["torch_threads"], f"{timer.seconds:.1f}", f"{cpu:.1f}",
                     imputer.n_iter_, f"{load_before:.1f} / {record['load_average_after']:.1f}"])
        print(record, flush=True)
    torch.set_num_threads(default_threads)
    markdown = "\n".join([
        "# GAINImputer: one default fit on spam (4601 x 57, 20% MCAR, seed 0)",
        "",
        f"Target: under 60 s on 2 CPU cores. Machine: {os.cpu_count()} cores. The CPU seconds "
        "are the process's own; with one thread they approximate the wall-clock time of an "
        "otherwise idle machine.",
        "",
        markdown_table(["torch threads", "wall s", "CPU s", "epochs", "load average before / after"],
                       rows),
    ])
    write_results("tabular_fit_time", {"records": records}, markdown, out_dir)
    print(markdown)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds")
    parser.add_argument("--dataset", choices=["spam", "letter"], default=None,
                        help="measure one table only and save its records to --records")
    parser.add_argument("--time-gain", action="store_true",
                        help="only time one default GAINImputer fit on spam")
    parser.add_argument("--records", default=None,
                        help="with --dataset: JSON file for the records; without: "
                             "comma-separated record files to merge into one report")
    args = parser.parse_args(argv)
    seeds = range(args.seeds) if args.seeds else None
    if args.time_gain:
        time_gain_fit(args.data_home, args.out)
    elif args.dataset:
        # One table per process lets two tables run side by side on two cores.
        measure(args.quick, args.data_home, seeds, (args.dataset,), records_path=args.records)
    elif args.records:
        records = sum((json.loads(Path(p).read_text()) for p in args.records.split(",")), [])
        report(records, args.quick, args.out)
    else:
        run(quick=args.quick, data_home=args.data_home, out_dir=args.out, seeds=seeds)


if __name__ == "__main__":
    main()
