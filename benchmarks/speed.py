"""Speed table: fit seconds, transform throughput and peak memory of every skgain imputer.

Every public skgain imputer found in ``skgain.__all__`` (but the blend of
others) is timed on synthetic
data of a fixed shape (speed does not depend on the values, so no data files
are needed and ``data_home`` is unused), on the CPU and, when CUDA is
available, on the GPU. scikit-learn's imputers are timed on the same tables
for reference. Epoch-based imputers train for a fixed number of epochs with
early stopping off, so that fit times compare like with like; the table also
gives the seconds per epoch, which is what scales to a real run.

Run with ``python -m benchmarks speed [--quick]``.
"""

import inspect
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import torch
from sklearn.base import TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer

import skgain

from ._common import REPO, ZERO_SHOT_NETWORK, environment, markdown_table, write_results
from ._memory import PeakMemory

NAME = "speed"

# Table shapes: quick is a smoke-sized table; full uses the shapes of the
# paper's two tables (Spambase 4601 x 57, Letter 20000 x 16). Epochs are few
# in both modes: seconds per epoch is the number that scales, and on a CPU
# one epoch of 64 images of 160 x 160 pixels takes about a minute.
# Images: (n_images, side) for SpatialGAIN; zero_shot: (side, patch_size) of
# the one image that ZeroShotSpatialImputer completes (full: the paper's 320
# px image and 64 px crops).
SETTINGS = {
    "quick": {"tables": [(2000, 16)], "images": [(8, 32)], "zero_shot": [(64, 16)],
              "epochs": 3, "repeats": 1},
    "full": {"tables": [(4601, 57), (20000, 16)], "images": [(64, 160)],
             "zero_shot": [(320, 64)], "epochs": 3, "repeats": 3},
}
MISSING_RATE = 0.2

# Imputers that work on a set of images, or on one image, rather than on rows.
IMAGE_IMPUTERS = {"SpatialGAINImputer"}
SINGLE_IMAGE_IMPUTERS = {"ZeroShotSpatialImputer"}
NOT_TABULAR = IMAGE_IMPUTERS | SINGLE_IMAGE_IMPUTERS


# ----------------------------------------------------------------------- data
def make_table(n_rows, n_features, seed=0):
    """A rank-4 table plus noise, with MISSING_RATE of its entries set to NaN."""
    rng = np.random.RandomState(seed)
    X = rng.rand(n_rows, 4) @ rng.rand(4, n_features) + 0.05 * rng.randn(n_rows, n_features)
    X[rng.rand(*X.shape) < MISSING_RATE] = np.nan
    return X


def make_images(n_images, size, seed=0, missing_rate=MISSING_RATE):
    """Smooth random images in [0, 1] (sums of a few sinusoids), some pixels missing."""
    rng = np.random.RandomState(seed)
    grid = np.linspace(0, 2 * np.pi, size)
    yy, xx = np.meshgrid(grid, grid, indexing="ij")
    images = np.zeros((n_images, size, size))
    for _ in range(3):
        fy, fx, phase = rng.rand(3, n_images, 1, 1) * [[[[3]]], [[[3]]], [[[6]]]]
        images += np.sin(fy * yy + fx * xx + phase)
    images = (images - images.min()) / (images.max() - images.min())
    images[rng.rand(*images.shape) < missing_rate] = np.nan
    return images


