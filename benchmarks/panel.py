"""Panel benchmark: impute the treated periods of a simulated causal panel.

Data come from :func:`skgain.datasets.make_panel`,
``Y[i, t] = rho * Y[i, t-1] + delta[i] + gamma[t] + eps[i, t]`` (units as
rows, periods as columns), with the causal-panel missing pattern of
:func:`skgain.datasets.make_panel_mask`: a random share of the units (the
treated ones) miss their last periods, the control units are observed
throughout. Every imputer sees the panel with those cells set to NaN; the
score is the RMSE on the hidden cells, in the units of ``Y`` (the noise has
standard deviation 1), averaged over seeded repeats.

skgain's imputers (GAINImputer, SoftImputeFISTA, and SpatialGAINImputer and
ZeroShotSpatialImputer when this checkout has them, in full mode) are
compared with
scikit-learn's SimpleImputer, KNNImputer and IterativeImputer.

Run with ``python -m benchmarks panel [--quick]``.
"""

import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer

import skgain
from skgain.datasets import make_panel, make_panel_mask

from ._common import environment, markdown_table, mean_std, results_dir, write_results

NAME = "panel"

# quick: two persistence levels, block design, one repeat, and no image
# imputers (their training costs minutes per panel on 2 shared CPU cores).
# full: three persistence levels, block and staggered adoption, 5 repeats,
# every imputer.
SETTINGS = {
    "quick": {"n_units": 100, "n_periods": 40, "rhos": [0.5, 0.9], "designs": ["block"],
              "repeats": 1, "image_imputers": False},
    "full": {"n_units": 200, "n_periods": 60, "rhos": [0.3, 0.6, 0.9],
             "designs": ["block", "staggered"], "repeats": 5, "image_imputers": True},
}
# The causal-panel pattern: 30% of units treated, the last 25% of periods missing.
TREATED_FRACTION = 0.3
MISSING_PERIODS = 0.25
# Scales of make_panel: effects and noise with standard deviation 1.
PANEL_PARAMS = {"unit_effect_std": 1.0, "time_effect_std": 1.0, "noise_std": 1.0}

# Imputers that take images (n, H, W) rather than rows.
IMAGE_IMPUTERS = ("SpatialGAINImputer", "ZeroShotSpatialImputer")


def imputers(seed, image_imputers=True):
    """Name -> factory of every imputer compared, skgain's first.

    The image imputers are included only when asked for and when ``skgain``
    exports them.
    """
    found = {
        "GAINImputer": lambda: skgain.GAINImputer(random_state=seed),
        "SoftImputeFISTA": lambda: skgain.SoftImputeFISTA(random_state=seed),
    }
    for name in IMAGE_IMPUTERS if image_imputers else ():
        cls = getattr(skgain, name, None)
        if cls is not None:
            found[name] = lambda cls=cls: cls(random_state=seed)
    found.update({
        "SimpleImputer (sklearn)": lambda: SimpleImputer(strategy="mean"),
        "KNNImputer (sklearn)": lambda: KNNImputer(n_neighbors=5),
        "IterativeImputer (sklearn)": lambda: IterativeImputer(max_iter=10, random_state=seed),
    })
    return found


def impute(name, estimator, Y_missing):
    """Complete ``Y_missing`` (n_units, n_periods) with ``estimator``."""
    if name == "SpatialGAINImputer":
        # Each unit is an image one pixel high: the convolutions run along
        # time, units are the samples (their order carries no meaning).
        return np.asarray(estimator.fit_transform(Y_missing[:, None, :]))[:, 0, :]
    if name == "ZeroShotSpatialImputer":
        # Zero-shot imputation works on one 2-D image: the whole panel.
        return np.asarray(estimator.fit_transform(Y_missing))
    return estimator.fit_transform(Y_missing)


