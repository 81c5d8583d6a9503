"""GAINImputer's defaults in seconds against tree-based iterative imputation (issue 33).

Every table of the tabular benchmark (spam, letter and the confirmation tables
that ship with scikit-learn, statsmodels and matplotlib) loses 20% of its
entries (MCAR); each imputer is fitted with ``fit_transform`` on 80% of the
rows and completes the other 20% with ``transform``, as a user runs it: the
defaults, trained to early stopping. RMSE after min-max scaling with the
complete data's ranges. Seconds are fit_transform + transform wall-clock,
one thread per method; "x ET" divides them by IterativeImputer(ExtraTrees)'s
on the same table and seed, timed in the same process.

Each (table, seed) is timed in fresh worker processes (``_table_worker.py``):
one for this checkout's package, one for the reference commit's (today's
defaults before this work, extracted with ``git archive``), so that the
reference row is measured in the same run, on the same masks and machine.
A method's first fit on a tiny table is timed apart (``first_use_seconds``:
imports and torch's lazy initialisation, paid once per process).

    python -m benchmarks.table_speed                      # every table, 3 seeds (1 for large)
    python -m benchmarks.table_speed --tables wine,diabetes --seeds 2
    python -m benchmarks.table_speed --methods "GAINImputer(blend: BayesianRidge + ExtraTrees x3 rounds)"
    python -m benchmarks table_speed --quick              # the runner: 2 small tables, 1 seed

Two processes side by side (two cores): ``--records FILE`` each with a share of
the tables, then ``--merge FILE,FILE``.
"""

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from ._common import (
    REPO,
    default_data_home,
    git_commit,
    markdown_table,
    provenance,
    results_dir,
    save_records,
    write_results,
)
from ._table_data import hide, load_table

NAME = "table_speed"
# The defaults before issue 33's speed work: the reference row.
REFERENCE_COMMIT = "0db52a0"
ET = "IterativeImputer(ExtraTrees)"
GAIN = "GAINImputer()"
REFERENCE = f"GAINImputer() at {REFERENCE_COMMIT} (reference)"
METHODS = (GAIN, ET, "IterativeImputer(BayesianRidge)", "KNNImputer")
TUNED_ON = ("spam", "letter")
LARGE = ("spam", "letter", "randhie")
TABLES = LARGE + ("breast_cancer", "wine", "diabetes", "fair", "ccard", "statecrime",
                  "danish_data", "scotland", "goog", "stocks", "fertility")
QUICK_TABLES = ("wine", "diabetes")
MISSING_RATE = 0.2
TEST_FRACTION = 0.2
WORKER = Path(__file__).with_name("_table_worker.py")


def split_rows(n_samples, seed):
    """Seeded (train, unseen) row indices (as in ``benchmarks.tabular``)."""
    order = np.random.RandomState(10_000 + seed).permutation(n_samples)
    n_test = int(round(TEST_FRACTION * n_samples))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def reference_tree(commit, folder):
    """Extract the reference commit's ``skgain`` package into ``folder``; returns it."""
    archive = subprocess.run(["git", "archive", commit, "skgain"], cwd=REPO, check=True,
                             capture_output=True).stdout
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def run_worker(skgain_root, methods, seed, data_path, threads, folder, profile=False):
    """Records of ``methods`` timed by a fresh worker that imports skgain from
    ``skgain_root``; with ``profile``, GAINImputer's fits are profiled once more
    into stages (``_table_worker.STAGES``)."""
    job = Path(folder) / "job.json"
    job.write_text(json.dumps({"methods": list(methods), "seed": seed, "data": str(data_path),
                               "threads": threads, "profile": profile}))
    env = {**os.environ, "PYTHONPATH": str(skgain_root), "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run([sys.executable, str(WORKER), str(job)], env=env, check=True,
                          capture_output=True, text=True)
    records = json.loads(done.stdout)
    for record in records:
        if not Path(record["skgain_path"]).resolve().is_relative_to(Path(skgain_root).resolve()):
            raise RuntimeError(f"worker imported {record['skgain_path']}, not {skgain_root}")
    return records


