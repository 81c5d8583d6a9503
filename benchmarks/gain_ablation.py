"""GAINImputer ablation: the defaults against one change at a time, on spam and letter.

Same protocol as ``benchmarks/tabular.py`` (20% MCAR, fit_transform on 80% of
the rows, transform the unseen 20%), with IterativeImputer(ExtraTrees) in the
same run for reference, and IterativeImputer(BayesianRidge) (from the linear-fill
variant on). These are the tables the defaults were tuned on.

    python -m benchmarks gain_ablation                 # seed 0, every variant
    python -m benchmarks.gain_ablation --seeds 2 --variants "default;adversarial=True"

On two cores, run ``--datasets spam --out A --threads 1`` and ``--datasets letter
--out B --threads 1`` side by side, then ``--merge A/gain_ablation.json,B/gain_ablation.json``.
"""

import argparse
import json
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn
from sklearn.base import clone
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer

from skgain import GAINImputer
from skgain._blend import with_nan
from skgain._gain import _row_budget_epochs, _width_for_rows

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
    # of generators averaged, at the same and at twice the compute; the
    # integer-valued columns as categories (rounded to observed values); and
    # dropout in the residual blocks.
    "ensemble of 2 generators, half the epochs each": {"ensemble": 2, "auto_epochs_factor": 0.5},
    "ensemble of 2 generators": {"ensemble": 2},
    "categorical_features: the integer-valued columns": {"categorical": "integer"},
    "dropout 0.1 in the residual blocks": {"dropout": True},
    # Iterative refinement (the EM idea behind DiffPuter): a second generator
    # trained and applied on the first one's imputations; the first trained
    # for half or all of the default's epochs, the second for half.
    "refined: a second generator on the first's imputations, half + half the epochs": {
        "refine": (0.5, 0.5)},
    "refined: a second generator on the first's imputations, all + half the epochs": {
        "refine": (1.0, 0.5)},
    # A linear path from the inputs to the output, for small near-linear tables.
    "linear skip from the inputs to the output": {"linear_skip": True},
    # The network refines a linear imputer's fill instead of noise.
    "on IterativeImputer(BayesianRidge)'s fill": {"linear_fill": True},
    "on a one-step ridge fill": {"ridge_fill": True},
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


class _DropoutGAIN(GAINImputer):
    """GAINImputer with dropout after the first layer of each residual block
    (a measurement only: not a parameter of the package)."""

    dropout_rate = 0.1

    def _build_networks(self, generator, statistics):
        G, D = super()._build_networks(generator, statistics)
        for block in G.blocks:
            block.inner = nn.Sequential(block.inner, nn.Dropout(self.dropout_rate))
        return G, D


class _LinearSkip(nn.Module):
    """A generator plus a linear map of its inputs, zero at the start."""

    def __init__(self, network, n_features):
        super().__init__()
        self.network = network
        self.linear = nn.Linear(2 * n_features, n_features, bias=False)
        nn.init.zeros_(self.linear.weight)

    def forward(self, values, side):
        return self.network(values, side) + self.linear(torch.cat([values, side], dim=1))


class _LinearSkipGAIN(GAINImputer):
    """GAINImputer whose generator adds a linear map of its inputs (values and
    mask) to the residual MLP's output (a measurement only: not a parameter
    of the package). The MLP's head normalises its last hidden layer, so it
    has no purely linear path; on small tables whose columns are near-linear
    functions of each other the network alone is far behind BayesianRidge."""

    def _build_networks(self, generator, statistics):
        G, D = super()._build_networks(generator, statistics)
        return _LinearSkip(G, self.n_features_in_), D


class _RefinedGAIN(GAINImputer):
    """GAINImputer whose generator sees, at the entries it must impute, a
    first generator's imputations instead of noise (a measurement only: not
    a parameter of the package). ``first_epochs`` trains the first."""

    first_epochs = None

    def _fit(self, X, **options):
        self.first_ = GAINImputer(blend_estimator=None, max_epochs=self.first_epochs,
                                  random_state=self.random_state + 100).fit(X)
        return super()._fit(X, **options)

    def _generator_input(self, values, mask, generator):
        start = super()._generator_input(values, mask, generator)
        first = self.first_.generator_.eval()
        with torch.no_grad():
            guess = first(start, mask).to(values.dtype)
        return mask * values + (1 - mask) * guess


class _OnLinearFillGAIN(GAINImputer):
    """GAINImputer whose generator sees, at the entries it must impute,
    IterativeImputer(BayesianRidge)'s imputations instead of noise: the
    network refines a linear imputer's fill, as SpatialGAINImputer refines
    the biharmonic one (a measurement only: not a parameter of the package).
    The linear imputer is fitted on the scaled training rows; at each step it
    fills the entries hidden from the generator from the others."""

    def _fit_scaled(self, X, mask, rng, **options):
        self.linear_ = IterativeImputer(max_iter=10, keep_empty_features=True,
                                        random_state=self.random_state).fit(with_nan(X, mask))
        return super()._fit_scaled(X, mask, rng, **options)

    def _generator_input(self, values, mask, generator):
        start = super()._generator_input(values, mask, generator)
        dense = values.detach().cpu().numpy().astype(np.float64)
        guess = self.linear_.transform(with_nan(dense, mask.detach().cpu().numpy()))
        guess = torch.as_tensor(guess, dtype=values.dtype, device=values.device)
        return mask * start + (1 - mask) * guess