def one_case(settings, rho, design, repeat):
    """Simulate one panel and its mask; the seeds depend on rho, design and repeat."""
    seed = 1000 * repeat + int(round(100 * rho)) + (500 if design == "staggered" else 0)
    Y = make_panel(settings["n_units"], settings["n_periods"], rho=rho, random_state=seed,
                   **PANEL_PARAMS)
    missing = make_panel_mask(settings["n_units"], settings["n_periods"],
                              treated_fraction=TREATED_FRACTION, missing_periods=MISSING_PERIODS,
                              staggered=design == "staggered", random_state=seed)
    return Y, missing, seed


def evaluate(name, factory, Y, missing):
    """RMSE on the hidden cells and fit seconds of one imputer on one panel."""
    Y_missing = np.where(missing, np.nan, Y)
    start = time.perf_counter()
    with warnings.catch_warnings():
        # IterativeImputer warns when 10 rounds do not converge; its result counts as is.
        warnings.simplefilter("ignore", ConvergenceWarning)
        completed = impute(name, factory(), Y_missing)
    seconds = time.perf_counter() - start
    if completed.shape != Y.shape:
        raise RuntimeError(f"{name} returned shape {completed.shape}, expected {Y.shape}.")
    if not np.array_equal(completed[~missing], Y[~missing]):
        raise RuntimeError(f"{name} changed observed cells.")
    error = completed[missing] - Y[missing]
    return {"rmse": float(np.sqrt(np.mean(error**2))), "fit_s": seconds}, completed


# ------------------------------------------------------------------- report
def summarise(rows):
    """Mean and std of the RMSE per (estimator, rho, design)."""
    groups = {}
    for row in rows:
        if "error" in row:
            continue
        groups.setdefault((row["estimator"], row["rho"], row["design"]), []).append(row)
    summary = []
    for (estimator, rho, design), group in groups.items():
        rmse_mean, rmse_std = mean_std([r["rmse"] for r in group])
        summary.append({"estimator": estimator, "rho": rho, "design": design,
                        "rmse_mean": rmse_mean, "rmse_std": rmse_std,
                        "fit_s_mean": mean_std([r["fit_s"] for r in group])[0],
                        "n_repeats": len(group)})
    return summary