def measure(tables, seeds, methods, reference, threads=1, records_path=None, quick=False,
            reference_methods=(GAIN,), profile=False):
    """One record per (table, seed, method), the reference commit's GAINImputer included
    (and ``reference_methods``, variants run with the reference commit's code)."""
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        # A copy of this checkout's package: edits made while the run goes on
        # do not leak into its later tables.
        current = Path(tmp) / "current"
        shutil.copytree(REPO / "skgain", current / "skgain")
        code_commit, dirty = git_commit()
        ref_root = reference_tree(reference, Path(tmp) / "reference") if reference else None
        for name in tables:
            X = load_table(name)
            for seed in range(1 if (name in LARGE or quick) else seeds):
                X_missing, hidden = hide(X, "mcar", MISSING_RATE, seed)
                train, test = split_rows(len(X), seed)
                data = Path(tmp) / "data.npz"
                np.savez(data, X=X, X_missing=X_missing, hidden=hidden, train=train, test=test)
                runs = [(current, methods, None)]
                if ref_root is not None:
                    runs.append((ref_root, list(reference_methods), REFERENCE))
                # Alternate which code goes first, so drifting load favours neither.
                for root, names, label in (runs if seed % 2 == 0 else runs[::-1]):
                    for record in run_worker(root, names, seed, data, threads, tmp,
                                             profile and seed == 0):
                        record.update(table=name, seed=seed, shape=list(X.shape),
                                      load_average_1min=os.getloadavg()[0],
                                      code_commit=code_commit, code_dirty=dirty)
                        if label is not None:
                            record["method"] = (label if record["method"] == GAIN else
                                                f"{record['method']} at {reference}")
                        records.append(record)
                        print(f"{name:13s} seed={seed} {record['method']:58s} "
                              f"fit {record['rmse_fit']:.4f} unseen {record['rmse_unseen']:.4f} "
                              f"{record['seconds']:7.2f}s", flush=True)
                if records_path is not None:
                    save_records(records_path, records)
    return records


def _stats(values):
    values = np.asarray(values, dtype=float)
    se = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else np.nan
    return float(values.mean()), float(se)


def summarise(records):
    """Per (table, method): mean and standard error of both RMSEs, seconds and x ET."""
    summary = {}
    for table in dict.fromkeys(r["table"] for r in records):
        rows = [r for r in records if r["table"] == table]
        et = {r["seed"]: r["seconds"] for r in rows if r["method"] == ET}
        for method in dict.fromkeys(r["method"] for r in rows):
            mine = [r for r in rows if r["method"] == method]
            summary[(table, method)] = {
                "shape": mine[0]["shape"], "n_seeds": len(mine),
                "rmse_fit": _stats([r["rmse_fit"] for r in mine]),
                "rmse_unseen": _stats([r["rmse_unseen"] for r in mine]),
                "seconds": float(np.mean([r["seconds"] for r in mine])),
                "x_et": float(np.mean([r["seconds"] / et[r["seed"]] for r in mine
                                       if r["seed"] in et])) if et else np.nan,
                "first_use_seconds": float(np.mean([r["first_use_seconds"] for r in mine])),
                "pickle_mb": float(np.mean([r["pickle_mb"] for r in mine])),
                "epochs": [r.get("n_iter") for r in mine],
            }
    return summary


def _within_reference(s, ref):
    """Whether both RMSEs are at most the reference's plus one standard error (or better)."""
    ok = []
    for column in ("rmse_fit", "rmse_unseen"):
        mean, se = s[column]
        ref_mean, ref_se = ref[column]
        margin = np.nanmax([se, ref_se, 0.0])
        ok.append(mean <= ref_mean + margin)
    return all(ok)


def verdicts(summary):
    """Per table: GAINImputer()'s x ET and whether its RMSE stayed within the reference's."""
    lines = []
    for table in dict.fromkeys(t for t, _ in summary):
        gain, ref = summary.get((table, GAIN)), summary.get((table, REFERENCE))
        if gain is None:
            continue
        speed = "met" if gain["x_et"] <= 1.0 else "MISSED"
        accuracy = "n/a" if ref is None else (
            "kept" if _within_reference(gain, ref) else "LOST")
        ref_x = "n/a" if ref is None else f"{ref['x_et']:.2f}x"
        lines.append([table, f"{gain['x_et']:.2f}x", ref_x, speed, accuracy])
    return lines


STAGE_NAMES = ("network training steps", "validation for early stopping",
               "blend partners and weights")


def stage_rows(records):
    """One row per profiled (table, GAINImputer method): seconds per stage."""
    rows = []
    for r in records:
        if "stages" not in r:
            continue
        stages, total = r["stages"], r["stages"]["fit_transform (all of it)"]
        rest = total - sum(stages[name] for name in STAGE_NAMES)
        rows.append([r["table"], r["method"],
                     f"{r['import_torch_seconds'] + r['import_skgain_seconds']:.2f}",
                     f"{r['first_use_seconds']:.2f}",
                     *(f"{stages[name]:.2f}" for name in STAGE_NAMES), f"{rest:.2f}",
                     f"{total:.2f}"])
    return rows


def _cell(stats):
    mean, se = stats
    return f"{mean:.4f}" if not np.isfinite(se) else f"{mean:.4f} ± {se:.4f}"


