"""SpatialGAINImputer's fit on the tench images: seconds against a base commit (issue 31).

Issue 31's first CPU target: ``SpatialGAINImputer()`` fits the 963 tench train
images in at most a third of today's time on two CPU cores, with accuracy
within noise. Each variant is the code of a commit ("base": the code before
the speed-up, "head": this checkout's HEAD, both extracted with ``git
archive``) with public parameters changed or not. Every fit runs to early
stopping as a user runs it: the defaults on the 963 train images with 20%
MCAR (seed 0's masks of ``benchmarks/images.py``), in a fresh process on one
torch thread, ``jobs`` fits at a time, so that the base and the head share
the machine's load alike. The fitted model then completes the first
``n_val`` val images (unseen: ``transform``), scored against
``inpaint_biharmonic`` on the same images and masks. Seconds are reported as
ratios to the base's in the same run.

The training images' own completion (``fit_transform``) is not scored here:
with the test-time views it costs as much again as the fit; ``images.py``
reports both.

    python -m benchmarks.image_speed --base 42dc278 --jobs 2
    python -m benchmarks.image_speed --variants head,narrow,mid --jobs 2 --name image_speed_ablation
    python -m benchmarks image_speed --quick     # smoke run: 16 images, 1 epoch
"""

import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ._common import (
    REPO,
    committed_code,
    default_data_home,
    environment,
    markdown_table,
    run_one_thread_worker,
    write_results,
)

NAME = "image_speed"
EXPERIMENT = NAME
# name: (code, public parameters of SpatialGAINImputer changed, what it is)
VARIANTS = {
    "base": ("base", {}, "the base commit's defaults"),
    "head": ("head", {}, "HEAD's defaults"),
    # Narrower U-Nets: a step of (8, 16, 32) costs 0.40x one of (16, 32, 64)
    # on one thread (zero_shot_speed.md's profile).
    "narrow": ("head", {"channels": [8, 16, 32]},
               "HEAD, U-Net channels (8, 16, 32) instead of (16, 32, 64)"),
    "mid": ("head", {"channels": [8, 24, 48]},
            "HEAD, U-Net channels (8, 24, 48) instead of (16, 32, 64)"),
    # The full-resolution level costs about 40% of a step's arithmetic and the
    # middle one 44%: narrowing only the first keeps the coarser levels' width.
    "first": ("head", {"channels": [8, 32, 64]},
              "HEAD, U-Net channels (8, 32, 64): only the first level narrower"),
    # The validation RMSE rises after its best epoch in every tench fit so
    # far: a rate halved there may go on improving instead.
    "plateau": ("head", {"lr_schedule": "plateau"},
                "HEAD, lr_schedule='plateau' (rate halved after 2 epochs without a new best)"),
}
SETTINGS = {"n_train": 963, "n_val": 100, "seed": 0, "params": {}}
QUICK_SETTINGS = {"n_train": 16, "n_val": 4, "seed": 0, "params": {"max_epochs": 1}}

_WORKER = r"""
import json, sys, time, warnings
args = json.loads(sys.argv[1])
sys.path[:0] = [args["root"], args["repo"]]
import numpy as np, torch
torch.set_num_threads(1)
import skgain
from skgain import SpatialGAINImputer
from benchmarks._common import mcar_hide
from benchmarks.images import MISSING_RATE, load_images, rmse
train, val = load_images(args["data_home"], args["n_train"], args["n_val"])
seed = args["seed"]
train_missing, _ = mcar_hide(train, MISSING_RATE, 2 * seed)
val_missing, hidden = mcar_hide(val, MISSING_RATE, 2 * seed + 1)
imputer = SpatialGAINImputer(random_state=seed, **args["params"])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    imputer.fit(train_missing)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    completed = imputer.transform(val_missing)
    transform_s = time.perf_counter() - start
print(json.dumps({"fit_s": fit_s, "transform_s": transform_s,
                  "rmse": rmse(val, completed, hidden),
                  "epochs": int(imputer.n_iter_), "best_epoch": int(imputer.best_epoch_),
                  "test_time_augmentation": str(imputer.test_time_augmentation_),
                  "val_rmse": [float(v) for v in imputer.history_["val_rmse"]],
                  "skgain_path": skgain.__file__}))
"""


def _fit(root, params, settings, data_home):
    """One fit and transform in a fresh one-thread process on the code under ``root``."""
    return run_one_thread_worker(_WORKER, {
        "root": str(root), "repo": str(REPO), "data_home": str(data_home),
        "n_train": settings["n_train"], "n_val": settings["n_val"],
        "seed": settings["seed"], "params": {**settings["params"], **params}})


def biharmonic_reference(settings, data_home):
    """``(rmse, seconds)`` of inpaint_biharmonic on the val images and masks."""
    from ._common import mcar_hide
    from .images import MISSING_RATE, biharmonic, load_images, rmse

    _, val = load_images(data_home, 0, settings["n_val"])
    val_missing, hidden = mcar_hide(val, MISSING_RATE, 2 * settings["seed"] + 1)
    start = time.perf_counter()
    out = biharmonic(val_missing)
    return rmse(val, out, hidden), time.perf_counter() - start


