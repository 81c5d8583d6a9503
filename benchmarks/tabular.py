"""Tabular comparison: GAINImputer against scikit-learn's imputers, as users use them.

Each table is split into 80% training rows and 20% unseen rows; 20% of the
entries of both are hidden (MCAR, MAR or MNAR). Every imputer is fitted with
``fit_transform`` on the training rows (the "fit_transform" column: RMSE on
their hidden entries) and then completes the unseen rows with ``transform``
(the "unseen rows" column). RMSE is taken after min-max scaling with the
complete data's column ranges (the GAIN paper's protocol). Seconds are
fit_transform + transform wall-clock; "x ET" divides them by
IterativeImputer(ExtraTrees)'s on the same table, seed and pattern.

    python -m benchmarks.tabular                    # spam and letter, MCAR, 5 seeds
    python -m benchmarks.tabular --quick            # 1 seed, 1000-row subsets
    python -m benchmarks.tabular --datasets breast_cancer,wine,diabetes,fair,randhie \\
        --seeds 3 --name tabular_confirm            # tables nothing was tuned on
    python -m benchmarks.tabular --datasets iris,macrodata,star98,modechoice,digits \
        --seeds 3 --name tabular_confirm2           # kept unseen until the width rule was set
    python -m benchmarks.tabular --patterns mar,mnar --seeds 2 --name tabular_patterns
    python -m benchmarks.tabular --datasets anes96,grunfeld,interest_inflation,elnino,fair,digits \
        --seeds 3 --threads 1 --name tabular_confirm3    # after the blend: nothing designed on
    python -m benchmarks.tabular --datasets breast_cancer,wine,diabetes,iris,macrodata,star98,\
modechoice --seeds 3 --threads 1 --tuned-on breast_cancer,wine,diabetes,iris,macrodata,star98,\
modechoice --name tabular_designed_on                     # the tables the blend was designed on
    python -m benchmarks.tabular --datasets randhie --seeds 3 --threads 1 --tuned-on none \
        --name tabular_large_confirm    # the large-table settings on a table not tuned on
    python -m benchmarks.tabular --datasets goog,fertility,stocks --seeds 3 --threads 1 \
        --tuned-on none --name tabular_confirm6    # three tables first used after them

The committed tabular_designed_on and tabular_confirm4 to 6 ran with
``--methods`` naming SimpleImputer(mean), KNNImputer, both IterativeImputers,
MissForest, GAINImputer, its previous default (up to 1000 epochs), the
network alone, SoftImputeFISTA and the reference average (their files list
the rows); the other GAINImputer variants were not part of these runs.

Tables given to --datasets run one after the other; to use two cores, run two
processes with --records FILE each (and --threads 1), then merge them with
``--merge FILE,FILE --name NAME``.
"""

import argparse
import importlib.util
import os
import time

import numpy as np
import pandas as pd
import threadpoolctl
import torch
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer

from skgain import GAINImputer, SoftImputeFISTA

from ._common import (
    cpu_model,
    default_data_home,
    markdown_table,
    mean_std,
    merged_records,
    save_records,
    scaled_rmse,
    write_results,
)
from ._table_data import PATTERNS, hide, load_table

MISSING_RATE = 0.2
TEST_FRACTION = 0.2
QUICK_ROWS = 1000
ET = "IterativeImputer(ExtraTrees)"
GAIN = "GAINImputer"
# The default before the width grew with the training rows (256 at any size).
GAIN_WIDE = "GAINImputer(hidden_dim=256)"
ORIGINAL = "GAINImputer(original GAIN settings)"
MISSFOREST = "MissForest (IterativeImputer(RandomForest))"
NETWORK_ALONE = "GAINImputer(blend_estimator=None)"
# The default before the large-table settings (gain_ablation_large.md), on
# tables of 10,000 training rows or more (100 epochs there).
PREVIOUS_LARGE = "GAINImputer(previous default: 4 blocks; 256 rows; 3e-3; 100 epochs)"
# The default before the epochs were capped at 300 (up to 1000 epochs, the
# ones that show the generator 1 million rows), on tables below 3,334 rows.
PREVIOUS_EPOCHS = "GAINImputer(previous default: up to 1000 epochs)"
PREVIOUS_EPOCH_RANGE = (100, 1000)
PREVIOUS_ROW_PASSES = 1_000_000
HYPERIMPUTE = "HyperImpute (optional peer)"
PEER_AVERAGE = "reference: average of IterativeImputer(BayesianRidge) and (ExtraTrees)"
# The peers GAINImputer must beat (issue 10); MissForest is reported beside them.
PEERS = ("KNNImputer", "IterativeImputer(BayesianRidge)", ET)
TUNED_ON = ("spam", "letter")