def report(records, code_commit=None):
    """The markdown report and the summary; ``code_commit`` names the code that
    ran where the records do not (records saved before they carried it)."""
    summary = summarise(records)
    commits = {(r.get("code_commit", code_commit), r.get("code_dirty")) for r in records}
    rows = [[t, "x".join(map(str, s["shape"])), m, s["n_seeds"], _cell(s["rmse_fit"]),
             _cell(s["rmse_unseen"]), f"{s['seconds']:.2f}", f"{s['x_et']:.2f}",
             f"{s['first_use_seconds']:.2f}", f"{s['pickle_mb']:.2f}"]
            for (t, m), s in summary.items()]
    env = provenance()
    loads = [r["load_average_1min"] for r in records]
    lines = [
        "# GAINImputer's defaults against tree-based iterative imputation: seconds and RMSE",
        "",
        f"Produced by `python -m benchmarks.table_speed`. "
        f"20% MCAR; fit_transform on 80% of the rows (\"fit\"), transform on the other 20% "
        f"(\"unseen\"); RMSE after min-max scaling (mean ± standard error over seeds); "
        f"seconds = fit_transform + transform, one thread per method, each (table, seed) in "
        f"fresh processes; x ET = seconds / IterativeImputer(ExtraTrees(10), max_iter=10)'s on "
        f"the same table and seed. `{REFERENCE}` is today's defaults before issue 33, "
        f"extracted from git and timed in the same run. first use = seconds of the method's "
        f"first fit in its process (a tiny table), paid once: imports and torch's lazy "
        f"initialisation. Tuned on: {', '.join(TUNED_ON)}; the others were not tuned on.",
        "",
        f"Code measured: {'; '.join(f'commit {c} (uncommitted changes: {d})' for c, d in commits)}"
        f" (this checkout's skgain, copied at the start of the run); report written at commit "
        f"{env['commit']}. skgain {env['skgain']}, torch "
        f"{env['torch']}, scikit-learn {env['sklearn']}, {env['cpu']} ({env['cpu_count']} "
        f"cores), 1 thread per method, load average (1 min) during the run "
        f"{min(loads):.2f} to {max(loads):.2f}, {env['date']}.",
        "",
        "## Verdicts (target: GAINImputer() at most 1.0x ET's seconds, RMSE within one "
        "standard error of the reference or better)",
        "",
        markdown_table(["table", "GAINImputer() x ET", "reference x ET", "speed target",
                        "accuracy"], verdicts(summary)),
        "",
        "## Every method",
        "",
        markdown_table(["table", "shape", "method", "seeds", "RMSE fit", "RMSE unseen",
                        "seconds", "x ET", "first use s", "pickle MB"], rows),
    ]
    stages = stage_rows(records)
    if stages:
        lines += ["", "## Where a fit's time goes (seed 0, under cProfile: read the shares)", "",
                  "Seconds of `fit_transform` on the training rows, profiled in a second fit "
                  "after the timed one; imports and first use are the worker's own timings "
                  "(paid once per process).", "",
                  markdown_table(["table", "method", "import torch + skgain s", "first use s",
                                  *STAGE_NAMES, "rest s", "fit_transform s"], stages)]
    return "\n".join(lines), summary


# Cost against size: synthetic tables (rank 4 plus noise, 20% MCAR) of these
# (rows, columns), GAINImputer() beside ExtraTrees' iterative imputation.
SCALING_ROWS = ((200, 10), (1000, 10), (5000, 10), (20000, 10))
SCALING_COLUMNS = ((1000, 5), (1000, 20), (1000, 50))
SCALING_METHODS = (GAIN, ET)


def synthetic_table(n_rows, n_columns, seed=0):
    """A rank-4 table plus 5% noise: what a tree or a network can learn from."""
    rng = np.random.RandomState(seed)
    return rng.rand(n_rows, 4) @ rng.rand(4, n_columns) + 0.05 * rng.randn(n_rows, n_columns)


def measure_scaling(shapes, methods=SCALING_METHODS, threads=1):
    """One record per (shape, method): seconds of fit_transform + transform, one seed."""
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        current = Path(tmp) / "current"
        shutil.copytree(REPO / "skgain", current / "skgain")
        code_commit, dirty = git_commit()
        for n_rows, n_columns in shapes:
            X = synthetic_table(n_rows, n_columns)
            X_missing, hidden = hide(X, "mcar", MISSING_RATE, 0)
            train, test = split_rows(n_rows, 0)
            data = Path(tmp) / "data.npz"
            np.savez(data, X=X, X_missing=X_missing, hidden=hidden, train=train, test=test)
            for record in run_worker(current, methods, 0, data, threads, tmp):
                record.update(shape=[n_rows, n_columns], code_commit=code_commit,
                              code_dirty=dirty, load_average_1min=os.getloadavg()[0])
                records.append(record)
                print(f"scaling {n_rows:6d} x {n_columns:3d} {record['method']:30s} "
                      f"{record['seconds']:7.2f}s", flush=True)
    return records