def run_variants(base, variants, settings, jobs=1, data_home=None):
    """Fit each variant, ``jobs`` at a time; returns the records."""
    data_home = data_home or default_data_home()
    reference, reference_s = biharmonic_reference(settings, data_home)
    records, lock = [], threading.Lock()
    with tempfile.TemporaryDirectory() as folder:
        codes = {VARIANTS[variant][0] for variant in variants}
        roots = {code: committed_code(base if code == "base" else "HEAD", Path(folder) / code)
                 for code in codes}

        def run_one(variant):
            code, params, _ = VARIANTS[variant]
            load = os.getloadavg()[0]
            fit = _fit(roots[code], params, settings, data_home)
            with lock:
                records.append({"variant": variant, "code": code, "params": params,
                                "load_average_1min": load, "inpaint_biharmonic": reference,
                                "inpaint_biharmonic_s": reference_s, **fit})
            print(f"{NAME}: {variant}: fit {fit['fit_s']:.0f} s, {fit['epochs']} epochs, "
                  f"RMSE {fit['rmse']:.4f} ({fit['rmse'] / reference:.3f}x biharmonic)",
                  file=sys.stderr, flush=True)

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(run_one, variants))
    order = {variant: i for i, variant in enumerate(variants)}
    return sorted(records, key=lambda r: order[r["variant"]])


def render(records, settings, base_commit, jobs, name=NAME):
    """The table: per variant, seconds as a ratio to the first row's, epochs, RMSE."""
    base = records[0]
    env = environment()
    loads = [r["load_average_1min"] for r in records]
    rows = [["inpaint_biharmonic", "-", "-", "-", "-", f"{base['inpaint_biharmonic']:.4f}",
             "1.000", f"{settings['n_val'] / base['inpaint_biharmonic_s']:.1f}"]]
    for r in records:
        rows.append([f"{r['variant']}: {VARIANTS[r['variant']][2]}", f"{r['fit_s']:.0f}",
                     f"{r['fit_s'] / base['fit_s']:.2f}", f"{r['epochs']} ({r['best_epoch']})",
                     r["test_time_augmentation"], f"{r['rmse']:.4f}",
                     f"{r['rmse'] / r['inpaint_biharmonic']:.3f}",
                     f"{settings['n_val'] / r['transform_s']:.2f}"])
    return "\n".join([
        "# SpatialGAINImputer's fit on the tench images: seconds against the base (issue 31)",
        "",
        f"`python -m benchmarks.image_speed --base {base_commit[:7]} --jobs {jobs} "
        f"--variants {','.join(r['variant'] for r in records)} --name {name}`: "
        f"`SpatialGAINImputer(random_state={settings['seed']}"
        + "".join(f", {k}={v!r}" for k, v in settings["params"].items())
        + f")` fitted on {settings['n_train']} tench train images (20% MCAR, seed "
        f"{settings['seed']}'s masks of `benchmarks/images.py`) to early stopping, then "
        f"`transform` of the first {settings['n_val']} val images (unseen). Each fit in a fresh "
        f"process on one torch thread, {jobs} at a time, on {env['cpu']} ({env['cpu_count']} "
        f"cores); 1-minute load average {min(loads):.1f}-{max(loads):.1f} at the fits' starts. "
        f"Read the seconds as ratios to the first row's ({base['variant']}) in this run. RMSE "
        "over the hidden val pixels (intensity / 255). Issue 31's target: a third of the "
        "seconds of the code before the speed-up (0.33), accuracy within noise.",
        "",
        markdown_table(["variant", "fit s", f"x {base['variant']}'s", "epochs (best)",
                        "views chosen",
                        "RMSE, unseen", "x biharmonic", "img/s, transform"], rows),
    ])


def run(quick=False, data_home=None, out_dir=None, base="HEAD", variants=None, jobs=1,
        name=NAME):
    """Fit the variants (default: the base and the head; ``quick``: 16 images,
    one epoch) and write the table ``name``, its first variant the reference."""
    settings = QUICK_SETTINGS if quick else SETTINGS
    variants = list(variants or ("base", "head"))
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise ValueError(f"Unknown variants {unknown}; choose among {sorted(VARIANTS)}.")
    records = run_variants(base, variants, settings, jobs, data_home)
    base_commit = subprocess.run(["git", "rev-parse", base], cwd=REPO, capture_output=True,
                                 text=True, check=True).stdout.strip()
    payload = {"base": base_commit, "settings": settings, "jobs": jobs,
               "variants": {v: VARIANTS[v] for v in variants}, "records": records}
    markdown = render(records, settings, base_commit, jobs, name)
    write_results(name, payload, markdown, out_dir, experiment=EXPERIMENT)
    return {"experiment": name, **payload}


def _main(argv):
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.image_speed")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--base", default="HEAD", help="commit of today's code")
    parser.add_argument("--variants", default=None, help="comma-separated names of VARIANTS")
    parser.add_argument("--jobs", type=int, default=1, help="fits run at a time")
    parser.add_argument("--out", default=None, help="folder to write into")
    parser.add_argument("--name", default=NAME, help="name of the results files")
    args = parser.parse_args(argv)
    variants = None if args.variants is None else args.variants.split(",")
    return run(quick=args.quick, out_dir=args.out, base=args.base, variants=variants,
               jobs=args.jobs, name=args.name)


if __name__ == "__main__":
    _main(sys.argv[1:])