# The GAIN paper's Table 2 (RMSE, 20% MCAR, fit_transform on all rows).
PAPER_GAIN = {"spam": 0.0513, "letter": 0.1198}
# The authors' code trains for 10000 steps of 128 rows.
ORIGINAL_STEPS = 10000


def methods(seed, n_samples):
    """The compared imputers, freshly built for one seed."""
    original_epochs = max(1, round(ORIGINAL_STEPS * 128 / n_samples))
    forest = dict(n_estimators=10, random_state=seed)
    return {
        "SimpleImputer(mean)": SimpleImputer(strategy="mean"),
        "KNNImputer": KNNImputer(),
        "IterativeImputer(BayesianRidge)": IterativeImputer(max_iter=10, random_state=seed),
        ET: IterativeImputer(estimator=ExtraTreesRegressor(**forest), max_iter=10,
                             random_state=seed),
        # MissForest (Stekhoven and Buehlmann, 2012) is iterative imputation
        # with random forests, a third of the features tried at each split as
        # in R's randomForest; 10 trees keep letter within minutes.
        MISSFOREST: IterativeImputer(
            estimator=RandomForestRegressor(max_features=1 / 3, **forest), max_iter=10,
            random_state=seed),
        GAIN: GAINImputer(random_state=seed),
        NETWORK_ALONE: GAINImputer(blend_estimator=None, random_state=seed),
        GAIN_WIDE: GAINImputer(hidden_dim=256, random_state=seed),
        PREVIOUS_LARGE: GAINImputer(n_blocks=4, batch_size=256, learning_rate=3e-3,
                                    max_epochs=100, random_state=seed),
        PREVIOUS_EPOCHS: GAINImputer(
            max_epochs=_previous_epochs(n_samples), random_state=seed),
        "GAINImputer(adversarial=True)": GAINImputer(adversarial=True, random_state=seed),
        ORIGINAL: GAINImputer(
            adversarial=True, architecture="mlp", drop_rate=0, hint_mechanism="code", alpha=100,
            learning_rate=1e-3, lr_schedule="constant", batch_size=128, training_precision="float32",
            validation_fraction=0, max_epochs=original_epochs, blend_estimator=None,
            random_state=seed,
        ),
        "SoftImputeFISTA": SoftImputeFISTA(random_state=seed),
        # Not a peer of the issue: it shows how much of the blend's gain any
        # average of two different imputers would give.
        PEER_AVERAGE: AverageImputer(
            [IterativeImputer(max_iter=10, random_state=seed),
             IterativeImputer(estimator=ExtraTreesRegressor(**forest), max_iter=10,
                              random_state=seed)]),
        **({HYPERIMPUTE: HyperImputeImputer(random_state=seed)} if _has_hyperimpute() else {}),
    }