def plot_scaling(records, path):
    """Seconds against rows (10 columns) and against columns (1000 rows), log scales."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, (vary, fixed, label) in zip(axes, ((0, (1, 10), "rows (10 columns)"),
                                               (1, (0, 1000), "columns (1000 rows)"))):
        for method in dict.fromkeys(r["method"] for r in records):
            points = sorted((r["shape"][vary], r["seconds"]) for r in records
                            if r["method"] == method and r["shape"][fixed[0]] == fixed[1])
            if points:  # a quick run has no column sweep
                ax.plot(*zip(*points), marker="o", label=method)
        if not ax.lines:
            ax.set_visible(False)
            continue
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("seconds, fit_transform + transform")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def scaling_report(records):
    rows = [["x".join(map(str, r["shape"])), r["method"], f"{r['seconds']:.2f}",
             f"{r['fit_seconds']:.2f}", r.get("n_iter", "")] for r in records]
    return "\n".join([
        "# Seconds against table size: GAINImputer() and IterativeImputer(ExtraTrees)", "",
        "Synthetic tables (rank 4 plus 5% noise), 20% MCAR, fit_transform on 80% of the rows and "
        "transform of the rest, one thread, each size in a fresh worker process (first use timed "
        "apart). Produced by `python -m benchmarks.table_speed --scaling`.", "",
        "![seconds against rows and columns](table_speed_scaling.png)", "",
        markdown_table(["rows x columns", "method", "seconds", "fit seconds", "epochs"], rows)])


def run_scaling(out_dir=None, threads=1, quick=False):
    shapes = SCALING_ROWS[:1] if quick else SCALING_ROWS + SCALING_COLUMNS
    records = measure_scaling(shapes, threads=threads)
    folder = results_dir(NAME, out_dir)
    if importlib.util.find_spec("matplotlib") is not None:
        plot_scaling(records, folder / "table_speed_scaling.png")
    return write_results("table_speed_scaling", {"records": records}, scaling_report(records),
                         out_dir=out_dir, experiment=NAME)


def run(quick=False, data_home=None, out_dir=None, tables=None, seeds=3, methods=METHODS,
        reference=REFERENCE_COMMIT, threads=1, records_path=None, merge=None,
        reference_methods=(GAIN,), profile=True, code_commit=None):
    """Measure (or merge saved records), then write the results folder."""
    os.environ["SKGAIN_DATA"] = str(data_home or os.environ.get("SKGAIN_DATA")
                                    or default_data_home())
    if merge:
        records = [r for path in merge for r in json.loads(Path(path).read_text())]
    else:
        tables = tables or (QUICK_TABLES if quick else TABLES)
        records = measure(tables, seeds, methods, reference, threads, records_path, quick,
                          reference_methods, profile)
    markdown, _ = report(records, code_commit)
    measured = sorted({str(r.get("code_commit", code_commit)) for r in records})
    return write_results(NAME, {"records": records, "quick": quick}, markdown,
                         out_dir=out_dir, experiment=NAME, measured_code_commits=measured)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tables", type=lambda s: s.split(","), default=None)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--methods", type=lambda s: s.split("|"), default=list(METHODS),
                        help="'|'-separated method names (see _table_worker.make)")
    parser.add_argument("--reference", default=REFERENCE_COMMIT,
                        help="commit of the reference row ('' for none)")
    parser.add_argument("--reference-methods", type=lambda s: s.split("|"), default=[GAIN],
                        help="'|'-separated methods to run with the reference commit's code")
    parser.add_argument("--no-profile", action="store_true",
                        help="skip the profile of where GAINImputer's fit time goes")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--records", default=None, help="save records here as they come")
    parser.add_argument("--merge", type=lambda s: s.split(","), default=None)
    parser.add_argument("--code-commit", default=None,
                        help="with --merge: the commit that ran records which do not name it")
    parser.add_argument("--out", default=None)
    parser.add_argument("--scaling", action="store_true",
                        help="seconds against rows and columns on synthetic tables instead")
    args = parser.parse_args(argv)
    if args.scaling:
        print(f"wrote {run_scaling(args.out, args.threads, args.quick)}")
        return 0
    path = run(args.quick, out_dir=args.out, tables=args.tables, seeds=args.seeds,
               methods=args.methods, reference=args.reference, threads=args.threads,
               records_path=args.records, merge=args.merge,
               reference_methods=args.reference_methods, profile=not args.no_profile,
               code_commit=args.code_commit)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
