"""Scale table: seconds and peak memory from 10,000 to 10,000,000 rows.

Data are synthetic (speed and memory do not depend on the values, so no data
files are needed and ``data_home`` is unused): a rank-3 table plus Gaussian
noise, 10 features, 20% of the entries missing completely at random. The
largest table is written to a numpy memmap in a temporary folder, block by
block, and imputed from disk. Each method is fitted and then completes the
table (``fit`` + ``transform``, or ``fit_transform`` for scikit-learn's):

* ``GAINImputer``: the defaults with ``max_epochs=1``, no held-out split and
  ``batch_size=1024`` (bigger batches for big tables), i.e. one measured
  epoch (fit) and one pass of imputation (transform);
* ``SoftImputeFISTA``: a fixed shrinkage and ``max_iter=20`` with ``tol=0``,
  so that every size runs the same 20 iterations, and ``max_rank=5``;
* scikit-learn's ``SimpleImputer`` (mean), ``KNNImputer`` (5 neighbours) and
  ``IterativeImputer`` (10 rounds of BayesianRidge).

A size is skipped, with the reason recorded, when the time predicted from
the previous size (growth exponent 2 for KNN, 1 for the others) exceeds the
method's time limit (``CELL_LIMIT_S``; GAINImputer, the subject of the
table, ``GAIN_LIMIT_S``) or the memory predicted the same way exceeds
``MEMORY_LIMIT_MIB``. Peak memory is the resident-set peak above the level
before the cell (``benchmarks/_memory.py``), with glibc's dynamic mmap
threshold turned off so that freed blocks do not stay resident. The growth
exponent ``k`` (cost ~ rows^k) is the least-squares slope of log cost on log
rows over the measured sizes. One thread everywhere (torch and BLAS/OpenMP).

Run with ``python -m benchmarks scale [--quick]``.
"""

import ctypes
import ctypes.util
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from threadpoolctl import threadpool_limits

from skgain import GAINImputer, SoftImputeFISTA

from ._common import (
    Timer,
    environment,
    markdown_table,
    results_dir,
    save_records,
    write_results,
)
from ._memory import PeakMemory

NAME = "scale"
N_FEATURES = 10
MISSING_RATE = 0.2
# The skgain imputers measured: their fit and transform are timed apart.
SKGAIN_IMPUTERS = (GAINImputer, SoftImputeFISTA)
SEED = 0
SETTINGS = {
    "quick": {"rows": [2_000, 5_000, 10_000], "memmap_from": 10_000},
    "full": {"rows": [10_000, 100_000, 1_000_000, 10_000_000], "memmap_from": 10_000_000},
}
CELL_LIMIT_S = 400.0
GAIN_LIMIT_S = 900.0
MEMORY_LIMIT_MIB = 6 * 1024
_M_MMAP_THRESHOLD = -3


def methods():
    """``{name: (factory, assumed growth exponent of its time)}``."""
    return {
        "GAINImputer": (lambda: GAINImputer(max_epochs=1, validation_fraction=0.0,
                                            batch_size=1024, device="cpu",
                                            random_state=SEED), 1),
        "SoftImputeFISTA": (lambda: SoftImputeFISTA(shrinkage=1.0, max_iter=20, tol=0.0,
                                                    max_rank=5, device="cpu",
                                                    random_state=SEED), 1),
        "SimpleImputer (sklearn)": (lambda: SimpleImputer(strategy="mean"), 1),
        "KNNImputer (sklearn)": (lambda: KNNImputer(n_neighbors=5), 2),
        "IterativeImputer (sklearn)": (lambda: IterativeImputer(max_iter=10, random_state=SEED),
                                       1),
    }


# ----------------------------------------------------------------------- data
def _block(n_rows, rng, components):
    X = rng.rand(n_rows, components.shape[0]) @ components
    X += 0.05 * rng.randn(n_rows, N_FEATURES)
    X[rng.rand(n_rows, N_FEATURES) < MISSING_RATE] = np.nan
    return X


def make_table(n_rows, folder=None, block=1_000_000):
    """The synthetic table, in memory, or in a memmap under ``folder`` when given."""
    rng = np.random.RandomState(SEED)
    components = rng.rand(3, N_FEATURES)
    if folder is None:
        return _block(n_rows, rng, components)
    path = Path(folder) / f"table_{n_rows}.npy"
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64,
                                    shape=(n_rows, N_FEATURES))
    for start in range(0, n_rows, block):
        stop = min(start + block, n_rows)
        out[start:stop] = _block(stop - start, rng, components)
    out.flush()
    del out
    return np.load(path, mmap_mode="r")