def _previous_epochs(n_samples):
    """The previous default's epochs for ``n_samples`` training rows.

    Those that show the generator PREVIOUS_ROW_PASSES rows, within
    PREVIOUS_EPOCH_RANGE: max_epochs="auto"'s rule before its cap at 300.
    """
    return int(np.clip(-(-PREVIOUS_ROW_PASSES // n_samples), *PREVIOUS_EPOCH_RANGE))


def _has_hyperimpute():
    return importlib.util.find_spec("hyperimpute") is not None


class HyperImputeImputer(TransformerMixin, BaseEstimator):
    """HyperImpute (Jarrett et al., ICML 2022) through its plugin API.

    An optional peer (issue 10), not a dependency: it pulls TensorFlow,
    CatBoost, LightGBM, XGBoost and Optuna. ``methods`` lists it only where it
    imports; it ran in a separate virtual environment here, with pandas 2.3:
    under pandas 3 its chained assignments are ignored (copy-on-write) and it
    silently returned the column means (iris: 0.2630, the mean's RMSE).
    """

    def __init__(self, random_state=0):
        self.random_state = random_state

    def fit(self, X, y=None):
        from hyperimpute.plugins.imputers import Imputers

        self.plugin_ = Imputers().get("hyperimpute", random_state=self.random_state)
        self.plugin_.fit(pd.DataFrame(X))
        return self

    def transform(self, X):
        return np.asarray(self.plugin_.transform(pd.DataFrame(X)), dtype=np.float64)


class AverageImputer(TransformerMixin, BaseEstimator):
    """The entry-wise mean of several imputers' outputs (a benchmark reference)."""

    def __init__(self, imputers):
        self.imputers = imputers

    def fit(self, X, y=None):
        self.imputers_ = [clone(imputer).fit(X) for imputer in self.imputers]
        return self

    def transform(self, X):
        return np.mean([imputer.transform(X) for imputer in self.imputers_], axis=0)


def blas_threads():
    """Threads of numpy's BLAS (the most any of its libraries uses)."""
    return max((pool["num_threads"] for pool in threadpoolctl.threadpool_info()
                if pool["user_api"] == "blas"), default=1)


def split_rows(n_samples, seed):
    """Seeded (train, unseen) row indices."""
    order = np.random.RandomState(10_000 + seed).permutation(n_samples)
    n_test = int(round(TEST_FRACTION * n_samples))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def measure_one(imputer, X, X_missing, hidden, rows, scale):
    """fit_transform on the training rows, transform on the unseen ones."""
    train, test = rows
    wall, cpu = time.perf_counter(), time.process_time()
    fitted = imputer.fit_transform(X_missing[train])
    fit_seconds = time.perf_counter() - wall
    unseen = imputer.transform(X_missing[test])
    record = {
        "rmse_fit": scaled_rmse(X[train], fitted, hidden[train], *scale),
        "rmse_unseen": scaled_rmse(X[test], unseen, hidden[test], *scale),
        "seconds": time.perf_counter() - wall,
        "fit_seconds": fit_seconds,
        "cpu_seconds": time.process_time() - cpu,
    }
    if isinstance(imputer, GAINImputer):
        record.update(epochs=imputer.n_iter_, best_epoch=imputer.best_epoch_,
                      max_epochs=imputer.max_epochs_, training_precision=imputer.training_precision_,
                      device=imputer.device_)
    return record


def measure(datasets, patterns, seeds, quick, data_home, only=None, records_path=None,
            records=None, device=None):
    """One record per (table, pattern, seed, method); saved after every fit.

    ``device`` (None: each imputer's default) is set on the imputers that take one.
    """
    records = [] if records is None else records
    for name in datasets:
        X = load_table(name, data_home)
        if quick and len(X) > QUICK_ROWS:
            X = X[np.random.RandomState(0).permutation(len(X))[:QUICK_ROWS]]
        data_min = X.min(axis=0)
        data_range = np.where(np.ptp(X, axis=0) > 0, np.ptp(X, axis=0), 1.0)
        for pattern in patterns:
            for seed in seeds:
                X_missing, hidden = hide(X, pattern, MISSING_RATE, seed)
                rows = split_rows(len(X), seed)
                for method, imputer in methods(seed, len(rows[0])).items():
                    if only is not None and method not in only:
                        continue
                    imputer = clone(imputer)
                    if device is not None and "device" in imputer.get_params():
                        imputer.set_params(device=device)
                    record = measure_one(imputer, X, X_missing, hidden, rows,
                                         (data_min, data_range))
                    record.update(dataset=name, pattern=pattern, seed=seed, method=method,
                                  shape=list(X.shape), cpu=cpu_model(),
                                  torch_threads=torch.get_num_threads(),
                                  blas_threads=blas_threads(),
                                  load_average_1min=os.getloadavg()[0])
                    records.append(record)
                    if records_path is not None:
                        save_records(records_path, records)
                    print(f"{name:13s} {pattern} seed={seed} {method:44s} "
                          f"fit {record['rmse_fit']:.4f} unseen {record['rmse_unseen']:.4f} "
                          f"{record['seconds']:7.1f}s", flush=True)
    return records


def summarise(records):
    """Mean and std per (table, pattern, method), on the seeds every method finished."""
    summary = {}
    groups = {(r["dataset"], r["pattern"]) for r in records}
    for key in sorted(groups):
        rows = [r for r in records if (r["dataset"], r["pattern"]) == key]
        all_methods = list(dict.fromkeys(r["method"] for r in rows))
        seeds = [s for s in dict.fromkeys(r["seed"] for r in rows)
                 if {r["method"] for r in rows if r["seed"] == s} == set(all_methods)]
        et = {r["seed"]: r["seconds"] for r in rows if r["method"] == ET}
        for method in all_methods:
            sel = [r for r in rows if r["method"] == method and r["seed"] in seeds]
            entry = {"n_seeds": len(sel), "shape": sel[0]["shape"] if sel else None}
            for field in ("rmse_fit", "rmse_unseen", "seconds", "cpu_seconds"):
                entry[field], entry[field + "_std"] = mean_std([r[field] for r in sel])
            if et and sel:
                entry["x_et"] = float(np.mean([r["seconds"] / et[r["seed"]] for r in sel]))
            summary.setdefault(f"{key[0]}/{key[1]}", {})[method] = entry
    return summary


def render_group(key, methods_summary, tuned_on=TUNED_ON):
    name, pattern = key.split("/")
    any_entry = next(iter(methods_summary.values()))
    rows = []
    if pattern == "mcar" and name in PAPER_GAIN:
        rows.append(["GAIN paper (Table 2, fit_transform on all rows)",
                     f"{PAPER_GAIN[name]:.4f}", "-", "-", "-", "-"])
    for method, s in methods_summary.items():
        rows.append([method, f"{s['rmse_fit']:.4f} ± {s['rmse_fit_std']:.4f}",
                     f"{s['rmse_unseen']:.4f} ± {s['rmse_unseen_std']:.4f}",
                     f"{s['seconds']:.1f}", f"{s['cpu_seconds']:.1f}",
                     f"{s['x_et']:.2f}" if "x_et" in s else "-"])
    shape = "x".join(str(v) for v in any_entry["shape"])
    title = (f"### {name} ({shape}), {pattern.upper()} 20%, {any_entry['n_seeds']} seeds"
             f"{' (tuned on)' if name in tuned_on else ' (not tuned on)'}")
    header = ["method", "fit_transform RMSE", "unseen rows RMSE", "seconds", "CPU s", "x ET"]
    return [title, "", markdown_table(header, rows), ""]


def _compare(gain, peers):
    """The best peer (by unseen-rows RMSE) and whether GAIN is ahead on both columns."""
    best = min(peers, key=lambda m: peers[m]["rmse_unseen"])
    ahead = all(gain[c] < peers[best][c] for c in ("rmse_fit", "rmse_unseen"))
    return best, ahead


def paired_difference(records, key, method, other, column):
    """Mean over seeds of ``method``'s minus ``other``'s ``column`` on the
    same masks, and its standard error (None with fewer than 2 seeds)."""
    dataset, pattern = key.split("/")
    by_seed = {}
    for r in records:
        if (r["dataset"], r["pattern"]) == (dataset, pattern) and r["method"] in (method, other):
            by_seed.setdefault(r["seed"], {})[r["method"]] = r[column]
    diffs = [v[method] - v[other] for v in by_seed.values() if len(v) == 2]
    if not diffs:
        return None, None
    error = float(np.std(diffs, ddof=1) / np.sqrt(len(diffs))) if len(diffs) > 1 else None
    return float(np.mean(diffs)), error


def _noise_verdict(records, key, best):
    """Each column's paired difference with the best peer, and whether it is
    more than 2 standard errors from 0: on tables of a few dozen rows the
    unseen rows hold a few dozen hidden entries, and seeds disagree."""
    parts, behind = [], False
    for column, label in (("rmse_fit", "fit_transform"), ("rmse_unseen", "unseen")):
        diff, error = paired_difference(records, key, GAIN, best, column)
        if diff is None or error is None:
            continue
        clear = abs(diff) > 2 * error
        behind |= clear and diff > 0
        word = ("ahead" if diff < 0 else "behind") if clear else "within 2 SE"
        parts.append(f"{label} {diff:+.4f} ± {error:.4f} ({word})")
    return "; ".join(parts), behind


def verdicts(summary, tuned_on=TUNED_ON, records=None):
    """Plain sentences: GAINImputer against the issue's peers, and against MissForest.

    With ``records``, each table's line adds the paired difference from the
    best peer per column (mean ± standard error over seeds) and the last
    line counts the tables where GAINImputer is behind by more than 2 of them.
    """
    lines, wins, clearly_behind = [], {}, {}
    for key, s in summary.items():
        peers = {m: s[m] for m in PEERS if m in s}
        if GAIN not in s or not peers:
            continue
        gain = s[GAIN]
        best, wins[key] = _compare(gain, peers)
        speed = f", {gain['x_et']:.2f}x ExtraTrees' seconds" if "x_et" in gain else ""
        line = (f"- {key}: GAINImputer {gain['rmse_fit']:.4f} / {gain['rmse_unseen']:.4f} "
                f"(fit_transform / unseen) vs best of KNN, BayesianRidge and ExtraTrees: "
                f"{best} {peers[best]['rmse_fit']:.4f} / {peers[best]['rmse_unseen']:.4f}: "
                f"{'AHEAD on both' if wins[key] else 'BEHIND'}{speed}")
        if records is not None:
            paired, clearly_behind[key] = _noise_verdict(records, key, best)
            line += f" (GAINImputer minus {best}, paired over seeds: {paired})" if paired else ""
        if MISSFOREST in s:
            forest = s[MISSFOREST]
            ahead = all(gain[c] < forest[c] for c in ("rmse_fit", "rmse_unseen"))
            line += (f"; vs MissForest {forest['rmse_fit']:.4f} / {forest['rmse_unseen']:.4f}: "
                     f"{'AHEAD on both' if ahead else 'BEHIND on at least one'}")
        lines.append(line + ".")
        lines.extend(_blend_lines(key, s))
    untuned = [k for k in wins if k.split("/")[0] not in tuned_on]
    if untuned:
        lines.append(f"- Tables not tuned on: GAINImputer ahead of the best of KNN, "
                     f"BayesianRidge and ExtraTrees on both columns on "
                     f"{sum(wins[k] for k in untuned)} of {len(untuned)}.")
        if records is not None:
            lines.append(f"- Tables not tuned on where GAINImputer is behind that peer by more "
                         f"than 2 standard errors on at least one column: "
                         f"{sum(clearly_behind[k] for k in untuned)} of {len(untuned)} (with "
                         f"{_seed_counts(summary, untuned)} seeds the standard errors are rough: "
                         "'within 2 SE' says the seeds do not settle it, not that the two are "
                         "level).")
    return lines


def _seed_counts(summary, keys):
    """'5' or '3 to 10': how many seeds GAINImputer's rows of ``keys`` average."""
    counts = sorted({summary[k][GAIN]["n_seeds"] for k in keys})
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]} to {counts[-1]}"


def _blend_lines(key, s):
    """The blend against the network alone, and against an average of two peers."""
    lines, gain = [], s[GAIN]
    for other, label in ((NETWORK_ALONE, "the network alone"),
                         (PREVIOUS_LARGE, "the previous default"),
                         (PREVIOUS_EPOCHS, "the previous default (up to 1000 epochs)"),
                         (PEER_AVERAGE, "the average of BayesianRidge and ExtraTrees")):
        if other in s:
            ahead = all(gain[c] < s[other][c] for c in ("rmse_fit", "rmse_unseen"))
            lines.append(f"  - vs {label} {s[other]['rmse_fit']:.4f} / "
                         f"{s[other]['rmse_unseen']:.4f}: "
                         f"{'AHEAD on both' if ahead else 'BEHIND on at least one'}.")
    return lines


def mode_line(records, quick):
    threads = sorted({r["torch_threads"] for r in records})
    blas = sorted({r.get("blas_threads", "not recorded") for r in records}, key=str)
    loads = [r["load_average_1min"] for r in records]
    seeds = sorted({r["seed"] for r in records})
    cpus = sorted({r.get("cpu", "CPU not recorded") for r in records})
    return (f"{'quick (' + str(QUICK_ROWS) + '-row subsets)' if quick else 'full (all rows)'}; "
            f"seeds {seeds}; torch threads {threads}, numpy BLAS threads {blas}; "
            f"1-minute load average during the fits {min(loads):.1f}-{max(loads):.1f} on "
            f"{os.cpu_count()} cores ({'; '.join(cpus)})")


def report(records, quick, name="tabular", out_dir=None, tuned_on=TUNED_ON):
    summary = summarise(records)
    lines = [
        "# Tabular imputation: fit on 80% of the rows, transform the unseen 20%",
        "",
        f"Mode: {mode_line(records, quick)}. RMSE on hidden entries after min-max scaling "
        "with the complete data's ranges (lower is better), mean ± std over seeds. Seconds: "
        "fit_transform on the training rows + transform of the unseen rows, wall-clock; "
        "x ET: those seconds over IterativeImputer(ExtraTrees)'s, same table, seed and "
        "masks. Produced by `benchmarks/tabular.py`.",
        "",
    ]
    for key in summary:
        lines += render_group(key, summary[key], tuned_on)
    lines += verdicts(summary, tuned_on, records)
    markdown = "\n".join(lines)
    write_results(name, {"mode": mode_line(records, quick), "summary": summary,
                         "records": records}, markdown, out_dir, experiment="tabular")
    print(markdown)
    return {"summary": summary, "records": records}


def run(quick=False, data_home=None, out_dir=None, seeds=None, datasets=TUNED_ON,
        patterns=("mcar",), name="tabular"):
    """Run the comparison and write ``<name>.json`` and ``<name>.md``."""
    data_home = data_home or default_data_home()
    seeds = list(seeds if seeds is not None else (range(1) if quick else range(5)))
    records = measure(datasets, patterns, seeds, quick, data_home)
    return report(records, quick, name, out_dir)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds")
    parser.add_argument("--seed-list", default=None,
                        help="comma-separated seeds (to add seeds to an earlier run's records)")
    parser.add_argument("--datasets", default=",".join(TUNED_ON))
    parser.add_argument("--patterns", default="mcar", help=f"comma-separated: {PATTERNS}")
    parser.add_argument("--methods", default=None, help="comma-separated subset of methods")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--name", default="tabular", help="results file name")
    parser.add_argument("--tuned-on", default=",".join(TUNED_ON),
                        help="tables a default was tuned or designed on (labelled so)")
    parser.add_argument("--records", default=None, help="save the records to this JSON file")
    parser.add_argument("--merge", default=None,
                        help="comma-separated record files to merge into one report")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
        # numpy's BLAS too: scikit-learn's imputers spin two BLAS threads
        # otherwise, and on a core another process uses that was 20-50x
        # slower (IterativeImputer(BayesianRidge) on digits: 95 s against 4 s).
        threadpoolctl.threadpool_limits(limits=args.threads)
    if args.merge:
        report(merged_records(args.merge), args.quick, args.name, args.out,
               args.tuned_on.split(","))
        return
    seeds = range(args.seeds) if args.seeds else (range(1) if args.quick else range(5))
    if args.seed_list:
        seeds = [int(seed) for seed in args.seed_list.split(",")]
    only = None if args.methods is None else set(args.methods.split(","))
    records = measure(args.datasets.split(","), args.patterns.split(","), list(seeds),
                      args.quick, args.data_home or default_data_home(), only, args.records)
    if args.records is None:
        report(records, args.quick, args.name, args.out, args.tuned_on.split(","))


if __name__ == "__main__":
    main()