def make_damaged_image(size, patch_size, seed=0):
    """One smooth image with a centred square of side patch_size // 2 missing."""
    image = make_images(1, size, seed, missing_rate=0)[0]
    side = max(patch_size // 2, 1)
    start = (size - side) // 2
    image[start:start + side, start:start + side] = np.nan
    return image


# ------------------------------------------------------------------ imputers
def skgain_imputers():
    """Public skgain imputer classes, by name, in the order of ``skgain.__all__``.

    Compositions of other imputers (``BlendImputer``, which needs its
    ``estimators``) are left out: their time is that of what they compose.
    """
    found = {}
    for name in skgain.__all__:
        obj = getattr(skgain, name, None)
        if inspect.isclass(obj) and issubclass(obj, TransformerMixin) and _standalone(obj):
            found[name] = obj
    return found


def _standalone(cls):
    """Whether ``cls()`` needs no argument."""
    return all(p.default is not inspect.Parameter.empty or p.kind is p.VAR_KEYWORD
               for p in list(inspect.signature(cls).parameters.values()))


def _configure(cls, device, epochs, seed=0, **extra):
    """An instance with a fixed amount of work: fixed epochs, early stopping off."""
    params = cls().get_params()
    settings = {"random_state": seed, **extra}
    if "device" in params:
        settings["device"] = device
    if cls.__name__ in SINGLE_IMAGE_IMPUTERS:
        # Its network's settings are its estimator's: the default network, the
        # work fixed as for the others.
        settings["estimator"] = skgain.SpatialGAINImputer(
            **{**ZERO_SHOT_NETWORK, "max_epochs": epochs, "validation_fraction": 0.0})
    if "max_epochs" in params:
        settings["max_epochs"] = epochs
        # Early stopping off for the networks (SoftImputeFISTA's validation
        # split chooses its shrinkage and stays).
        if "validation_fraction" in params:
            settings["validation_fraction"] = 0.0
    return cls(**settings)


def _sklearn_baselines():
    return {
        "SimpleImputer (sklearn)": lambda: SimpleImputer(strategy="mean"),
        "KNNImputer (sklearn)": lambda: KNNImputer(n_neighbors=5),
        "IterativeImputer (sklearn)": lambda: IterativeImputer(max_iter=10, random_state=0),
    }


# ------------------------------------------------------------------ measuring
def _sync(device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def _epochs_run(estimator):
    """Epochs trained by an epoch-based imputer (or by the network it wraps), else None."""
    inner = getattr(estimator, "estimator_", estimator)
    if not hasattr(inner, "max_epochs"):
        return None
    return getattr(inner, "n_iter_", None)


def measure(make_estimator, X, n_units, device="cpu", repeats=1):
    """Time ``fit`` and ``transform`` of a fresh estimator on ``X``; median of repeats.

    Returns a dict with fit seconds, transform seconds, units per second of
    transform, peak memory (of the first repeat, which includes fit and
    transform) and, for epoch-based estimators, the epochs run.
    """
    fit_times, transform_times = [], []
    peak = None
    for repeat in range(repeats):
        estimator = make_estimator()
        with PeakMemory(device) as memory:
            _sync(device)
            start = time.perf_counter()
            estimator.fit(X)
            _sync(device)
            fit_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            out = estimator.transform(X)
            _sync(device)
            transform_times.append(time.perf_counter() - start)
        if peak is None:
            peak = memory
        if np.isnan(out).any():
            raise RuntimeError(f"{type(estimator).__name__} left missing values in its output.")
    fit_s = float(np.median(fit_times))
    transform_s = float(np.median(transform_times))
    return {
        "fit_s": fit_s,
        "transform_s": transform_s,
        "transform_per_s": n_units / transform_s if transform_s > 0 else float("inf"),
        "epochs": _epochs_run(estimator),
        "iterations": getattr(estimator, "n_iter_", None),
        "peak_mib": peak.peak_mib,
        "memory_method": peak.method,
        "cuda_peak_mib": peak.cuda_peak_mib,
        "repeats": repeats,
    }


def warm_up(classes, devices):
    """One tiny fit per class and device, so that torch's one-time start-up
    (thread pools, CUDA context, kernel loading) is not counted in the first case."""
    X = make_table(64, 4, seed=1)
    images = make_images(2, 16, seed=1)
    image = make_damaged_image(24, 8, seed=1)
    for name, cls in classes.items():
        for device in devices:
            if name in IMAGE_IMPUTERS:
                _configure(cls, device, 1).fit_transform(images)
            elif name in SINGLE_IMAGE_IMPUTERS:
                _configure(cls, device, 1, patch_size=8, min_crops=2).fit_transform(image)
            else:
                _configure(cls, device, 1).fit_transform(X)


def code_version():
    """The git commit of this checkout, with "+changes" when the tree is not clean."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=REPO, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+changes" if dirty.strip() else "")


def _load_average():
    """One-minute load average of the machine (None where the OS does not say)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def cases(settings, devices):
    """Every (estimator, data, device) to time, as dicts with a factory and the data."""
    classes = skgain_imputers()
    for n_rows, n_features in settings["tables"]:
        X = make_table(n_rows, n_features)
        data = f"table {n_rows} x {n_features}"
        for name, cls in classes.items():
            if name in NOT_TABULAR:
                continue
            for device in devices:
                yield {"estimator": name, "data": data, "device": device, "X": X,
                       "n_units": n_rows, "unit": "rows",
                       "make": lambda cls=cls, device=device: _configure(
                           cls, device, settings["epochs"])}
        for name, factory in _sklearn_baselines().items():
            yield {"estimator": name, "data": data, "device": "cpu", "X": X,
                   "n_units": n_rows, "unit": "rows", "make": factory}
    for n_images, size in settings["images"]:
        images = make_images(n_images, size)
        data = f"{n_images} images {size} x {size}"
        for name, cls in classes.items():
            if name not in IMAGE_IMPUTERS:
                continue
            for device in devices:
                yield {"estimator": name, "data": data, "device": device,
                       "X": images, "n_units": n_images, "unit": "images",
                       "make": lambda cls=cls, device=device: _configure(
                           cls, device, settings["epochs"])}
    for size, patch_size in settings["zero_shot"]:
        image = make_damaged_image(size, patch_size)
        data = f"1 image {size} x {size}, {patch_size} px crops"
        for name, cls in classes.items():
            if name not in SINGLE_IMAGE_IMPUTERS:
                continue
            for device in devices:
                yield {"estimator": name, "data": data, "device": device,
                       "X": image, "n_units": 1, "unit": "images",
                       "make": lambda cls=cls, device=device, p=patch_size: _configure(
                           cls, device, settings["epochs"], patch_size=p)}


# ------------------------------------------------------------------- report
def _fmt(value, digits=3):
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def to_markdown(rows, mode, env, settings):
    header = ["estimator", "data", "device", "fit (s)", "s / epoch", "transform (per s)",
              "peak memory (MiB)", "mode"]
    lines = []
    for row in rows:
        if "error" in row:
            lines.append([row["estimator"], row["data"], row["device"],
                          f"failed: {row['error']}", "-", "-", "-", mode])
            continue
        per_epoch = row["fit_s"] / row["epochs"] if row.get("epochs") else None
        memory = _fmt(row["peak_mib"])
        if row["cuda_peak_mib"] is not None:
            memory += f" (GPU {_fmt(row['cuda_peak_mib'])})"
        lines.append([row["estimator"], row["data"], row["device"], _fmt(row["fit_s"]),
                      _fmt(per_epoch), f"{_fmt(row['transform_per_s'])} {row['unit']}",
                      memory, mode])
    hardware = f"{env['cpu']} ({env['cpu_count']} cores, {env['torch_threads']} torch thread(s))"
    if env.get("load_average") is not None:
        # Other jobs on the same cores slow every timing down; say how busy it was.
        hardware += (f", load average {env['load_average'][0]:.1f} before and "
                     f"{env['load_average'][1]:.1f} after the run")
    gpu = env["cuda"] or ("none (CUDA not available, so no GPU rows; `python -m benchmarks gpu` "
                          "times the GPU on a machine with one: gpu.md)")
    text = [
        "# Speed",
        "",
        markdown_table(header, lines),
        "",
        f"Mode: **{mode}**, measured {env['date']} on CPU {hardware}; GPU: {gpu}; "
        f"torch {env['torch']}, scikit-learn {env.get('sklearn', '?')}"
        + (f", skgain at commit {env['code']}." if env.get("code") else "."),
        "",
        "The GAIN and SpatialGAIN papers report no timings, so this table has no paper column.",
        f"Data are synthetic, with {MISSING_RATE:.0%} of entries missing completely at random. "
        f"Epoch-based imputers train for exactly {settings['epochs']} epochs with early "
        "stopping off; real fits run until early stopping, so multiply `s / epoch` by the "
        "epochs you expect. `fit` and `transform` are the median of "
        f"{settings['repeats']} run(s) on the same data; transform throughput counts the rows "
        "(or images) completed per second by `transform` after `fit`.",
        "Peak memory is the peak resident memory of the process during fit and transform, "
        "above its level before fit (Linux VmHWM, reset before each case, after memory freed "
        "by earlier cases is handed back to the OS); pages that an allocator keeps (torch's "
        "thread pools, Python's small-object arenas) can still hide part of it, so read it "
        "as a lower bound. "
        "On a GPU the peak of torch's CUDA allocator is given in brackets. "
        "On a CPU shared with other jobs, timings vary by tens of percent between runs.",
    ]
    if any(row.get("memory_method") == "tracemalloc" for row in rows):
        text.append("On this machine VmHWM could not be reset, so peak memory is tracemalloc's "
                    "peak, which does not see torch's allocations.")
    return "\n".join(text)


def plot(rows, path):
    """Bar charts of fit seconds and transform throughput (log scales)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [row for row in rows if "error" not in row]
    labels = [f"{r['estimator']}\n{r['data']}, {r['device']}" for r in ok]
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.45 * len(ok) + 1.5), sharey=True)
    positions = np.arange(len(ok))
    axes[0].barh(positions, [r["fit_s"] for r in ok], color="tab:blue")
    axes[0].set_xscale("log")
    axes[0].set_xlabel("fit seconds (lower is better)")
    axes[1].barh(positions, [r["transform_per_s"] for r in ok], color="tab:orange")
    axes[1].set_xscale("log")
    axes[1].set_xlabel("transform rows or images per second (higher is better)")
    axes[0].set_yticks(positions, labels, fontsize=7)
    axes[0].invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _progress(items):
    """A tqdm progress bar when tqdm is installed (the benchmarks extra), else none."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return items
    return tqdm(items, desc="speed", disable=None, file=sys.stderr)


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def run(quick=False, data_home=None, out_dir=None):
    """Time every imputer and write ``speed.json``, ``speed.md`` and ``speed.png``.

    Parameters
    ----------
    quick : bool, default=False
        Small tables and images, one run each (well under a minute), instead
        of the paper's table and image shapes with 3 repeats.
    data_home : path or None
        Unused: the speed table runs on synthetic data.
    out_dir : path or None
        Results folder; default ``benchmarks/results``.

    Returns
    -------
    results : dict
        The JSON payload: ``mode``, ``settings`` and one entry per timed case
        in ``rows``.
    """
    from ._common import results_dir

    mode = "quick" if quick else "full"
    settings = SETTINGS[mode]
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    load_before = _load_average()
    # The code measured is the code at the start (it may change during a long run).
    code = code_version()
    warm_up(skgain_imputers(), devices)
    todo = list(cases(settings, devices))
    rows = []
    for case in _progress(todo):
        row = {key: case[key] for key in ("estimator", "data", "device", "unit", "n_units")}
        try:
            with warnings.catch_warnings():
                # IterativeImputer warns that 10 rounds did not reach its tolerance;
                # the fixed amount of work is what this table wants.
                warnings.simplefilter("ignore", ConvergenceWarning)
                row.update(measure(case["make"], case["X"], case["n_units"], case["device"],
                                   settings["repeats"]))
        except Exception as exc:  # one broken imputer must not hide the others' numbers
            row["error"] = f"{type(exc).__name__}: {exc}"
            print(f"speed: {row['estimator']} on {row['data']} failed: {row['error']}",
                  file=sys.stderr)
        rows.append(row)
    env = {**environment(), "code": code}
    if load_before is not None:
        env["load_average"] = [load_before, _load_average()]
    # Passed in the payload so that the JSON names the CPU model too.
    payload = {"environment": env, "mode": mode, "settings": settings,
               "missing_rate": MISSING_RATE, "rows": rows}
    markdown = to_markdown(rows, mode, env, settings)
    if _has_matplotlib() and any("error" not in row for row in rows):
        figure_dir = results_dir(NAME, out_dir)
        plot(rows, figure_dir / f"{NAME}.png")
        markdown += f"\n\n![Fit seconds and transform throughput]({NAME}.png)\n"
    write_results(NAME, payload, markdown, out_dir)
    return {"experiment": NAME, **payload}


if __name__ == "__main__":
    run(quick="--quick" in sys.argv[1:])