# ------------------------------------------------------------------ measuring
def _fixed_mmap_threshold():
    """Stop glibc from raising its mmap threshold, so freed arrays leave the RSS."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, 128 * 1024))
    except (OSError, AttributeError):
        return False


def measure(factory, X):
    """Fit then complete ``X``: seconds of each step and the peak memory of both."""
    estimator = factory()
    separate = isinstance(estimator, SKGAIN_IMPUTERS)
    completed = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with PeakMemory() as memory:
            with Timer() as fit:
                if separate:
                    estimator.fit(X)
                else:  # scikit-learn's: one fit_transform, timed as fit
                    completed = estimator.fit_transform(X)
            with Timer() as transform:
                if completed is None:
                    completed = estimator.transform(X)
    transform_s = transform.seconds if separate else None
    if np.isnan(completed).any():
        raise RuntimeError("the completed table still has missing entries")
    return {"fit_s": fit.seconds, "transform_s": transform_s,
            "total_s": fit.seconds + (transform_s or 0.0), "peak_mib": memory.peak_mib,
            "memory_method": memory.method}


def warm_up():
    """Fit every method once on a tiny table: one-time costs are not the input's."""
    X = make_table(500)
    for factory, _ in methods().values():
        measure(factory, X)


def _skip_reason(last, n_rows, exponent, input_mib):
    """Why the next size is not run, from the last measured one (None: run it)."""
    if last is None:
        return None
    growth = n_rows / last["rows"]
    seconds = last["total_s"] * growth**exponent
    limit = GAIN_LIMIT_S if last["method"] == "GAINImputer" else CELL_LIMIT_S
    if seconds > limit:
        return (f"predicted {seconds:.0f} s (rows^{exponent} from {last['rows']:,} rows) > "
                f"{limit:.0f} s limit")
    peak = last["peak_mib"] / last["input_mib"] * input_mib
    if peak > MEMORY_LIMIT_MIB:
        return f"predicted peak {peak:.0f} MiB > {MEMORY_LIMIT_MIB} MiB limit (shared machine)"
    return None


def growth_exponent(rows, values):
    """Least-squares slope of log(values) on log(rows); None with fewer than 2 points."""
    rows, values = np.asarray(rows, float), np.asarray(values, float)
    keep = values > 0
    if keep.sum() < 2:
        return None
    return float(np.polyfit(np.log(rows[keep]), np.log(values[keep]), 1)[0])


# -------------------------------------------------------------------- running
def _table_cells(n_rows, X, memmap, last, rows, partial):
    """Measure every method on one table into ``rows``; ``last``: each method's last row."""
    input_mib = n_rows * N_FEATURES * 8 / 2**20
    for name, (factory, exponent) in methods().items():
        row = {"method": name, "rows": n_rows, "features": N_FEATURES, "memmap": memmap,
               "input_mib": input_mib}
        reason = last.get(name, {}).get("skip") or _skip_reason(
            last.get(name, {}).get("row"), n_rows, exponent, input_mib)
        if reason is not None:
            row["skipped"] = reason
            last[name] = {"skip": reason}
        else:
            try:
                row.update(measure(factory, X))
                last[name] = {"row": row}
            except MemoryError as exc:  # pragma: no cover - depends on the machine
                row["skipped"] = f"MemoryError: {exc}"
                last[name] = {"skip": row["skipped"]}
        print(f"[scale] {name} {n_rows:,} rows: "
              + (row.get("skipped") or f"{row['total_s']:.2f} s, {row['peak_mib']:.0f} MiB"),
              flush=True)
        rows.append(row)
        save_records(partial, rows)


def exponents(rows):
    """Per method: growth exponents of total seconds and of peak memory."""
    out = {}
    for name in methods():
        done = [r for r in rows if r["method"] == name and "skipped" not in r]
        sizes = [r["rows"] for r in done]
        out[name] = {"time": growth_exponent(sizes, [r["total_s"] for r in done]),
                     "memory": growth_exponent(sizes, [r["peak_mib"] for r in done]),
                     "sizes": sizes}
    return out


