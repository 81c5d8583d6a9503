"""GAINImputer ablation: the defaults against one change at a time, on spam and letter.

Same protocol as ``benchmarks/tabular.py`` (20% MCAR, fit_transform on 80% of
the rows, transform the unseen 20%), with IterativeImputer(ExtraTrees) in the
same run for reference, and IterativeImputer(BayesianRidge) (from the linear-fill
variant on). These are the tables the defaults were tuned on.

Every row is a public GAINImputer (or an average of them): what a variant
changes is a parameter, or a setting read from a fitted GAINImputer's
attributes. Ideas that needed GAINImputer's private methods (dropout in the
residual blocks, a linear skip, iterative refinement, a linear or ridge fill
as the generator's input) were removed with their results; the benchmark
page ``docs/benchmarks/tables.md`` keeps their findings and the commits that
have them.

    python -m benchmarks gain_ablation                 # seed 0, every variant
    python -m benchmarks.gain_ablation --seeds 2 --variants "default;adversarial=True"

On two cores, run ``--datasets spam --out A --threads 1`` and ``--datasets letter
--out B --threads 1`` side by side, then ``--merge A/gain_ablation.json,B/gain_ablation.json``.
"""

import argparse
import json
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.base import clone

from skgain import GAINImputer

from ._common import default_data_home, markdown_table, write_results
from .blend_ablation import DESIGNED_ON, three_way
from ._table_data import hide, load_table
from .tabular import ET, MISSING_RATE, AverageImputer, measure_one, methods, split_rows

NAME = "gain_ablation"
BAYESIAN_RIDGE = "IterativeImputer(BayesianRidge)"
PREVIOUS_DEFAULT = ("n_blocks=4, batch_size=256, learning_rate=3e-3, max_epochs x1 "
                    "(the default before)")

# Letter's time (issue 10): fewer blocks on larger batches for more epochs,
# every setting the large-table default changed pinned: (n_blocks,
# batch_size, learning_rate, epochs factor) as written in the variant's name.
_LARGE_TABLE_GRID = [(3, 256, "3e-3", "1.2"), (2, 256, "3e-3", "1.6"), (2, 512, "4e-3", "2"),
                     (2, 512, "4e-3", "1.6"), (2, 1024, "6e-3", "2"), (2, 1024, "6e-3", "2.5"),
                     (2, 1024, "6e-3", "1.75"), (2, 2048, "8.5e-3", "2.5"),
                     (1, 1024, "6e-3", "3")]

# One change from the defaults per row; "original GAIN" changes everything.
VARIANTS = {
    "default": {},
    "adversarial=True": {"adversarial": True},
    "n_frequencies=0 (no periodic features)": {"n_frequencies": 0},
    "n_frequencies=16": {"n_frequencies": 16},
    "architecture='mlp', hidden_dim=256 (GAIN's net, wide)": {
        "architecture": "mlp", "hidden_dim": 256},
    "lr_schedule='constant', learning_rate=1e-3": {
        "lr_schedule": "constant", "learning_rate": 1e-3},
    "training_precision='float32'": {"training_precision": "float32"},
    "drop_rate=0.15": {"drop_rate": 0.15},
    "drop_rate=0.5": {"drop_rate": 0.5},
    "n_blocks=2": {"n_blocks": 2},
    "hidden_dim=512": {"hidden_dim": 512},
    "max_epochs x3": {"epochs_factor": 3},
    # Half the blocks cost about half the time per epoch: spend it on epochs.
    "n_blocks=2, max_epochs x1.5": {"n_blocks": 2, "epochs_factor": 1.5},
    "n_blocks=2, max_epochs x2": {"n_blocks": 2, "epochs_factor": 2},
    # Cheaper epochs still: one block, a narrower network, or fewer, larger batches.
    "n_blocks=1, max_epochs x3": {"n_blocks": 1, "epochs_factor": 3},
    "n_blocks=2, hidden_dim=192, max_epochs x2": {
        "n_blocks": 2, "hidden_dim": 192, "epochs_factor": 2},
    "n_blocks=2, batch_size=512, max_epochs x2": {
        "n_blocks": 2, "batch_size": 512, "epochs_factor": 2},
    "n_blocks=2, batch_size=512, max_epochs x3": {
        "n_blocks": 2, "batch_size": 512, "epochs_factor": 3},
    # The default before gain_ablation_large.md, for tables of 10,000 rows or more:
    PREVIOUS_DEFAULT: {"n_blocks": 4, "batch_size": 256, "learning_rate": 3e-3,
                       "epochs_factor": 1},
    # Issue 10's ideas not tried before (gain_ablation_ideas.md): an ensemble
    # of generators averaged, at the same and at twice the compute, and the
    # integer-valued columns as categories (rounded to observed values).
    "ensemble of 2 generators, half the epochs each": {"ensemble": 2, "auto_epochs_factor": 0.5},
    "ensemble of 2 generators": {"ensemble": 2},
    "categorical_features: the integer-valued columns": {"categorical": "integer"},
    # The width 192 as a cap on the rows' default width (which small tables keep).
    "n_blocks=2, width at most 192, max_epochs x2": {
        "n_blocks": 2, "width_cap": 192, "epochs_factor": 2},
    # The blend of small tables (the "auto" imputers, seeded by the benchmark,
    # in a BlendImputer) and the bounds of its output (BlendImputer's margin):
    # the observed range of each column (the default before), a quarter of
    # that range beyond it on either side (the default), or none.
    "blend, clipped to the observed range (the default before)": {"blend_margin": 0.0},
    "blend, clipped a quarter range beyond the observed range (the default)": {
        "blend_margin": 0.25},
    "blend, not clipped": {"blend_margin": None},
}