def to_markdown(summary, rows, mode, env, settings):
    names = list(dict.fromkeys(r["estimator"] for r in rows))
    columns = [(rho, design) for design in settings["designs"] for rho in settings["rhos"]]
    lookup = {(s["estimator"], s["rho"], s["design"]): s for s in summary}
    header = ["estimator"] + [f"RMSE, {d}, rho={r}" for r, d in columns] + [
        "fit (s)", "paper", "mode"]
    best = {c: min((lookup[(n, *c)]["rmse_mean"] for n in names if (n, *c) in lookup),
                   default=None) for c in columns}
    lines = []
    for name in names:
        cells = [name]
        for column in columns:
            found = lookup.get((name, *column))
            if found is None:
                errors = [r["error"] for r in rows if r["estimator"] == name and "error" in r]
                cells.append("failed" if errors else "-")
                continue
            text = f"{found['rmse_mean']:.3f}"
            if found["n_repeats"] > 1:
                text += f" ± {found['rmse_std']:.3f}"
            cells.append(f"**{text}**" if found["rmse_mean"] == best[column] else text)
        fits = [lookup[(name, *c)]["fit_s_mean"] for c in columns if (name, *c) in lookup]
        cells += [f"{np.mean(fits):.2f}" if fits else "-", "not reported", mode]
        lines.append(cells)
    hardware = f"{env['cpu']} ({env['cpu_count']} cores, {env['torch_threads']} torch threads)"
    skgain_names = [n for n in names if "(sklearn)" not in n]
    ranking = _ranking_sentence(summary, columns, skgain_names)
    failures = sorted({f"{r['estimator']} ({r['error']})" for r in rows if "error" in r})
    text = [
        "# Causal panel: imputing the treated periods",
        "",
        markdown_table(header, lines),
        "",
        f"Mode: **{mode}**, measured {env['date']} on CPU {hardware}; GPU: "
        f"{env['cuda'] or 'none'}; torch {env['torch']}, scikit-learn {env.get('sklearn', '?')}"
        + (f"; 1-minute load average {env['load_average_1min']:.1f} at the end of the run."
           if "load_average_1min" in env else "."),
        "",
        f"Panels of {settings['n_units']} units x {settings['n_periods']} periods from "
        "`skgain.datasets.make_panel` (Y[i,t] = rho Y[i,t-1] + delta[i] + gamma[t] + eps[i,t], "
        "effects and noise with standard deviation 1, 50 burn-in periods). "
        f"{TREATED_FRACTION:.0%} of the units are treated and miss the last "
        f"{MISSING_PERIODS:.0%} of the periods (`block`: all from the same period; "
        "`staggered`: each from its own adoption time within that window); control units are "
        "complete. RMSE on the hidden cells in the units of Y, "
        + (f"mean ± std over {settings['repeats']} seeded repeats (a new panel and mask each)"
           if settings["repeats"] > 1 else "one seeded repeat, so no spread is given")
        + "; best in bold. "
        "`fit (s)` is the mean seconds of one `fit_transform`, over all settings.",
        "",
        "Estimators run with their defaults (GAINImputer: early stopping on held-out observed "
        "cells; IterativeImputer: 10 rounds). Units are rows, periods are columns, so each "
        "treated period is imputed from the control units observed in that period.",
        "",
        "Paper column: the paper proposes this simulation, but we have no number of it to "
        "compare with, so the column reads `not reported`.",
        "",
        ranking,
    ]
    if not settings["image_imputers"]:
        text += ["", "The image imputers (SpatialGAINImputer, ZeroShotSpatialImputer) are left "
                 f"out of {mode} mode for time; full mode runs them."]
    else:
        absent = [n for n in IMAGE_IMPUTERS if not hasattr(skgain, n)]
        if absent:
            text += ["", f"Not in this checkout when the benchmark ran, so not compared: "
                     f"{', '.join(absent)}."]
        text += ["", "SpatialGAINImputer sees each unit as an image one pixel high (its "
                 "convolutions run along time); ZeroShotSpatialImputer sees the whole panel as "
                 "one image, whose unit axis has no spatial order."]
    if failures:
        text += ["", "Failures: " + "; ".join(failures) + "."]
    return "\n".join(text)


def _ranking_sentence(summary, columns, skgain_names):
    """Say, per setting, whether the best skgain imputer beats the best scikit-learn one."""
    parts = []
    for rho, design in columns:
        cell = [s for s in summary if s["rho"] == rho and s["design"] == design]
        ours = [s for s in cell if s["estimator"] in skgain_names]
        theirs = [s for s in cell if s["estimator"] not in skgain_names]
        if not ours or not theirs:
            continue
        a = min(ours, key=lambda s: s["rmse_mean"])
        b = min(theirs, key=lambda s: s["rmse_mean"])
        verdict = "beats" if a["rmse_mean"] < b["rmse_mean"] else "loses to"
        parts.append(f"{design}, rho={rho}: best skgain imputer {a['estimator']} "
                     f"({a['rmse_mean']:.3f}) {verdict} best scikit-learn imputer "
                     f"{b['estimator']} ({b['rmse_mean']:.3f})")
    return "Summary: " + "; ".join(parts) + "." if parts else ""