def run(quick=False, data_home=None, out_dir=None):
    """Measure the scale table and write ``scale.json`` and ``scale.md``."""
    mode = "quick" if quick else "full"
    settings = SETTINGS[mode]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    fixed_threshold = _fixed_mmap_threshold()
    folder = Path(tempfile.mkdtemp(prefix="skgain_scale_"))
    # The rows so far, kept if a long run is stopped (removed once written).
    partial = results_dir(NAME, out_dir) / f"{NAME}_partial.json"
    rows, last = [], {}
    try:
        with threadpool_limits(1):
            warm_up()
            for n_rows in settings["rows"]:
                memmap = n_rows >= settings["memmap_from"]
                X = make_table(n_rows, folder if memmap else None)
                _table_cells(n_rows, X, memmap, last, rows, partial)
                del X
        env = environment()
    finally:
        torch.set_num_threads(threads)
        shutil.rmtree(folder, ignore_errors=True)
    payload = {"mode": mode, "seed": SEED, "threads": 1, "n_features": N_FEATURES,
               "missing_rate": MISSING_RATE, "settings": settings,
               "cell_limit_s": CELL_LIMIT_S, "gain_limit_s": GAIN_LIMIT_S,
               "memory_limit_mib": MEMORY_LIMIT_MIB,
               "fixed_mmap_threshold": fixed_threshold, "rows": rows,
               "exponents": exponents(rows)}
    write_results(NAME, payload, to_markdown(payload, env), out_dir)
    partial.unlink()
    return payload


# ------------------------------------------------------------------- markdown
def _fmt(value, digits=3):
    return "-" if value is None else f"{value:.{digits}g}"


def to_markdown(payload, env):
    """The table of seconds and peak memory, the growth exponents and the setting."""
    header = ["method", "rows", "input MiB", "fit s", "transform s", "peak MiB",
              "peak / input", "note"]
    lines = []
    for r in payload["rows"]:
        if "skipped" in r:
            lines.append([r["method"], f"{r['rows']:,}", _fmt(r["input_mib"]), "-", "-",
                          "-", "-", "skipped: " + r["skipped"]])
            continue
        lines.append([r["method"], f"{r['rows']:,}", _fmt(r["input_mib"]),
                      _fmt(r["fit_s"]), _fmt(r["transform_s"]), f"{r['peak_mib']:.0f}",
                      f"{r['peak_mib'] / r['input_mib']:.2f}", "memmap" if r["memmap"] else ""])
    growth = [[name, _fmt(e["time"], 2), _fmt(e["memory"], 2),
               ", ".join(f"{n:,}" for n in e["sizes"])]
              for name, e in payload["exponents"].items()]
    return "\n".join([
        f"# Scale: seconds and peak memory from {payload['settings']['rows'][0]:,} to "
        f"{payload['settings']['rows'][-1]:,} rows",
        "",
        f"Mode: **{payload['mode']}**. Synthetic data: rank-3 plus noise, "
        f"{payload['n_features']} features, {payload['missing_rate']:.0%} missing (MCAR), seed "
        f"{payload['seed']}; the largest table is a numpy memmap read from disk (its peak "
        "then includes the file pages read, up to one input more). One thread (torch, BLAS, "
        "OpenMP). GAINImputer: defaults, one epoch (`max_epochs=1`, no held-out split), "
        "`batch_size=1024`. "
        "SoftImputeFISTA: `shrinkage=1`, 20 iterations (`tol=0`), `max_rank=5`. "
        "scikit-learn: mean, 5 neighbours, 10 rounds of BayesianRidge, timed as one "
        "`fit_transform` (under fit s). Peak: resident-set "
        "peak above the level before fit (glibc mmap threshold fixed: "
        f"{payload['fixed_mmap_threshold']}). A size is skipped when the time predicted from "
        f"the previous one exceeds {payload['cell_limit_s']:.0f} s "
        f"({payload['gain_limit_s']:.0f} s for GAINImputer) or its memory "
        f"{payload['memory_limit_mib']} MiB.",
        "",
        f"Hardware: {env['cpu']} ({env['cpu_count']} cores, shared with other jobs; 1-minute "
        f"load average at the end {env['load_average_1min']:.1f}), torch {env['torch']}, "
        f"scikit-learn {env.get('sklearn', '?')}. Measured {env['date']}.",
        "",
        markdown_table(header, lines),
        "",
        "Growth exponent k (cost ~ rows^k, least squares over the sizes measured):",
        "",
        markdown_table(["method", "k of seconds", "k of peak memory", "sizes"], growth),
    ])