VARIANTS.update({
    f"n_blocks={n}, batch_size={b}, learning_rate={lr}, max_epochs x{f}": {
        "n_blocks": n, "batch_size": b, "learning_rate": float(lr), "epochs_factor": float(f)}
    for n, b, lr, f in _LARGE_TABLE_GRID})


# The unit of the "max_epochs xF" rows: the epochs that show the generator 1
# million rows, between 100 and 300. It is max_epochs="auto" below 10,000
# training rows (as its docstring says), and 100 on letter, where "auto" now
# gives the large-table settings' 175; the rows keep the unit they were run with.
_ROW_BUDGET = 1_000_000
_ROW_BUDGET_EPOCHS = (100, 300)


def _million_row_epochs(n_samples):
    """Epochs that show the generator ``_ROW_BUDGET`` rows of ``n_samples``, within 100-300."""
    return int(np.clip(-(-_ROW_BUDGET // n_samples), *_ROW_BUDGET_EPOCHS))


def _resolved_defaults(X_train):
    """A GAINImputer with the defaults fitted on ``X_train`` for two epochs, for
    what its ``"auto"`` settings resolve to on these rows (``hidden_dim_``,
    ``max_epochs_``: fitted attributes, which early stopping does not change).
    Without a blend, as every network row here."""
    probe = GAINImputer(blend_estimator=None, n_iter_no_change=1, tol=1.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # two epochs may be worse than the means
        return probe.fit(X_train)


def _integer_columns(X):
    observed = np.where(np.isnan(X), 0.0, X)
    return np.flatnonzero(np.all(observed == np.round(observed), axis=0))


def build(variant, seed, n_samples, X_train=None):
    """The variant's imputer for ``n_samples`` training rows (``X_train``: those
    rows, for variants that read the data or the defaults resolved on them)."""
    settings = dict(VARIANTS[variant])
    n_members = settings.pop("ensemble", None)
    if n_members:
        # A multiple of the epochs max_epochs="auto" gives these rows (at least 1).
        factor = settings.pop("auto_epochs_factor", 1)
        epochs = "auto"
        if factor != 1:
            epochs = max(1, int(round(factor * _resolved_defaults(X_train).max_epochs_)))
        members = [GAINImputer(blend_estimator=None, random_state=seed + 100 * k,
                               max_epochs=epochs, **settings)
                   for k in range(n_members)]
        return AverageImputer(members)
    if settings.pop("categorical", None) == "integer":
        settings["categorical_features"] = _integer_columns(X_train)
    cap = settings.pop("width_cap", None)
    if cap is not None:
        settings["hidden_dim"] = min(_resolved_defaults(X_train).hidden_dim_, cap)
    factor = settings.pop("epochs_factor", None)
    if factor is not None:
        # A multiple of the epochs that show 1 million rows (at least 100):
        # "auto" below 10,000 rows, and 100 on letter, where "auto" now gives
        # the large-table settings' 175.
        epochs = _million_row_epochs(n_samples)
        settings["max_epochs"] = int(round(factor * epochs))
    # The ablation studies the network: no blend with a second imputer, unless
    # the variant is about the blend.
    blend = None
    if "blend_margin" in settings:
        blend = three_way(seed, margin=settings.pop("blend_margin"))
    return GAINImputer(blend_estimator=blend, random_state=seed, **settings)


def measure(datasets, variants, seeds, data_home):
    records = []
    for name in datasets:
        X = load_table(name, data_home)
        scale = (X.min(axis=0), np.where(np.ptp(X, axis=0) > 0, np.ptp(X, axis=0), 1.0))
        for seed in seeds:
            X_missing, hidden = hide(X, "mcar", MISSING_RATE, seed)
            rows = split_rows(len(X), seed)
            peers = methods(seed, len(rows[0]))
            candidates = {name: peers[name] for name in (ET, BAYESIAN_RIDGE)}
            candidates.update({v: build(v, seed, len(rows[0]), X_missing[rows[0]])
                               for v in variants})
            for variant, imputer in candidates.items():
                record = measure_one(clone(imputer), X, X_missing, hidden, rows, scale)
                record.update(dataset=name, seed=seed, variant=variant,
                              torch_threads=torch.get_num_threads(),
                              load_average_1min=os.getloadavg()[0])
                records.append(record)
                print(json.dumps(record), flush=True)
    return records


def _tuning_label(table):
    """What the defaults learnt from ``table``, for the heading."""
    if table in ("spam", "letter"):
        return ""  # the tables the network's defaults were tuned on
    if table in DESIGNED_ON:
        return " (the blend and the epoch cap were designed on it)"
    return " (not tuned on)"


def render(records, note=None):
    datasets = list(dict.fromkeys(r["dataset"] for r in records))
    header = ["variant"] + sum([[f"{d} fit_transform", f"{d} unseen", f"{d} s"]
                                for d in datasets], [])
    rows = []
    for variant in dict.fromkeys(r["variant"] for r in records):
        row = [variant]
        for name in datasets:
            sel = [r for r in records if r["dataset"] == name and r["variant"] == variant]
            row += [f"{np.mean([r['rmse_fit'] for r in sel]):.4f}",
                    f"{np.mean([r['rmse_unseen'] for r in sel]):.4f}",
                    f"{np.mean([r['seconds'] for r in sel]):.1f}"]
        rows.append(row)
    seeds = sorted({r["seed"] for r in records})
    threads = sorted({r["torch_threads"] for r in records})
    loads = [r["load_average_1min"] for r in records]
    return "\n".join([
        "# GAINImputer ablation (tables: " + ", ".join(
            f"{d}{_tuning_label(d)}" for d in datasets) + ")",
        "",
        f"20% MCAR, fit_transform on 80% of the rows, transform the unseen 20%; RMSE after "
        f"min-max scaling with the complete data's ranges; seeds {seeds}; torch threads "
        f"{threads}; 1-minute load average {min(loads):.1f}-{max(loads):.1f} on "
        f"{os.cpu_count()} cores. Seconds: fit_transform + transform, wall-clock. Produced by "
        "`benchmarks/gain_ablation.py`.",
        "",
        markdown_table(header, rows),
    ] + ([] if note is None else ["", note]))


def run(quick=False, data_home=None, out_dir=None):
    seeds = [0]
    variants = ["default", "adversarial=True"] if quick else list(VARIANTS)
    datasets = ["spam"] if quick else ["spam", "letter"]
    records = measure(datasets, variants, seeds, data_home or default_data_home())
    markdown = render(records)
    write_results(NAME, {"records": records}, markdown, out_dir)
    print(markdown)
    return {"records": records}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--datasets", default="spam,letter")
    parser.add_argument("--variants", default=None,
                        help="variant names separated by ';' (names hold commas)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--merge", default=None,
                        help="comma-separated gain_ablation.json files to merge into one table")
    parser.add_argument("--name", default=NAME, help="results file name")
    parser.add_argument("--note", default=None, help="a paragraph added below the table")
    args = parser.parse_args(argv)
    if args.merge:
        records = sum((json.loads(Path(p).read_text())["records"]
                       for p in args.merge.split(",")), [])
        write_results(args.name, {"records": records}, render(records, args.note), args.out,
                      experiment=NAME)
        print(render(records, args.note))
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    variants = list(VARIANTS) if args.variants is None else args.variants.split(";")
    records = measure(args.datasets.split(","), variants,
                      range(args.first_seed, args.first_seed + args.seeds),
                      args.data_home or default_data_home())
    markdown = render(records, args.note)
    write_results(args.name, {"records": records}, markdown, args.out, experiment=NAME)
    print(markdown)


if __name__ == "__main__":
    main()