def plot(summary, example, settings, path):
    """Bars of the RMSE per setting, and one treated unit with its imputations."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(s["estimator"] for s in summary))
    columns = [(rho, design) for design in settings["designs"] for rho in settings["rhos"]]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    width = 0.8 / max(len(names), 1)
    lookup = {(s["estimator"], s["rho"], s["design"]): s for s in summary}
    for k, name in enumerate(names):
        x = np.arange(len(columns)) + k * width
        means = [lookup[(name, *c)]["rmse_mean"] if (name, *c) in lookup else np.nan
                 for c in columns]
        stds = [lookup[(name, *c)]["rmse_std"] if (name, *c) in lookup else 0 for c in columns]
        axes[0].bar(x, means, width, yerr=stds, label=name)
    axes[0].set_xticks(np.arange(len(columns)) + 0.4 - width / 2,
                       [f"{d}\nrho={r}" for r, d in columns])
    axes[0].set_ylabel("RMSE on the treated cells (lower is better)")
    axes[0].legend(fontsize=7)

    Y, missing, completed, rho = example
    unit = int(np.flatnonzero(missing.any(axis=1))[0])
    periods = np.arange(Y.shape[1])
    axes[1].plot(periods, Y[unit], "k-", lw=2, label="truth")
    hidden = missing[unit]
    for name, values in completed.items():
        axes[1].plot(periods[hidden], values[unit, hidden], "o-", ms=3, label=name)
    axes[1].axvspan(periods[hidden][0] - 0.5, periods[-1] + 0.5, color="0.9")
    axes[1].set_xlabel("period")
    axes[1].set_title(f"a treated unit (rho={rho}, repeat 0); shaded: missing", fontsize=9)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run(quick=False, data_home=None, out_dir=None):
    """Run the panel comparison and write ``panel.json``, ``panel.md`` and ``panel.png``.

    Parameters
    ----------
    quick : bool, default=False
        Two persistence levels, the block design and one repeat on 100 x 40
        panels without the image imputers, instead of three levels, both
        designs and 5 repeats on 200 x 60 panels with every imputer.
    data_home : path or None
        Unused: the panels are simulated.
    out_dir : path or None
        Results folder; default ``benchmarks/results``.

    Returns
    -------
    results : dict
        The JSON payload: ``mode``, ``settings``, one entry per (imputer,
        setting, repeat) in ``rows`` and their means in ``summary``.
    """
    from tqdm.auto import tqdm

    mode = "quick" if quick else "full"
    settings = SETTINGS[mode]
    todo = [(rho, design, repeat) for design in settings["designs"] for rho in settings["rhos"]
            for repeat in range(settings["repeats"])]
    rows, example = [], None
    with_images = settings["image_imputers"]
    progress = tqdm(total=len(todo) * len(imputers(0, with_images)), desc=NAME, disable=None,
                    file=sys.stderr)
    for rho, design, repeat in todo:
        Y, missing, seed = one_case(settings, rho, design, repeat)
        completed = {}
        for name, factory in imputers(repeat, with_images).items():
            row = {"estimator": name, "rho": rho, "design": design, "repeat": repeat,
                   "seed": seed}
            try:
                result, completed[name] = evaluate(name, factory, Y, missing)
                row.update(result)
            except Exception as exc:  # one broken imputer must not hide the others' numbers
                row["error"] = f"{type(exc).__name__}: {exc}"
                print(f"{NAME}: {name} failed on rho={rho}, {design}: {row['error']}",
                      file=sys.stderr)
            rows.append(row)
            progress.update()
        if example is None:
            example = (Y, missing, completed, rho)
    progress.close()
    summary = summarise(rows)
    env = environment()
    # The environment goes in the payload so that the JSON names the CPU model.
    payload = {"environment": env, "mode": mode, "settings": settings,
               "treated_fraction": TREATED_FRACTION, "missing_periods": MISSING_PERIODS,
               "panel_params": PANEL_PARAMS, "summary": summary, "rows": rows}
    markdown = to_markdown(summary, rows, mode, env, settings)
    if summary:
        figure_dir = results_dir(NAME, out_dir)
        plot(summary, example, settings, figure_dir / f"{NAME}.png")
        markdown += f"\n\n![RMSE per setting, and one treated unit]({NAME}.png)\n"
    write_results(NAME, payload, markdown, out_dir)
    return {"experiment": NAME, **payload}


if __name__ == "__main__":
    run(quick="--quick" in sys.argv[1:])