class _OnRidgeFillGAIN(GAINImputer):
    """GAINImputer whose generator sees, at the entries it must impute, a
    one-step linear fill instead of noise: each column's ridge regression on
    the others, fitted once on the mean-filled training rows and applied to
    the observed entries of each batch on the device (a measurement only;
    the cheap form of ``_OnLinearFillGAIN``)."""

    ridge_alpha = 1.0

    def _fit_scaled(self, X, mask, rng, **options):
        observed = mask.astype(bool)
        # Not skgain._base.observed_means: its float64 block sums differ in the
        # last digits, and this is the sum the committed records were run with.
        means = np.where(observed, X, 0).sum(0) / np.maximum(observed.sum(0), 1)
        centred = np.where(observed, X - means, 0.0)
        n_features = X.shape[1]
        gram = centred.T @ centred + self.ridge_alpha * np.eye(n_features)
        weights = np.zeros((n_features, n_features))
        for j in range(n_features):  # column j from the others
            others = np.delete(np.arange(n_features), j)
            weights[others, j] = np.linalg.solve(gram[np.ix_(others, others)],
                                                 gram[others, j])
        self._fill_means = torch.as_tensor(means, dtype=torch.float32)
        self._fill_weights = torch.as_tensor(weights, dtype=torch.float32)
        return super()._fit_scaled(X, mask, rng, **options)

    def _generator_input(self, values, mask, generator):
        start = super()._generator_input(values, mask, generator)
        means = self._fill_means.to(values.device, values.dtype)
        weights = self._fill_weights.to(values.device, values.dtype)
        guess = means + (mask * (values - means)) @ weights
        return mask * start + (1 - mask) * guess


_FLAGGED_CLASSES = {"ridge_fill": _OnRidgeFillGAIN, "linear_fill": _OnLinearFillGAIN,
                    "linear_skip": _LinearSkipGAIN, "dropout": _DropoutGAIN}


def _auto_epochs_times(factor, n_samples):
    """``factor`` times the epochs ``max_epochs="auto"`` gives ``n_samples`` rows (at least 1)."""
    return max(1, int(round(factor * GAINImputer()._resolve_schedule(n_samples)[0])))


def _refined(seed, n_samples, factors):
    first, second = (_auto_epochs_times(f, n_samples) for f in factors)
    refined = type("_Refined", (_RefinedGAIN,), {"first_epochs": first})
    return refined(blend_estimator=None, random_state=seed, max_epochs=second)


def _integer_columns(X):
    observed = np.where(np.isnan(X), 0.0, X)
    return np.flatnonzero(np.all(observed == np.round(observed), axis=0))


def build(variant, seed, n_samples, X_train=None):
    """The variant's imputer for ``n_samples`` training rows (``X_train``: those
    rows, for variants that read the data)."""
    settings = dict(VARIANTS[variant])
    n_members = settings.pop("ensemble", None)
    if n_members:
        epochs = _auto_epochs_times(settings.pop("auto_epochs_factor", 1), n_samples)
        members = [GAINImputer(blend_estimator=None, random_state=seed + 100 * k,
                               max_epochs=epochs, **settings)
                   for k in range(n_members)]
        return AverageImputer(members)
    if "refine" in settings:
        return _refined(seed, n_samples, settings.pop("refine"))
    if settings.pop("categorical", None) == "integer":
        settings["categorical_features"] = _integer_columns(X_train)
    # A variant's flag picks a GAINImputer subclass (dropout at _DropoutGAIN.dropout_rate).
    flagged = [cls for flag, cls in _FLAGGED_CLASSES.items() if settings.pop(flag, False)]
    imputer_class = flagged[0] if flagged else GAINImputer
    cap = settings.pop("width_cap", None)
    if cap is not None:
        settings["hidden_dim"] = min(_width_for_rows(n_samples), cap)
    factor = settings.pop("epochs_factor", None)
    if factor is not None:
        # A multiple of the epochs that show 1 million rows (at least 100):
        # "auto" below 10,000 rows, and 100 on letter, where "auto" now gives
        # the large-table settings' 175.
        epochs = _row_budget_epochs(n_samples)
        settings["max_epochs"] = int(round(factor * epochs))
    # The ablation studies the network: no blend with a second imputer, unless
    # the variant is about the blend.
    blend = None
    if "blend_margin" in settings:
        blend = three_way(seed, margin=settings.pop("blend_margin"))
    return imputer_class(blend_estimator=blend, random_state=seed, **settings)


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
